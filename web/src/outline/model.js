// What the outline reads from and writes to the live Y.Doc: notes by group, and the edits of a
// session (create, move to a group, colour, delete; groups). Each edit is one transaction (the
// server reverts a breaking update as a whole) and goes through the change guard, so that a
// compensated edit is explained here exactly as on the canvas.
import * as Y from 'yjs'
import { LOCAL, newId } from '../board/context.js'
import { NOTE_W, NOTE_H } from '../board/notes.js'

const GAP = 16
const GROUP_HEAD = 48

export function num (value, fallback = 0) {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback
}

export function noteText (note) {
  const t = note.get('text')
  if (t instanceof Y.Text) return t.toString()
  return typeof t === 'string' ? t : ''
}

export function groupTitle (group) {
  const title = group.get('title')
  return typeof title === 'string' ? title : ''
}

export function groupGeometry (group) {
  return {
    x: num(group.get('x')),
    y: num(group.get('y')),
    w: Math.max(160, num(group.get('w'), 480)),
    h: Math.max(100, num(group.get('h'), 320))
  }
}

/** Groups in reading order (top to bottom, then left to right), as [id, Y.Map]. */
export function groupsInOrder (board) {
  const out = []
  board.groups.forEach((g, id) => { if (g instanceof Y.Map) out.push([id, g]) })
  out.sort((a, b) => {
    const ga = groupGeometry(a[1])
    const gb = groupGeometry(b[1])
    return ga.y - gb.y || ga.x - gb.x || String(a[0]).localeCompare(String(b[0]))
  })
  return out
}

/** Notes of one Y.Map of notes in reading order (by position), as [id, Y.Map]. */
export function notesInOrder (notes) {
  const out = []
  notes.forEach((n, id) => { if (n instanceof Y.Map) out.push([id, n]) })
  out.sort((a, b) => readingOrder(
    { x: num(a[1].get('x')), y: num(a[1].get('y')), id: a[0] },
    { x: num(b[1].get('x')), y: num(b[1].get('y')), id: b[0] }))
  return out
}

/** Reading order: rows (notes whose tops are within half a note's height), then left to right. */
export function readingOrder (a, b) {
  const row = Math.round(a.y / (NOTE_H / 2)) - Math.round(b.y / (NOTE_H / 2))
  return row || a.x - b.x || String(a.id).localeCompare(String(b.id))
}

function boxesOf (board, skipId) {
  const out = []
  board.notes.forEach((n, id) => {
    if (n instanceof Y.Map && id !== skipId) out.push({ x: num(n.get('x')), y: num(n.get('y')) })
  })
  return out
}

function overlaps (boxes, x, y) {
  return boxes.some((b) => Math.abs(b.x - x) < NOTE_W && Math.abs(b.y - y) < NOTE_H)
}

/** A free spot for a note: inside the group (grown downwards when full), or beside everything. */
export function freeSpot (board, groupId, skipId = null) {
  const boxes = boxesOf(board, skipId)
  const group = groupId ? board.groups.get(groupId) : null
  if (group instanceof Y.Map) {
    const g = groupGeometry(group)
    const cols = Math.max(1, Math.floor((g.w - GAP) / (NOTE_W + GAP)))
    for (let i = 0; i < 200; i++) {
      const x = g.x + GAP + (i % cols) * (NOTE_W + GAP)
      const y = g.y + GROUP_HEAD + Math.floor(i / cols) * (NOTE_H + GAP)
      if (!overlaps(boxes, x, y)) return { x, y, grow: y + NOTE_H + GAP > g.y + g.h ? y + NOTE_H + GAP - g.y : null }
    }
    return { x: g.x + GAP, y: g.y + GROUP_HEAD, grow: null }
  }
  // Ungrouped: a grid to the left of the groups' area, below the notes that are not in one.
  let minX = Infinity
  board.groups.forEach((gm) => { if (gm instanceof Y.Map) minX = Math.min(minX, groupGeometry(gm).x) })
  const x0 = Number.isFinite(minX) ? minX - 4 * (NOTE_W + GAP) : 40
  for (let i = 0; i < 400; i++) {
    const x = x0 + (i % 3) * (NOTE_W + GAP)
    const y = 40 + Math.floor(i / 3) * (NOTE_H + GAP)
    if (!overlaps(boxes, x, y) && !insideAnyGroup(board, x, y)) return { x, y, grow: null }
  }
  return { x: x0, y: 40, grow: null }
}

function insideAnyGroup (board, x, y) {
  let inside = false
  board.groups.forEach((gm) => {
    if (!(gm instanceof Y.Map)) return
    const g = groupGeometry(gm)
    if (x + NOTE_W > g.x && x < g.x + g.w && y + NOTE_H > g.y && y < g.y + g.h) inside = true
  })
  return inside
}

function guarded (board, key, read, write, info) {
  board.guard.edit(key, read, write, info)
}

/** Where new notes of mine go now: my private drafts while silent brainstorming runs. */
export function noteTarget (board) {
  const drafting = board.drafting() && !board.isViewer()
  if (drafting) {
    if (!board.drafts && board.ensureDrafts) board.ensureDrafts()
    return board.drafts ? { doc: board.drafts.doc, notes: board.drafts.notes, draft: true, name: 'drafts' } : null
  }
  if (!board.canEdit()) return null
  return { doc: board.doc, notes: board.notes, draft: false, name: 'board' }
}

/** Create a note with `text`; returns its id, or null when I may not. */
export function createNote (board, { text, color, group }) {
  const target = noteTarget(board)
  if (!target) return null
  const groupId = target.draft ? null : (group && board.groups.has(group) ? group : null)
  const spot = target.draft ? { x: 40 + (target.notes.size % 3) * (NOTE_W + GAP), y: 40 + Math.floor(target.notes.size / 3) * (NOTE_H + GAP), grow: null } : freeSpot(board, groupId)
  const id = newId()
  const notes = target.notes
  // Drafts are not judged by the board's rules, and the reveal empties them: watching them
  // would mistake the reveal for an undo.
  const write = target.draft ? (key, read, fn) => fn() : (key, read, fn, info) => guarded(board, key, read, fn, info)
  write(`${target.name}:${id}:exists`, () => notes.has(id), () => {
    target.doc.transact(() => {
      const note = new Y.Map()
      notes.set(id, note)
      note.set('text', new Y.Text(text))
      note.set('x', Math.round(spot.x))
      note.set('y', Math.round(spot.y))
      note.set('color', color)
      note.set('author', board.me)
      note.set('created_at', Date.now())
      note.set('group', groupId)
      note.set('item', board.currentItem())
      if (spot.grow && groupId) board.groups.get(groupId).set('h', Math.round(spot.grow))
    }, LOCAL)
  }, { author: board.me })
  return id
}

/** Put a note into a group (or none): it moves to a free spot there, so the canvas agrees. */
export function moveToGroup (board, noteId, groupId) {
  const note = board.notes.get(noteId)
  if (!(note instanceof Y.Map) || !board.canEdit()) return false
  const target = groupId && board.groups.has(groupId) ? groupId : null
  if ((note.get('group') ?? null) === target) return true
  const spot = freeSpot(board, target, noteId)
  const read = () => ({ group: note.get('group') ?? null, x: num(note.get('x')), y: num(note.get('y')) })
  guarded(board, `board:${noteId}:pos`, read, () => {
    board.transact(() => {
      note.set('x', Math.round(spot.x))
      note.set('y', Math.round(spot.y))
      note.set('group', target)
      if (spot.grow && target) board.groups.get(target).set('h', Math.round(spot.grow))
    })
  }, { author: note.get('author') })
  return true
}

export function setNoteColor (board, source, noteId, color) {
  const note = source.notes.get(noteId)
  if (!(note instanceof Y.Map)) return
  guarded(board, `${source.name}:${noteId}:color`, () => note.get('color'), () => {
    source.doc.transact(() => note.set('color', color), LOCAL)
  }, { author: note.get('author') })
}

export function deleteNote (board, source, noteId) {
  const notes = source.notes
  const note = notes.get(noteId)
  guarded(board, `${source.name}:${noteId}:exists`, () => notes.has(noteId), () => {
    source.doc.transact(() => notes.delete(noteId), LOCAL)
  }, { author: note instanceof Y.Map ? note.get('author') : null })
}

/** A new group placed below the others; returns its id. */
export function createGroup (board, title) {
  if (!board.canEdit()) return null
  let maxY = 0
  let minX = Infinity
  board.groups.forEach((gm) => {
    if (!(gm instanceof Y.Map)) return
    const g = groupGeometry(gm)
    maxY = Math.max(maxY, g.y + g.h)
    minX = Math.min(minX, g.x)
  })
  const colors = ['blue', 'green', 'purple', 'pink', 'orange', 'yellow']
  const id = newId()
  const groups = board.groups
  guarded(board, `group:${id}:exists`, () => groups.has(id), () => {
    board.transact(() => {
      const group = new Y.Map()
      groups.set(id, group)
      group.set('title', title)
      group.set('x', Number.isFinite(minX) ? Math.round(minX) : 800)
      group.set('y', Math.round(maxY + 40))
      group.set('w', 480)
      group.set('h', 320)
      group.set('color', colors[groups.size % colors.length])
    })
  })
  return id
}

export function renameGroup (board, groupId, title) {
  const group = board.groups.get(groupId)
  if (!(group instanceof Y.Map) || !board.canEdit()) return
  guarded(board, `group:${groupId}:title`, () => group.get('title'), () => {
    board.transact(() => group.set('title', title))
  })
}

export function deleteGroup (board, groupId) {
  if (!board.canEdit()) return
  const groups = board.groups
  guarded(board, `group:${groupId}:exists`, () => groups.has(groupId), () => {
    board.transact(() => {
      board.notes.forEach((n) => { if (n instanceof Y.Map && n.get('group') === groupId) n.set('group', null) })
      groups.delete(groupId)
    })
  })
}
