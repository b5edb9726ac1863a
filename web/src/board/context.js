// The board's shared state: the Y.Doc and its provider, derived permissions, commands.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { api, ApiError } from '../lib/api.js'
import { toast } from '../lib/toast.js'
import { PEOPLE_COLORS, personColor } from '../lib/colors.js'
import { rafThrottle } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { TERMINAL_CLOSE_CODES } from '../lib/protocol.js'
import { ChangeGuard } from './guard.js'

export const LOCAL = 'planboard-local' // origin of this client's own transactions

export function wsBase () {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.host}/ws`
}

export function openProvider (roomname, doc, token) {
  return new WebsocketProvider(wsBase(), roomname, doc, {
    // The token rides in the Sec-WebSocket-Protocol header, not the URL: URLs end up in
    // proxy and server logs. The server answers with `planboard.v1`.
    protocols: ['planboard.v1', `planboard.token.${token}`],
    // Never sync through BroadcastChannel: two members in two tabs of one browser must not
    // see each other's drafts, and every change must pass the server's rules.
    disableBc: true,
    maxBackoffTime: 2500,
    shouldReconnect: (event) => !TERMINAL_CLOSE_CODES.has(event.code)
  })
}

export function newId () {
  const bytes = new Uint8Array(12)
  crypto.getRandomValues(bytes)
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function plain (value) {
  if (value instanceof Y.AbstractType) return value.toJSON()
  return value
}

export class Board extends EventTarget {
  // limits: what the server enforces and configures (the page data's `limits`).
  constructor ({ boardId, auth, limits }) {
    super()
    this.boardId = boardId
    this.auth = auth
    this.limits = limits
    this.me = auth.participant_id
    this.doc = new Y.Doc()
    this.provider = openProvider(boardId, this.doc, auth.token)
    this.awareness = this.provider.awareness
    const d = this.doc
    this.meta = d.getMap('meta')
    this.participants = d.getMap('participants')
    this.notes = d.getMap('notes')
    this.groups = d.getMap('groups')
    this.agenda = d.getArray('agenda')
    this.session = d.getMap('session')
    this.results = d.getMap('results')
    this.actions = d.getMap('actions')
    this.decisions = d.getMap('decisions')
    this.drafts = null // {doc, provider, notes} while silent brainstorming runs
    this.synced = false
    this.ui = { color: 'yellow', voting: null, ballots: {}, following: false }
    this.guard = new ChangeGuard(this) // every local edit goes through it (outline, canvas)
    const changed = rafThrottle(() => this.dispatchEvent(new Event('state')))
    this.emitState = changed
    for (const type of [this.meta, this.participants, this.agenda, this.session, this.results]) {
      type.observeDeep(changed)
    }
    this.provider.on('status', ({ status }) => {
      // The provider drops the others' presence on disconnect but keeps their clocks, so the
      // states the server re-sends on reconnect (same clocks) would be ignored until each
      // person's next change. Forget the clocks: presence comes back at once.
      if (status !== 'disconnected') return
      for (const id of [...this.awareness.meta.keys()]) {
        if (id !== this.doc.clientID) this.awareness.meta.delete(id)
      }
    })
    this.provider.on('sync', (synced) => {
      if (synced && !this.synced) {
        this.synced = true
        this.dispatchEvent(new Event('synced'))
      }
      changed()
    })
  }

  // -- derived state
  participant (id) {
    const entry = this.participants.get(id)
    return entry instanceof Y.Map ? entry.toJSON() : null
  }

  name (id) {
    const p = this.participant(id)
    return (p && typeof p.name === 'string' && p.name) || (id === this.me ? this.auth.name : t('common.someone'))
  }

  role () {
    const p = this.participant(this.me)
    return (p && p.role) || this.auth.role || 'participant'
  }

  isFacilitator () { return this.role() === 'facilitator' }
  isViewer () { return this.role() === 'viewer' }
  locked () { return this.session.get('locked') === true }
  drafting () { return this.session.get('drafting') === true }

  /** May I change the board at all (create notes, move, groups, actions)? */
  canEdit () {
    if (this.isViewer()) return false
    return !this.locked() || this.isFacilitator()
  }

  /** May I change this note's text or colour, or delete it? */
  canEditNote (note, draft = false) {
    if (draft) return !this.isViewer()
    if (!this.canEdit()) return false
    return this.isFacilitator() || (note && note.get('author') === this.me)
  }

  currentItem () {
    const id = this.session.get('current_item')
    return typeof id === 'string' ? id : null
  }

  agendaItems () {
    return this.agenda.toArray().map(plain).filter((i) => i && typeof i === 'object')
  }

  voting () {
    const v = this.session.get('voting')
    return v instanceof Y.Map ? v.toJSON() : null
  }

  timer () {
    const t = this.session.get('timer')
    return t instanceof Y.Map ? t.toJSON() : null
  }

  sessionSet (key) {
    const v = this.session.get(key)
    return v instanceof Y.Map ? v.toJSON() : {}
  }

  /** Tallies visible to everyone now: revealed, or an open (non-secret) round. */
  visibleTally () {
    const v = this.voting()
    if (!v || v.kind === 'estimate') return null // estimates show on the notes (estimation.js)
    if (v.status !== 'revealed' && v.secret !== false) return null
    const r = this.results.get(String(v.round))
    return r instanceof Y.Map ? r.toJSON() : {}
  }

  roster () {
    const out = []
    this.participants.forEach((value, id) => {
      if (value instanceof Y.Map) out.push({ id, ...value.toJSON() })
    })
    const order = { facilitator: 0, participant: 1, viewer: 2 }
    out.sort((a, b) => (order[a.role] ?? 3) - (order[b.role] ?? 3) || String(a.name).localeCompare(String(b.name)))
    return out
  }

  /** A person's colour: by order of joining, so the first ten people never share one. */
  color (id = this.me) {
    if (this.colorKey !== this.participants.size) {
      this.colorKey = this.participants.size
      const order = this.roster().slice().sort((a, b) => (a.joined_at || 0) - (b.joined_at || 0) || String(a.id).localeCompare(String(b.id)))
      this.colorIndex = new Map(order.map((p, i) => [p.id, i]))
    }
    const index = this.colorIndex.get(id)
    return index === undefined ? personColor(id) : PEOPLE_COLORS[index % PEOPLE_COLORS.length]
  }

  // -- actions
  transact (fn) {
    this.doc.transact(fn, LOCAL)
  }

  async command (type, args = {}, { quiet = false } = {}) {
    try {
      return await api(`/api/boards/${encodeURIComponent(this.boardId)}/commands`, {
        method: 'POST',
        body: { type, ...args },
        token: this.auth.token
      })
    } catch (error) {
      if (!quiet) toast(error.message, { kind: 'error' })
      throw error
    }
  }

  async get (path) {
    return api(`/api/boards/${encodeURIComponent(this.boardId)}${path}`, { token: this.auth.token })
  }
}

export { ApiError, Y }
