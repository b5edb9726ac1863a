// Silent brainstorming: while `session.drafting` is on, my new notes go to my private drafts
// doc, served at /ws/{board}/drafts (y-websocket room `${board}/drafts`). Only I can open it.
import * as Y from 'yjs'
import { openProvider } from './context.js'

export class Drafts {
  constructor ({ board, notes, connection }) {
    this.board = board
    this.notes = notes
    this.connection = connection
    board.ensureDrafts = () => this.sync()
    board.addEventListener('state', () => this.sync())
    board.addEventListener('synced', () => this.sync())
  }

  sync () {
    const b = this.board
    const want = b.synced && b.drafting() && !b.isViewer()
    if (want && !b.drafts) this.open()
    else if (!want && b.drafts) this.close()
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
