// The banners over the canvas: locked, read-only, voting (dots left), silent brainstorming.
import { icon } from '../lib/icons.js'
import { $, h } from '../lib/dom.js'

export class Banners {
  constructor ({ board, voting, onInvite }) {
    this.board = board
    this.voting = voting
    this.el = $('#banner-stack')
    this.welcome = false
    this.onInvite = onInvite
    try {
      const key = `planboard.created.${board.boardId}`
      if (sessionStorage.getItem(key)) {
        this.welcome = true
        sessionStorage.removeItem(key)
      }
    } catch {}
    board.addEventListener('state', () => this.render())
    board.notes.observe(() => this.render())
    voting.addEventListener('change', () => this.render())
    this.render()
  }

  render () {
    const b = this.board
    const out = []
    // The welcome has done its job once someone else joined or the first note is up.
    if (this.welcome && b.synced && (b.participants.size > 1 || b.notes.size > 0)) this.welcome = false
    if (this.welcome) {
      out.push(h('div', { class: 'banner', id: 'welcome-banner' },
        icon('sparkle', 'banner__icon'),
        h('span', null, 'Your board is ready. Invite people with the link.'),
        h('button', { class: 'btn btn--sm btn--primary', type: 'button', id: 'welcome-copy', on: { click: async () => { await this.onInvite(true); this.welcome = false; this.render() } } }, 'Copy invite link'),
        h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Dismiss', on: { click: () => { this.welcome = false; this.render() } } }, icon('close'))
      ))
    }
    if (b.isViewer()) {
      out.push(h('div', { class: 'banner banner--viewer', id: 'viewer-banner' },
        icon('eye', 'banner__icon'),
        h('span', null, 'You are a viewer: you can follow along, but not edit.')))
    } else if (b.locked()) {
      out.push(h('div', { class: 'banner banner--locked', id: 'locked-banner' },
        icon('lock', 'banner__icon'),
        h('span', null, b.isFacilitator()
          ? 'The board is locked: participants cannot edit until you unlock it.'
          : 'The facilitator has locked the board. You can look around, but not edit.')))
    }
    const v = b.voting()
    if (v && v.status === 'open') {
      const parts = [icon('vote', 'banner__icon')]
      if (!b.isViewer()) {
        const left = b.ui.left
        const budget = v.budget || 0
        const dots = h('span', { class: 'dots', 'aria-hidden': 'true' })
        for (let i = 0; i < budget; i++) dots.append(h('span', { class: left !== null && i >= left ? 'is-used' : '' }))
        parts.push(h('span', null, h('strong', null, `Voting round ${v.round}`), ': click a note to give it a dot.'), dots,
          h('span', { id: 'dots-left', text: left === null ? '' : `${left} of ${budget} dots left` }))
      } else {
        parts.push(h('span', null, h('strong', null, `Voting round ${v.round}`), ' is open.'))
      }
      if (v.secret) parts.push(h('span', { class: 'chip chip--muted' }, 'secret'))
      out.push(h('div', { class: 'banner banner--voting', id: 'voting-banner' }, ...parts))
    } else if (v && v.status === 'closed') {
      out.push(h('div', { class: 'banner banner--voting', id: 'voting-banner' },
        icon('hourglass', 'banner__icon'),
        h('span', null, `Voting round ${v.round} is closed; results come when the facilitator reveals them.`)))
    }
    if (b.drafting()) {
      const counts = b.sessionSet('drafts')
      const mine = counts[b.me] || 0
      const total = Object.values(counts).reduce((a, n) => a + (typeof n === 'number' ? n : 0), 0)
      out.push(h('div', { class: 'banner banner--drafts', id: 'drafts-banner' },
        icon('eyeOff', 'banner__icon'),
        h('span', null, h('strong', null, 'Silent brainstorming'),
          b.isViewer() ? `: ${total} private notes so far.` : `: your notes stay private until the facilitator reveals them. You: ${mine}, everyone: ${total}.`)))
    }
    const key = out.map((el) => el.textContent).join('|')
    if (key === this.lastKey) return
    this.lastKey = key
    this.el.replaceChildren(...out)
  }
}
