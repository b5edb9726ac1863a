// The agenda sidebar: objective, timeboxed items with the current one highlighted, and the
// countdown timer on the server's clock (X-Server-Time gives the skew).
import { $, h } from '../lib/dom.js'
import { serverNow } from '../lib/api.js'
import { toast } from '../lib/toast.js'

const KIND_LABEL = {
  brainstorm: 'Brainstorm',
  group: 'Cluster',
  vote: 'Vote',
  discuss: 'Discuss',
  decide: 'Decide',
  actions: 'Actions'
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
    board.addEventListener('state', () => this.render())
    this.render()
    setInterval(() => this.tick(), 250)
  }

  buildControls () {
    const b = this.board
    this.minutes = h('input', { type: 'number', min: '1', max: '240', step: '1', value: '5', 'aria-label': 'Timer minutes' })
    this.startBtn = h('button', { class: 'btn btn--sm btn--primary', type: 'button', on: { click: () => b.command('timer.start', { seconds: Math.round(Number(this.minutes.value || 5) * 60) }).catch(() => {}) } }, 'Start')
    this.pauseBtn = h('button', { class: 'btn btn--sm', type: 'button', on: { click: () => b.command('timer.pause').catch(() => {}) } }, 'Pause')
    this.resumeBtn = h('button', { class: 'btn btn--sm', type: 'button', on: { click: () => b.command('timer.resume').catch(() => {}) } }, 'Resume')
    this.resetBtn = h('button', { class: 'btn btn--sm btn--ghost', type: 'button', on: { click: () => b.command('timer.reset').catch(() => {}) } }, 'Reset')
    this.controls.append(this.minutes, h('span', { class: 'muted small' }, 'min'), this.startBtn, this.pauseBtn, this.resumeBtn, this.resetBtn)
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
    const items = b.agendaItems()
    const current = b.currentItem()
    const currentIndex = items.findIndex((i) => i.id === current)
    const fac = b.isFacilitator()
    const key = JSON.stringify([items, current, fac])
    if (key !== this.lastKey) {
      this.lastKey = key
      const focused = this.list.contains(document.activeElement) ? document.activeElement.dataset.item : null
      this.list.replaceChildren(...items.map((item, index) => {
        const kind = KIND_LABEL[item.kind] || (typeof item.kind === 'string' ? item.kind : '')
        const minutes = typeof item.minutes === 'number' ? `${item.minutes} min` : ''
        const isCurrent = item.id === current
        const content = [
          h('span', null, h('span', { class: 'agenda-item__title', text: String(item.title ?? '') }),
            kind ? h('span', { class: 'agenda-item__kind', text: kind }) : null),
          h('span', { class: 'agenda-item__min', text: minutes })
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
            title: isCurrent ? 'Current item' : 'Go to this item (starts its timebox)',
            'aria-label': `${index + 1}. ${item.title}${minutes ? `, ${minutes}` : ''}${isCurrent ? ', current item' : ', go to this item'}`,
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
    const labels = { idle: 'No timer running', running: 'Time left', warning: 'Almost done', over: 'Over time', paused: 'Paused' }
    this.label.textContent = labels[state]
    const share = remaining === null || !duration ? 0 : Math.max(0, Math.min(1, remaining / duration))
    this.fill.style.width = `${(state === 'over' ? 1 : share) * 100}%`
    this.pauseBtn.hidden = !(state === 'running' || state === 'warning' || state === 'over')
    this.resumeBtn.hidden = state !== 'paused'
    this.resetBtn.hidden = state === 'idle'
    if (state === 'over' && (this.prevState === 'running' || this.prevState === 'warning')) {
      toast('Time is up for this agenda item.', { kind: 'warn' })
    }
    this.prevState = state
  }
}
