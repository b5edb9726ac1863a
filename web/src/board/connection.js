// Connection state in the top bar: online, reconnecting, offline with pending edits. The stock
// provider reconnects by itself (exponential backoff); we add the browser's online/offline
// signals so that going offline and back is noticed at once.
import { $ } from '../lib/dom.js'
import { LOCAL } from './context.js'
import { t } from '../lib/i18n.js'
import { CLOSE_BAD_TOKEN, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND } from '../lib/protocol.js'

const MESSAGES = {
  [CLOSE_BAD_TOKEN]: 'conn.4401',
  [CLOSE_FORBIDDEN]: 'conn.4403',
  [CLOSE_NOT_FOUND]: 'conn.4404'
}

export class Connection {
  constructor ({ board, onFatal }) {
    this.board = board
    this.onFatal = onFatal
    this.el = $('#conn')
    this.text = $('#conn-text')
    this.providers = new Map()
    this.pending = 0
    this.pendingKeys = new Set() // the things (notes, groups, actions…) changed while offline
    this.everConnected = false
    this.browserOffline = !navigator.onLine
    this.watch(board.provider, 'board')
    const roots = { notes: board.notes, groups: board.groups, actions: board.actions, decisions: board.decisions }
    for (const [name, root] of Object.entries(roots)) {
      root.observeDeep((events, tr) => {
        if (tr.origin !== LOCAL || this.isOnline(board.provider)) return
        for (const event of events) {
          if (event.path.length) this.pendingKeys.add(`${name}:${event.path[0]}`)
          else for (const key of event.keysChanged || []) this.pendingKeys.add(`${name}:${key}`)
        }
        this.pending = this.pendingKeys.size
        this.render()
      })
    }
    window.addEventListener('offline', () => {
      this.browserOffline = true
      for (const p of this.providers.keys()) p.disconnect()
      this.render()
    })
    window.addEventListener('online', () => {
      this.browserOffline = false
      for (const p of this.providers.keys()) p.connect()
      this.render()
    })
    this.render()
  }

  isOnline (provider) { return provider.wsconnected && provider.synced }

  watch (provider, name) {
    const handlers = {
      status: () => this.render(),
      sync: (synced) => {
        if (synced && provider === this.board.provider) {
          this.everConnected = true
          this.pending = 0
          this.pendingKeys.clear()
    this.pendingKeys = new Set() // the things (notes, groups, actions…) changed while offline
        }
        this.render()
      },
      closed: (event) => {
        if (provider === this.board.provider) this.fatal(event.code)
      }
    }
    for (const [type, fn] of Object.entries(handlers)) provider.on(type, fn)
    this.providers.set(provider, { name, handlers })
  }

  unwatch (provider) {
    const entry = this.providers.get(provider)
    if (!entry) return
    for (const [type, fn] of Object.entries(entry.handlers)) provider.off(type, fn)
    this.providers.delete(provider)
  }

  fatal (code) {
    this.failed = true
    this.render()
    this.onFatal(code, t(MESSAGES[code] || 'conn.refused'))
  }

  render () {
    const p = this.board.provider
    let state
    let text
    if (this.failed) {
      state = 'failed'
      text = t('conn.disconnected')
    } else if (this.isOnline(p)) {
      state = 'online'
      text = t('conn.online')
    } else if (this.browserOffline) {
      state = 'offline'
      text = this.pending ? t('conn.offlinePending', { count: this.pending }) : t('conn.offline')
    } else {
      state = this.everConnected ? 'reconnecting' : 'connecting'
      text = this.everConnected
        ? (this.pending ? t('conn.reconnectingPending', { count: this.pending }) : t('conn.reconnecting'))
        : t('conn.connecting')
    }
    this.el.dataset.state = state
    if (this.text.textContent !== text) this.text.textContent = text
    this.el.title = state === 'online' ? t('conn.onlineTitle') : t('conn.offlineTitle')
  }
}
