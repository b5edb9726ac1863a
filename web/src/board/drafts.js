// Silent brainstorming: while `session.drafting` is on, my new notes go to my private drafts
// doc, served at /ws/{board}/drafts (y-websocket room `${board}/drafts`). Only I can open it.
import * as Y from 'yjs'
import { openProvider } from './context.js'
import { toast } from '../lib/toast.js'
import { t } from '../lib/i18n.js'

const HIGHLIGHT_MS = 4000

export class Drafts {
  constructor ({ board, notes, connection, viewport }) {
    this.board = board
    this.notes = notes
    this.connection = connection
    this.viewport = viewport
    this.wasDrafting = null
    this.before = null
    board.ensureDrafts = () => this.sync()
    board.addEventListener('state', () => this.sync())
    board.addEventListener('synced', () => this.sync())
  }

  sync () {
    const b = this.board
    if (b.synced) this.watchReveal()
    const want = b.synced && b.drafting() && !b.isViewer()
    if (want && !b.drafts) this.open()
    else if (!want && b.drafts) this.close()
  }

  /** When drafting ends, the notes that came in with it are the revealed drafts: bring them
   * into view for everyone, highlight them briefly, and say how many from how many people. */
  watchReveal () {
    const b = this.board
    const drafting = b.drafting()
    if (drafting) this.before = new Set(b.notes.keys())
    else if (this.wasDrafting && this.before) {
      const ids = [...b.notes.keys()].filter((id) => !this.before.has(id))
      this.before = null
      this.notes.reconcile()
      const views = ids.map((id) => this.notes.views.get(`board:${id}`)).filter(Boolean)
      const authors = new Set(views.map((v) => v.ymap.get('author')))
      if (views.length) {
        const n = views.length
        const p = authors.size
        toast(t('drafts.revealed', { notes: t('outline.notes.count', { count: n }), people: t('panels.persons', { count: p }) }), { kind: 'ok' })
        const boxes = views.map((v) => ({ x: v.cache.x ?? 0, y: v.cache.y ?? 0, w: v.el.offsetWidth || 200, h: v.el.offsetHeight || 136 }))
        if (!b.ui.following) this.viewport?.fit(boxes, 'program')
        for (const v of views) v.el.classList.add('is-revealed')
        setTimeout(() => { for (const v of views) v.el.classList.remove('is-revealed') }, HIGHLIGHT_MS)
      } else {
        toast(t('drafts.none'))
      }
    }
    this.wasDrafting = drafting
  }

  open () {
    const b = this.board
    const doc = new Y.Doc()
    const provider = openProvider(`${b.boardId}/drafts`, doc, b.auth.token)
    const notes = doc.getMap('notes')
    b.drafts = { doc, provider, notes }
    this.notes.addSource('drafts', doc, notes, true)
    this.connection?.watch(provider, 'drafts')
  }

  close () {
    const b = this.board
    const drafts = b.drafts
    b.drafts = null
    this.notes.removeSource('drafts')
    this.connection?.unwatch(drafts.provider)
    drafts.provider.destroy()
    drafts.doc.destroy()
  }
}
