// The agenda sidebar: objective, timeboxed items with the current one highlighted, and the
// countdown timer on the server's clock (X-Server-Time gives the skew). Facilitators can edit the
// title and objective (a dialog) and the agenda itself (an inline editor): both are written to
// the Y.Doc directly, as the schema allows them.
import * as Y from 'yjs'
import { $, h } from '../lib/dom.js'
import { serverNow } from '../lib/api.js'
import { icon } from '../lib/icons.js'
import { toast } from '../lib/toast.js'
import { newId } from './context.js'
import { t } from '../lib/i18n.js'

const KIND_LABEL = {
  brainstorm: t('kind.brainstorm'),
  group: t('kind.group'),
  vote: t('kind.vote'),
  discuss: t('kind.discuss'),
  decide: t('kind.decide'),
  actions: t('kind.actions')
}

const KINDS = Object.keys(KIND_LABEL)
const MAX_TITLE = 200
const MAX_OBJECTIVE = 2000
const MAX_MINUTES = 1440
const FIELDS = ['id', 'title', 'minutes', 'kind']

function kindOptions (selected) {
  return KINDS.map((k) => h('option', { value: k, selected: k === selected }, KIND_LABEL[k]))
}

/** Minutes from an input: a whole number in 0..1440, or null when it is not a number. */
function parseMinutes (value) {
  const n = Number(String(value).trim())
  if (String(value).trim() === '' || !Number.isFinite(n)) return null
  return Math.min(MAX_MINUTES, Math.max(0, Math.round(n)))
}

/** A new agenda entry with exactly the schema's fields (all required by the server). */
function itemMap (fields) {
  return new Y.Map(FIELDS.map((k) => [k, fields[k]]))
}

export function formatClock (ms) {
  const negative = ms < 0
  const total = Math.ceil(Math.abs(ms) / 1000)
  const m = Math.floor(total / 60)
  const s = total % 60
  return `${negative ? '−' : ''}${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`
}

export class AgendaPanel {
  constructor (board) {
    this.board = board
    this.objective = $('#objective')
    this.list = $('#agenda-list')
    this.empty = $('#agenda-empty')
    this.timerEl = $('#timer')
    this.time = $('#timer-time')
    this.label = $('#timer-label')
    this.fill = $('#timer-fill')
    this.controls = $('#timer-controls')
    this.prev = $('#agenda-prev')
    this.next = $('#agenda-next')
    this.timeUpAnnounced = null
    this.prev.addEventListener('click', () => board.command('agenda.prev').catch(() => {}))
    this.next.addEventListener('click', () => board.command('agenda.next').catch(() => {}))
    this.buildControls()
    this.editing = false
    this.rows = new Map() // agenda item id -> editor row, while editing
    this.pendingFocus = null
    this.editBtn = $('#agenda-edit')
    this.editBtn.addEventListener('click', () => this.setEditing(!this.editing))
    this.editor = $('#agenda-editor')
    this.buildAddForm()
    this.details = new DetailsDialog(board)
    board.addEventListener('state', () => this.render())
    this.render()
    setInterval(() => this.tick(), 250)
  }

  buildControls () {
    const b = this.board
    this.minutes = h('input', { type: 'number', min: '1', max: '240', step: '1', value: '5', id: 'timer-minutes', 'aria-label': t('agenda.timerMinutes'), 'aria-describedby': 'timer-error' })
    this.timerError = h('p', { class: 'form-error timer__error', id: 'timer-error', role: 'alert' })
    this.minutes.addEventListener('input', () => { this.timerError.textContent = '' })
    const start = () => {
      // Whole minutes from 1 to 240: "0.05" or "abc" get a clear message, not a 3-second timer.
      const raw = String(this.minutes.value).trim()
      const n = Number(raw)
      if (!raw || !Number.isInteger(n) || n < 1 || n > 240) {
        this.timerError.textContent = t('agenda.minutesRange')
        this.minutes.focus()
        return
      }
      this.timerError.textContent = ''
      b.command('timer.start', { seconds: n * 60 }).catch(() => {})
    }
    this.startBtn = h('button', { class: 'btn btn--sm btn--primary', type: 'button', id: 'timer-start', on: { click: start } }, t('agenda.start'))
    this.minutes.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); start() } })
    this.pauseBtn = h('button', { class: 'btn btn--sm', type: 'button', id: 'timer-pause', on: { click: () => b.command('timer.pause').catch(() => {}) } }, t('agenda.pause'))
    this.resumeBtn = h('button', { class: 'btn btn--sm', type: 'button', id: 'timer-resume', on: { click: () => b.command('timer.resume').catch(() => {}) } }, t('agenda.resume'))
    this.resetBtn = h('button', { class: 'btn btn--sm btn--ghost', type: 'button', id: 'timer-reset', on: { click: () => b.command('timer.reset').catch(() => {}) } }, t('agenda.reset'))
    this.add1 = h('button', { class: 'btn btn--sm btn--ghost', type: 'button', id: 'timer-add1', 'aria-label': t('agenda.addOne'), on: { click: () => b.command('timer.add', { seconds: 60 }).catch(() => {}) } }, t('agenda.plusMin', { count: 1 }))
    this.add5 = h('button', { class: 'btn btn--sm btn--ghost', type: 'button', id: 'timer-add5', 'aria-label': t('agenda.addFive'), on: { click: () => b.command('timer.add', { seconds: 300 }).catch(() => {}) } }, t('agenda.plusMin', { count: 5 }))
    let soundOn = false
    try { soundOn = localStorage.getItem('planboard.timer-sound') === '1' } catch {}
    this.sound = h('input', { type: 'checkbox', id: 'timer-sound', checked: soundOn })
    this.sound.addEventListener('change', () => { try { localStorage.setItem('planboard.timer-sound', this.sound.checked ? '1' : '0') } catch {} })
    this.controls.append(
      h('div', { class: 'timer__set' }, this.minutes, h('span', { class: 'muted small' }, t('agenda.min')), this.startBtn, this.pauseBtn, this.resumeBtn, this.resetBtn),
      h('div', { class: 'timer__more' }, this.add1, this.add5, h('label', { class: 'check small' }, this.sound, t('agenda.sound'))),
      this.timerError)
    this.overrun = $('#session-overrun')
  }

  /** Time spent per agenda item: recorded in session.elapsed, plus the running timer's share. */
  elapsedNow () {
    const b = this.board
    const out = { ...b.sessionSet('elapsed') }
    const timer = b.timer()
    if (timer && typeof timer.item === 'string' && typeof timer.duration_ms === 'number') {
      const remaining = typeof timer.started_at === 'number' ? timer.duration_ms - (serverNow() - timer.started_at) : (timer.remaining_ms ?? timer.duration_ms)
      const used = Math.max(0, (timer.spent_ms || 0) + timer.duration_ms - remaining)
      out[timer.item] = (timer.base_ms || 0) + used
    }
    return out
  }

  /** Per-item "3 of 10 min" / "2 min over", and the whole session's "12 min behind". */
  tickElapsed () {
    const items = this.uniqueItems()
    const elapsed = this.elapsedNow()
    const current = this.board.currentItem()
    const ci = items.findIndex((i) => i.id === current)
    let behind = 0
    let any = false
    items.forEach((item, index) => {
      const spent = elapsed[item.id] || 0
      const plan = typeof item.minutes === 'number' ? item.minutes * 60_000 : 0
      if (spent >= 1000) any = true
      if (index < ci) behind += spent - plan
      else if (index === ci) behind += Math.max(0, spent - plan)
      const el = this.list.querySelector(`[data-item="${CSS.escape(String(item.id))}"] .agenda-item__min`)
      if (!el) return
      const minutes = typeof item.minutes === 'number' ? t('agenda.minutes', { count: item.minutes }) : ''
      const over = spent - plan
      let text = minutes
      if (spent > 0 && plan > 0 && over >= 60_000) text = t('agenda.minOver', { minutes, count: Math.floor(over / 60_000) })
      else if (spent >= 60_000 && plan > 0) text = t('agenda.minOf', { spent: Math.min(item.minutes, Math.floor(spent / 60_000)), minutes })
      if (el.textContent !== text) el.textContent = text
      el.classList.toggle('is-over', spent > 0 && plan > 0 && over >= 60_000)
    })
    const mins = Math.round(Math.abs(behind) / 60_000)
    const text = !any ? '' : behind >= 60_000 ? t('agenda.behind', { count: mins }) : behind <= -60_000 ? t('agenda.ahead', { count: mins }) : t('agenda.onTime')
    if (this.overrun && this.overrun.textContent !== text) this.overrun.textContent = text
    if (this.overrun) {
      this.overrun.hidden = !text
      this.overrun.dataset.state = behind >= 60_000 ? 'behind' : 'ok'
    }
  }

  beep () {
    if (!this.sound.checked) return
    try {
      const ctx = new AudioContext()
      const osc = ctx.createOscillator()
      const gain = ctx.createGain()
      osc.frequency.value = 880
      gain.gain.value = 0.08
      osc.connect(gain).connect(ctx.destination)
      osc.start()
      osc.stop(ctx.currentTime + 0.35)
      osc.onended = () => ctx.close()
    } catch {}
  }

  render () {
    const b = this.board
    const objective = b.meta.get('objective')
    this.objective.textContent = typeof objective === 'string' ? objective : ''
    const mini = $('#objective-mini')
    mini.textContent = typeof objective === 'string' ? objective : ''
    mini.title = mini.textContent
    const title = b.meta.get('title')
    if (typeof title === 'string' && title) {
      $('#board-title').textContent = title
      document.title = `${title} · planboard`
    }
    const items = this.uniqueItems()
    const current = b.currentItem()
    const currentIndex = items.findIndex((i) => i.id === current)
    const fac = b.isFacilitator()
    if (!fac && this.editing) this.setEditing(false)
    const key = JSON.stringify([items, current, fac, this.editing])
    if (key !== this.lastKey && this.editing) {
      this.lastKey = key
      this.renderEditor(items, current)
      this.empty.hidden = items.length > 0
      this.prev.disabled = currentIndex <= 0
      this.next.disabled = items.length === 0 || currentIndex >= items.length - 1
    } else if (key !== this.lastKey) {
      this.lastKey = key
      this.rows.clear()
      const focused = this.list.contains(document.activeElement) ? document.activeElement.dataset.item : null
      this.list.replaceChildren(...items.map((item, index) => {
        const kind = KIND_LABEL[item.kind] || (typeof item.kind === 'string' ? item.kind : '')
        const minutes = typeof item.minutes === 'number' ? t('outline.agenda.minutes', { count: item.minutes }) : ''
        const isCurrent = item.id === current
        // The visible text is the button's name (WCAG 2.5.3), with the position and state for
        // screen readers around it.
        const content = [
          h('span', { class: 'sr-only', text: `${index + 1}. ` }),
          h('span', null, h('span', { class: 'agenda-item__title', text: String(item.title ?? '') }),
            kind ? ' ' : null, kind ? h('span', { class: 'agenda-item__kind', text: kind }) : null),
          ' ',
          h('span', { class: 'agenda-item__min', text: minutes }),
          h('span', { class: 'sr-only', text: isCurrent ? t('agenda.srCurrent') : (fac ? t('agenda.srGoto') : '') })
        ]
        const attrs = {
          class: `agenda-item${currentIndex >= 0 && index < currentIndex ? ' is-done' : ''}`,
          'aria-current': isCurrent ? 'step' : null,
          dataset: { item: String(item.id ?? '') }
        }
        if (fac) {
          return h('li', null, h('button', {
            ...attrs,
            type: 'button',
            title: isCurrent ? t('agenda.currentTitle') : t('agenda.gotoTitle'),
            on: { click: () => { if (!isCurrent) b.command('agenda.goto', { item: item.id }).catch(() => {}) } }
          }, ...content))
        }
        return h('li', attrs, ...content)
      }))
      if (focused) this.list.querySelector(`[data-item="${CSS.escape(focused)}"]`)?.focus()
      this.empty.hidden = items.length > 0
      this.prev.disabled = currentIndex <= 0
      this.next.disabled = items.length === 0 || currentIndex >= items.length - 1
      const item = items[currentIndex]
      if (item && typeof item.minutes === 'number' && document.activeElement !== this.minutes) this.minutes.value = String(item.minutes)
    }
    this.tick()
  }

  // -- editing the agenda (facilitators)

  /** The agenda items, each id once. Two facilitators moving the same item at the same moment
   * leave two copies (both delete the original, both insert a copy): the first one wins, and a
   * facilitator's client deletes the later copies (every replica agrees which ones they are). */
  uniqueItems () {
    const b = this.board
    const seen = new Set()
    const out = []
    const extra = []
    b.agenda.toArray().forEach((entry, index) => {
      const item = entry instanceof Y.Map ? entry.toJSON() : null
      if (!item) return
      if (typeof item.id === 'string' && seen.has(item.id)) { extra.push(index); return }
      seen.add(item.id)
      out.push(item)
    })
    if (extra.length && b.synced && b.isFacilitator()) {
      b.transact(() => { for (const index of extra.reverse()) b.agenda.delete(index, 1) })
    }
    return out
  }

  setEditing (on) {
    if (on && !this.board.isFacilitator()) return
    this.editing = on
    this.editBtn.setAttribute('aria-pressed', String(on))
    this.editBtn.textContent = on ? t('board.done') : t('outline.note.edit')
    this.editBtn.title = on ? t('agenda.stopEditing') : t('agenda.editTitle')
    this.editor.hidden = !on
    this.list.classList.toggle('is-editing', on)
    $('#agenda-panel').classList.toggle('is-editing-agenda', on)
    this.lastKey = null
    this.render()
    if (on) {
      const first = this.list.querySelector('.agenda-edit__title')
      ;(first || this.addTitle).focus()
    }
  }

  buildAddForm () {
    this.addTitle = h('input', { id: 'agenda-add-title', maxlength: String(MAX_TITLE), placeholder: t('agenda.newPh'), 'aria-label': t('agenda.newTitle'), autocomplete: 'off' })
    this.addMinutes = h('input', { id: 'agenda-add-minutes', type: 'number', min: '0', max: String(MAX_MINUTES), step: '1', value: '10', 'aria-label': t('agenda.newMinutes') })
    this.addKind = h('select', { id: 'agenda-add-kind', 'aria-label': t('agenda.newKind') }, ...kindOptions('discuss'))
    this.addForm = h('form', { class: 'agenda-add', id: 'agenda-add', 'aria-label': t('agenda.addForm') },
      h('h3', { class: 'agenda-add__title' }, t('agenda.addItem')),
      this.addTitle,
      h('div', { class: 'agenda-edit__row' },
        h('label', { class: 'agenda-edit__min' }, this.addMinutes, h('span', { 'aria-hidden': 'true' }, t('agenda.min'))),
        this.addKind,
        h('button', { class: 'btn btn--sm btn--primary agenda-add__submit', type: 'submit', id: 'agenda-add-submit' }, icon('plus'), t('agenda.add'))))
    this.addForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const title = this.addTitle.value.trim()
      if (!title) {
        toast(t('agenda.needTitle'))
        this.addTitle.focus()
        return
      }
      const minutes = parseMinutes(this.addMinutes.value) ?? 0
      const kind = KINDS.includes(this.addKind.value) ? this.addKind.value : 'discuss'
      this.board.transact(() => this.board.agenda.push([itemMap({ id: newId(), title: title.slice(0, MAX_TITLE), minutes, kind })]))
      this.addTitle.value = ''
      this.addTitle.focus()
    })
    this.editor.append(this.addForm,
      h('p', { class: 'agenda-editor__hint' }, t('agenda.hintSaved'), h('kbd', null, 'Alt'), ' + ', h('kbd', null, '↑'), ' / ', h('kbd', null, '↓'), t('agenda.hintMove')))
  }

  indexOf (id) {
    return this.board.agenda.toArray().findIndex((m) => m instanceof Y.Map && m.get('id') === id)
  }

  setField (id, key, value) {
    const index = this.indexOf(id)
    if (index < 0) return
    const m = this.board.agenda.get(index)
    if (m.get(key) === value) return
    this.board.transact(() => m.set(key, value))
  }

  /** Move an item by delta places: delete it and insert a copy (same id and fields), in one
   * transaction, so everyone sees one move. */
  move (id, delta, field = null) {
    const a = this.board.agenda
    const from = this.indexOf(id)
    const to = from + delta
    if (from < 0 || to < 0 || to >= a.length) return
    const fields = a.get(from).toJSON()
    this.board.transact(() => {
      a.delete(from, 1)
      a.insert(to, [itemMap(fields)])
    })
    if (field) this.pendingFocus = { id, field }
  }

  remove (id) {
    const b = this.board
    if (id === b.currentItem()) {
      toast(t('agenda.isCurrent'))
      return
    }
    const index = this.indexOf(id)
    if (index < 0) return
    const items = this.uniqueItems()
    const at = items.findIndex((i) => i.id === id)
    const neighbour = items[at + 1] || items[at - 1]
    this.pendingFocus = neighbour ? { id: neighbour.id, field: 'remove' } : { add: true }
    const title = String(b.agenda.get(index).get('title') ?? '')
    b.transact(() => b.agenda.delete(index, 1))
    toast(t('agenda.removed', { title }))
  }

  makeRow (id) {
    const row = { id }
    const commitTitle = () => {
      const value = row.title.value.trim()
      if (!value) {
        toast(t('agenda.itemNeedsTitle'))
        row.title.value = row.item.title
        return
      }
      this.setField(id, 'title', value.slice(0, MAX_TITLE))
    }
    const commitMinutes = () => {
      const minutes = parseMinutes(row.minutes.value)
      if (minutes === null) { row.minutes.value = String(row.item.minutes ?? ''); return }
      row.minutes.value = String(minutes)
      this.setField(id, 'minutes', minutes)
    }
    row.num = h('span', { class: 'agenda-edit__num', 'aria-hidden': 'true' })
    row.title = h('input', {
      class: 'agenda-edit__title', maxlength: String(MAX_TITLE), autocomplete: 'off', dataset: { field: 'title' },
      on: {
        change: commitTitle,
        keydown: (e) => {
          if (e.key === 'Enter') { e.preventDefault(); commitTitle() } else if (e.key === 'Escape') { e.preventDefault(); row.title.value = row.item.title }
        }
      }
    })
    row.minutes = h('input', {
      type: 'number', min: '0', max: String(MAX_MINUTES), step: '1', dataset: { field: 'minutes' },
      on: { change: commitMinutes, keydown: (e) => { if (e.key === 'Enter') { e.preventDefault(); commitMinutes() } } }
    })
    row.kind = h('select', { dataset: { field: 'kind' }, on: { change: () => this.setField(id, 'kind', row.kind.value) } }, ...kindOptions(null))
    row.up = h('button', { class: 'icon-btn icon-btn--sm', type: 'button', dataset: { field: 'up' }, on: { click: () => this.move(id, -1, 'up') } }, icon('up'))
    row.down = h('button', { class: 'icon-btn icon-btn--sm', type: 'button', dataset: { field: 'down' }, on: { click: () => this.move(id, 1, 'down') } }, icon('down'))
    row.remove = h('button', { class: 'icon-btn icon-btn--sm icon-btn--danger', type: 'button', dataset: { field: 'remove' }, on: { click: () => this.remove(id) } }, icon('trash'))
    row.el = h('li', { class: 'agenda-edit', dataset: { item: id } },
      row.num, row.title,
      h('div', { class: 'agenda-edit__row' },
        h('label', { class: 'agenda-edit__min' }, row.minutes, h('span', { 'aria-hidden': 'true' }, t('agenda.min'))),
        row.kind,
        h('span', { class: 'agenda-edit__tools' }, row.up, row.down, row.remove)))
    row.el.addEventListener('keydown', (e) => {
      if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return
      e.preventDefault()
      e.stopPropagation()
      this.move(id, e.key === 'ArrowUp' ? -1 : 1, e.target.dataset.field || 'title')
    })
    return row
  }

  updateRow (row, item, index, count, isCurrent) {
    row.item = item
    const title = String(item.title ?? '')
    const n = index + 1
    row.num.textContent = String(n)
    row.el.classList.toggle('is-current', isCurrent)
    row.el.setAttribute('aria-current', isCurrent ? 'step' : 'false')
    if (document.activeElement !== row.title) row.title.value = title
    if (document.activeElement !== row.minutes) row.minutes.value = typeof item.minutes === 'number' ? String(item.minutes) : ''
    if (KINDS.includes(item.kind)) row.kind.value = item.kind
    row.title.setAttribute('aria-label', t('agenda.rowTitle', { n }))
    row.minutes.setAttribute('aria-label', t('agenda.rowMinutes', { n }))
    row.kind.setAttribute('aria-label', t('agenda.rowKind', { n }))
    row.up.setAttribute('aria-label', t('agenda.up', { title }))
    row.up.title = t('agenda.upTitle')
    row.down.setAttribute('aria-label', t('agenda.down', { title }))
    row.down.title = t('agenda.downTitle')
    row.up.disabled = index === 0
    row.down.disabled = index === count - 1
    row.remove.disabled = isCurrent
    row.remove.setAttribute('aria-label', isCurrent ? t('agenda.removeCurrent', { title }) : t('agenda.remove', { title }))
    row.remove.title = isCurrent ? t('agenda.removeCurrentTitle') : t('agenda.removeTitle')
  }

  renderEditor (items, current) {
    const seen = new Set()
    if (this.list.firstElementChild && !this.list.firstElementChild.classList.contains('agenda-edit')) this.list.replaceChildren()
    items.forEach((item, index) => {
      const id = String(item.id ?? '')
      seen.add(id)
      let row = this.rows.get(id)
      if (!row) {
        row = this.makeRow(id)
        this.rows.set(id, row)
      }
      this.updateRow(row, item, index, items.length, id === current)
      // Move a row only when it is out of place: moving a node takes the focus from it.
      const at = this.list.children[index]
      if (at !== row.el) this.list.insertBefore(row.el, at || null)
    })
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) { row.el.remove(); this.rows.delete(id) }
    }
    const focus = this.pendingFocus
    this.pendingFocus = null
    if (focus && focus.add) this.addTitle.focus()
    else if (focus) {
      const row = this.rows.get(focus.id)
      if (!row) return
      const order = focus.field === 'up' ? ['up', 'down'] : focus.field === 'down' ? ['down', 'up'] : [focus.field, 'title']
      const target = order.map((f) => row[f === 'remove' ? 'remove' : f]).find((el) => el && !el.disabled)
      target?.focus()
    }
  }

  tick () {
    const timer = this.board.timer()
    let state = 'idle'
    let remaining = null
    let duration = null
    if (timer && typeof timer.duration_ms === 'number') {
      duration = timer.duration_ms
      if (typeof timer.started_at === 'number') {
        remaining = timer.duration_ms - (serverNow() - timer.started_at)
        state = remaining < 0 ? 'over' : remaining < Math.min(60_000, duration * 0.2) ? 'warning' : 'running'
      } else if (typeof timer.remaining_ms === 'number') {
        remaining = timer.remaining_ms
        state = 'paused'
      }
    }
    this.timerEl.dataset.state = state
    const text = remaining === null ? '--:--' : formatClock(remaining)
    if (this.time.textContent !== text) this.time.textContent = text
    const mini = $('#timer-mini')
    mini.hidden = remaining === null
    mini.dataset.state = state
    if (mini.textContent !== text) mini.textContent = text
    const labels = { idle: t('timer.idle'), running: t('board.timeLeft'), warning: t('timer.warning'), over: t('timer.over'), paused: t('timer.paused') }
    this.label.textContent = labels[state]
    const share = remaining === null || !duration ? 0 : Math.max(0, Math.min(1, remaining / duration))
    this.fill.style.width = `${(state === 'over' ? 1 : share) * 100}%`
    this.pauseBtn.hidden = !(state === 'running' || state === 'warning' || state === 'over')
    this.resumeBtn.hidden = state !== 'paused'
    this.resetBtn.hidden = state === 'idle'
    this.add1.hidden = state === 'idle'
    this.add5.hidden = state === 'idle'
    if (state === 'over' && (this.prevState === 'running' || this.prevState === 'warning')) {
      toast(t('timer.up'), { kind: 'warn' })
      this.beep()
    }
    this.tickElapsed()
    this.prevState = state
  }
}

// -- the title and objective (facilitators): a small dialog
class DetailsDialog {
  constructor (board) {
    this.board = board
    this.dialog = $('#details-dialog')
    this.form = $('#details-form')
    this.title = $('#details-title')
    this.objective = $('#details-objective')
    this.count = $('#details-count')
    this.error = $('#details-error')
    const titleBtn = $('#edit-title')
    const objectiveBtn = $('#edit-objective')
    titleBtn.append(icon('pencil'))
    objectiveBtn.append(icon('pencil'))
    titleBtn.addEventListener('click', () => this.open(this.title))
    objectiveBtn.addEventListener('click', () => this.open(this.objective))
    this.objective.addEventListener('input', () => this.updateCount())
    $('#details-cancel').addEventListener('click', () => this.dialog.close())
    this.form.addEventListener('submit', (e) => {
      e.preventDefault()
      this.save()
    })
  }

  updateCount () {
    this.count.textContent = `${this.objective.value.length} / ${MAX_OBJECTIVE}`
  }

  open (focus) {
    if (!this.board.isFacilitator()) return
    const meta = this.board.meta
    const title = meta.get('title')
    const objective = meta.get('objective')
    this.title.value = typeof title === 'string' ? title : ''
    this.objective.value = typeof objective === 'string' ? objective : ''
    this.error.textContent = ''
    this.updateCount()
    this.dialog.showModal()
    focus.focus()
    if (focus === this.title) focus.select()
  }

  save () {
    const b = this.board
    const title = this.title.value.trim().slice(0, MAX_TITLE)
    const objective = this.objective.value.trim().slice(0, MAX_OBJECTIVE)
    if (!title) {
      this.error.textContent = t('agenda.boardNeedsTitle')
      this.title.focus()
      return
    }
    if (!b.isFacilitator()) {
      this.dialog.close()
      return
    }
    b.transact(() => {
      if (b.meta.get('title') !== title) b.meta.set('title', title)
      if (b.meta.get('objective') !== objective) b.meta.set('objective', objective)
    })
    this.dialog.close()
  }
}
