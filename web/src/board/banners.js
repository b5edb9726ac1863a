// The banners over the canvas: locked, read-only, voting (dots left), silent brainstorming.
import { icon } from '../lib/icons.js'
import { $, h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'

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
        h('span', null, t('banner.welcome')),
        h('button', { class: 'btn btn--sm btn--primary', type: 'button', id: 'welcome-copy', on: { click: async () => { await this.onInvite(true); this.welcome = false; this.render() } } }, t('board.copyInvite')),
        h('button', { class: 'icon-btn', type: 'button', 'aria-label': t('common.dismiss'), on: { click: () => { this.welcome = false; this.render() } } }, icon('close'))
      ))
    }
    if (b.isViewer()) {
      out.push(h('div', { class: 'banner banner--viewer', id: 'viewer-banner' },
        icon('eye', 'banner__icon'),
        h('span', null, t('outline.status.viewer'))))
    } else if (b.locked()) {
      out.push(h('div', { class: 'banner banner--locked', id: 'locked-banner' },
        icon('lock', 'banner__icon'),
        h('span', null, b.isFacilitator()
          ? t('banner.lockedFac')
          : t('banner.locked'))))
    }
    const v = b.voting()
    if (v && v.status === 'open') {
      const parts = [icon('vote', 'banner__icon')]
      if (!b.isViewer()) {
        const left = b.ui.left
        const budget = v.budget || 0
        const dots = h('span', { class: 'dots', 'aria-hidden': 'true' })
        for (let i = 0; i < budget; i++) dots.append(h('span', { class: left !== null && i >= left ? 'is-used' : '' }))
        parts.push(h('span', null, h('strong', null, t('banner.round', { round: v.round })), t('banner.clickToVote')), dots,
          h('span', { id: 'dots-left', text: left === null ? '' : t('banner.dotsLeft', { count: left, budget }) }))
      } else {
        parts.push(h('span', null, h('strong', null, t('banner.round', { round: v.round })), t('banner.isOpen')))
      }
      if (v.secret) parts.push(h('span', { class: 'chip chip--muted' }, t('banner.secret')))
      out.push(h('div', { class: 'banner banner--voting', id: 'voting-banner' }, ...parts))
    } else if (v && v.status === 'closed') {
      out.push(h('div', { class: 'banner banner--voting', id: 'voting-banner' },
        icon('hourglass', 'banner__icon'),
        h('span', null, t('outline.status.votingClosed', { round: v.round }))))
    }
    if (b.drafting()) {
      const counts = b.sessionSet('drafts')
      const mine = counts[b.me] || 0
      const total = Object.values(counts).reduce((a, n) => a + (typeof n === 'number' ? n : 0), 0)
      out.push(h('div', { class: 'banner banner--drafts', id: 'drafts-banner' },
        icon('eyeOff', 'banner__icon'),
        h('span', null, h('strong', null, t('outline.fac.drafts')),
          b.isViewer() ? t('banner.draftsViewer', { count: total }) : t('banner.drafts', { mine, total }))))
    }
    const key = out.map((el) => el.textContent).join('|')
    if (key === this.lastKey) return
    this.lastKey = key
    this.el.replaceChildren(...out)
  }
}
