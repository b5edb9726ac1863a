// The outline view: the same live board as headings and lists, for phones, keyboards and screen
// readers. The agenda with the current item and timer; then groups with their notes (and notes
// in no group); decisions and actions; results. Every action of a session is a button, a form or
// a menu here (no dragging), and what others change is announced politely, never taking focus.
import * as Y from 'yjs'
import { h, rafThrottle } from '../lib/dom.js'
import { serverNow } from '../lib/api.js'
import { NOTE_COLORS, noteColor } from '../lib/colors.js'
import { formatDate, languageSwitch, t } from '../lib/i18n.js'
import { toast } from '../lib/toast.js'
import { formatClock } from '../board/agenda.js'
import { bindText } from '../board/textbind.js'
import { newId } from '../board/context.js'
import { MenuButton } from './menu.js'
import {
  createGroup, createNote, deleteGroup, deleteNote, groupTitle, groupsInOrder, moveToGroup,
  noteText, notesInOrder, renameGroup, setNoteColor
} from './model.js'

function snippet (text, max = 60) {
  const flat = text.replace(/\s+/g, ' ').trim()
  if (!flat) return t('outline.note.emptyText')
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat
}

function btn (label, onClick, { cls = 'btn btn--sm', fk, ...attrs } = {}) {
  return h('button', { class: cls, type: 'button', dataset: fk ? { fk } : undefined, ...attrs, on: { click: onClick } }, label)
}

function sectionEl (id, title, ...children) {
  const heading = h('h2', { class: 'ol-section__title', id: `${id}-h`, tabindex: '-1' }, title)
  return h('section', { class: 'ol-section', id, 'aria-labelledby': `${id}-h` }, heading, ...children)
}

// ------------------------------------------------------------------ one note
class NoteRow {
  constructor (view, source, id, ymap) {
    this.view = view
    this.board = view.board
    this.source = source
    this.id = id
    this.ymap = ymap
    this.key = `${source.name}:${id}`
    this.editing = false
    this.text = h('p', { class: 'ol-note__text' })
    this.meta = h('p', { class: 'ol-note__meta' })
    const fk = (what) => `note:${this.key}:${what}`
    this.voteBtn = btn(t('outline.note.vote'), () => view.voting.vote(this.id), { cls: 'btn btn--sm btn--primary', fk: fk('vote') })
    this.unvoteBtn = btn(t('outline.note.unvote'), () => view.voting.unvote(this.id), { fk: fk('unvote') })
    this.editBtn = btn(t('outline.note.edit'), () => this.toggleEdit(), { fk: fk('edit'), 'aria-expanded': 'false' })
    this.colourMenu = new MenuButton({
      label: t('outline.note.colour'),
      ariaLabel: '',
      fk: fk('colour'),
      choices: () => NOTE_COLORS.map((c) => ({ value: c.id, label: t(`colour.${c.id}`), current: noteColor(this.ymap.get('color')) === c.id, cls: `ol-swatch ol-swatch--${c.id}` })),
      onPick: (color) => {
        setNoteColor(this.board, this.source, this.id, color)
        view.announcer.say(t('announce.mine.colour', { colour: t(`colour.${color}`) }))
      }
    })
    this.moveMenu = new MenuButton({
      label: t('outline.note.move'),
      ariaLabel: '',
      fk: fk('move'),
      choices: () => [
        ...groupsInOrder(this.board).map(([gid, g]) => ({ value: gid, label: groupTitle(g) || t('outline.groups.untitled'), current: this.ymap.get('group') === gid })),
        { value: '', label: t('outline.groups.none'), current: !this.ymap.get('group') }
      ],
      onPick: (groupId) => {
        view.focusKey = fk('move')
        if (moveToGroup(this.board, this.id, groupId || null)) {
          const g = groupId ? this.board.groups.get(groupId) : null
          view.announcer.say(g ? t('announce.mine.moved', { group: groupTitle(g) || t('outline.groups.untitled') }) : t('announce.mine.ungrouped'))
        }
      }
    })
    this.deleteBtn = btn(t('outline.note.delete'), () => this.remove(), { cls: 'btn btn--sm btn--danger', fk: fk('delete') })
    this.tools = h('div', { class: 'ol-note__tools', role: 'group' },
      this.voteBtn, this.unvoteBtn, this.editBtn, this.colourMenu.wrap, this.moveMenu.wrap, this.deleteBtn)
    this.el = h('li', { class: 'ol-note', dataset: { id, source: source.name } }, this.text, this.meta, this.tools)
    this.cache = {}
  }

  update () {
    const b = this.board
    const m = this.ymap
    const text = noteText(m)
    const short = snippet(text)
    const color = noteColor(m.get('color'))
    if (this.cache.color !== color) {
      if (this.cache.color) this.el.classList.remove(`ol-note--${this.cache.color}`)
      this.el.classList.add(`ol-note--${color}`)
      this.cache.color = color
    }
    if (!this.editing) this.text.textContent = text.trim() ? text : t('outline.note.emptyText')
    const author = m.get('author')
    const parts = [this.source.draft ? t('outline.note.private') : (author === b.me ? t('outline.note.byYou') : t('outline.note.by', { name: b.name(author) }))]
    parts.push(t(`colour.${color}`))
    const voting = b.voting()
    const open = Boolean(voting && voting.status === 'open')
    const mine = this.source.draft ? 0 : (b.ui.ballots[this.id] || 0)
    if (open && mine) parts.push(t('outline.note.myDots', { count: mine }))
    const tally = this.source.draft ? null : this.view.tally
    if (tally) parts.push(t('outline.note.votes', { count: tally[this.id] || 0 }))
    const rank = this.view.ranks.get(this.id)
    if (rank) parts.push(t('outline.note.rank', { rank }))
    this.meta.textContent = parts.join(' · ')
    this.tools.setAttribute('aria-label', t('outline.note.label', { text: short }))
    const writable = b.canEditNote(m, this.source.draft)
    const canVote = open && !b.isViewer() && !this.source.draft
    this.voteBtn.hidden = !canVote
    this.voteBtn.disabled = b.ui.left === 0
    this.voteBtn.setAttribute('aria-label', t('outline.note.voteLabel', { text: short }))
    this.unvoteBtn.hidden = !(canVote && mine > 0)
    this.unvoteBtn.setAttribute('aria-label', t('outline.note.unvoteLabel', { text: short }))
    this.editBtn.hidden = !writable
    this.editBtn.setAttribute('aria-label', this.editing ? t('outline.note.done') : t('outline.note.editLabel', { text: short }))
    this.colourMenu.wrap.hidden = !writable
    this.colourMenu.setLabel(t('outline.note.colourLabel', { text: short }))
    this.moveMenu.wrap.hidden = this.source.draft || !b.canEdit()
    this.moveMenu.setLabel(t('outline.note.moveLabel', { text: short }))
    this.deleteBtn.hidden = !writable
    this.deleteBtn.setAttribute('aria-label', t('outline.note.deleteLabel', { text: short }))
    if (this.editing && !writable) this.stopEdit(false)
  }

  toggleEdit () {
    if (this.editing) this.stopEdit(true)
    else this.startEdit()
  }

  startEdit () {
    const ytext = this.ymap.get('text')
    if (!(ytext instanceof Y.Text) || !this.board.canEditNote(this.ymap, this.source.draft)) return
    this.editing = true
    const editor = h('textarea', {
      class: 'ol-note__editor', maxlength: String(this.board.limits.note_text), rows: '3', 'aria-label': t('outline.note.text'),
      dataset: { fk: `note:${this.key}:editor` }
    })
    const read = () => (this.source.notes.get(this.id) === this.ymap ? noteText(this.ymap) : null)
    this.unbind = bindText(ytext, editor, {
      onLocal: (prev) => this.board.guard.remember(`${this.key}:text`, read, prev, { author: this.ymap.get('author') })
    })
    editor.addEventListener('keydown', (e) => {
      e.stopPropagation()
      if (e.key === 'Escape' || (e.key === 'Enter' && (e.ctrlKey || e.metaKey))) {
        e.preventDefault()
        this.stopEdit(true)
      }
    })
    this.editor = editor
    this.text.replaceWith(editor)
    this.editBtn.textContent = t('outline.note.done')
    this.editBtn.setAttribute('aria-expanded', 'true')
    this.editBtn.setAttribute('aria-label', t('outline.note.done'))
    editor.focus()
    editor.setSelectionRange(editor.value.length, editor.value.length)
  }

  stopEdit (refocus) {
    if (!this.editing) return
    this.editing = false
    if (this.unbind) this.unbind()
    this.unbind = null
    if (this.editor?.isConnected) this.editor.replaceWith(this.text)
    this.editor = null
    this.editBtn.textContent = t('outline.note.edit')
    this.editBtn.setAttribute('aria-expanded', 'false')
    this.update()
    if (refocus) this.editBtn.focus()
  }

  remove () {
    const next = this.el.nextElementSibling || this.el.previousElementSibling
    const nextBtn = next && [...next.querySelectorAll('button')].find((b) => !b.hidden && !b.closest('[hidden]'))
    this.view.focusKey = nextBtn ? nextBtn.dataset.fk : 'section:notes'
    deleteNote(this.board, this.source, this.id)
    this.view.announcer.say(t('announce.mine.deleted'))
  }

  destroy () {
    if (this.editing) this.stopEdit(false)
    this.el.remove()
  }
}

// ------------------------------------------------------------------ one group
class GroupBlock {
  constructor (view, id, ymap) {
    this.view = view
    this.board = view.board
    this.id = id
    this.ymap = ymap
    this.titleText = h('span', { class: 'ol-group__name' })
    this.count = h('span', { class: 'ol-group__count' })
    this.heading = h('h3', { class: 'ol-group__title', id: `ol-group-${id}` }, this.titleText, ' ', this.count)
    this.renameBtn = btn(t('outline.groups.rename'), () => this.startRename(), { fk: `group:${id}:rename` })
    this.deleteBtn = btn(t('outline.groups.delete'), () => this.remove(), { cls: 'btn btn--sm btn--danger', fk: `group:${id}:delete` })
    this.tools = h('div', { class: 'ol-group__tools' }, this.renameBtn, this.deleteBtn)
    this.head = h('div', { class: 'ol-group__head' }, this.heading, this.tools)
    this.list = h('ul', { class: 'ol-notes', 'aria-labelledby': `ol-group-${id}` })
    this.empty = h('p', { class: 'ol-empty' }, t('outline.notes.none'))
    this.el = h('section', { class: 'ol-group', dataset: { group: id } }, this.head, this.list, this.empty)
  }

  title () { return groupTitle(this.ymap) || t('outline.groups.untitled') }

  update (count) {
    if (!this.form) this.titleText.textContent = this.title()
    this.count.textContent = `(${t('outline.notes.count', { count })})`
    this.empty.hidden = count > 0
    const editable = this.board.canEdit()
    this.tools.hidden = !editable
    this.renameBtn.setAttribute('aria-label', t('outline.groups.renameLabel', { title: this.title() }))
    this.deleteBtn.setAttribute('aria-label', t('outline.groups.deleteLabel', { title: this.title() }))
    const color = this.ymap.get('color')
    this.el.dataset.color = NOTE_COLORS.some((c) => c.id === color) ? color : 'indigo'
  }

  startRename () {
    if (this.form || !this.board.canEdit()) return
    const input = h('input', { class: 'input ol-group__input', maxlength: '120', value: groupTitle(this.ymap), 'aria-label': t('outline.groups.name'), dataset: { fk: `group:${this.id}:input` } })
    const cancel = btn(t('outline.groups.cancel'), () => this.stopRename(false))
    const form = h('form', { class: 'ol-inline' }, input, h('button', { class: 'btn btn--sm btn--primary', type: 'submit' }, t('outline.groups.save')), cancel)
    form.addEventListener('submit', (e) => { e.preventDefault(); this.stopRename(true) })
    input.addEventListener('keydown', (e) => {
      e.stopPropagation()
      if (e.key === 'Escape') { e.preventDefault(); this.stopRename(false) }
    })
    this.form = form
    this.input = input
    this.head.replaceWith(form)
    input.focus()
    input.select()
  }

  stopRename (save) {
    if (!this.form) return
    const title = this.input.value.trim().slice(0, 120)
    const form = this.form
    this.form = null
    if (save && title) renameGroup(this.board, this.id, title)
    form.replaceWith(this.head)
    this.titleText.textContent = this.title()
    this.view.schedule()
    this.renameBtn.focus()
  }

  remove () {
    this.view.focusKey = 'section:notes'
    deleteGroup(this.board, this.id)
  }

  destroy () { this.el.remove() }
}

// ------------------------------------------------------------------ the view
export class OutlineView {
  constructor ({ board, voting, announcer, container }) {
    this.board = board
    this.voting = voting
    this.announcer = announcer
    this.container = container
    this.rows = new Map()
    this.groupBlocks = new Map()
    this.tally = null
    this.ranks = new Map()
    this.active = false
    this.focusKey = null
    this.keys = {}
    this.schedule = rafThrottle(() => this.render())
    this.build()
    container.addEventListener('focusin', (e) => {
      const fk = e.target.closest('[data-fk]')?.dataset.fk
      if (fk) this.focusKey = fk
    })
    const s = () => this.schedule()
    board.addEventListener('state', s)
    board.notes.observeDeep(s)
    board.groups.observeDeep(s)
    board.actions.observeDeep(s)
    board.decisions.observeDeep(s)
    board.participants.observeDeep(s)
    voting.addEventListener('change', s)
    this.draftsNotes = null
    setInterval(() => this.tick(), 1000)
  }

  setActive (on) {
    this.active = on
    if (on) this.render()
  }

  // -- building the fixed parts
  build () {
    const b = this.board
    this.heading = h('h2', { class: 'sr-only', id: 'outline-heading' }, t('outline.title'))
    this.intro = h('div', { class: 'ol-intro' }, h('p', { class: 'muted small' }, t('outline.intro')), languageSwitch('lang-switch'))

    // agenda
    this.agendaNow = h('p', { class: 'ol-now', id: 'ol-now' })
    this.timerLine = h('p', { class: 'ol-timer', id: 'ol-timer', role: 'timer', 'aria-live': 'off' })
    this.agendaList = h('ol', { class: 'ol-agenda', id: 'ol-agenda-list' })
    this.prevBtn = btn(t('outline.agenda.prev'), () => b.command('agenda.prev').catch(() => {}), { fk: 'agenda:prev', id: 'ol-agenda-prev' })
    this.nextBtn = btn(t('outline.agenda.next'), () => b.command('agenda.next').catch(() => {}), { fk: 'agenda:next', id: 'ol-agenda-next' })
    this.agendaNav = h('div', { class: 'ol-row fac-only' }, this.prevBtn, this.nextBtn)
    this.agendaSection = sectionEl('ol-agenda', t('outline.agenda'), this.agendaNow, this.timerLine, this.agendaNav, this.agendaList)

    // you
    this.statusList = h('ul', { class: 'ol-status', id: 'ol-status' })
    this.readyBtn = btn(t('outline.you.ready'), () => b.command(this.flag('ready') ? 'unready' : 'ready').catch(() => {}), { fk: 'you:ready', id: 'ol-ready', 'aria-pressed': 'false' })
    this.handBtn = btn(t('outline.you.hand'), () => b.command(this.flag('hands') ? 'hand.lower' : 'hand.raise').catch(() => {}), { fk: 'you:hand', id: 'ol-hand', 'aria-pressed': 'false' })
    this.youRow = h('div', { class: 'ol-row' }, this.readyBtn, this.handBtn)
    this.youSection = sectionEl('ol-you', t('outline.you'), this.statusList, this.youRow)

    this.buildFacilitator()
    this.buildNotes()
    this.buildOutcomes()
    this.resultsBody = h('div', { id: 'ol-results-body' })
    this.resultsSection = sectionEl('ol-results', t('outline.results'), this.resultsBody)

    this.container.append(this.heading, this.intro, this.agendaSection, this.youSection, this.facSection,
      this.notesSection, this.outcomesSection, this.resultsSection)
  }

  buildFacilitator () {
    const b = this.board
    const run = (type, args) => () => b.command(type, typeof args === 'function' ? args() : args).catch(() => {})
    this.lockBtn = btn(t('outline.fac.lock'), () => b.command(b.locked() ? 'unlock' : 'lock').catch(() => {}), { fk: 'fac:lock', id: 'ol-lock', 'aria-pressed': 'false' })
    this.minutes = h('input', { class: 'input ol-num', type: 'number', min: '1', max: '240', step: '1', value: '5', id: 'ol-timer-minutes' })
    this.timerStart = btn(t('outline.fac.start'), run('timer.start', () => ({ seconds: Math.round(Math.max(1, Number(this.minutes.value) || 5) * 60) })), { fk: 'fac:timer-start', id: 'ol-timer-start' })
    this.timerPause = btn(t('outline.fac.pause'), run('timer.pause'), { fk: 'fac:timer-pause', id: 'ol-timer-pause' })
    this.timerResume = btn(t('outline.fac.resume'), run('timer.resume'), { fk: 'fac:timer-resume', id: 'ol-timer-resume' })
    this.timerReset = btn(t('outline.fac.reset'), run('timer.reset'), { fk: 'fac:timer-reset', id: 'ol-timer-reset' })
    const timerGroup = h('div', { class: 'ol-field-row', role: 'group', 'aria-labelledby': 'ol-timer-h' },
      h('h3', { id: 'ol-timer-h', class: 'ol-sub' }, t('outline.fac.timer')),
      h('label', { class: 'ol-label', for: 'ol-timer-minutes' }, t('outline.fac.minutes')), this.minutes,
      this.timerStart, this.timerPause, this.timerResume, this.timerReset)

    this.budget = h('input', { class: 'input ol-num', type: 'number', min: '1', max: '100', value: '5', id: 'ol-vote-budget' })
    this.cap = h('input', { class: 'input ol-num', type: 'number', min: '1', max: '100', value: '3', id: 'ol-vote-cap' })
    this.secret = h('input', { type: 'checkbox', checked: true, id: 'ol-vote-secret' })
    this.voteForm = h('form', { class: 'ol-field-row', id: 'ol-vote-form' },
      h('label', { class: 'ol-label', for: 'ol-vote-budget' }, t('outline.fac.budget')), this.budget,
      h('label', { class: 'ol-label', for: 'ol-vote-cap' }, t('outline.fac.cap')), this.cap,
      h('label', { class: 'ol-check' }, this.secret, t('outline.fac.secret')),
      h('button', { class: 'btn btn--sm btn--primary', type: 'submit', id: 'ol-vote-start', dataset: { fk: 'fac:vote-start' } }, t('outline.fac.startVote')))
    this.voteForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const budget = Math.round(Number(this.budget.value) || 5)
      const cap = Math.min(budget, Math.round(Number(this.cap.value) || budget))
      b.command('voting.start', { budget, max_per_note: cap, secret: this.secret.checked }).catch(() => {})
    })
    this.voteClose = btn(t('outline.fac.closeVote'), run('voting.close'), { fk: 'fac:vote-close', id: 'ol-vote-close' })
    this.voteReveal = btn(t('outline.fac.revealVote'), run('voting.reveal'), { cls: 'btn btn--sm btn--primary', fk: 'fac:vote-reveal', id: 'ol-vote-reveal' })
    const voteGroup = h('div', { class: 'ol-block', role: 'group', 'aria-labelledby': 'ol-voting-h' },
      h('h3', { id: 'ol-voting-h', class: 'ol-sub' }, t('outline.fac.voting')), this.voteForm, h('div', { class: 'ol-row' }, this.voteClose, this.voteReveal))

    this.draftsLine = h('p', { class: 'ol-line', id: 'ol-drafts-line' })
    this.draftsStart = btn(t('outline.fac.startDrafts'), run('drafts.start'), { fk: 'fac:drafts-start', id: 'ol-drafts-start' })
    this.draftsReveal = btn(t('outline.fac.revealDrafts'), run('drafts.reveal'), { cls: 'btn btn--sm btn--primary', fk: 'fac:drafts-reveal', id: 'ol-drafts-reveal' })
    const draftsGroup = h('div', { class: 'ol-block', role: 'group', 'aria-labelledby': 'ol-drafts-h' },
      h('h3', { id: 'ol-drafts-h', class: 'ol-sub' }, t('outline.fac.drafts')), this.draftsLine, h('div', { class: 'ol-row' }, this.draftsStart, this.draftsReveal))

    this.facSection = sectionEl('ol-fac', t('outline.fac'), h('div', { class: 'ol-row' }, this.lockBtn), timerGroup, voteGroup, draftsGroup)
    this.facSection.classList.add('fac-only')
  }

  buildNotes () {
    const b = this.board
    this.noteText = h('textarea', { class: 'input', id: 'ol-note-text', rows: '2', maxlength: String(b.limits.note_text), dataset: { fk: 'notes:text' } })
    this.noteColour = h('select', { class: 'input', id: 'ol-note-colour' },
      ...NOTE_COLORS.map((c) => h('option', { value: c.id }, t(`colour.${c.id}`))))
    this.noteGroup = h('select', { class: 'input', id: 'ol-note-group' })
    this.noteForm = h('form', { class: 'ol-form edit-only', id: 'ol-note-form' },
      h('label', { class: 'ol-label', for: 'ol-note-text' }, t('outline.notes.new')), this.noteText,
      h('div', { class: 'ol-form__row' },
        h('label', { class: 'ol-field' }, h('span', { class: 'ol-label' }, t('outline.notes.colour')), this.noteColour),
        h('label', { class: 'ol-field' }, h('span', { class: 'ol-label' }, t('outline.notes.group')), this.noteGroup)),
      h('button', { class: 'btn btn--primary', type: 'submit', id: 'ol-note-add', dataset: { fk: 'notes:add' } }, t('outline.notes.add')))
    this.noteText.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); this.noteForm.requestSubmit() }
    })
    this.noteForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const text = this.noteText.value.trim()
      if (!text) { toast(t('outline.notes.empty')); this.noteText.focus(); return }
      const id = createNote(b, { text, color: this.noteColour.value, group: this.noteGroup.value || null })
      if (!id) { toast(t('outline.notes.cannot'), { kind: 'warn' }); return }
      this.noteText.value = ''
      this.announcer.say(t('announce.mine.added'))
    })
    this.draftsBlock = h('section', { class: 'ol-group ol-group--drafts', hidden: true },
      h('h3', { class: 'ol-group__title', id: 'ol-drafts-title' }, t('outline.notes.drafts')),
      this.draftsList = h('ul', { class: 'ol-notes', 'aria-labelledby': 'ol-drafts-title' }))
    this.groupsEl = h('div', { class: 'ol-groups', id: 'ol-groups' })
    this.ungroupedBlock = h('section', { class: 'ol-group ol-group--none' },
      h('h3', { class: 'ol-group__title', id: 'ol-ungrouped-title' }, t('outline.notes.ungrouped')),
      this.ungroupedList = h('ul', { class: 'ol-notes', 'aria-labelledby': 'ol-ungrouped-title' }),
      this.ungroupedEmpty = h('p', { class: 'ol-empty' }, t('outline.notes.none')))
    this.groupName = h('input', { class: 'input', id: 'ol-group-name', maxlength: '120', dataset: { fk: 'groups:name' } })
    this.groupForm = h('form', { class: 'ol-form ol-form--inline edit-only', id: 'ol-group-form' },
      h('label', { class: 'ol-label', for: 'ol-group-name' }, t('outline.groups.new')), this.groupName,
      h('button', { class: 'btn', type: 'submit', id: 'ol-group-add' }, t('outline.groups.add')))
    this.groupForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const title = this.groupName.value.trim().slice(0, 120) || t('outline.groups.untitled')
      if (createGroup(b, title)) {
        this.groupName.value = ''
        this.announcer.say(t('announce.mine.group', { title }))
      }
    })
    this.notesCount = h('span', { class: 'ol-section__count' })
    this.notesSection = sectionEl('ol-notes', t('outline.notes'), this.noteForm, this.draftsBlock, this.groupsEl, this.ungroupedBlock, this.groupForm)
    this.notesSection.querySelector('h2').append(' ', this.notesCount)
    this.notesSection.querySelector('h2').dataset.fk = 'section:notes'
  }

  buildOutcomes () {
    const b = this.board
    this.decisionList = h('ul', { class: 'ol-list', id: 'ol-decisions' })
    this.decisionText = h('textarea', { class: 'input', id: 'ol-decision-text', rows: '2', maxlength: '1000', dataset: { fk: 'decision:text' } })
    this.decisionForm = h('form', { class: 'ol-form fac-only', id: 'ol-decision-form' },
      h('label', { class: 'ol-label', for: 'ol-decision-text' }, t('outline.decisions.new')), this.decisionText,
      h('button', { class: 'btn btn--sm btn--primary', type: 'submit', id: 'ol-decision-add' }, t('outline.decisions.add')))
    this.decisionForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const text = this.decisionText.value.trim()
      if (!text || !b.isFacilitator()) return
      const id = newId()
      b.transact(() => {
        const d = new Y.Map()
        b.decisions.set(id, d)
        d.set('text', text)
        d.set('item', b.currentItem())
        d.set('created_at', Date.now())
      })
      this.decisionText.value = ''
      this.announcer.say(t('announce.mine.decision'))
    })
    this.actionList = h('ul', { class: 'ol-list', id: 'ol-actions' })
    this.actionText = h('input', { class: 'input', id: 'ol-action-text', maxlength: '500', dataset: { fk: 'action:text' } })
    this.actionOwner = h('select', { class: 'input', id: 'ol-action-owner' })
    this.actionDue = h('input', { class: 'input', type: 'date', id: 'ol-action-due' })
    this.actionForm = h('form', { class: 'ol-form edit-only', id: 'ol-action-form' },
      h('label', { class: 'ol-label', for: 'ol-action-text' }, t('outline.actions.new')), this.actionText,
      h('div', { class: 'ol-form__row' },
        h('label', { class: 'ol-field' }, h('span', { class: 'ol-label' }, t('outline.actions.owner')), this.actionOwner),
        h('label', { class: 'ol-field' }, h('span', { class: 'ol-label' }, t('outline.actions.due')), this.actionDue)),
      h('button', { class: 'btn btn--sm btn--primary', type: 'submit', id: 'ol-action-add' }, t('outline.actions.add')))
    this.actionForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const text = this.actionText.value.trim()
      if (!text || !b.canEdit()) return
      const id = newId()
      b.transact(() => {
        const a = new Y.Map()
        b.actions.set(id, a)
        a.set('text', new Y.Text(text))
        a.set('owner', this.actionOwner.value || null)
        a.set('due', this.actionDue.value || null)
        a.set('status', 'open')
        a.set('note', null)
        a.set('item', b.currentItem())
        a.set('created_at', Date.now())
      })
      this.actionText.value = ''
      this.actionDue.value = ''
      this.announcer.say(t('announce.mine.action'))
    })
    this.outcomesSection = sectionEl('ol-outcomes', t('outline.outcomes'),
      h('h3', { class: 'ol-sub', id: 'ol-decisions-h' }, t('outline.decisions')), this.decisionList, this.decisionForm,
      h('h3', { class: 'ol-sub', id: 'ol-actions-h' }, t('outline.actions')), this.actionList, this.actionForm)
    this.decisionList.setAttribute('aria-labelledby', 'ol-decisions-h')
    this.actionList.setAttribute('aria-labelledby', 'ol-actions-h')
  }

  flag (key) { return Boolean(this.board.sessionSet(key)[this.board.me]) }

  // -- rendering
  render () {
    if (!this.active) return
    const hadFocus = this.container.contains(document.activeElement)
    this.renderAgenda()
    this.renderStatus()
    this.renderFacilitator()
    this.renderNotes()
    this.renderOutcomes()
    this.renderResults()
    this.tick()
    this.restoreFocus(hadFocus)
  }

  restoreFocus (hadFocus) {
    const active = document.activeElement
    if (!hadFocus && active && active !== document.body) return
    if (active && active !== document.body && this.container.contains(active)) return
    if (!this.focusKey) return
    const el = this.container.querySelector(`[data-fk="${CSS.escape(this.focusKey)}"]`)
    if (el && !el.closest('[hidden]')) el.focus({ preventScroll: false })
    else if (this.focusKey.startsWith('note:') || this.focusKey.startsWith('group:')) this.notesSection.querySelector('h2').focus()
  }

  changed (name, key) {
    const s = JSON.stringify(key)
    if (this.keys[name] === s) return false
    this.keys[name] = s
    return true
  }

  renderAgenda () {
    const b = this.board
    const seen = new Set()
    const items = b.agendaItems().filter((i) => !seen.has(i.id) && seen.add(i.id))
    const current = b.currentItem()
    const fac = b.isFacilitator()
    if (!this.changed('agenda', [items, current, fac])) return
    const index = items.findIndex((i) => i.id === current)
    this.agendaNow.textContent = index >= 0 ? t('outline.agenda.now', { title: t('outline.agenda.item', { n: index + 1, title: String(items[index].title ?? '') }) }) : t('outline.agenda.noCurrent')
    this.prevBtn.disabled = index <= 0
    this.nextBtn.disabled = items.length === 0 || index >= items.length - 1
    if (!items.length) {
      this.agendaList.replaceChildren(h('li', { class: 'ol-empty' }, t('outline.agenda.none')))
      return
    }
    this.agendaList.replaceChildren(...items.map((item, i) => {
      const isCurrent = item.id === current
      const minutes = typeof item.minutes === 'number' ? t('outline.agenda.minutes', { count: item.minutes }) : ''
      const label = h('span', { class: 'ol-agenda__title' }, String(item.title ?? ''))
      const meta = h('span', { class: 'ol-agenda__meta' }, [minutes, isCurrent ? t('outline.agenda.current') : ''].filter(Boolean).join(' · '))
      const go = fac && !isCurrent
        ? btn(t('outline.agenda.goto'), () => b.command('agenda.goto', { item: item.id }).catch(() => {}), {
          fk: `agenda:goto:${item.id}`, 'aria-label': t('outline.agenda.gotoLabel', { n: i + 1, title: String(item.title ?? '') })
        })
        : null
      return h('li', { class: `ol-agenda__item${isCurrent ? ' is-current' : ''}`, 'aria-current': isCurrent ? 'step' : null, dataset: { item: String(item.id) } },
        h('span', { class: 'ol-agenda__text' }, label, meta), go)
    }))
  }

  tick () {
    if (!this.active) return
    const timer = this.board.timer()
    let text = t('outline.timer.none')
    if (timer && typeof timer.duration_ms === 'number') {
      if (typeof timer.started_at === 'number') {
        const remaining = timer.duration_ms - (serverNow() - timer.started_at)
        text = remaining >= 0 ? t('outline.timer.left', { time: formatClock(remaining) }) : t('outline.timer.over', { time: formatClock(-remaining) })
        this.timerState = 'running'
      } else if (typeof timer.remaining_ms === 'number') {
        text = t('outline.timer.paused', { time: formatClock(timer.remaining_ms) })
        this.timerState = 'paused'
      }
    } else {
      this.timerState = 'idle'
    }
    if (this.timerLine.textContent !== text) this.timerLine.textContent = text
    this.timerPause.hidden = this.timerState !== 'running'
    this.timerResume.hidden = this.timerState !== 'paused'
    this.timerReset.hidden = this.timerState === 'idle'
  }

  renderStatus () {
    const b = this.board
    const v = b.voting()
    const lines = []
    if (b.isViewer()) lines.push(t('outline.status.viewer'))
    else if (b.locked()) lines.push(t('outline.status.locked'))
    if (b.drafting()) lines.push(t('outline.status.drafting'))
    if (v && v.status === 'open') {
      lines.push(t(v.secret ? 'outline.status.votingSecret' : 'outline.status.voting', { round: v.round }))
      if (!b.isViewer() && typeof b.ui.left === 'number') lines.push(t('outline.status.dotsLeft', { count: b.ui.left, budget: v.budget || 0 }))
    } else if (v && v.status === 'closed') lines.push(t('outline.status.votingClosed', { round: v.round }))
    else if (v && v.status === 'revealed') lines.push(t('outline.status.revealed', { round: v.round }))
    const ready = this.flag('ready')
    const hand = this.flag('hands')
    if (this.changed('status', [lines, ready, hand, b.isViewer()])) {
      this.statusList.replaceChildren(...lines.map((line) => h('li', null, line)))
      this.statusList.hidden = lines.length === 0
      this.readyBtn.setAttribute('aria-pressed', String(ready))
      this.handBtn.setAttribute('aria-pressed', String(hand))
      this.handBtn.textContent = hand ? t('outline.you.handDown') : t('outline.you.hand')
      this.youRow.hidden = b.isViewer()
    }
  }

  renderFacilitator () {
    const b = this.board
    const v = b.voting()
    const drafting = b.drafting()
    const counts = b.sessionSet('drafts')
    const total = Object.values(counts).reduce((a, n) => a + (typeof n === 'number' ? n : 0), 0)
    if (!this.changed('fac', [b.locked(), v, drafting, total])) return
    this.lockBtn.textContent = b.locked() ? t('outline.fac.unlock') : t('outline.fac.lock')
    this.lockBtn.setAttribute('aria-pressed', String(b.locked()))
    const open = Boolean(v && v.status === 'open')
    this.voteForm.hidden = open
    this.voteClose.hidden = !open
    this.voteReveal.hidden = !v || v.status === 'revealed'
    this.draftsLine.textContent = drafting ? t('outline.fac.draftsCount', { count: total }) : ''
    this.draftsLine.hidden = !drafting
    this.draftsStart.hidden = drafting
    this.draftsReveal.hidden = !drafting
  }

  computeTally () {
    const b = this.board
    this.tally = b.visibleTally()
    this.ranks = new Map()
    const v = b.voting()
    if (!this.tally || !v || v.status !== 'revealed') return
    const rows = Object.entries(this.tally).filter(([id, n]) => n > 0 && b.notes.has(id)).sort((a, c) => c[1] - a[1])
    let rank = 0
    let prev = null
    rows.forEach(([id, n], i) => {
      if (n !== prev) { rank = i + 1; prev = n }
      this.ranks.set(id, rank)
    })
  }

  sources () {
    const b = this.board
    const out = [{ name: 'board', doc: b.doc, notes: b.notes, draft: false }]
    if (b.drafts) {
      if (this.draftsNotes !== b.drafts.notes) {
        this.draftsNotes = b.drafts.notes
        this.draftsNotes.observeDeep(() => this.schedule())
      }
      out.push({ name: 'drafts', doc: b.drafts.doc, notes: b.drafts.notes, draft: true })
    }
    return out
  }

  renderNotes () {
    const b = this.board
    this.computeTally()
    const groups = groupsInOrder(b)
    // the add form's group choices
    const gkey = JSON.stringify(groups.map(([id, g]) => [id, groupTitle(g)]))
    if (gkey !== this.gkey) {
      this.gkey = gkey
      const selected = this.noteGroup.value
      this.noteGroup.replaceChildren(h('option', { value: '' }, t('outline.groups.none')),
        ...groups.map(([id, g]) => h('option', { value: id }, groupTitle(g) || t('outline.groups.untitled'))))
      this.noteGroup.value = groups.some(([id]) => id === selected) ? selected : ''
    }
    this.noteGroup.closest('.ol-field').hidden = b.drafting()
    // group blocks in order
    const seenGroups = new Set()
    groups.forEach(([id, g], index) => {
      seenGroups.add(id)
      let block = this.groupBlocks.get(id)
      if (block && block.ymap !== g) { block.destroy(); block = null }
      if (!block) {
        block = new GroupBlock(this, id, g)
        this.groupBlocks.set(id, block)
      }
      const at = this.groupsEl.children[index]
      if (at !== block.el) this.groupsEl.insertBefore(block.el, at || null)
    })
    for (const [id, block] of this.groupBlocks) {
      if (!seenGroups.has(id)) { block.destroy(); this.groupBlocks.delete(id) }
    }
    // note rows, placed into their lists in reading order
    const lists = new Map()
    const seen = new Set()
    let boardCount = 0
    for (const source of this.sources()) {
      for (const [id, note] of notesInOrder(source.notes)) {
        const key = `${source.name}:${id}`
        seen.add(key)
        let row = this.rows.get(key)
        if (row && row.ymap !== note) { row.destroy(); row = null }
        if (!row) {
          row = new NoteRow(this, source, id, note)
          this.rows.set(key, row)
        }
        row.source = source
        row.update()
        let list
        if (source.draft) list = this.draftsList
        else {
          boardCount++
          const gid = note.get('group')
          list = (typeof gid === 'string' && this.groupBlocks.has(gid)) ? this.groupBlocks.get(gid).list : this.ungroupedList
        }
        if (!lists.has(list)) lists.set(list, [])
        lists.get(list).push(row.el)
      }
    }
    for (const [key, row] of this.rows) {
      if (!seen.has(key)) { row.destroy(); this.rows.delete(key) }
    }
    const allLists = [this.draftsList, this.ungroupedList, ...[...this.groupBlocks.values()].map((g) => g.list)]
    for (const list of allLists) {
      const els = lists.get(list) || []
      els.forEach((el, i) => {
        const at = list.children[i]
        if (at !== el) list.insertBefore(el, at || null)
      })
      while (list.children.length > els.length) {
        const extra = [...list.children].find((c) => !els.includes(c))
        if (!extra) break
        extra.remove()
      }
    }
    for (const [, block] of this.groupBlocks) block.update((lists.get(block.list) || []).length)
    this.draftsBlock.hidden = !b.drafts
    this.ungroupedEmpty.hidden = (lists.get(this.ungroupedList) || []).length > 0
    this.notesCount.textContent = `(${t('outline.notes.count', { count: boardCount })})`
  }

  renderOutcomes () {
    const b = this.board
    const people = b.roster().filter((p) => p.role !== 'viewer')
    const items = new Map(b.agendaItems().map((i) => [i.id, i.title]))
    const decisions = []
    b.decisions.forEach((d, id) => { if (d instanceof Y.Map) decisions.push({ id, ...d.toJSON() }) })
    decisions.sort((a, c) => (a.created_at || 0) - (c.created_at || 0))
    const actions = []
    b.actions.forEach((a, id) => { if (a instanceof Y.Map) actions.push({ id, ...a.toJSON() }) })
    actions.sort((a, c) => (a.created_at || 0) - (c.created_at || 0))
    const okey = JSON.stringify(people.map((p) => [p.id, p.name]))
    if (okey !== this.okey) {
      this.okey = okey
      const selected = this.actionOwner.value
      this.actionOwner.replaceChildren(h('option', { value: '' }, t('outline.actions.noOwner')), ...people.map((p) => h('option', { value: p.id }, p.name)))
      this.actionOwner.value = selected
    }
    if (!this.changed('outcomes', [decisions, actions, [...items], b.canEdit(), okey])) return
    this.decisionList.replaceChildren(...(decisions.length
      ? decisions.map((d) => h('li', { class: 'ol-decision', dataset: { decision: d.id } }, String(d.text ?? ''),
        d.item && items.has(d.item) ? h('span', { class: 'ol-meta' }, ` (${items.get(d.item)})`) : null))
      : [h('li', { class: 'ol-empty' }, t('outline.decisions.none'))]))
    const name = (id) => (id ? b.name(id) : t('outline.actions.noOwner'))
    this.actionList.replaceChildren(...(actions.length
      ? actions.map((a) => {
        const text = String(a.text ?? '')
        const check = h('input', {
          type: 'checkbox', checked: a.status === 'done', disabled: !b.canEdit(), id: `ol-action-${a.id}`,
          dataset: { fk: `action:${a.id}:done` },
          on: { change: (e) => { const m = b.actions.get(a.id); if (m instanceof Y.Map) b.transact(() => m.set('status', e.target.checked ? 'done' : 'open')) } }
        })
        return h('li', { class: `ol-action${a.status === 'done' ? ' is-done' : ''}`, dataset: { action: a.id } },
          check, h('label', { for: `ol-action-${a.id}` }, text),
          h('span', { class: 'ol-meta' }, t('outline.actions.meta', { owner: name(a.owner), due: a.due ? formatDate(a.due) : '–' })))
      })
      : [h('li', { class: 'ol-empty' }, t('outline.actions.none'))]))
  }

  renderResults () {
    const b = this.board
    const v = b.voting()
    const revealed = Boolean(v && (v.status === 'revealed' || v.secret === false) && this.tally)
    this.resultsSection.hidden = !revealed
    if (!revealed) return
    const rows = Object.entries(this.tally).filter(([id, n]) => n > 0 && b.notes.get(id) instanceof Y.Map)
      .map(([id, n]) => ({ id, n, text: noteText(b.notes.get(id)) }))
      .sort((a, c) => c.n - a.n || a.text.localeCompare(c.text))
    if (!this.changed('results', [v.round, rows])) return
    this.resultsBody.replaceChildren(
      h('h3', { class: 'ol-sub' }, t('outline.results.round', { round: v.round })),
      h('ol', { class: 'ol-results', id: 'ol-results-list' }, ...rows.map((r) => h('li', { dataset: { note: r.id } },
        snippet(r.text, 120), h('span', { class: 'ol-meta' }, ` · ${t('outline.note.votes', { count: r.n })}`)))))
  }
}
