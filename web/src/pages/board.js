// The board page: wires the shared document to the canvas, panels and controls.
import { $, h, isTypingTarget, pageData } from '../lib/dom.js'
import { clearAuth, loadAuth, rememberBoard } from '../lib/auth.js'
import { NOTE_COLORS } from '../lib/colors.js'
import { toast } from '../lib/toast.js'
import { icon } from '../lib/icons.js'
import { Board } from '../board/context.js'
import { Viewport, isBackground } from '../board/viewport.js'
import { Undo } from '../board/undo.js'
import { GroupsLayer } from '../board/groups.js'
import { NotesLayer, NOTE_W, NOTE_H } from '../board/notes.js'
import { Presence } from '../board/presence.js'
import { Connection } from '../board/connection.js'
import { Voting } from '../board/voting.js'
import { Drafts } from '../board/drafts.js'
import { Estimation } from '../board/estimation.js'
import { AgendaPanel } from '../board/agenda.js'
import { Banners } from '../board/banners.js'
import { SessionBar } from '../board/facbar.js'
import { freeSpot, inside as insideBox } from '../board/placement.js'
import { OutcomesPanel, ResultsPanel, SessionPanel, Tabs } from '../board/panels.js'
import { installOutline } from '../outline/index.js'
import { SuggestPanel } from '../board/suggest.js'
import { t } from '../lib/i18n.js'
import { keepScrollReachable } from '../lib/scrollfocus.js'
import { CLOSE_BAD_TOKEN, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND } from '../lib/protocol.js'

const data = pageData()
const boardId = data.board_id
const auth = boardId ? loadAuth(boardId) : null
if (!auth) {
  location.replace(`/b/${encodeURIComponent(boardId)}/join`)
} else {
  start()
}

async function copyText (text) {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    const area = h('textarea', { class: 'sr-only', readOnly: true, value: text })
    document.body.append(area)
    area.select()
    let ok = false
    try { ok = document.execCommand('copy') } catch { ok = false }
    area.remove()
    return ok
  }
}

function start () {
  const app = $('#app')
  const board = new Board({ boardId, auth, limits: data.limits })
  window.planboard = board // handy in the console, and for tests
  rememberBoard(boardId, { title: data.title, name: auth.name, role: auth.role })

  const canvas = $('#canvas')
  const viewport = new Viewport(canvas, $('#world'))
  const undo = new Undo(board)
  const guard = board.guard
  const groups = new GroupsLayer({ board, viewport, layerEl: $('#groups-layer'), guard, undo })
  // Presence shows who edits which note, and notes say which one this client edits: the
  // callback reaches the presence made just below (it runs only once a note is edited).
  const notes = new NotesLayer({
    board, viewport, layerEl: $('#notes-layer'), guard, groups, undo, onEditing: (key) => presence.setEditing(key)
  })
  const presence = new Presence({
    board, viewport, cursorsLayer: $('#cursors-layer'), avatarList: $('#presence'), notes, followButton: $('#follow-btn')
  })
  board.notesLayer = notes // a handle for the console and the tests, not a dependency

  const fatalDialog = $('#fatal-dialog')
  const connection = new Connection({
    board,
    onFatal: (code, message) => {
      if (code === CLOSE_BAD_TOKEN || code === CLOSE_FORBIDDEN) clearAuth(boardId)
      $('#fatal-text').textContent = message
      $('#fatal-join').hidden = code === CLOSE_NOT_FOUND
      if (!fatalDialog.open) fatalDialog.showModal()
    }
  })
  const voting = new Voting(board, notes)
  new Drafts({ board, notes, connection, viewport }) // eslint-disable-line no-new
  new AgendaPanel(board) // eslint-disable-line no-new
  keepScrollReachable($('#agenda-panel'))
  const tabs = new Tabs()
  const sessionPanel = new SessionPanel({ board, presence, viewport })
  new SuggestPanel({ board }) // eslint-disable-line no-new
  new Estimation({ board, notes }) // eslint-disable-line no-new
  new OutcomesPanel({ board, undo }) // eslint-disable-line no-new
  const results = new ResultsPanel({ board, tabs })
  voting.addEventListener('revealed', () => {
    results.show()
    if (window.matchMedia('(max-width: 1100px)').matches) setPanel('side', true)
  })

  // -- invite
  const inviteUrl = `${location.origin}/b/${encodeURIComponent(boardId)}/join`
  const inviteDialog = $('#invite-dialog')
  const inviteInput = $('#invite-link')
  inviteInput.value = inviteUrl
  const openInvite = async (copyNow) => {
    if (copyNow) {
      const ok = await copyText(inviteUrl)
      toast(ok ? t('board.copied') : t('board.copyThis', { url: inviteUrl }), { kind: ok ? 'ok' : 'info' })
      return
    }
    $('#copy-status').textContent = ''
    inviteDialog.showModal()
    inviteInput.select()
  }
  $('#invite-btn').addEventListener('click', () => openInvite(false))
  $('#copy-invite').addEventListener('click', async () => {
    const ok = await copyText(inviteUrl)
    $('#copy-status').textContent = ok ? t('board.copiedShort') : t('board.copyManually')
    if (!ok) inviteInput.select()
  })
  new Banners({ board, voting, onInvite: openInvite }) // eslint-disable-line no-new
  installOutline({ board, voting, viewport, notes }) // before the shortcuts below: it takes O, and N/G in the outline

  // -- empty hint
  let noteCount = 0
  const updateEmpty = () => {
    $('#empty-hint').hidden = !(board.synced && noteCount === 0 && board.groups.size === 0 && board.canEdit())
  }
  $('#notes-layer').addEventListener('notes-count', (e) => { noteCount = e.detail; updateEmpty() })
  board.groups.observe(updateEmpty)

  // -- permissions on the page
  const roleChip = $('#role-chip')
  const updateApp = () => {
    const role = board.role()
    app.dataset.role = role
    app.dataset.canEdit = String(board.canEdit() || (board.drafting() && !board.isViewer() && !board.locked()))
    app.dataset.locked = String(board.locked())
    roleChip.hidden = false
    roleChip.textContent = ['facilitator', 'participant', 'viewer'].includes(role) ? t(`role.${role}`) : role
    roleChip.className = `chip${role === 'facilitator' ? '' : ' chip--muted'}`
    const v = board.voting()
    canvas.classList.toggle('is-voting', Boolean(v && v.status === 'open' && !board.isViewer()))
    $('#add-note').disabled = !board.canEdit() && !(board.drafting() && !board.isViewer())
    $('#add-group').disabled = !board.canEdit()
    updateEmpty()
  }
  board.addEventListener('state', updateApp)
  updateApp()

  // -- toolbar
  const swatches = $('#swatches')
  const renderSwatches = () => {
    swatches.replaceChildren(...NOTE_COLORS.map((c) => h('button', {
      class: `swatch swatch--${c.id}`,
      type: 'button',
      role: 'radio',
      'aria-checked': String(notes.lastColor === c.id),
      'aria-label': t('board.swatch', { colour: t(`colour.${c.id}`) }),
      tabindex: notes.lastColor === c.id ? '0' : '-1',
      on: { click: () => { notes.lastColor = c.id; renderSwatches(); swatches.querySelector('[aria-checked="true"]').focus() } }
    })))
  }
  swatches.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return
    e.preventDefault()
    const ids = NOTE_COLORS.map((c) => c.id)
    const i = ids.indexOf(notes.lastColor)
    notes.lastColor = ids[(i + (e.key === 'ArrowRight' ? 1 : ids.length - 1)) % ids.length]
    renderSwatches()
    swatches.querySelector('[aria-checked="true"]').focus()
  })
  renderSwatches()

  const addNote = () => {
    const spot = notes.nextSpot()
    if (!insideBox(spot.x, spot.y, NOTE_W, NOTE_H, viewport.visible())) viewport.setCenter(spot.x + NOTE_W / 2, spot.y + NOTE_H / 2, viewport.zoom, 'program')
    if (!notes.create(spot.x, spot.y)) toast(board.locked() ? t('board.isLocked') : t('board.cannotAddHere'))
  }
  const addGroup = () => {
    // Where nothing is: never on top of the previous group, never over notes (it would swallow them).
    const taken = [...notes.boxes(), ...groups.boxes()]
    const spot = freeSpot({ w: 480, h: 320, taken, view: viewport.visible(), clientId: board.doc.clientID, ...viewport.reserved() })
    if (!insideBox(spot.x, spot.y, 480, 320, viewport.visible())) viewport.setCenter(spot.x + 240, spot.y + 160, viewport.zoom, 'program')
    groups.create(spot.x, spot.y)
  }
  const undoBtn = $('#undo-btn')
  const redoBtn = $('#redo-btn')
  undoBtn.append(icon('undo'))
  redoBtn.append(icon('redo'))
  const updateUndo = () => {
    undoBtn.disabled = !undo.canUndo()
    redoBtn.disabled = !undo.canRedo()
  }
  undo.addEventListener('change', updateUndo)
  updateUndo()
  undoBtn.addEventListener('click', () => undo.undo())
  redoBtn.addEventListener('click', () => undo.redo())
  $('#add-note').addEventListener('click', addNote)
  // The session bar: the agenda item's tool one click away, on every tab.
  const showSide = () => {
    if (window.matchMedia('(max-width: 1100px)').matches) setPanel('side', true)
    else if (app.classList.contains('collapse-side')) collapse('side')
  }
  const openTab = (tabId) => { showSide(); tabs.select(tabId) }
  new SessionBar({ // eslint-disable-line no-new
    board,
    tools: {
      addNote,
      addGroup,
      tidyAll: () => { for (const id of groups.views.keys()) groups.tidy(id) },
      openTab,
      focus: (tabId, selector) => { openTab(tabId); $(selector)?.focus() },
      votingSettings: () => sessionPanel.votingSettings()
    }
  })
  const colorMode = $('#color-mode')
  colorMode.addEventListener('change', () => { notes.colorMode = colorMode.value; notes.all = true; notes.schedule() })
  board.groups.observeDeep(() => { if (notes.colorMode === 'group') { notes.all = true; notes.schedule() } })
  $('#presence-btn').addEventListener('click', () => openTab('tab-btn-people'))
  $('#add-group').addEventListener('click', addGroup)
  $('#zoom-in').addEventListener('click', () => viewport.zoomAt(1.2))
  $('#zoom-out').addEventListener('click', () => viewport.zoomAt(1 / 1.2))
  $('#zoom-reset').addEventListener('click', () => viewport.setZoom(1))
  const fit = (reason = 'user') => viewport.fit([...notes.boxes(), ...groups.boxes()], reason)
  $('#zoom-fit').addEventListener('click', () => fit())
  viewport.addEventListener('change', () => { $('#zoom-reset').textContent = `${Math.round(viewport.zoom * 100)}%` })
  const helpDialog = $('#help-dialog')
  $('#help-btn').addEventListener('click', () => helpDialog.showModal())

  canvas.addEventListener('dblclick', (e) => {
    // While voting, clicks place dots: a double-click never creates a note then, wherever it
    // lands (also on a note's dots or count, which re-render between the two clicks).
    if (canvas.classList.contains('is-voting')) return
    if (!isBackground(e.target, canvas, $('#world'))) return
    const p = viewport.toWorld(e.clientX, e.clientY)
    notes.create(p.x - NOTE_W / 2, p.y - NOTE_H / 3)
  })

  // -- keyboard shortcuts
  window.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || isTypingTarget(e.target)) return
    if (notes.absorbKey(e)) return // a draft the reveal closed under the user's hands
    if (document.querySelector('dialog[open]')) return
    const mod = e.ctrlKey || e.metaKey
    if (mod && !e.altKey && (e.key === 'z' || e.key === 'Z' || e.key === 'y' || e.key === 'Y')) {
      e.preventDefault()
      const redo = e.key === 'y' || e.key === 'Y' || e.shiftKey
      if (!(redo ? undo.redo() : undo.undo())) toast(redo ? t('board.nothingToRedo') : t('board.nothingToUndo'))
      return
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return
    if (document.querySelector('dialog[open]')) return
    const key = e.key
    if (key === 'n' || key === 'N') { e.preventDefault(); addNote() }
    else if (key === 'g' || key === 'G') { e.preventDefault(); addGroup() }
    else if (key === '+' || key === '=') { e.preventDefault(); viewport.zoomAt(1.2) }
    else if (key === '-' || key === '_') { e.preventDefault(); viewport.zoomAt(1 / 1.2) }
    else if (key === '0') { e.preventDefault(); viewport.setZoom(1) }
    else if (key === 'f' || key === 'F') { e.preventDefault(); fit() }
    else if (key === '?') { e.preventDefault(); helpDialog.showModal() }
    else if (key === '[' && wide.matches) { e.preventDefault(); collapse('agenda') }
    else if (key === ']' && wide.matches) { e.preventDefault(); collapse('side') }
  })

  // -- side panels on narrow windows
  const setPanel = (which, on) => {
    const cls = which === 'agenda' ? 'show-agenda' : 'show-side'
    const btn = $(which === 'agenda' ? '#toggle-agenda' : '#toggle-side')
    const show = on ?? !app.classList.contains(cls)
    app.classList.toggle(cls, show)
    btn.setAttribute('aria-expanded', String(show))
    if (show) setPanel(which === 'agenda' ? 'side' : 'agenda', false)
  }
  $('#toggle-agenda').addEventListener('click', () => setPanel('agenda'))
  $('#toggle-side').addEventListener('click', () => setPanel('side'))
  canvas.addEventListener('pointerdown', () => { setPanel('agenda', false); setPanel('side', false) })

  // -- side panels on wide windows: each can be hidden, so the canvas gets the room; the view
  // keeps its centre, and the choice is remembered in this browser
  const wide = window.matchMedia('(min-width: 1101px)')
  const PANELS_KEY = 'planboard.panels'
  let hidden = {}
  try { hidden = JSON.parse(localStorage.getItem(PANELS_KEY) || '{}') || {} } catch { hidden = {} }
  const collapseBtn = { agenda: $('#collapse-agenda'), side: $('#collapse-side') }
  collapseBtn.agenda.append(icon('panelLeft'))
  collapseBtn.side.append(icon('panelRight'))
  const panelKey = { agenda: 'agenda', side: 'side' }
  const applyCollapsed = (which) => {
    const off = Boolean(hidden[which])
    app.classList.toggle(`collapse-${which}`, off)
    const btn = collapseBtn[which]
    btn.setAttribute('aria-expanded', String(!off))
    const label = t(`board.${off ? 'show' : 'hide'}.${panelKey[which]}`)
    btn.setAttribute('aria-label', label)
    btn.title = `${label} (${which === 'agenda' ? '[' : ']'})`
  }
  const collapse = (which) => {
    const c = viewport.center()
    hidden = { ...hidden, [which]: !hidden[which] }
    try { localStorage.setItem(PANELS_KEY, JSON.stringify(hidden)) } catch {}
    applyCollapsed(which)
    viewport.setCenter(c.x, c.y, viewport.zoom, 'program')
  }
  collapseBtn.agenda.addEventListener('click', () => collapse('agenda'))
  collapseBtn.side.addEventListener('click', () => collapse('side'))
  applyCollapsed('agenda')
  applyCollapsed('side')

  // -- first view
  board.addEventListener('synced', () => {
    app.dataset.state = 'ready'
    requestAnimationFrame(() => {
      if (notes.views.size || groups.views.size) fit('program')
      else viewport.setCenter(460, 260, 1, 'program')
      updateApp()
    })
  }, { once: true })
  viewport.setCenter(460, 260, 1, 'program')
  void connection
}
