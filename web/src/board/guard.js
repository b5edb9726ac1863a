// Explains compensated edits. The server integrates every update and, when one breaks a rule,
// immediately applies a change that restores the old values. So for each local edit we keep the
// value it replaced until the server had time to judge it (a few seconds online; edits made
// offline until a few seconds after the reconnect). When a remote transaction puts one of those
// values back, our edit was undone: we say why instead of letting the change silently vanish.
import { LOCAL } from './context.js'
import { toast } from '../lib/toast.js'

const KEEP_MS = 8000
const SERVER_CLIENT_ID = 0
const MAX_BEFORES = 400

function same (a, b) {
  return JSON.stringify(a) === JSON.stringify(b)
}

export class ChangeGuard {
  constructor (board) {
    this.board = board
    this.pending = new Map() // key -> {read, after, befores: [{value, at, offline}], note}
    this.lastToast = 0
    board.doc.on('afterTransaction', (tr) => {
      if (tr.origin !== LOCAL) this.check()
    })
    board.provider.on('sync', (synced) => {
      if (!synced) return
      // Edits made offline reach the server now: their verdict comes from here on.
      const now = Date.now()
      for (const rec of this.pending.values()) {
        for (const b of rec.befores) if (b.offline) { b.offline = false; b.at = now }
      }
    })
    // The server says why it undid an edit: an awareness state of the reserved client 0, sent
    // only to us (see docs/document-schema.md). It arrives just before the undo itself.
    this.lastNotice = 0
    board.awareness.on('change', ({ added, updated }) => {
      if (![...added, ...updated].includes(SERVER_CLIENT_ID)) return
      const notice = board.awareness.getStates().get(SERVER_CLIENT_ID)?.notice
      if (!notice || typeof notice.message !== 'string' || notice.at === this.lastNotice) return
      this.lastNotice = notice.at
      this.lastToast = Date.now() // the heuristic below stays quiet for this one
      toast(notice.message, { kind: 'warn', timeout: 8000 })
    })
    setInterval(() => this.sweep(), 2000)
  }

  online () {
    return this.board.provider.wsconnected && this.board.provider.synced
  }

  /** Run `change` (which writes locally) and remember what `read()` returned before it. */
  edit (key, read, change, note = null) {
    const before = read()
    change()
    this.remember(key, read, before, note)
  }

  remember (key, read, before, note = null) {
    const after = read()
    if (same(before, after)) return
    const rec = this.pending.get(key) || { read, befores: [], note }
    rec.read = read
    rec.after = after
    if (note) rec.note = note
    rec.befores.push({ value: before, at: Date.now(), offline: !this.online() })
    if (rec.befores.length > MAX_BEFORES) rec.befores.splice(0, rec.befores.length - MAX_BEFORES)
    this.pending.set(key, rec)
  }

  sweep () {
    const now = Date.now()
    for (const [key, rec] of this.pending) {
      rec.befores = rec.befores.filter((b) => b.offline || now - b.at <= KEEP_MS)
      if (!rec.befores.length) this.pending.delete(key)
    }
  }

  check () {
    for (const [key, rec] of this.pending) {
      let current
      try {
        current = rec.read()
      } catch {
        current = undefined
      }
      if (!same(current, rec.after) && rec.befores.some((b) => same(b.value, current))) {
        this.pending.delete(key)
        this.explain(rec)
      }
    }
  }

  explain (rec) {
    const b = this.board
    let message
    if (b.isViewer()) {
      message = 'You are a viewer on this board, so your change was undone.'
    } else if (b.locked() && !b.isFacilitator()) {
      message = 'The facilitator has locked the board; your change was undone.'
    } else if (rec.note && rec.note.author && rec.note.author !== b.me && !b.isFacilitator()) {
      message = 'Only the author of a note or a facilitator can change it; your change was undone.'
    } else {
      message = 'The server did not accept your change (a board rule or limit), so it was undone.'
    }
    const now = Date.now()
    if (now - this.lastToast < 1500) return
    this.lastToast = now
    toast(message, { kind: 'warn', timeout: 8000 })
  }
}
