// Estimation rounds (planning poker): a card deck on each note for members while a round is
// open, the distribution and median on each note after the reveal, "agree" for facilitators,
// and the agreed estimate as a badge on the note. The note views stay notes.js's; this module
// adds its own elements to them and keeps them in step with the round.
import { $, h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { toast } from '../lib/toast.js'
import { Y } from './context.js'

const SCALES = ['fibonacci', 'tshirt', 'powers']

function loadStyles () {
  if (document.getElementById('estimation-css')) return
  document.head.append(h('link', { rel: 'stylesheet', href: '/static/css/estimation.css', id: 'estimation-css' }))
}

export class Estimation {
  constructor ({ board, notes }) {
    this.board = board
    this.notes = notes
    this.mine = {}
    this.key = null
    this.extras = new Map() // note view key -> { deck, result, badge, sig }
    loadStyles()
    this.buildPanel()
    this.scheduled = false
    const schedule = () => this.schedule()
    board.addEventListener('state', () => { this.onRound(); schedule() })
    board.addEventListener('synced', () => { this.onRound(); schedule() })
    board.notes.observeDeep(schedule)
    board.results.observeDeep(schedule)
    new MutationObserver(schedule).observe(notes.layerEl, { childList: true }) // new note views
    this.onRound()
    schedule()
  }

  schedule () {
    if (this.scheduled) return
    this.scheduled = true
    requestAnimationFrame(() => { this.scheduled = false; this.render() })
  }

  round () {
    const v = this.board.voting()
    return v && v.kind === 'estimate' ? v : null
  }

  /** A new round or a new status: fetch my own cards (nobody else's are reachable). */
  async onRound () {
    const v = this.round()
    const key = v ? `${v.round}:${v.status}` : 'none'
    if (key === this.key || !this.board.synced) return
    const previous = this.key
    this.key = key
    this.mine = {}
    if (v && v.status === 'open' && previous !== null && !previous.startsWith(`${v.round}:`)) {
      toast(t('estimation.started', { round: v.round }))
    }
    if (v && v.status === 'revealed' && previous !== null && previous !== key) {
      toast(t('estimation.revealed', { round: v.round }), { kind: 'ok' })
    }
    if (v && v.status !== 'revealed' && !this.board.isViewer()) {
      try {
        const me = await this.board.get('/votes/me')
        this.mine = me.estimates || {}
      } catch {
        // Offline: the next state change refreshes.
      }
    }
    this.schedule()
  }

  eligible (v, id, ymap) {
    if (v.notes) return v.notes.includes(id)
    return !v.scope || ymap.get('item') === v.scope
  }

  async cast (noteId, value) {
    const current = this.mine[noteId]
    const next = current === value ? null : value // clicking my card again withdraws it
    try {
      const r = await this.board.command('estimate', { note_id: noteId, value: next }, { quiet: true })
      this.mine = r.mine || {}
    } catch (error) {
      toast(error.message, { kind: error.status === 409 ? 'warn' : 'error' })
    }
    this.schedule()
  }

  async agree (noteId, value) {
    try {
      await this.board.command('estimate.agree', { note_id: noteId, value }, { quiet: true })
      toast(value === null ? t('estimation.cleared') : t('estimation.agreed', { value }), { kind: 'ok' })
    } catch (error) {
      toast(error.message, { kind: 'error' })
    }
  }

  render () {
    const v = this.round()
    const results = v && v.status === 'revealed' ? this.board.results.get(String(v.round)) : null
    const seen = new Set()
    for (const [key, view] of this.notes.views) {
      if (view.draft) continue
      seen.add(key)
      const extra = this.extras.get(key) || this.attach(key, view)
      const id = view.id
      const agreed = view.ymap.get('estimate')
      const summary = results instanceof Y.Map ? results.get(id) : null
      const summaryJson = summary instanceof Y.Map ? summary.toJSON() : null
      const deckOpen = Boolean(v && v.status === 'open' && !this.board.isViewer() && this.eligible(v, id, view.ymap))
      const sig = JSON.stringify([deckOpen && v.scale, this.mine[id] || null, summaryJson, agreed ?? null, this.board.isFacilitator()])
      if (sig === extra.sig) continue
      extra.sig = sig
      this.renderDeck(extra.deck, deckOpen ? v.scale : null, id)
      this.renderResult(extra.result, summaryJson, id, agreed)
      extra.badge.hidden = typeof agreed !== 'string'
      extra.badge.textContent = typeof agreed === 'string' ? agreed : ''
      extra.badge.title = typeof agreed === 'string' ? t('estimation.agreedTitle', { value: agreed }) : ''
      view.el.classList.toggle('has-deck', deckOpen)
    }
    for (const key of [...this.extras.keys()]) if (!seen.has(key)) this.extras.delete(key)
    this.renderPanel(v)
  }

  attach (key, view) {
    const stop = (e) => e.stopPropagation() // no drag, no dot vote, no edit from the deck
    const deck = h('div', { class: 'note__deck', role: 'group', 'aria-label': t('estimation.yourEstimate'), hidden: true })
    const result = h('div', { class: 'note__estimate', hidden: true })
    for (const el of [deck, result]) {
      el.addEventListener('pointerdown', stop)
      el.addEventListener('dblclick', stop)
      el.addEventListener('click', stop)
    }
    const badge = h('span', { class: 'note__estimate-badge', hidden: true, dataset: { testid: 'agreed-estimate' } })
    view.el.append(deck, result)
    view.meta.append(badge)
    const extra = { deck, result, badge, sig: null }
    this.extras.set(key, extra)
    return extra
  }

  renderDeck (deck, scale, noteId) {
    deck.hidden = !scale
    if (!scale) { deck.replaceChildren(); return }
    const mine = this.mine[noteId]
    deck.replaceChildren(...scale.map((card) => h('button', {
      type: 'button',
      class: 'deck-card' + (card === mine ? ' is-mine' : ''),
      'aria-pressed': card === mine ? 'true' : 'false',
      title: card === mine ? t('estimation.yourCard') : t('estimation.card', { card }),
      dataset: { card },
      on: { click: () => this.cast(noteId, card) }
    }, card)))
  }

  renderResult (el, summary, noteId, agreed) {
    el.hidden = !summary
    if (!summary) { el.replaceChildren(); return }
    const cards = Object.entries(summary.distribution || {})
    const parts = [
      h('div', { class: 'estimate-summary' },
        h('span', { class: 'estimate-median', dataset: { testid: 'median' } }, summary.median ? `median ${summary.median}` : 'no median'),
        h('span', { class: 'estimate-dist', 'aria-label': t('estimation.distribution') },
          ...cards.map(([card, count]) => h('span', { class: 'estimate-dist__cell', dataset: { card } }, `${card}×${count}`))),
        summary.discuss ? h('span', { class: 'estimate-discuss' }, summary.discuss) : null)
    ]
    if (this.board.isFacilitator()) {
      const choices = [...new Set([summary.median, ...cards.map(([c]) => c)].filter((c) => c && c !== '?'))]
      parts.push(h('div', { class: 'estimate-agree' }, t('estimation.agree'),
        ...choices.map((card) => h('button', {
          type: 'button',
          class: 'btn btn--xs' + (card === agreed ? ' is-agreed' : ''),
          dataset: { agree: card },
          on: { click: () => this.agree(noteId, card) }
        }, card))))
    }
    el.replaceChildren(...parts)
  }

  // -- facilitator controls, in the session tab
  buildPanel () {
    const root = $('#tab-session')
    if (!root) return
    this.state = h('p', { class: 'state-line', id: 'estimation-state' })
    this.scale = h('select', { id: 'estimation-scale', 'aria-label': t('estimation.scale') },
      ...SCALES.map((value) => h('option', { value }, t(`estimation.scale.${value}`))))
    this.startBtn = h('button', { class: 'btn btn--sm btn--primary', type: 'submit', id: 'estimation-start' }, t('estimation.start'))
    this.form = h('form', { class: 'inline-form fac-only', id: 'estimation-form' }, h('label', null, t('estimation.scale') + ' ', this.scale), this.startBtn)
    this.form.addEventListener('submit', (e) => {
      e.preventDefault()
      this.board.command('voting.start', { kind: 'estimate', scale: this.scale.value }).catch(() => {})
    })
    this.revealBtn = h('button', {
      class: 'btn btn--sm btn--primary fac-only', type: 'button', id: 'estimation-reveal',
      on: { click: () => this.board.command('voting.reveal').catch(() => {}) }
    }, t('estimation.reveal'))
    this.section = h('div', { class: 'section', id: 'estimation-section' },
      h('div', { class: 'section__head' }, h('h3', null, t('estimation.title'))), this.state, this.form, this.revealBtn)
    const people = root.querySelector('.roster')?.closest('.section')
    root.insertBefore(this.section, people || null)
  }

  renderPanel (v) {
    if (!this.section) return
    const fac = this.board.isFacilitator()
    const current = this.board.voting()
    const members = this.board.roster().filter((p) => p.role !== 'viewer').length
    if (!v) this.state.textContent = t('estimation.none')
    else if (v.status === 'open') this.state.textContent = t('estimation.open', { round: v.round, done: v.done || 0, members })
    else this.state.textContent = t(v.status === 'revealed' ? 'estimation.revealedState' : 'estimation.closed', { round: v.round })
    this.form.hidden = !fac || Boolean(current && current.status === 'open')
    this.revealBtn.hidden = !fac || !v || v.status === 'revealed'
    // Participants see the section only while there is an estimation round to take part in.
    this.section.hidden = !fac && !v
  }
}
