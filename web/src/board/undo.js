// Undo and redo of one's own changes: a Y.UndoManager over the shared types that tracks only
// this client's transactions (origin LOCAL, or a Destructive origin), never the others' edits nor
// the server's. A destructive action (delete a note, group, decision, action) also gets its own
// one-shot manager, so that the "Undo" in its toast reverts exactly that action even after other
// changes were made since.
import * as Y from 'yjs'
import { LOCAL } from './context.js'
import { toast } from '../lib/toast.js'
import { t } from '../lib/i18n.js'

/** Origin of a destructive local transaction (the main manager tracks the class). */
export class Destructive {}

const TOAST_UNDO_MS = 10000

export class Undo extends EventTarget {
  constructor (board) {
    super()
    this.board = board
    this.scopes = [board.notes, board.groups, board.actions, board.decisions, board.agenda, board.meta]
    this.manager = new Y.UndoManager(this.scopes, {
      trackedOrigins: new Set([LOCAL, Destructive]),
      captureTimeout: 400
    })
    const changed = () => this.dispatchEvent(new Event('change'))
    for (const ev of ['stack-item-added', 'stack-item-popped', 'stack-cleared']) this.manager.on(ev, changed)
  }

  canUndo () { return this.manager.undoStack.length > 0 }
  canRedo () { return this.manager.redoStack.length > 0 }

  undo () {
    if (!this.canUndo()) return false
    this.manager.undo()
    return true
  }

  redo () {
    if (!this.canRedo()) return false
    this.manager.redo()
    return true
  }

  /** Run `fn` (which deletes something) as one undo step, and offer "Undo" in a toast. */
  destructive (message, fn, { doc = this.board.doc, scopes = this.scopes } = {}) {
    const origin = new Destructive()
    const one = new Y.UndoManager(scopes, { trackedOrigins: new Set([origin]), captureTimeout: 0 })
    this.manager.stopCapturing()
    doc.transact(fn, origin)
    this.manager.stopCapturing()
    if (!one.undoStack.length) { one.destroy(); return }
    let done = false
    const finish = () => { if (!done) { done = true; one.destroy() } }
    toast(message, {
      kind: 'info',
      timeout: TOAST_UNDO_MS,
      action: {
        label: t('undo.undo'),
        run: () => {
          if (done) return
          one.undo()
          finish()
        }
      }
    })
    setTimeout(finish, TOAST_UNDO_MS + 1000)
  }
}
