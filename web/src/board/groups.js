// Groups: named, coloured areas that cluster notes. Moving a group moves its notes.
import { icon } from '../lib/icons.js'
import * as Y from 'yjs'
import { h, rafThrottle } from '../lib/dom.js'
import { NOTE_COLORS, noteColor } from '../lib/colors.js'
import { LOCAL, newId } from './context.js'
import { t } from '../lib/i18n.js'

const NOTE_W = 200 // as notes.js (not imported: notes.js imports this layer's users)
const NOTE_H = 136
const PAD = 16
const HEAD = 52 // room for the group's title bar
const CELL_GAP = 16

function num (value, fallback = 0) {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback
}

class GroupView {
  constructor (layer, id, ymap) {
    this.layer = layer
    this.board = layer.board
    this.id = id
    this.ymap = ymap
    this.cache = {}
    this.drag = null
    this.title = h('span', { class: 'group__title' })
    this.count = h('span', { class: 'group__count' })
    this.colorBtn = h('button', {
      class: 'note-tool', type: 'button', 'aria-label': t('groups.colour'), title: t('outline.notes.colour'),
      on: { click: (e) => { e.stopPropagation(); this.cycleColor() } }
    }, h('span', { class: 'note-tool__swatch' }))
    this.renameBtn = h('button', {
      class: 'note-tool', type: 'button', 'aria-label': t('groups.rename'), title: t('outline.groups.rename'),
      on: { click: (e) => { e.stopPropagation(); this.rename() } }
    }, icon('pencil'))
    this.tidyBtn = h('button', {
      class: 'note-tool', type: 'button', 'aria-label': t('groups.tidyLabel'), title: t('groups.tidy'),
      on: { click: (e) => { e.stopPropagation(); this.layer.tidy(this.id) } }
    }, icon('grid'))
    this.deleteBtn = h('button', {
      class: 'note-tool note-tool--danger', type: 'button', 'aria-label': t('groups.delete'), title: t('outline.groups.delete'),
      on: { click: (e) => { e.stopPropagation(); this.remove() } }
    }, icon('trash'))
    this.head = h('div', { class: 'group__head' }, this.title, this.count,
      h('div', { class: 'group__tools' }, this.tidyBtn, this.colorBtn, this.renameBtn, this.deleteBtn))
    this.resize = h('div', { class: 'group__resize', 'aria-hidden': 'true' })
    this.el = h('section', { class: 'group', tabindex: '0', 'aria-roledescription': 'group', dataset: { id } }, this.head, this.resize)
    this.head.addEventListener('pointerdown', (e) => this.startDrag(e, 'move'))
    this.resize.addEventListener('pointerdown', (e) => this.startDrag(e, 'resize'))
    this.head.addEventListener('dblclick', (e) => { e.stopPropagation(); this.rename() })
    this.el.addEventListener('keydown', (e) => {
      if (e.target !== this.el || !this.board.canEdit()) return
      if (e.key === 'Enter') { e.preventDefault(); this.rename() }
      if (e.key === 'Delete') { e.preventDefault(); this.remove() }
    })
  }

  geometry () {
    const m = this.ymap
    return { x: num(m.get('x')), y: num(m.get('y')), w: Math.max(160, num(m.get('w'), 480)), h: Math.max(100, num(m.get('h'), 320)) }
  }

  update (count) {
    const g = this.drag ? this.drag.geom : this.geometry()
    this.apply(g)
    const title = typeof this.ymap.get('title') === 'string' ? this.ymap.get('title') : String(this.ymap.get('title') ?? '')
    if (this.cache.title !== title && !this.input) {
      this.title.textContent = title || t('outline.groups.untitled')
      this.el.setAttribute('aria-label', t('groups.label', { title: title || t('outline.groups.untitled') }))
      this.cache.title = title
    }
    this.count.textContent = t('outline.notes.count', { count })
    const color = this.ymap.get('color')
    const cls = NOTE_COLORS.some((c) => c.id === color) ? color : 'indigo'
    if (this.cache.color !== cls) {
      if (this.cache.color) this.el.classList.remove(`group--${this.cache.color}`)
      this.el.classList.add(`group--${cls}`)
      this.colorBtn.firstChild.className = `note-tool__swatch swatch--${noteColor(color)}`
      this.cache.color = cls
    }
    this.el.classList.toggle('is-readonly', !this.board.canEdit())
  }

  apply (g) {
    const key = `${g.x},${g.y},${g.w},${g.h}`
    if (this.cache.geom === key) return
    this.cache.geom = key
    this.el.style.transform = `translate(${g.x}px, ${g.y}px)`
    this.el.style.width = `${g.w}px`
    this.el.style.height = `${g.h}px`
  }

  members () {
    const out = []
    this.board.notes.forEach((note, id) => {
      if (note instanceof Y.Map && note.get('group') === this.id) out.push(note)
    })
    return out
  }

  startDrag (e, mode) {
    if (e.button !== 0 || e.target.closest('button, input') || !this.board.canEdit()) return
    e.stopPropagation()
    e.preventDefault()
    this.el.focus({ preventScroll: true })
    const vp = this.layer.viewport
    const start = vp.toWorld(e.clientX, e.clientY)
    const origin = this.geometry()
    const members = mode === 'move' ? this.members().map((n) => ({ n, x: num(n.get('x')), y: num(n.get('y')) })) : []
    const target = e.currentTarget
    this.drag = { geom: origin }
    target.setPointerCapture(e.pointerId)
    const write = rafThrottle((g) => this.write(g, members, origin))
    const move = (ev) => {
      const p = vp.toWorld(ev.clientX, ev.clientY)
      const dx = p.x - start.x
      const dy = p.y - start.y
      const g = mode === 'move'
        ? { ...origin, x: origin.x + dx, y: origin.y + dy }
        : { ...origin, w: Math.max(160, origin.w + dx), h: Math.max(100, origin.h + dy) }
      this.drag.geom = g
      this.apply(g)
      write(g)
    }
    const up = () => {
      target.removeEventListener('pointermove', move)
      target.removeEventListener('pointerup', up)
      target.removeEventListener('pointercancel', up)
      const g = this.drag.geom
      this.drag = null
      this.write(g, members, origin)
      if (mode === 'resize') this.layer.adoptNotes(this.id)
    }
    target.addEventListener('pointermove', move)
    target.addEventListener('pointerup', up)
    target.addEventListener('pointercancel', up)
  }

  write (g, members, origin) {
    const m = this.ymap
    this.board.transact(() => {
      m.set('x', Math.round(g.x))
      m.set('y', Math.round(g.y))
      m.set('w', Math.round(g.w))
      m.set('h', Math.round(g.h))
      const dx = g.x - origin.x
      const dy = g.y - origin.y
      for (const { n, x, y } of members) {
        n.set('x', Math.round(x + dx))
        n.set('y', Math.round(y + dy))
      }
    })
  }

  rename () {
    if (!this.board.canEdit() || this.input) return
    const input = h('input', { class: 'group__title-input', value: this.ymap.get('title') || '', maxlength: '120', 'aria-label': t('outline.groups.name') })
    this.input = input
    const done = (save) => {
      if (!this.input) return
      this.input = null
      if (save) {
        const title = input.value.trim().slice(0, 120)
        this.layer.guard.edit(`group:${this.id}:title`, () => this.ymap.get('title'), () => {
          this.board.transact(() => this.ymap.set('title', title))
        })
      }
      input.replaceWith(this.title)
      this.cache.title = undefined
      this.layer.schedule()
      this.el.focus({ preventScroll: true })
    }
    input.addEventListener('keydown', (e) => {
      e.stopPropagation()
      if (e.key === 'Enter') { e.preventDefault(); done(true) }
      if (e.key === 'Escape') { e.preventDefault(); done(false) }
    })
    input.addEventListener('blur', () => done(true))
    input.addEventListener('pointerdown', (e) => e.stopPropagation())
    this.title.replaceWith(input)
    input.focus()
    input.select()
  }

  cycleColor () {
    if (!this.board.canEdit()) return
    const ids = NOTE_COLORS.map((c) => c.id)
    const next = ids[(ids.indexOf(this.ymap.get('color')) + 1) % ids.length]
    this.board.transact(() => this.ymap.set('color', next))
  }

  remove () {
    if (!this.board.canEdit()) return
    const groups = this.board.groups
    const id = this.id
    const title = this.ymap.get('title')
    this.layer.undo.destructive(t('groups.deleted', { title: typeof title === 'string' && title ? title : t('outline.groups.untitled') }), () => {
      for (const n of this.members()) n.set('group', null)
      groups.delete(id)
    })
  }

  destroy () { this.el.remove() }
}

export class GroupsLayer {
  constructor ({ board, viewport, layerEl, guard, undo }) {
    this.board = board
    this.viewport = viewport
    this.layerEl = layerEl
    this.guard = guard
    this.undo = undo
    this.views = new Map()
    this.schedule = rafThrottle(() => this.reconcile())
    board.groups.observeDeep(() => this.schedule())
    board.notes.observeDeep(() => this.schedule())
    board.addEventListener('state', () => this.schedule())
    this.schedule()
  }

  reconcile () {
    const counts = new Map()
    this.board.notes.forEach((n) => {
      if (n instanceof Y.Map && typeof n.get('group') === 'string') counts.set(n.get('group'), (counts.get(n.get('group')) || 0) + 1)
    })
    const seen = new Set()
    this.board.groups.forEach((value, id) => {
      if (!(value instanceof Y.Map)) return
      seen.add(id)
      let view = this.views.get(id)
      if (view && view.ymap !== value) { view.destroy(); view = null }
      if (!view) {
        view = new GroupView(this, id, value)
        this.views.set(id, view)
        this.layerEl.append(view.el)
      }
      view.update(counts.get(id) || 0)
    })
    for (const [id, view] of this.views) {
      if (!seen.has(id)) { view.destroy(); this.views.delete(id) }
    }
  }

  /** The smallest group containing world point (x, y), or null. */
  groupAt (x, y) {
    let best = null
    let bestArea = Infinity
    for (const [id, view] of this.views) {
      const g = view.geometry()
      if (x >= g.x && x <= g.x + g.w && y >= g.y && y <= g.y + g.h && g.w * g.h < bestArea) {
        best = id
        bestArea = g.w * g.h
      }
    }
    return best
  }

  /** After a resize: notes whose centre now lies inside join the group, those outside leave. */
  adoptNotes (groupId) {
    this.board.transact(() => {
      this.board.notes.forEach((n) => {
        if (!(n instanceof Y.Map)) return
        const inside = this.groupAt(num(n.get('x')) + 100, num(n.get('y')) + 68)
        if (inside === groupId && n.get('group') !== groupId) n.set('group', groupId)
        else if (inside !== groupId && n.get('group') === groupId) n.set('group', inside)
      })
    })
  }

  boxes () {
    return [...this.views.values()].map((v) => v.geometry())
  }

  /** Member notes of a group, oldest first. */
  membersOf (groupId) {
    const out = []
    this.board.notes.forEach((n, id) => {
      if (n instanceof Y.Map && n.get('group') === groupId) out.push({ id, n, x: num(n.get('x')), y: num(n.get('y')), at: num(n.get('created_at')) })
    })
    return out.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))
  }

  /** Grow a group so that every member note lies inside it (a dropped note never sticks out). */
  growToFit (groupId) {
    const g = this.board.groups.get(groupId)
    if (!(g instanceof Y.Map)) return
    const members = this.membersOf(groupId)
    if (!members.length) return
    const cur = { x: num(g.get('x')), y: num(g.get('y')), w: num(g.get('w'), 480), h: num(g.get('h'), 320) }
    let x1 = cur.x; let y1 = cur.y; let x2 = cur.x + cur.w; let y2 = cur.y + cur.h
    for (const m of members) {
      x1 = Math.min(x1, m.x - PAD); y1 = Math.min(y1, m.y - HEAD)
      x2 = Math.max(x2, m.x + NOTE_W + PAD); y2 = Math.max(y2, m.y + NOTE_H + PAD)
    }
    if (x1 === cur.x && y1 === cur.y && x2 === cur.x + cur.w && y2 === cur.y + cur.h) return
    this.board.transact(() => {
      g.set('x', Math.round(x1)); g.set('y', Math.round(y1))
      g.set('w', Math.round(x2 - x1)); g.set('h', Math.round(y2 - y1))
    })
  }

  /** Arrange a group's notes in a grid (oldest first) and fit the group around them. */
  tidy (groupId) {
    const g = this.board.groups.get(groupId)
    if (!(g instanceof Y.Map) || !this.board.canEdit()) return
    const members = this.membersOf(groupId)
    const x0 = num(g.get('x'))
    const y0 = num(g.get('y'))
    const cols = Math.max(1, Math.ceil(Math.sqrt(members.length)))
    const rows = Math.max(1, Math.ceil(members.length / cols))
    this.board.transact(() => {
      members.forEach((m, i) => {
        m.n.set('x', Math.round(x0 + PAD + (i % cols) * (NOTE_W + CELL_GAP)))
        m.n.set('y', Math.round(y0 + HEAD + Math.floor(i / cols) * (NOTE_H + CELL_GAP)))
      })
      g.set('w', Math.max(240, PAD * 2 + cols * NOTE_W + (cols - 1) * CELL_GAP))
      g.set('h', Math.max(180, HEAD + PAD + rows * NOTE_H + (rows - 1) * CELL_GAP))
    })
  }

  create (x, y) {
    if (!this.board.canEdit()) return null
    const id = newId()
    const group = new Y.Map()
    const colors = ['blue', 'green', 'purple', 'pink', 'orange', 'yellow']
    const color = colors[this.views.size % colors.length]
    const groups = this.board.groups
    this.guard.edit(`group:${id}:exists`, () => groups.has(id), () => {
      this.board.transact(() => {
        groups.set(id, group)
        group.set('title', t('outline.groups.new'))
        group.set('x', Math.round(x))
        group.set('y', Math.round(y))
        group.set('w', 480)
        group.set('h', 320)
        group.set('color', color)
      })
    })
    this.reconcile()
    const view = this.views.get(id)
    if (view) view.rename()
    return id
  }
}
