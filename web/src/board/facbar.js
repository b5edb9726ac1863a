// The session bar above the canvas, on every tab: the current agenda item and its timer for
// everyone; for facilitators also previous/next, the lock, and the tool that the item's kind
// calls for, one click away (brainstorm → silent brainstorming, group → groups and Tidy, vote →
// the voting round with the last settings, discuss → the ranking, decide → a decision from the
// top result, actions → the action form). Raised hands queue up in raise order; ready counts.
import { $, h } from '../lib/dom.js'
import { icon } from '../lib/icons.js'
import { toast } from '../lib/toast.js'
import { formatClock } from './agenda.js'
import { serverNow } from '../lib/api.js'
import { t } from '../lib/i18n.js'

const KINDS = ['brainstorm', 'group', 'vote', 'discuss', 'decide', 'actions']

export class SessionBar {
  constructor ({ board, tools }) {
    this.board = board
    this.tools = tools // {addNote, addGroup, tidyAll, openTab, focus}
    this.el = $('#facbar')
    const b = board
    const run = (type, args) => () => b.command(type, args).catch(() => {})
    this.item = h('div', { class: 'facbar__item', id: 'fb-item' })
    this.timer = h('span', { class: 'chip chip--timer facbar__timer', id: 'fb-timer', role: 'timer', 'aria-label': t('facbar.timeLeft') })
    this.prev = h('button', { class: 'icon-btn fac-only', type: 'button', id: 'fb-prev', 'aria-label': t('facbar.prevLabel'), title: t('outline.agenda.prev'), on: { click: run('agenda.prev') } }, '‹')
    this.next = h('button', { class: 'icon-btn fac-only', type: 'button', id: 'fb-next', 'aria-label': t('facbar.nextLabel'), title: t('outline.agenda.next'), on: { click: run('agenda.next') } }, '›')
    this.lock = h('button', { class: 'btn btn--sm fac-only', type: 'button', id: 'fb-lock', 'aria-pressed': 'false', on: { click: () => b.command(b.locked() ? 'unlock' : 'lock').catch(() => {}) } })
    this.actions = h('div', { class: 'facbar__tools fac-only', id: 'fb-tools', role: 'group', 'aria-label': t('facbar.tools') })
    this.hands = h('button', { class: 'btn btn--sm btn--ghost facbar__hands', type: 'button', id: 'fb-hands', 'aria-haspopup': 'true', 'aria-expanded': 'false', on: { click: () => this.toggleQueue() } })
    this.queue = h('div', { class: 'facbar__queue', id: 'fb-queue', role: 'dialog', 'aria-label': t('facbar.queue'), hidden: true })
    this.ready = h('span', { class: 'facbar__ready', id: 'fb-ready' })
    this.myHand = h('button', { class: 'btn btn--sm member-only', type: 'button', id: 'fb-hand', 'aria-pressed': 'false', on: { click: () => b.command(this.flag('hands') ? 'hand.lower' : 'hand.raise').catch(() => {}) } })
    this.myReady = h('button', { class: 'btn btn--sm member-only', type: 'button', id: 'fb-done', 'aria-pressed': 'false', on: { click: () => b.command(this.flag('ready') ? 'unready' : 'ready').catch(() => {}) } })
    this.el.append(
      h('div', { class: 'facbar__left' }, this.prev, this.item, this.next, this.timer),
      this.actions,
      h('div', { class: 'facbar__right' }, this.lock, h('div', { class: 'facbar__hands-wrap' }, this.hands, this.queue), this.ready, this.myHand, this.myReady))
    this.el.hidden = false
    const main = $('#main')
    main.classList.add('has-facbar')
    // The canvas starts below the bar, however many lines it wraps to.
    // Banners get a strip of their own below the bar: they never cover notes.
    const banners = $('#banner-stack')
    const fit = () => {
      main.style.setProperty('--facbar-h', `${this.el.offsetHeight}px`)
      main.style.setProperty('--banners-h', banners.childElementCount ? `${banners.offsetHeight + 16}px` : '0px')
    }
    const ro = new ResizeObserver(fit)
    ro.observe(this.el)
    ro.observe(banners)
    new MutationObserver(fit).observe(banners, { childList: true })
    this.knownHands = null
    board.addEventListener('state', () => this.render())
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !this.queue.hidden) this.toggleQueue(false) })
    setInterval(() => this.tick(), 500)
    this.render()
  }

  flag (key) { return Boolean(this.board.sessionSet(key)[this.board.me]) }

  members () { return this.board.roster().filter((p) => p.role !== 'viewer') }

  /** Raised hands, oldest first (the value is the server's time of raising). */
  handQueue () {
    const hands = this.board.sessionSet('hands')
    return Object.entries(hands).sort((a, c) => (Number(a[1]) || 0) - (Number(c[1]) || 0)).map(([id]) => id)
  }

  toggleQueue (open = this.queue.hidden) {
    this.queue.hidden = !open
    this.hands.setAttribute('aria-expanded', String(open))
  }

  kindTools (kind) {
    const b = this.board
    const tools = this.tools
    const btn = (id, label, onClick, primary = false) => h('button', { class: `btn btn--sm${primary ? ' btn--primary' : ''}`, type: 'button', id, on: { click: onClick } }, label)
    const run = (type, args) => () => b.command(type, args).catch(() => {})
    const v = b.voting()
    if (kind === 'brainstorm') {
      if (b.drafting()) {
        const total = Object.values(b.sessionSet('drafts')).reduce((a, n) => a + (Number(n) || 0), 0)
        return [btn('fb-reveal', t('facbar.revealDrafts', { count: total }), run('drafts.reveal'), true)]
      }
      return [btn('fb-silent', t('outline.fac.startDrafts'), run('drafts.start'), true), btn('fb-note', t('facbar.addNote'), tools.addNote)]
    }
    if (kind === 'group') return [btn('fb-group', t('facbar.addGroup'), tools.addGroup, true), btn('fb-tidy', t('facbar.tidyAll'), tools.tidyAll)]
    if (kind === 'vote') {
      if (v && v.status === 'open') return [btn('fb-close', t('outline.fac.closeVote'), run('voting.close')), btn('fb-reveal-votes', t('outline.fac.revealVote'), run('voting.reveal'), true)]
      if (v && v.status === 'closed') return [btn('fb-reveal-votes', t('outline.fac.revealVote'), run('voting.reveal'), true)]
      const s = tools.votingSettings()
      return [
        btn('fb-vote', t(s.secret ? 'facbar.startVoteSecret' : 'facbar.startVote', { count: s.budget, cap: s.max_per_note }), run('voting.start', s), true),
        btn('fb-vote-settings', t('facbar.settings'), () => tools.focus('tab-btn-session', '#vote-budget'))
      ]
    }
    if (kind === 'discuss') return [btn('fb-ranking', t('facbar.showRanking'), () => tools.openTab('tab-btn-results'), true)]
    if (kind === 'decide') {
      if (b.decideFromTop) return [btn('fb-decide', t('facbar.decideTop'), () => b.decideFromTop(), true)]
      return [btn('fb-decide', t('facbar.decide'), () => tools.focus('tab-btn-actions', '#decision-text'), true)]
    }
    if (kind === 'actions') return [btn('fb-action', t('facbar.addAction'), () => tools.focus('tab-btn-actions', '#action-text'), true)]
    return []
  }

  render () {
    const b = this.board
    const fac = b.isFacilitator()
    const items = b.agendaItems()
    const current = b.currentItem()
    const index = items.findIndex((i) => i.id === current)
    const item = items[index]
    const title = item ? String(item.title ?? '') : t('facbar.noItem')
    const kind = item ? (KINDS.includes(item.kind) ? t(`kind.${item.kind}`) : '') : ''
    this.item.replaceChildren(
      h('span', { class: 'facbar__step', text: item ? `${index + 1}/${items.length}` : '' }),
      h('span', { class: 'facbar__title', title, text: title }),
      kind ? h('span', { class: 'chip chip--muted', text: kind }) : null)
    this.prev.disabled = index <= 0
    this.next.disabled = items.length === 0 || index >= items.length - 1
    const locked = b.locked()
    this.lock.replaceChildren(icon('lock'), locked ? t('facbar.locked') : t('facbar.lock'))
    this.lock.setAttribute('aria-pressed', String(locked))
    this.lock.setAttribute('aria-label', locked ? t('facbar.unlockLabel') : t('facbar.lockLabel'))
    this.lock.classList.toggle('is-on', locked)
    // the item's tool (rebuilt only when what it offers changes)
    const key = JSON.stringify([fac, item?.kind, b.drafting(), b.sessionSet('drafts'), b.voting()?.status, Boolean(b.decideFromTop), fac && this.tools.votingSettings()])
    if (key !== this.toolsKey) {
      this.toolsKey = key
      const hadFocus = this.actions.contains(document.activeElement) ? document.activeElement.id : null
      this.actions.replaceChildren(...(fac && item ? this.kindTools(item.kind) : []))
      // keep the keyboard where it was: the same control, or the item's main tool
      if (hadFocus) (document.getElementById(hadFocus) || this.actions.querySelector('button'))?.focus()
    }
    // hands: a queue in raise order; the facilitator hears about each new hand
    const queue = this.handQueue()
    this.hands.replaceChildren(icon('hand'), String(queue.length))
    this.hands.setAttribute('aria-label', t('facbar.handsLabel', { count: queue.length }))
    this.hands.classList.toggle('has-hands', queue.length > 0)
    this.queue.replaceChildren(queue.length
      ? h('ol', { class: 'facbar__queue-list' }, ...queue.map((id) => h('li', { title: b.name(id), text: id === b.me ? t('notes.nameYou', { name: b.name(id) }) : b.name(id) })))
      : h('p', { class: 'empty', text: t('facbar.noHands') }))
    if (this.knownHands && fac) {
      for (const id of queue) {
        if (!this.knownHands.has(id) && id !== b.me) toast(t('facbar.handRaised', { name: b.name(id), n: queue.indexOf(id) + 1 }))
      }
    }
    if (b.synced) this.knownHands = new Set(queue)
    // ready ("done") count, and my own buttons
    const members = this.members()
    const ready = b.sessionSet('ready')
    const done = members.filter((p) => ready[p.id]).length
    this.ready.textContent = t('facbar.ready', { done, count: members.length })
    this.ready.title = t('facbar.readyTitle')
    // members' own signals; a facilitator's are in the Session tab (the bar keeps to one line)
    const me = !b.isViewer() && !fac
    this.myHand.hidden = !me
    this.myReady.hidden = !me
    const hand = this.flag('hands')
    this.myHand.replaceChildren(icon('hand'), hand ? t('outline.you.handDown') : t('outline.you.hand'))
    this.myHand.setAttribute('aria-pressed', String(hand))
    const isReady = this.flag('ready')
    this.myReady.replaceChildren(...(isReady ? [icon('check'), t('facbar.done')] : [t('outline.you.ready')]))
    this.myReady.setAttribute('aria-pressed', String(isReady))
    this.tick()
  }

  tick () {
    const timer = this.board.timer()
    let text = ''
    let state = 'idle'
    if (timer && typeof timer.duration_ms === 'number') {
      const remaining = typeof timer.started_at === 'number' ? timer.duration_ms - (serverNow() - timer.started_at) : timer.remaining_ms
      if (typeof remaining === 'number') {
        text = formatClock(remaining)
        state = typeof timer.started_at !== 'number' ? 'paused' : remaining < 0 ? 'over' : 'running'
      }
    }
    this.timer.hidden = !text
    if (this.timer.textContent !== text) this.timer.textContent = text
    this.timer.dataset.state = state
  }
}
