// Tells the user when the server undid one of their edits, and only then. The server says why
// with an awareness state of the reserved client 0, sent only to the connection whose update it
// compensated (server/realtime/notices.py, docs/document-schema.md). The client once guessed from remote
// changes that "put an old value back", which misfired whenever the server moved data on
// purpose (drafts.reveal empties the private drafts): a notice now comes only from the server.
import { toast } from '../lib/toast.js'
import { SERVER_CLIENT_ID } from '../lib/protocol.js'

export class ChangeGuard {
  constructor (board) {
    this.board = board
    this.lastNotice = 0
    board.awareness.on('change', ({ added, updated }) => {
      if (![...added, ...updated].includes(SERVER_CLIENT_ID)) return
      const notice = board.awareness.getStates().get(SERVER_CLIENT_ID)?.notice
      if (!notice || typeof notice.message !== 'string' || notice.at === this.lastNotice) return
      this.lastNotice = notice.at
      toast(notice.message, { kind: 'warn', timeout: 8000 })
    })
  }

  /** Run a local change (kept as the one place local edits go through). */
  edit (key, read, change) {
    change()
  }

  remember () {}
}
