// The stock yjs client for interop tests: a y-websocket WebsocketProvider over `ws`.
// Usage: node client.mjs <ws-base-url> <board-id> <token> <participant-id> <peer-note-id>
// It creates a note, co-edits the peer's note, publishes awareness, waits until it sees the
// peer's note text and the peer's awareness, then prints its final document as JSON and exits.
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [base, boardId, token, participantId, peerNoteId] = process.argv.slice(2)
const deadline = Date.now() + 20000
const doc = new Y.Doc()
const provider = new WebsocketProvider(base + '/ws', boardId, doc, {
  WebSocketPolyfill: WebSocket,
  params: { token },
  disableBc: true
})
// The server binds user.id, name and role to the token; `agent` is the client's own field.
provider.awareness.setLocalStateField('user', { name: 'yjs-client', id: participantId })
provider.awareness.setLocalStateField('agent', 'yjs-client')

const waitFor = (check, what) => new Promise((resolve, reject) => {
  const tick = () => {
    if (check()) return resolve()
    if (Date.now() > deadline) return reject(new Error('timeout waiting for ' + what))
    setTimeout(tick, 20)
  }
  tick()
})

try {
  await waitFor(() => provider.synced, 'sync')
  const notes = doc.getMap('notes')
  const note = new Y.Map()
  doc.transact(() => {
    note.set('text', new Y.Text('from yjs'))
    note.set('x', 10)
    note.set('y', 20)
    note.set('color', 'yellow')
    note.set('author', participantId)
    note.set('created_at', Date.now())
    note.set('group', null)
    note.set('item', null)
    notes.set('js-note', note)
  })
  await waitFor(() => notes.get(peerNoteId) !== undefined, 'the peer note')
  await waitFor(
    () => [...provider.awareness.getStates().values()].some(s => s.agent === 'python-client'),
    'the peer awareness'
  )
  await waitFor(() => String(notes.get(peerNoteId).get('text')).includes('python'), 'peer text')
  // Co-edit: the facilitator token may edit any note's text.
  notes.get(peerNoteId).get('text').insert(0, '[js] ')
  await waitFor(() => String(notes.get(peerNoteId).get('text')).includes('[py-done]'), 'final edit')
  const out = {}
  notes.forEach((n, id) => { out[id] = n.get('text').toString() })
  console.log(JSON.stringify({ notes: out }))
  provider.destroy()
  process.exit(0)
} catch (err) {
  console.error(String(err && err.stack || err))
  provider.destroy()
  process.exit(1)
}
