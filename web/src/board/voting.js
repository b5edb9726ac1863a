// Dot voting: my ballots (GET votes/me), vote/unvote commands, and the round's life cycle.
import { toast } from '../lib/toast.js'
import { t } from '../lib/i18n.js'

export class Voting extends EventTarget {
  constructor (board, notes) {
    super()
    this.board = board
    this.notes = notes
    this.key = null
    this.busy = Promise.resolve()
    notes.voteHandler = this
    board.ui.ballots = {}
    board.ui.left = null
    board.addEventListener('state', () => this.onState())
    board.addEventListener('synced', () => this.onState())
  }

  onState () {
    const v = this.board.voting()
    const key = v ? `${v.round}:${v.status}` : 'none'
    if (key === this.key || !this.board.synced) return
    const previous = this.key
    this.key = key
    if (v && (v.status === 'open' || v.status === 'closed')) {
      this.refresh()
    } else {
      this.board.ui.ballots = {}
      this.board.ui.left = null
      this.changed()
    }
    if (v && v.kind === 'estimate') return // estimation rounds: board/estimation.js
    if (previous !== null && v && v.status === 'revealed' && !previous.endsWith(':revealed')) {
      toast(t('voting.revealed', { round: v.round }), { kind: 'ok' })
      this.dispatchEvent(new Event('revealed'))
    }
    if (previous !== null && v && v.status === 'open' && previous !== key) {
      toast(t(v.secret ? 'voting.startedSecret' : 'voting.started', { round: v.round, count: v.budget }))
    }
  }

  changed () {
    this.notes.all = true
    this.notes.schedule()
    this.dispatchEvent(new Event('change'))
  }

  async refresh () {
    if (this.board.isViewer()) return
    try {
      const me = await this.board.get('/votes/me')
      this.board.ui.ballots = me.ballots || {}
      this.board.ui.left = typeof me.left === 'number' ? me.left : null
    } catch {
      // Offline: keep what we know; the next state change refreshes.
    }
    this.changed()
  }

  queue (fn) {
    this.busy = this.busy.then(fn, fn)
    return this.busy
  }

  vote (noteId) {
    return this.queue(async () => {
      const v = this.board.voting()
      if (!v || v.status !== 'open') return
      if (this.board.ui.left === 0) {
        toast(t('voting.allUsed', { count: v.budget }))
        return
      }
      try {
        const r = await this.board.command('vote', { note_id: noteId }, { quiet: true })
        this.board.ui.ballots = { ...this.board.ui.ballots, [noteId]: r.on_note }
        this.board.ui.left = r.left
      } catch (error) {
        toast(error.message, { kind: error.status === 409 ? 'warn' : 'error' })
        if (error.status === 409) await this.refresh()
      }
      this.changed()
    })
  }

  unvote (noteId) {
    return this.queue(async () => {
      if (!this.board.ui.ballots[noteId]) return
      try {
        const r = await this.board.command('unvote', { note_id: noteId }, { quiet: true })
        const ballots = { ...this.board.ui.ballots }
        ballots[noteId] = Math.max(0, (ballots[noteId] || 0) - 1)
        if (!ballots[noteId]) delete ballots[noteId]
        this.board.ui.ballots = ballots
        this.board.ui.left = r.left
      } catch (error) {
        toast(error.message, { kind: 'warn' })
        await this.refresh()
      }
      this.changed()
    })
  }
}
