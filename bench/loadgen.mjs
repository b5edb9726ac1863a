// planboard's load generator: many y-websocket clients in one Node process, driven by run.py.
//
// Why Node: `ws` receives a small binary frame in a few microseconds, so one core can count far
// more deliveries than the servers under test can make, and run.py prints this process's own
// CPU next to every figure so that a saturated generator is visible.
//
// Three kinds of client speak the y-websocket protocol directly (lib0 framing):
//   reader   counts what it receives and never decodes it (most clients); a bare TCP socket
//            with a minimal RFC 6455 client (handshake, unmasked server frames, masked
//            replies, ping/pong), because `ws` costs several times more per frame and the
//            generator must stay far from its own limit while counting 100,000+ frames/s;
//   writer   owns one note in a Y.Doc and moves it (sets its `x`) at the rate asked for;
//   observer applies every update to a Y.Doc and measures fan-out latency: a writer sets its
//            note's `x` to a sequence number and notes the send time of (writer, number); same
//            process, same clock, so the observer's receive time minus that is end-to-end.
// and for S7-S8:
//   mover    (S7) a bare-socket reader that also moves a cursor: awareness updates of the
//            y-protocols shape, one client id per connection, its send time in the state;
//   pobserver (S7) decodes every awareness frame: cursor latency, clocks that go backwards,
//            and (after the movers stop) whether it holds every mover's last clock;
//   storm    (S8) bare-socket joiners started at even intervals, all in flight at once.
//
// Protocol with run.py: one JSON command per line on stdin, one JSON answer per line on
// stdout ({"event": "measuring"} precedes the answer of `load`). Logs go to stderr.
import { createInterface } from 'node:readline'
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

const MSG_SYNC = 0
const MSG_AWARENESS = 1
const SYNC_STEP1 = 0
const SYNC_STEP2 = 1
const SYNC_UPDATE = 2

const syncFrame = (sub, payload) => {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, MSG_SYNC)
  encoding.writeVarUint(enc, sub)
  encoding.writeVarUint8Array(enc, payload)
  return encoding.toUint8Array(enc)
}

const EMPTY_STATE_VECTOR = new Uint8Array([0])
const EMPTY_UPDATE = new Uint8Array([0, 0])
const STEP1_EMPTY = syncFrame(SYNC_STEP1, EMPTY_STATE_VECTOR)
const STEP2_EMPTY = syncFrame(SYNC_STEP2, EMPTY_UPDATE)

/** lib0 varuint at `pos` (client ids reach 2^32: no 32-bit bit operations). */
const readVarUint = (buf, pos) => {
  let n = 0
  let mult = 1
  let b
  do {
    b = buf[pos++]
    n += (b & 127) * mult
    mult *= 128
  } while (b >= 128)
  return [n, pos]
}

/** The client id of the first struct group of an update frame, -1 if it has none. */
const firstClient = frame => {
  let pos = 2
  let groups
  ;[, pos] = readVarUint(frame, pos) // payload length
  ;[groups, pos] = readVarUint(frame, pos)
  if (groups === 0) return -1
  ;[, pos] = readVarUint(frame, pos) // structs in the group
  return readVarUint(frame, pos)[0]
}

const now = () => performance.now()
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const log = (...args) => console.error('[loadgen]', ...args)

// -- shared counters (read by `load` at the edges of its measurement window) ----------------
const counters = { updates: 0, updateBytes: 0, echoes: 0, awareness: 0, frames: 0, bytes: 0 }
const closes = {} // close code -> count, for connections that closed while we wanted them
const sendTimes = new Map() // `${writer}:${seq}` -> send time (ms, performance clock)
let latencySink = null // while measuring: array of [label, sendTime, latency]
// Presence (S7): client id -> mover; cursor latency samples [sendTime, latency] while measuring.
const movers = new Map()
let presenceSink = null
const presenceStats = { states: 0, reordered: 0, duplicates: 0, superseded: 0, undecodable: 0 }

/** One y-websocket connection of any kind. */
class Client {
  constructor (url, kind, { label = 'all', author = 'bench', index = 0 } = {}) {
    this.url = url
    this.kind = kind
    this.label = label
    this.author = author
    this.index = index
    this.noteId = `bench-w${index}`
    this.room = new URL(url).pathname
    this.synced = false
    this.closedCode = null
    this.doc = kind === 'reader' ? null : new Y.Doc()
    this.seq = 0
    this.lastSeq = new Map() // observers: note id -> last sequence number seen
    this.ws = null
  }

  /** Resolve with the time from `new WebSocket` to sync step 2 received, or reject. */
  open (timeoutMs) {
    return new Promise((resolve, reject) => {
      const t0 = now()
      let done = false
      const finish = (err, value) => {
        if (done) return
        done = true
        clearTimeout(timer)
        err ? reject(err) : resolve(value)
      }
      const timer = setTimeout(() => {
        finish(new Error('sync timeout'))
        this.close()
      }, timeoutMs)
      const ws = new WebSocket(this.url, { perMessageDeflate: false, maxPayload: 64 << 20 })
      this.ws = ws
      ws.binaryType = 'nodebuffer'
      ws.on('open', () => {
        this.openMs = now() - t0
        if (this.doc === null) {
          ws.send(STEP1_EMPTY)
        } else {
          ws.send(syncFrame(SYNC_STEP1, Y.encodeStateVector(this.doc)))
        }
      })
      ws.on('message', (data, isBinary) => {
        if (!isBinary || data.length < 2) return
        counters.frames++
        counters.bytes += data.length
        if (data[0] === MSG_SYNC) {
          const sub = data[1]
          if (sub === SYNC_UPDATE) {
            if (this.kind === 'writer' && firstClient(data) === this.doc.clientID) {
              counters.echoes++ // some servers send a writer its own update back
              return
            }
            counters.updates++
            counters.updateBytes += data.length
            if (this.kind === 'observer') this.applyObserved(data)
          } else if (sub === SYNC_STEP1) {
            this.answerStep1(data)
          } else if (sub === SYNC_STEP2) {
            const received = now()
            if (this.kind === 'observer') this.applyPayload(data)
            if (!this.synced) {
              this.synced = true
              finish(null, {
                ms: received - t0,
                openMs: this.openMs,
                applyMs: now() - received,
                bytes: data.length
              })
            }
          }
        } else if (data[0] === MSG_AWARENESS) {
          counters.awareness++
          if (this.kind === 'pobserver') this.observeAwareness(data)
        }
      })
      ws.on('close', code => {
        this.closedCode = code
        if (!this.wantClose) closes[code] = (closes[code] || 0) + 1
        finish(new Error(`closed ${code}`))
      })
      ws.on('error', err => finish(err))
    })
  }

  answerStep1 (data) {
    if (this.doc === null) {
      this.ws.send(STEP2_EMPTY)
      return
    }
    const dec = decoding.createDecoder(data)
    decoding.readVarUint(dec)
    decoding.readVarUint(dec)
    const sv = decoding.readVarUint8Array(dec)
    this.ws.send(syncFrame(SYNC_STEP2, Y.encodeStateAsUpdate(this.doc, sv)))
  }

  applyPayload (data) {
    const dec = decoding.createDecoder(data)
    decoding.readVarUint(dec)
    decoding.readVarUint(dec)
    Y.applyUpdate(this.doc, decoding.readVarUint8Array(dec), 'remote')
  }

  /** Observers: apply, and turn every writer note whose `x` moved into a latency sample. */
  applyObserved (data) {
    if (!this.observing) {
      this.observing = true
      this.doc.getMap('notes').observeDeep(events => {
        const received = now()
        for (const ev of events) {
          if (ev.path.length !== 1 || !ev.keysChanged || !ev.keysChanged.has('x')) continue
          const noteId = ev.path[0]
          const seq = ev.target.get('x')
          // A server that merges updates delivers a writer's earlier moves with its later one:
          // every number since the last one seen arrived with this frame.
          const last = this.lastSeq.get(noteId)
          this.lastSeq.set(noteId, seq)
          const from = last !== undefined && last < seq && seq - last < 1000 ? last + 1 : seq
          for (let k = from; k <= seq; k++) {
            const sent = sendTimes.get(`${noteId}:${k}`)
            if (sent !== undefined && latencySink !== null) {
              latencySink.push([this.label, sent, received - sent])
            }
          }
        }
      })
    }
    this.applyPayload(data)
  }

  /** Presence observers: every cursor state of a mover is a latency sample (send time `t` in
   * the state); a mover's clock must never go backwards here, and gaps are superseded states. */
  observeAwareness (data) {
    const received = now()
    let entries
    try {
      const dec = decoding.createDecoder(data)
      decoding.readVarUint(dec)
      const inner = decoding.createDecoder(decoding.readVarUint8Array(dec))
      const n = decoding.readVarUint(inner)
      entries = []
      for (let i = 0; i < n; i++) {
        const cid = decoding.readVarUint(inner)
        const clock = decoding.readVarUint(inner)
        entries.push([cid, clock, decoding.readVarString(inner)])
      }
    } catch (err) {
      presenceStats.undecodable++
      return
    }
    const last = this.lastClock || (this.lastClock = new Map())
    for (const [cid, clock, state] of entries) {
      if (!movers.has(cid) || state === 'null') continue
      const prev = last.get(cid)
      if (prev !== undefined) {
        if (clock < prev) {
          presenceStats.reordered++
          continue
        }
        if (clock === prev) {
          presenceStats.duplicates++
          continue
        }
        presenceStats.superseded += clock - prev - 1
      }
      last.set(cid, clock)
      presenceStats.states++
      if (presenceSink !== null) {
        let t = null
        try {
          t = JSON.parse(state).t
        } catch (err) {}
        if (typeof t === 'number') presenceSink.push([t, received - t])
      }
    }
  }

  /** Writers: create the note this writer moves (author: the token's participant). */
  createNote () {
    const doc = this.doc
    doc.on('update', (update, origin) => {
      if (origin !== 'remote' && this.ws.readyState === WebSocket.OPEN) {
        this.ws.send(syncFrame(SYNC_UPDATE, update))
      }
    })
    const notes = doc.getMap('notes')
    doc.transact(() => {
      const note = new Y.Map()
      note.set('text', new Y.Text(`writer ${this.index}`))
      note.set('x', 0)
      note.set('y', 40 * this.index)
      note.set('color', 'yellow')
      note.set('author', this.author)
      note.set('created_at', Date.now())
      note.set('group', null)
      note.set('item', null)
      notes.set(this.noteId, note)
    })
  }

  /** One move of the writer's note; x is a sequence number the observers look up. */
  move () {
    if (this.ws.readyState !== WebSocket.OPEN) return
    this.seq = (this.seq % 100000) + 1
    const note = this.doc.getMap('notes').get(this.noteId)
    sendTimes.set(`${this.noteId}:${this.seq}`, now())
    note.set('x', this.seq)
  }

  isOpen () {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN
  }

  close () {
    this.wantClose = true
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close()
  }
}

/** A masked client frame (RFC 6455 5.3): clients must mask, servers never do. */
const clientFrame = (opcode, payload) => {
  const n = payload.length
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10
  const out = Buffer.allocUnsafe(head + 4 + n)
  out[0] = 0x80 | opcode
  if (n < 126) {
    out[1] = 0x80 | n
  } else if (n < 65536) {
    out[1] = 0x80 | 126
    out.writeUInt16BE(n, 2)
  } else {
    out[1] = 0x80 | 127
    out.writeBigUInt64BE(BigInt(n), 2)
  }
  const mask = randomBytes(4)
  mask.copy(out, head)
  for (let i = 0; i < n; i++) out[head + 4 + i] = payload[i] ^ mask[i & 3]
  return out
}

/** A reader on a bare socket: counts update frames, answers the sync handshake and pings. */
class RawReader {
  constructor (url, { label = 'reader' } = {}) {
    this.url = url
    this.kind = 'reader'
    this.label = label
    this.room = new URL(url).pathname
    this.synced = false
    this.open_ = false
    this.sock = null
    this.chunks = [] // bytes not parsed yet (a frame split over reads)
    this.buffered = 0
    this.upgraded = false
  }

  open (timeoutMs) {
    return new Promise((resolve, reject) => {
      const t0 = now()
      const u = new URL(this.url)
      let done = false
      const finish = (err, value) => {
        if (done) return
        done = true
        clearTimeout(timer)
        err ? reject(err) : resolve(value)
      }
      this.finish = finish
      const timer = setTimeout(() => {
        finish(new Error('sync timeout'))
        this.close()
      }, timeoutMs)
      const sock = net.connect(Number(u.port), u.hostname)
      this.sock = sock
      sock.setNoDelay(true)
      sock.on('connect', () => {
        sock.write(
          `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\n` +
          'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`
        )
      })
      sock.on('data', chunk => {
        if (!this.upgraded) {
          this.chunks.push(chunk)
          const all = Buffer.concat(this.chunks)
          const end = all.indexOf('\r\n\r\n')
          if (end < 0) return
          if (!all.subarray(0, 13).toString().startsWith('HTTP/1.1 101')) {
            finish(new Error('upgrade refused: ' + all.subarray(0, 40).toString()))
            sock.destroy()
            return
          }
          this.upgraded = true
          this.open_ = true
          this.openMs = now() - t0
          this.chunks = []
          sock.write(clientFrame(2, STEP1_EMPTY))
          this.t0 = t0
          if (all.length > end + 4) this.onData(all.subarray(end + 4))
          return
        }
        this.onData(chunk)
      })
      sock.on('close', () => {
        this.open_ = false
        if (!this.wantClose) {
          const code = this.closeCode || 1006
          closes[code] = (closes[code] || 0) + 1
        }
        finish(new Error(`closed ${this.closeCode || 1006}`))
      })
      sock.on('error', err => finish(err))
    })
  }

  onData (chunk) {
    let buf = chunk
    if (this.chunks.length) {
      this.chunks.push(chunk)
      this.buffered += chunk.length
      if (this.buffered < this.need) return // a large frame still arriving: no copying yet
      buf = Buffer.concat(this.chunks)
      this.chunks = []
      this.buffered = 0
    }
    let pos = 0
    let need = 0 // bytes the next frame needs from `pos`, once known
    const len = buf.length
    while (true) {
      const left = len - pos
      if (left < 2) {
        need = 2
        break
      }
      const b0 = buf[pos]
      let n = buf[pos + 1] & 127
      let head = 2
      if (n === 126) {
        if (left < 4) {
          need = 4
          break
        }
        n = buf.readUInt16BE(pos + 2)
        head = 4
      } else if (n === 127) {
        if (left < 10) {
          need = 10
          break
        }
        n = Number(buf.readBigUInt64BE(pos + 2))
        head = 10
      }
      if (left < head + n) {
        need = head + n
        break
      }
      this.onFrame(b0 & 15, buf, pos + head, n)
      pos += head + n
    }
    if (pos < len) {
      this.chunks = [buf.subarray(pos)]
      this.buffered = len - pos
      this.need = need
    } else {
      this.chunks = []
      this.buffered = 0
      this.need = 0
    }
  }

  onFrame (opcode, buf, at, n) {
    counters.frames++
    counters.bytes += n
    if (opcode === 2 && n >= 2) {
      const type = buf[at]
      if (type === MSG_SYNC) {
        const sub = buf[at + 1]
        if (sub === SYNC_UPDATE) {
          counters.updates++
          counters.updateBytes += n
        } else if (sub === SYNC_STEP1) {
          this.sock.write(clientFrame(2, STEP2_EMPTY))
        } else if (sub === SYNC_STEP2 && !this.synced) {
          this.synced = true
          this.finish(null, { ms: now() - this.t0, openMs: this.openMs, bytes: n })
        }
      } else if (type === MSG_AWARENESS) {
        counters.awareness++
      }
    } else if (opcode === 9) { // ping: answer with the same payload
      this.sock.write(clientFrame(10, buf.subarray(at, at + n)))
    } else if (opcode === 8) {
      this.closeCode = n >= 2 ? buf.readUInt16BE(at) : 1005
      if (!this.wantClose) this.sock.write(clientFrame(8, buf.subarray(at, at + Math.min(n, 2))))
      this.sock.end()
    }
  }

  isOpen () {
    return this.open_ && !this.closeCode
  }

  close () {
    this.wantClose = true
    if (this.sock && this.open_ && !this.closeCode) {
      this.sock.end(clientFrame(8, Buffer.from([0x03, 0xe8])))
    } else if (this.sock) {
      this.sock.destroy()
    }
  }
}

/** A presence mover (S7) on a bare socket: one awareness client id, a cursor moved at a
 * fixed rate; counts what it receives like a reader. The state carries its send time `t`. */
let nextMoverId = 1 + Math.floor(Math.random() * 1e9)
class RawMover extends RawReader {
  constructor (url, { label = 'mover', index = 0 } = {}) {
    super(url, { label })
    this.kind = 'mover'
    this.index = index
    this.clientID = nextMoverId++
    this.clock = 0
    movers.set(this.clientID, this)
  }

  moveCursor () {
    if (!this.isOpen()) return false
    this.clock++
    const t = now()
    const state = JSON.stringify({
      cursor: { x: (this.clock * 7) % 2000, y: (this.index * 13) % 1200 },
      user: { name: `mover ${this.index}`, color: '#30bced' },
      t
    })
    const inner = encoding.createEncoder()
    encoding.writeVarUint(inner, 1)
    encoding.writeVarUint(inner, this.clientID)
    encoding.writeVarUint(inner, this.clock)
    encoding.writeVarString(inner, state)
    const enc = encoding.createEncoder()
    encoding.writeVarUint(enc, MSG_AWARENESS)
    encoding.writeVarUint8Array(enc, encoding.toUint8Array(inner))
    this.sock.write(clientFrame(2, encoding.toUint8Array(enc)))
    return true
  }
}

// -- the commands --------------------------------------------------------------------------
let clients = []
const keepers = []

const makeClient = (url, kind, opts) =>
  kind === 'reader'
    ? new RawReader(url, { label: opts.label })
    : kind === 'mover'
      ? new RawMover(url, { label: opts.label, index: opts.index })
      : new Client(url, kind, opts)

/** Open many clients with bounded concurrency; retry refusals (1013 overloaded) a few times. */
async function connect ({ groups, concurrency = 64, timeout = 20, retries = 3 }) {
  const t0 = now()
  const pending = []
  for (const g of groups) {
    const urls = g.urls
    const authors = g.authors || ['bench']
    for (let i = 0; i < g.count; i++) {
      const index = (g.index_base || 0) + i
      const url = urls[i % urls.length]
      const label = g.label || g.kind
      pending.push(makeClient(url, g.kind, { label, author: authors[i % authors.length], index }))
    }
  }
  let failed = 0
  const errors = {}
  let next = 0
  const worker = async () => {
    while (next < pending.length) {
      let c = pending[next++]
      for (let attempt = 0; ; attempt++) {
        try {
          await c.open(timeout * 1000)
          clients.push(c)
          if (c.kind === 'writer') c.createNote()
          break
        } catch (err) {
          errors[err.message] = (errors[err.message] || 0) + 1
          if (attempt >= retries) {
            failed++
            break
          }
          await sleep(200 * (attempt + 1))
          c.close()
          if (c.kind === 'mover') movers.delete(c.clientID)
          c = makeClient(c.url, c.kind, { label: c.label, author: c.author, index: c.index })
        }
      }
    }
  }
  // The first client of each room connects alone: pycrdt-websocket starts a room on first join
  // and hangs joins that race with that start (they wait forever on its start lock).
  const rooms = new Set(clients.map(c => c.url.split('?')[0]))
  const openers = []
  const rest = []
  for (const c of pending) {
    const room = c.url.split('?')[0]
    if (rooms.has(room)) {
      rest.push(c)
    } else {
      rooms.add(room)
      openers.push(c)
    }
  }
  pending.length = 0
  pending.push(...openers)
  await Promise.all(Array.from({ length: Math.min(concurrency, openers.length) }, worker))
  pending.push(...rest)
  await Promise.all(Array.from({ length: Math.min(concurrency, pending.length - next) }, worker))
  // Let writers' note creations reach everyone before anything is measured.
  await sleep(300)
  return { connected: clients.length, failed, errors, ms: now() - t0 }
}

const percentile = (sorted, q) => {
  if (sorted.length === 0) return null
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i]
}

/** Writers at `rate` updates/s each; after `warmup` s, measure for `duration` s. */
async function load ({ rate, warmup = 1, duration = 5, grace = 2, writers = null }) {
  let active = clients.filter(c => c.kind === 'writer')
  if (writers !== null) active = active.slice(0, writers)
  const observers = clients.filter(c => c.kind === 'observer').length
  const interval = 1000 / rate
  const tStart = now()
  const tMeasure = tStart + warmup * 1000
  const tEnd = tMeasure + duration * 1000
  let sent = 0
  let sentInWindow = 0
  let stopped = false
  // Each writer keeps its own drift-free schedule, phase-shifted so sends are spread out.
  const timers = active.map((w, i) => {
    w.sentInWindow = 0
    let k = 0
    const first = tStart + (interval * i) / active.length
    const tick = () => {
      if (stopped) return
      const t = now()
      // Catch up if the event loop fell behind, but never burst more than a few at once.
      let burst = 0
      while (first + k * interval <= t && burst < 4) {
        w.move()
        sent++
        if (t >= tMeasure && t < tEnd) {
          sentInWindow++
          w.sentInWindow++
        }
        k++
        burst++
      }
      if (first + k * interval <= t) k = Math.floor((t - first) / interval) + 1
      w.timer = setTimeout(tick, Math.max(0, first + k * interval - now()))
    }
    w.timer = setTimeout(tick, Math.max(0, first - now()))
    return w
  })
  await sleep(Math.max(0, tMeasure - now()))
  const samples = []
  latencySink = samples
  process.stdout.write(JSON.stringify({ event: 'measuring' }) + '\n')
  const c0 = { ...counters }
  const cpu0 = process.cpuUsage()
  const w0 = now()
  await sleep(Math.max(0, tEnd - now()))
  const wall = now() - w0
  const cpu1 = process.cpuUsage(cpu0)
  const c1 = { ...counters }
  stopped = true
  for (const w of timers) clearTimeout(w.timer)
  process.stdout.write(JSON.stringify({ event: 'measured' }) + '\n')
  // Late deliveries of updates sent inside the window still count (their latency is real).
  await sleep(grace * 1000)
  latencySink = null
  const inWindow = samples.filter(([, s]) => s >= tMeasure && s < tEnd)
  // Each observer should see every update its room's writers sent inside the window.
  const sentByRoom = {}
  for (const w of active) sentByRoom[w.room] = (sentByRoom[w.room] || 0) + w.sentInWindow
  const expectedPerLabel = {}
  for (const c of clients) {
    if (c.kind === 'observer') {
      expectedPerLabel[c.label] = (expectedPerLabel[c.label] || 0) + (sentByRoom[c.room] || 0)
    }
  }
  const byLabel = {}
  for (const [label, , lat] of inWindow) (byLabel[label] ||= []).push(lat)
  const latency = {}
  for (const [label, n] of Object.entries(expectedPerLabel)) {
    const lats = (byLabel[label] || []).sort((a, b) => a - b)
    const expected = n
    // An update never seen within the grace period counts as later than anything seen.
    const missing = Math.max(0, expected - lats.length)
    const all = lats.concat(new Array(missing).fill(Infinity))
    const fix = v => (v === null || !Number.isFinite(v) ? null : Math.round(v * 1000) / 1000)
    latency[label] = {
      n: lats.length,
      missing,
      p50: fix(percentile(all, 0.5)),
      p95: fix(percentile(all, 0.95)),
      p99: fix(percentile(all, 0.99)),
      max: fix(lats.length ? lats[lats.length - 1] : null),
      mean: lats.length ? Math.round((lats.reduce((a, b) => a + b, 0) / lats.length) * 1000) / 1000 : null
    }
  }
  sendTimes.clear()
  const cpuMs = (cpu1.user + cpu1.system) / 1000
  return {
    writers: active.length,
    observers,
    rate,
    wall_ms: wall,
    sent,
    sent_in_window: sentInWindow,
    deliveries: c1.updates - c0.updates,
    echoes: c1.echoes - c0.echoes,
    delivery_bytes: c1.updateBytes - c0.updateBytes,
    deliveries_per_s: ((c1.updates - c0.updates) * 1000) / wall,
    loadgen_cpu: cpuMs / wall,
    latency,
    open: clients.filter(c => c.isOpen()).length,
    closes: { ...closes }
  }
}

/** A board of `notes` notes with texts of about `textLen` characters (S8), as `chunk` notes per
 * update (planboard refuses messages over 1 MiB): the updates, built once per shape. */
function seedChunks (author, notes, textLen, chunk) {
  const key = `${author}:${notes}:${textLen}:${chunk}`
  if (!seedCache.has(key)) {
    const doc = new Y.Doc()
    const map = doc.getMap('notes')
    const colors = ['yellow', 'blue', 'green', 'pink', 'orange']
    const filler = 'ship the planning board to more teams this quarter, then measure it again. '
    const chunks = []
    let pending = []
    doc.on('update', update => pending.push(update))
    for (let i = 0; i < notes; i++) {
      const head = `Idea ${i}: `
      const text = textLen > 0
        ? (head + filler.repeat(Math.ceil(textLen / filler.length))).slice(0, textLen)
        : head + 'ship the planning board to more teams this quarter'
      doc.transact(() => {
        const note = new Y.Map()
        note.set('text', new Y.Text(text))
        note.set('x', (i % 50) * 220)
        note.set('y', Math.floor(i / 50) * 160)
        note.set('color', colors[i % colors.length])
        note.set('author', author)
        note.set('created_at', 1700000000000 + i * 1000)
        note.set('group', null)
        note.set('item', null)
        map.set(`seed-${i}`, note)
      })
      if (pending.length >= chunk || i === notes - 1) {
        chunks.push(Y.mergeUpdates(pending))
        pending = []
      }
    }
    seedCache.set(key, chunks)
  }
  return seedCache.get(key)
}

/** A board of `notes` notes by `author`, built once per author and reused for every room. */
const seedCache = new Map()
function seedUpdate (author, notes) {
  const key = `${author}:${notes}`
  if (!seedCache.has(key)) {
    const doc = new Y.Doc()
    const map = doc.getMap('notes')
    const colors = ['yellow', 'blue', 'green', 'pink', 'orange']
    for (let i = 0; i < notes; i++) {
      doc.transact(() => {
        const note = new Y.Map()
        note.set('text', new Y.Text(`Idea ${i}: ship the planning board to more teams this quarter`))
        note.set('x', (i % 50) * 220)
        note.set('y', Math.floor(i / 50) * 160)
        note.set('color', colors[i % colors.length])
        note.set('author', author)
        note.set('created_at', 1700000000000 + i * 1000)
        note.set('group', null)
        note.set('item', null)
        map.set(`seed-${i}`, note)
      })
    }
    seedCache.set(key, Y.encodeStateAsUpdate(doc))
  }
  return seedCache.get(key)
}

/** Write a large board into a room; `keep` leaves the connection open (holds the doc in memory). */
async function seed ({ url, author, notes, keep = true, timeout = 60, text = 0, chunk = 0 }) {
  const t0 = now()
  const updates = chunk > 0 || text > 0
    ? seedChunks(author, notes, text, chunk > 0 ? chunk : notes)
    : [seedUpdate(author, notes)]
  const c = new Client(url, 'reader', { label: 'seed' })
  await c.open(timeout * 1000)
  for (const update of updates) c.ws.send(syncFrame(SYNC_UPDATE, update))
  const update = { length: updates.reduce((a, u) => a + u.length, 0) }
  // The server handles one connection's messages in order: its answer to a second step 1
  // proves the update was integrated (and, for planboard, stored).
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('seed timeout')), timeout * 1000)
    c.ws.on('message', data => {
      if (data[0] === MSG_SYNC && data[1] === SYNC_STEP2) {
        clearTimeout(timer)
        resolve()
      }
    })
    c.ws.send(STEP1_EMPTY)
  })
  if (keep) keepers.push(c)
  else c.close()
  return { bytes: update.length, updates: updates.length, ms: now() - t0 }
}

/** Sequential joins with an empty doc: time from connect to sync step 2, and its size. */
async function coldjoin ({ url, n, pause = 0.05, timeout = 60 }) {
  const times = []
  const openMs = []
  const applyMs = []
  let bytes = 0
  let notes = null
  for (let i = 0; i < n; i++) {
    const c = new Client(url, 'observer', { label: 'join' })
    const r = await c.open(timeout * 1000)
    times.push(r.ms)
    openMs.push(r.openMs)
    applyMs.push(r.applyMs)
    bytes = r.bytes
    notes = c.doc.getMap('notes').size // the joiner really got the whole board
    c.close()
    await sleep(pause * 1000)
  }
  return { times_ms: times, open_ms: openMs, apply_ms: applyMs, bytes, notes }
}

/** S7: movers move their cursor at `rate` Hz each; observers time every state they receive. */
async function presence ({ rate = 10, warmup = 1, duration = 5, grace = 2 }) {
  const active = clients.filter(c => c.kind === 'mover')
  const observers = clients.filter(c => c.kind === 'pobserver')
  const interval = 1000 / rate
  const tStart = now()
  const tMeasure = tStart + warmup * 1000
  const tEnd = tMeasure + duration * 1000
  let sent = 0
  let sentInWindow = 0
  let stopped = false
  for (const k of Object.keys(presenceStats)) presenceStats[k] = 0
  for (const [i, m] of active.entries()) {
    let k = 0
    const first = tStart + (interval * i) / active.length
    const tick = () => {
      if (stopped) return
      const t = now()
      let burst = 0
      while (first + k * interval <= t && burst < 4) {
        if (m.moveCursor()) {
          sent++
          if (t >= tMeasure && t < tEnd) sentInWindow++
        }
        k++
        burst++
      }
      if (first + k * interval <= t) k = Math.floor((t - first) / interval) + 1
      m.timer = setTimeout(tick, Math.max(0, first + k * interval - now()))
    }
    m.timer = setTimeout(tick, Math.max(0, first - now()))
  }
  await sleep(Math.max(0, tMeasure - now()))
  const samples = []
  presenceSink = samples
  process.stdout.write(JSON.stringify({ event: 'measuring' }) + '\n')
  const c0 = { ...counters }
  const cpu0 = process.cpuUsage()
  const w0 = now()
  await sleep(Math.max(0, tEnd - now()))
  const wall = now() - w0
  const cpu1 = process.cpuUsage(cpu0)
  const c1 = { ...counters }
  stopped = true
  for (const m of active) clearTimeout(m.timer)
  process.stdout.write(JSON.stringify({ event: 'measured' }) + '\n')
  await sleep(grace * 1000)
  presenceSink = null
  // Every observer must end holding every mover's last clock (latest state wins, none lost).
  let finalMissing = 0
  for (const o of observers) {
    for (const m of active) {
      if (!o.lastClock || o.lastClock.get(m.clientID) !== m.clock) finalMissing++
    }
  }
  const lats = samples.filter(([t]) => t >= tMeasure && t < tEnd).map(([, l]) => l)
  lats.sort((a, b) => a - b)
  const fix = v => (v === null ? null : Math.round(v * 1000) / 1000)
  return {
    movers: active.length,
    observers: observers.length,
    rate,
    wall_ms: wall,
    sent,
    sent_in_window: sentInWindow,
    frames: c1.frames - c0.frames,
    bytes: c1.bytes - c0.bytes,
    awareness_frames: c1.awareness - c0.awareness,
    frames_per_s: ((c1.frames - c0.frames) * 1000) / wall,
    bytes_per_s: ((c1.bytes - c0.bytes) * 1000) / wall,
    loadgen_cpu: (cpu1.user + cpu1.system) / 1000 / wall,
    latency: {
      n: lats.length,
      p50: fix(percentile(lats, 0.5)),
      p95: fix(percentile(lats, 0.95)),
      p99: fix(percentile(lats, 0.99)),
      max: fix(lats.length ? lats[lats.length - 1] : null)
    },
    states_sent_x_observers: sentInWindow * observers.length,
    stats: { ...presenceStats },
    final_missing: finalMissing,
    finals_expected: active.length * observers.length,
    open: clients.filter(c => c.isOpen()).length,
    closes: { ...closes }
  }
}

/** S8: `n` bare clients open a socket each, spread evenly over `within` seconds, all at once
 * in flight: time from the socket's start to sync step 2 fully received. They stay open. */
async function storm ({ urls, n, within = 1, timeout = 60 }) {
  const t0 = now()
  const cpu0 = process.cpuUsage()
  const results = await Promise.all(Array.from({ length: n }, async (_, i) => {
    await sleep(Math.max(0, (within * 1000 * i) / n - (now() - t0)))
    const c = new RawReader(urls[i % urls.length], { label: 'storm' })
    try {
      const r = await c.open(timeout * 1000)
      clients.push(c)
      return r
    } catch (err) {
      c.close()
      return { error: err.message }
    }
  }))
  const cpu = process.cpuUsage(cpu0)
  const ok = results.filter(r => r.error === undefined)
  const errors = {}
  for (const r of results) if (r.error !== undefined) errors[r.error] = (errors[r.error] || 0) + 1
  return {
    times_ms: ok.map(r => r.ms),
    open_ms: ok.map(r => r.openMs),
    bytes: ok.length ? Math.max(...ok.map(r => r.bytes)) : 0,
    failed: n - ok.length,
    errors,
    total_ms: now() - t0,
    loadgen_cpu: (cpu.user + cpu.system) / 1000 / (now() - t0)
  }
}

/** Close the clients of `connect`/`storm`, keep the keepers (their boards stay loaded). */
async function closeClients () {
  const n = clients.length
  for (const c of clients) c.close()
  clients = []
  movers.clear()
  await sleep(200)
  return { closed: n }
}

async function closeAll () {
  const all = clients.concat(keepers)
  for (const c of all) c.close()
  clients = []
  movers.clear()
  keepers.length = 0
  for (const k of Object.keys(closes)) delete closes[k]
  await sleep(200)
  return { closed: all.length }
}

const handlers = {
  connect,
  load,
  seed,
  coldjoin,
  presence,
  storm,
  close_clients: closeClients,
  close_all: closeAll
}

const rl = createInterface({ input: process.stdin })
for await (const line of rl) {
  if (!line.trim()) continue
  const msg = JSON.parse(line)
  if (msg.cmd === 'exit') break
  let answer
  try {
    answer = { ok: true, ...(await handlers[msg.cmd](msg)) }
  } catch (err) {
    answer = { ok: false, error: String(err && err.stack ? err.stack : err) }
  }
  process.stdout.write(JSON.stringify(answer) + '\n')
}
await closeAll()
process.exit(0)
