// Live announcements for screen readers: one polite aria-live region, never focus. Messages are
// rate-limited: at most one announcement per interval, and a burst collapses into its first
// messages plus "and N more changes", so a busy board never floods a screen reader.
import * as Y from 'yjs'
import { h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { LOCAL } from '../board/context.js'
import { groupTitle } from './model.js'

const INTERVAL_MS = 2000
const MAX_PER_ANNOUNCEMENT = 2

export class Announcer {
  constructor (parent = document.body) {
    this.region = h('div', { class: 'sr-only', id: 'live-announcer', 'aria-live': 'polite', 'aria-atomic': 'true' })
    parent.append(this.region)
    this.queue = []
    this.last = 0
    this.timer = null
    this.history = [] // what was announced, newest last (tests and debugging read it)
  }

  say (message) {
    if (!message) return
    this.queue.push(message)
    this.schedule()
  }

  schedule () {
    if (this.timer !== null) return
    const wait = Math.max(0, this.last + INTERVAL_MS - Date.now())
    this.timer = setTimeout(() => this.flush(), wait)
  }

  flush () {
    this.timer = null
    if (!this.queue.length) return
    const batch = this.queue.splice(0)
    const shown = batch.slice(0, MAX_PER_ANNOUNCEMENT)
    const rest = batch.length - shown.length
    const text = shown.join('. ') + (rest > 0 ? `. ${t('announce.more', { count: rest })}` : '') + '.'
    this.last = Date.now()
    // Clearing first makes a screen reader announce a repeated text again.
    this.region.textContent = ''
    requestAnimationFrame(() => { this.region.textContent = text })
    this.history.push(text)
    if (this.history.length > 50) this.history.shift()
  }
}

/** Announce what others change on the board: notes, groups, agenda, voting, lock, hands. */
export function watchBoard (board, announcer) {
  const remote = (tr) => tr.origin !== LOCAL && board.synced
  const groupName = (id) => {
    const g = id ? board.groups.get(id) : null
    return g instanceof Y.Map ? (groupTitle(g) || t('outline.groups.untitled')) : null
  }
  board.notes.observeDeep((events, tr) => {
    if (!remote(tr)) return
    for (const event of events) {
      if (event.target === board.notes) {
        for (const [id, change] of event.changes.keys) {
          if (change.action === 'add') {
            const note = board.notes.get(id)
            if (!(note instanceof Y.Map)) continue
            const name = board.name(note.get('author'))
            const group = groupName(note.get('group'))
            announcer.say(group ? t('announce.noteAddedIn', { name, group }) : t('announce.noteAdded', { name }))
          } else if (change.action === 'delete') {
            announcer.say(t('announce.noteDeleted'))
          }
        }
      } else if (event.target instanceof Y.Map && event.target.parent === board.notes && event.changes.keys.has('group')) {
        const group = groupName(event.target.get('group'))
        announcer.say(group ? t('announce.noteMoved', { group }) : t('announce.noteUngrouped'))
      }
    }
  })
  board.groups.observe((event, tr) => {
    if (!remote(tr)) return
    for (const [id, change] of event.changes.keys) {
      if (change.action === 'add') announcer.say(t('announce.groupAdded', { title: groupName(id) }))
    }
  })
  board.decisions.observe((event, tr) => {
    if (!remote(tr)) return
    for (const [id, change] of event.changes.keys) {
      const d = board.decisions.get(id)
      if (change.action === 'add' && d instanceof Y.Map) announcer.say(t('announce.decision', { text: String(d.get('text') ?? '') }))
    }
  })
  let last = null
  const snapshot = () => {
    const v = board.voting()
    return {
      item: board.currentItem(),
      voting: v ? `${v.round}:${v.status}` : null,
      round: v ? v.round : null,
      locked: board.locked(),
      drafting: board.drafting(),
      hands: Object.keys(board.sessionSet('hands'))
    }
  }
  board.addEventListener('state', () => {
    if (!board.synced) return
    const now = snapshot()
    const was = last
    last = now
    if (!was) return
    if (now.item !== was.item && now.item) {
      const item = board.agendaItems().find((i) => i.id === now.item)
      if (item) announcer.say(t('announce.agenda', { title: String(item.title ?? '') }))
    }
    if (now.voting !== was.voting && now.voting) {
      const status = now.voting.split(':')[1]
      const key = { open: 'announce.votingOpen', closed: 'announce.votingClosed', revealed: 'announce.revealed' }[status]
      if (key) announcer.say(t(key, { round: now.round }))
    }
    if (now.locked !== was.locked) announcer.say(t(now.locked ? 'announce.locked' : 'announce.unlocked'))
    if (now.drafting !== was.drafting) announcer.say(t(now.drafting ? 'announce.drafts' : 'announce.draftsRevealed'))
    for (const id of now.hands) {
      if (!was.hands.includes(id) && id !== board.me) announcer.say(t('announce.hand', { name: board.name(id) }))
    }
  })
}
