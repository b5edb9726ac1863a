// Sticky notes on the canvas: rendering, in-place co-editing, drag, colours, delete, votes.
import { icon } from '../lib/icons.js'
import * as Y from 'yjs'
import { h, rafThrottle, isTypingTarget } from '../lib/dom.js'
import { NOTE_COLORS, noteColor } from '../lib/colors.js'
import { applyDiff, bindText } from './textbind.js'
import { LOCAL, newId } from './context.js'
import { freeSpot } from './placement.js'
import { t } from '../lib/i18n.js'

export const NOTE_W = 200
export const NOTE_H = 136
const COUNTER_FROM = 0.9 // show the length counter from this share of the limit on
const CARRY_MS = 5000 // how long a draft closed by the reveal waits for its revealed note

function num (value, fallback = 0) {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback
}

function textOf (note) {
  const t = note.get('text')
  if (t instanceof Y.Text) return t.toString()
  return typeof t === 'string' ? t : ''
}

function snippet (text, max = 80) {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat
}

class NoteView {
  constructor (layer, source, id, ymap) {
    this.layer = layer
    this.board = layer.board
    this.source = source
    this.id = id
    this.key = `${source.name}:${id}`
    this.ymap = ymap
    this.ytext = null
    this.textObserver = null
    this.editing = false
    this.unbind = null
    this.drag = null
    this.cache = {}
    this.build()
  }

  get draft () { return this.source.draft }

  build () {
    this.body = h('div', { class: 'note__body' })
    this.author = h('span', { class: 'note__author' })
    this.votes = h('span', { class: 'note__votes' })
    this.count = h('div', { class: 'note__count', hidden: true, 'aria-hidden': 'true' })
    this.rank = h('div', { class: 'note__rank', hidden: true, 'aria-hidden': 'true' })
    this.editingBy = h('div', { class: 'note__editing-by', hidden: true })
    this.swatchDot = h('span', { class: 'note-tool__swatch' })
    this.colorBtn = h('button', {
      class: 'note-tool', type: 'button', 'aria-label': t('notes.changeColour'), 'aria-haspopup': 'true', title: t('outline.notes.colour'),
      on: { click: (e) => { e.stopPropagation(); this.togglePalette() } }
    }, this.swatchDot)
    this.deleteBtn = h('button', {
      class: 'note-tool note-tool--danger', type: 'button', 'aria-label': t('notes.delete'), title: t('notes.deleteTitle'),
      on: { click: (e) => { e.stopPropagation(); this.remove() } }
    }, icon('trash'))
    this.palette = null
    this.tools = h('div', { class: 'note__tools', role: 'toolbar', 'aria-label': t('notes.tools') }, this.colorBtn, this.deleteBtn)
    this.meta = h('footer', { class: 'note__meta' },
      this.draft ? h('span', { class: 'note__draft-tag', text: t('notes.private') }) : null,
      this.author, this.votes)
    this.el = h('article', {
      class: 'note', tabindex: '0', 'aria-roledescription': t('notes.roleDescription'), dataset: { id: this.id, source: this.source.name }
    }, this.count, this.rank, this.editingBy, this.tools, this.body, this.meta)
    if (this.draft) this.el.classList.add('note--draft')
    this.el.addEventListener('pointerdown', (e) => this.onPointerDown(e))
    this.el.addEventListener('dblclick', (e) => {
      e.stopPropagation()
      if (!this.layer.votingActive(this)) this.startEdit()
    })
    this.el.addEventListener('click', (e) => {
      // One dot per click: the second click of a double-click (detail 2, 3, …) does not vote
      // again. Keyboard "clicks" have detail 0 and still count.
      if (e.detail > 1) return
      if (this.layer.votingActive(this) && !e.target.closest('button') && !this.dragMoved) this.layer.vote(this.id)
    })
    this.el.addEventListener('keydown', (e) => this.onKey(e))
  }

  // -- permissions
  canWrite () { return this.board.canEditNote(this.ymap, this.draft) }
  canMove () { return this.draft ? !this.board.isViewer() : this.board.canEdit() }

  // -- render
  update () {
    const m = this.ymap
    const c = this.cache
    const x = num(m.get('x'))
    const y = num(m.get('y'))
    if (!this.drag && (c.x !== x || c.y !== y)) this.place(x, y)
    const color = noteColor(m.get('color'))
    if (c.color !== color) {
      if (c.color) this.el.classList.remove(`note--${c.color}`)
      this.el.classList.add(`note--${color}`)
      this.swatchDot.className = `note-tool__swatch swatch--${color}`
      c.color = color
    }
    this.paintBy()
    const authorId = m.get('author')
    const authorName = this.draft ? t('notes.you') : (authorId === this.board.me ? t('notes.nameYou', { name: this.board.name(authorId) }) : this.board.name(authorId))
    if (c.authorName !== authorName) {
      this.author.textContent = authorName
      c.authorName = authorName
    }
    const text = m.get('text')
    if (text !== this.ytext) this.bindYText(text instanceof Y.Text ? text : null)
    if (!this.ytext && !this.editing) this.body.textContent = textOf(m)
    const writable = this.canWrite()
    const movable = this.canMove()
    this.el.classList.toggle('is-readonly', !writable && !movable)
    this.colorBtn.hidden = !writable
    this.deleteBtn.hidden = !writable
    this.tools.hidden = !writable
    if (this.editing && !writable) this.stopEdit(false)
    this.updateVotes()
    this.updateLabel()
  }

  /** A long note shows an ellipsis where it is cut (line clamp), and says so to the tooltip. */
  markClipped () {
    requestAnimationFrame(() => {
      const clipped = !this.editing && this.body.scrollHeight > this.body.clientHeight + 2
      this.el.classList.toggle('is-clipped', clipped)
      if (clipped) this.body.title = t('notes.long')
      else this.body.removeAttribute('title')
    })
  }

  /** "Colour by author / by group" (a local view): the note's background from its author's
   * colour or its group's, its own colour otherwise. */
  paintBy () {
    const mode = this.layer.colorMode
    let by = ''
    if (mode === 'author' && !this.draft) by = `color-mix(in srgb, ${this.board.color(this.ymap.get('author'))} 30%, white)`
    if (mode === 'group') {
      const g = this.board.groups.get(this.ymap.get('group'))
      const c = g && typeof g.get === 'function' ? g.get('color') : null
      by = NOTE_COLORS.some((x) => x.id === c) ? `var(--note-${c})` : (g ? 'var(--note-blue)' : '#eef0f4')
    }
    if (this.cache.by === by) return
    this.cache.by = by
    if (by) this.el.style.setProperty('--by', by)
    else this.el.style.removeProperty('--by')
    this.el.classList.toggle('is-painted', Boolean(by))
  }

  place (x, y) {
    this.cache.x = x
    this.cache.y = y
    this.el.style.transform = `translate(${x}px, ${y}px)`
  }

  updateLabel () {
    const label = t(this.draft ? 'notes.labelDraft' : 'notes.label', { name: this.cache.authorName, text: snippet(textOf(this.ymap)) || t('notes.empty') })
    if (this.cache.label !== label) {
      this.el.setAttribute('aria-label', label)
      this.cache.label = label
    }
  }

  bindYText (ytext) {
    if (this.ytext && this.textObserver) this.ytext.unobserve(this.textObserver)
    if (this.editing) this.stopEdit(false)
    this.ytext = ytext
    if (!ytext) return
    this.textObserver = () => {
      if (!this.editing) { this.body.textContent = ytext.toString(); this.markClipped() }
      this.updateLabel()
    }
    ytext.observe(this.textObserver)
    this.body.textContent = ytext.toString()
    this.markClipped()
  }

  updateVotes () {
    const layer = this.layer
    const voting = this.board.voting()
    const mine = this.draft ? 0 : (this.board.ui.ballots[this.id] || 0)
    const open = voting && voting.status === 'open'
    const key = `${open}:${mine}`
    if (this.cache.votesKey !== key) {
      this.cache.votesKey = key
      this.votes.replaceChildren()
      if (open && mine > 0) {
        for (let i = 0; i < mine; i++) this.votes.append(h('span', { class: 'vote-dot', 'aria-hidden': 'true' }))
        this.votes.append(h('span', { class: 'sr-only', text: t('notes.yourDots', { count: mine }) }))
        if (!this.board.isViewer()) {
          this.votes.append(h('button', {
            class: 'vote-remove', type: 'button', title: t('notes.unvoteTitle'),
            'aria-label': t('notes.unvote'),
            on: { click: (e) => { e.stopPropagation(); layer.unvote(this.id) } }
          }, '−'))
        }
      }
      this.el.classList.toggle('has-my-vote', Boolean(open && mine > 0))
    }
    const tally = this.draft ? null : layer.tally
    const count = tally && tally[this.id] > 0 ? tally[this.id] : null
    if (this.cache.count !== count) {
      this.cache.count = count
      this.count.hidden = count === null
      this.count.textContent = count === null ? '' : String(count)
      this.count.classList.toggle('note__count--zero', count === 0)
      this.el.dataset.votes = count === null ? '' : String(count)
    }
    const rank = this.draft ? null : (layer.ranks.get(this.id) || null)
    if (this.cache.rank !== rank) {
      this.cache.rank = rank
      this.rank.hidden = !rank
      this.rank.textContent = rank ? `#${rank}` : ''
    }
    const outOfScope = Boolean(open && voting.scope && this.ymap.get('item') !== voting.scope)
    this.el.classList.toggle('is-out-of-scope', outOfScope)
  }

  setEditors (people) {
    const key = people.map((p) => p.name).join(',')
    if (this.cache.editors === key) return
    this.cache.editors = key
    this.editingBy.hidden = people.length === 0
    this.el.classList.toggle('is-remote-editing', people.length > 0)
    if (people.length) {
      this.editingBy.textContent = t('notes.typing', { count: people.length, names: people.map((p) => p.name).join(', ') })
      this.el.style.setProperty('--c', people[0].color)
    }
  }

  // -- editing
  startEdit () {
    if (this.editing || !this.ytext || !this.canWrite()) return
    this.editing = true
    this.el.classList.add('is-editing')
    const max = this.board.limits.note_text // the server's PLANBOARD_MAX_NOTE_TEXT
    const editor = h('textarea', { class: 'note__editor', maxlength: String(max), 'aria-label': t('outline.note.text'), spellcheck: 'true' })
    this.editor = editor
    const read = () => (this.source.notes.get(this.id) === this.ymap ? textOf(this.ymap) : null)
    const noteInfo = { author: this.ymap.get('author') }
    this.unbind = bindText(this.ytext, editor, {
      onLocal: (prev) => this.layer.guard.remember(`${this.key}:text`, read, prev, noteInfo)
    })
    editor.addEventListener('pointerdown', (e) => e.stopPropagation())
    editor.addEventListener('dblclick', (e) => e.stopPropagation())
    editor.addEventListener('keydown', (e) => {
      e.stopPropagation()
      if (e.key === 'Escape' || (e.key === 'Enter' && (e.metaKey || e.ctrlKey))) {
        e.preventDefault()
        this.stopEdit(true)
      }
    })
    editor.addEventListener('blur', () => this.stopEdit(false))
    // Near the limit, say how much room is left; at the limit, say so (the field stops taking
    // characters, and a longer paste is cut: never silently).
    const counter = h('div', { class: 'note__counter', 'aria-live': 'polite', hidden: true })
    this.counter = counter
    const count = () => {
      const n = editor.value.length
      counter.hidden = n < max * COUNTER_FROM
      counter.classList.toggle('is-full', n >= max)
      counter.textContent = n >= max
        ? t('notes.full', { max })
        : t('notes.counter', { n, max })
    }
    editor.addEventListener('input', count)
    editor.addEventListener('paste', (e) => {
      const pasted = e.clipboardData?.getData('text') || ''
      const room = max - (editor.value.length - (editor.selectionEnd - editor.selectionStart))
      if (pasted.length > room) setTimeout(() => { count(); counter.textContent = t('notes.cut', { max }) }, 0)
    })
    this.el.append(counter)
    count()
    this.body.replaceWith(editor)
    editor.focus({ preventScroll: true })
    editor.setSelectionRange(editor.value.length, editor.value.length)
    this.layer.onEditing(this.key)
  }

  stopEdit (refocus) {
    if (!this.editing) return
    this.editing = false
    if (this.unbind) this.unbind()
    this.unbind = null
    const editor = this.editor
    this.editor = null
    this.counter?.remove()
    this.counter = null
    this.body.textContent = this.ytext ? this.ytext.toString() : textOf(this.ymap)
    this.markClipped()
    if (editor && editor.isConnected) editor.replaceWith(this.body)
    this.el.classList.remove('is-editing')
    this.layer.onEditing(null)
    if (refocus) this.el.focus({ preventScroll: true })
    this.updateLabel()
  }

  // -- colour, delete
  togglePalette () {
    if (this.palette) {
      this.palette.remove()
      this.palette = null
      return
    }
    const current = noteColor(this.ymap.get('color'))
    const close = () => { this.palette?.remove(); this.palette = null }
    this.palette = h('div', { class: 'palette', role: 'group', 'aria-label': t('notes.colour') },
      NOTE_COLORS.map((c) => h('button', {
        class: `swatch swatch--${c.id}`, type: 'button', 'aria-label': t(`colour.${c.id}`), 'aria-pressed': String(c.id === current),
        on: {
          click: (e) => {
            e.stopPropagation()
            this.setColor(c.id)
            close()
            this.el.focus({ preventScroll: true })
          },
          keydown: (e) => { if (e.key === 'Escape') { e.stopPropagation(); close(); this.colorBtn.focus() } }
        }
      }))
    )
    this.tools.append(this.palette)
    this.palette.querySelector('[aria-pressed="true"]')?.focus()
  }

  setColor (color) {
    if (!this.canWrite()) return
    const m = this.ymap
    this.layer.guard.edit(`${this.key}:color`, () => m.get('color'), () => {
      this.source.doc.transact(() => m.set('color', color), LOCAL)
    }, { author: m.get('author') })
    this.layer.lastColor = color
  }

  remove () {
    if (!this.canWrite()) return
    const notes = this.source.notes
    const id = this.id
    const del = () => notes.delete(id)
    this.layer.undo.destructive(this.draft ? t('notes.draftDeleted') : t('notes.deleted'), del, { doc: this.source.doc, scopes: this.draft ? [notes] : undefined })
  }

  // -- moving
  moveTo (x, y, final) {
    const m = this.ymap
    this.source.doc.transact(() => {
      m.set('x', Math.round(x))
      m.set('y', Math.round(y))
      if (final && !this.draft) {
        const group = this.layer.groupAt(x + NOTE_W / 2, y + NOTE_H / 2)
        if ((m.get('group') ?? null) !== group) m.set('group', group)
        if (group) this.layer.groups?.growToFit(group)
      }
    }, LOCAL)
  }

  onPointerDown (e) {
    if (e.button !== 0 || e.target.closest('button, textarea, .palette')) return
    e.stopPropagation()
    this.dragMoved = false
    if (document.activeElement !== this.el && !this.editing) this.el.focus({ preventScroll: true })
    if (this.layer.votingActive(this) || !this.canMove() || this.editing) return
    const start = this.layer.viewport.toWorld(e.clientX, e.clientY)
    const origin = { x: num(this.ymap.get('x')), y: num(this.ymap.get('y')) }
    const read = () => (this.source.notes.has(this.id) ? { x: num(this.ymap.get('x')), y: num(this.ymap.get('y')) } : null)
    const write = rafThrottle((x, y) => { if (this.drag) this.moveTo(x, y, false) })
    this.drag = { id: e.pointerId, start, origin, read, write, sx: e.clientX, sy: e.clientY, pos: origin }
    this.el.setPointerCapture(e.pointerId)
    const move = (ev) => {
      const d = this.drag
      if (!d || ev.pointerId !== d.id) return
      if (!this.dragMoved && Math.hypot(ev.clientX - d.sx, ev.clientY - d.sy) < 4) return
      this.dragMoved = true
      this.el.classList.add('is-dragging')
      const p = this.layer.viewport.toWorld(ev.clientX, ev.clientY)
      d.pos = { x: d.origin.x + p.x - d.start.x, y: d.origin.y + p.y - d.start.y }
      this.place(d.pos.x, d.pos.y)
      d.write(d.pos.x, d.pos.y)
    }
    const up = (ev) => {
      const d = this.drag
      if (!d || ev.pointerId !== d.id) return
      this.el.removeEventListener('pointermove', move)
      this.el.removeEventListener('pointerup', up)
      this.el.removeEventListener('pointercancel', up)
      this.el.classList.remove('is-dragging')
      this.drag = null
      if (this.dragMoved) {
        this.moveTo(d.pos.x, d.pos.y, true)
        this.layer.guard.remember(`${this.key}:pos`, d.read, d.origin, { author: this.ymap.get('author') })
      }
      this.cache.x = undefined
      this.update()
    }
    this.el.addEventListener('pointermove', move)
    this.el.addEventListener('pointerup', up)
    this.el.addEventListener('pointercancel', up)
  }

  nudge (dx, dy) {
    if (!this.canMove()) return
    const m = this.ymap
    const read = () => ({ x: num(m.get('x')), y: num(m.get('y')) })
    const before = read()
    this.moveTo(before.x + dx, before.y + dy, true)
    this.layer.guard.remember(`${this.key}:pos`, read, before, { author: m.get('author') })
  }

  onKey (e) {
    if (e.target !== this.el) return
    const voting = this.layer.votingActive(this)
    if (e.key === 'Enter' || (voting && e.key === ' ')) {
      e.preventDefault()
      if (voting) this.layer.vote(this.id)
      else this.startEdit()
    } else if ((e.key === 'Delete' || e.key === 'Backspace') && !voting) {
      e.preventDefault()
      const next = this.el.nextElementSibling || this.el.previousElementSibling
      this.remove()
      if (next && next.classList.contains('note')) next.focus({ preventScroll: true })
      else this.layer.viewport.canvas.focus({ preventScroll: true })
    } else if (voting && (e.key === '-' || e.key === 'Subtract')) {
      e.preventDefault()
      this.layer.unvote(this.id)
    } else if (e.key.startsWith('Arrow')) {
      e.preventDefault()
      e.stopPropagation()
      const step = e.shiftKey ? 50 : 10
      const d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key]
      if (d) this.nudge(...d)
    } else if (e.key === 'Escape') {
      this.layer.viewport.canvas.focus({ preventScroll: true })
    }
  }

  destroy () {
    if (this.editing) this.stopEdit(false)
    if (this.ytext && this.textObserver) this.ytext.unobserve(this.textObserver)
    this.el.remove()
  }
}

export class NotesLayer {
  // onEditing(key or null): which note this client is typing in, for presence.
  constructor ({ board, viewport, layerEl, guard, groups, undo, onEditing }) {
    this.board = board
    this.viewport = viewport
    this.layerEl = layerEl
    this.guard = guard
    this.groups = groups
    this.undo = undo
    this.onEditing = onEditing
    this.sources = new Map()
    this.views = new Map()
    this.dirty = new Set()
    this.all = true
    this.tally = null
    this.ranks = new Map()
    this.lastColor = 'yellow'
    this.colorMode = 'note'
    this.voteHandler = null
    this.schedule = rafThrottle(() => this.reconcile())
    this.addSource('board', board.doc, board.notes, false)
    board.addEventListener('state', () => { this.all = true; this.schedule() })
  }

  addSource (name, doc, notes, draft) {
    const source = { name, doc, notes, draft }
    source.observer = (events) => {
      for (const event of events) {
        if (event.target === notes) {
          for (const key of event.keysChanged) this.dirty.add(`${name}:${key}`)
        } else if (event.path.length) {
          this.dirty.add(`${name}:${event.path[0]}`)
        }
      }
      this.schedule()
    }
    notes.observeDeep(source.observer)
    this.sources.set(name, source)
    this.all = true
    this.schedule()
  }

  removeSource (name) {
    const source = this.sources.get(name)
    if (!source) return
    source.notes.unobserveDeep(source.observer)
    this.sources.delete(name)
    for (const [key, view] of this.views) {
      if (view.source === source) {
        this.keepTyping(view)
        view.destroy()
        this.views.delete(key)
      }
    }
    this.dispatchCount()
    // Now, not at the next frame: the revealed note takes over the editor before the next key.
    if (this.carry) this.reconcile()
  }

  /** A draft editor closes under the user's hands (the reveal moved the note to the board):
   * keep what is in it, and the keys typed until the revealed note's editor opens. */
  keepTyping (view) {
    if (!view.draft || !view.editing || !view.editor) return
    const editor = view.editor
    this.carry = {
      id: view.id,
      synced: view.ytext ? view.ytext.toString() : '', // what the server has of this draft
      text: editor.value,
      start: editor.selectionStart ?? editor.value.length,
      end: editor.selectionEnd ?? editor.value.length,
      at: Date.now()
    }
    clearTimeout(this.carryTimer)
    this.carryTimer = setTimeout(() => this.settleCarry(), CARRY_MS)
  }

  /** Keys typed while a carried draft waits for its revealed note go into it, never to the
   * canvas shortcuts. Returns true when the key was taken. */
  absorbKey (e) {
    const c = this.carry
    if (!c) return false
    if (e.ctrlKey || e.metaKey || e.altKey) return true
    if (e.key.length === 1) {
      c.text = c.text.slice(0, c.start) + e.key + c.text.slice(c.end)
      c.start = c.end = c.start + 1
    } else if (e.key === 'Backspace' && c.start > 0) {
      c.text = c.text.slice(0, c.start - 1) + c.text.slice(c.end)
      c.start = c.end = c.start - 1
    } else if (e.key === 'Enter') {
      c.text = c.text.slice(0, c.start) + '\n' + c.text.slice(c.end)
      c.start = c.end = c.start + 1
    } else if (e.key === 'Escape') {
      c.closeAfter = true
    }
    e.preventDefault()
    return true
  }

  /** The revealed note is here: write the carried text into it and go on editing there. */
  resumeCarry () {
    const c = this.carry
    if (!c) return
    const view = this.views.get(`board:${c.id}`) || this.revealedAs(c)
    if (!view || !view.ytext) return
    this.carry = null
    clearTimeout(this.carryTimer)
    const text = c.text.slice(0, this.board.limits.note_text)
    if (view.canWrite() && view.ytext.toString() !== text) applyDiff(view.ytext, text)
    if (c.closeAfter || !view.canWrite()) return
    view.el.focus({ preventScroll: true })
    view.startEdit()
    view.editor?.setSelectionRange(Math.min(c.start, text.length), Math.min(c.end, text.length))
  }

  /** A revealed draft gets a fresh id on the board (the server derives it): it is the new
   * note of mine whose text is what the server had of the draft. */
  revealedAs (c) {
    let best = null
    let bestLength = -1
    for (const [key, view] of this.views) {
      if (!key.startsWith('board:') || !view.ytext) continue
      const note = this.board.notes.get(view.id)
      if (!note || note.get('author') !== this.board.me) continue
      const text = view.ytext.toString()
      // The server has the draft as it was when the reveal ran: what was typed, or its start.
      if ((text === c.synced || (text && c.text.startsWith(text))) && text.length > bestLength) {
        best = view
        bestLength = text.length
      }
    }
    return best
  }

  /** The revealed note never came (e.g. drafting was stopped another way): the text becomes a
   * public note of mine rather than being lost. */
  settleCarry () {
    const c = this.carry
    if (!c) return
    this.carry = null
    if (this.views.has(`board:${c.id}`) || this.board.notes.has(c.id) || !c.text.trim()) return
    if (this.revealedAs(c)) return
    const spot = this.nextSpot()
    const id = this.create(spot.x, spot.y, this.lastColor, { edit: false })
    const note = id && this.board.notes.get(id)
    if (note) applyDiff(note.get('text'), c.text.slice(0, this.board.limits.note_text))
  }

  reconcile () {
    this.computeTally()
    const created = []
    const seen = new Set()
    for (const source of this.sources.values()) {
      source.notes.forEach((value, id) => {
        const key = `${source.name}:${id}`
        if (!(value instanceof Y.Map)) return
        seen.add(key)
        let view = this.views.get(key)
        if (view && view.ymap !== value) {
          view.destroy()
          this.views.delete(key)
          view = null
        }
        if (!view) {
          view = new NoteView(this, source, id, value)
          this.views.set(key, view)
          created.push(view)
          view.update()
        } else if (this.all || this.dirty.has(key)) {
          view.update()
        }
      })
    }
    for (const [key, view] of this.views) {
      if (!seen.has(key)) {
        this.keepTyping(view)
        view.destroy()
        this.views.delete(key)
      }
    }
    if (created.length) this.separateTwins(created)
    created.sort((a, b) => num(a.ymap.get('created_at')) - num(b.ymap.get('created_at')))
    for (const view of created) this.layerEl.append(view.el)
    this.dirty.clear()
    this.all = false
    if (created.length || seen.size !== this.lastCount) this.dispatchCount()
    this.lastCount = seen.size
    if (this.carry) this.resumeCarry()
    if (this.pendingEdit) {
      const view = this.views.get(this.pendingEdit)
      if (view) {
        this.pendingEdit = null
        view.el.focus({ preventScroll: true })
        view.startEdit()
      }
    }
  }

  /** Two notes added at the same moment (two people, or an offline note merged back) may land on
   * the identical spot: the one with the larger id moves aside, by its author's client only, so
   * that every replica agrees and nothing is moved twice. */
  separateTwins (created) {
    const at = new Map()
    this.board.notes.forEach((n, id) => {
      if (n instanceof Y.Map) {
        const k = `${num(n.get('x'))},${num(n.get('y'))}`
        at.set(k, [...(at.get(k) || []), id])
      }
    })
    for (const view of created) {
      if (view.draft) continue
      const ids = at.get(`${num(view.ymap.get('x'))},${num(view.ymap.get('y'))}`) || []
      if (ids.length < 2 || !this.board.canEdit()) continue
      ;[...ids].sort().forEach((id, rank) => {
        const m = this.board.notes.get(id)
        if (rank === 0 || !(m instanceof Y.Map) || m.get('author') !== this.board.me) return
        this.board.transact(() => {
          m.set('x', num(m.get('x')) + 28 * rank)
          m.set('y', num(m.get('y')) + 28 * rank)
        })
      })
    }
  }

  dispatchCount () {
    this.layerEl.dispatchEvent(new CustomEvent('notes-count', { bubbles: true, detail: this.views.size }))
  }

  /** Badges: only for the round the results panel shows (none with "hide results"), only on
   * notes that got dots in it; an open round's live tallies while it runs. */
  computeTally () {
    this.tally = null
    this.ranks = new Map()
    const b = this.board
    const voting = b.voting()
    const liveOpen = voting && voting.status === 'open' && voting.secret === false
    const round = b.ui.hideResults ? null : (b.ui.shownRound ?? (liveOpen || voting?.status === 'revealed' ? voting.round : null))
    if (round === null || round === undefined) return
    if (voting && voting.status === 'open' && round !== voting.round) return // a new round runs
    const r = b.results.get(String(round))
    if (!(r instanceof Y.Map)) return
    const tally = {}
    r.forEach((n, id) => { if (typeof n === 'number' && n > 0) tally[id] = n })
    this.tally = tally
    const revealed = !(voting && voting.round === round && voting.status !== 'revealed')
    if (!revealed) return
    const rows = Object.entries(tally).filter(([id]) => b.notes.has(id))
    rows.sort((a, c) => c[1] - a[1] || num(b.notes.get(a[0]).get('created_at')) - num(b.notes.get(c[0]).get('created_at')))
    let rank = 0
    let previous = null
    rows.forEach(([id, n], i) => {
      if (n !== previous) { rank = i + 1; previous = n }
      if (rank <= 3) this.ranks.set(id, rank)
    })
  }

  votingActive (view) {
    if (view.draft || this.board.isViewer()) return false
    const v = this.board.voting()
    return Boolean(v && v.status === 'open' && v.kind !== 'estimate') // estimates: the deck
  }

  vote (id) { this.voteHandler?.vote(id) }
  unvote (id) { this.voteHandler?.unvote(id) }

  groupAt (x, y) { return this.groups ? this.groups.groupAt(x, y) : null }

  boxes () {
    return [...this.views.values()].map((v) => ({ x: num(v.ymap.get('x')), y: num(v.ymap.get('y')), w: NOTE_W, h: NOTE_H }))
  }

  focusedView () {
    const el = document.activeElement
    if (!el || !el.classList || !el.classList.contains('note')) return null
    return this.views.get(`${el.dataset.source}:${el.dataset.id}`) || null
  }

  /** Create a note at world (x, y) (its top-left) and start editing it. */
  create (x, y, color = this.lastColor, { edit = true } = {}) {
    const board = this.board
    const drafting = board.drafting() && !board.isViewer()
    // While silent brainstorming runs, a new note must never reach the shared board.
    if (drafting && !board.drafts && board.ensureDrafts) board.ensureDrafts()
    if (!drafting && !board.canEdit()) return null
    const source = drafting ? this.sources.get('drafts') : this.sources.get('board')
    if (!source) return null
    const id = newId()
    const note = new Y.Map()
    const notes = source.notes
    const write = () => source.doc.transact(() => {
      notes.set(id, note)
      note.set('text', new Y.Text(''))
      note.set('x', Math.round(x))
      note.set('y', Math.round(y))
      note.set('color', color)
      note.set('author', board.me)
      note.set('created_at', Date.now())
      note.set('group', null) // a note joins a group only when the user drops it there
      note.set('item', board.currentItem())
    }, LOCAL)
    this.guard.edit(`${source.name}:${id}:exists`, () => notes.has(id), write, { author: board.me })
    if (edit) this.pendingEdit = `${source.name}:${id}`
    this.reconcile() // now, so that the editor has the focus before the next keystroke
    return id
  }

  /** Where a new note goes when not placed by pointer: free space near the view centre, never
   * inside a group (see placement.js). */
  nextSpot () {
    const taken = [...this.boxes(), ...(this.groups ? this.groups.boxes() : [])]
    return freeSpot({ w: NOTE_W, h: NOTE_H, taken, view: this.viewport.visible(), clientId: this.board.doc.clientID, ...this.viewport.reserved() })
  }

  isTyping () { return isTypingTarget(document.activeElement) }
}
