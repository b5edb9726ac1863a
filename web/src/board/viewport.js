// Pan and zoom of the board: world coordinates -> screen via translate(x, y) scale(zoom).
import { isTypingTarget } from '../lib/dom.js'

export const MIN_ZOOM = 0.2
export const MAX_ZOOM = 3
const GRID = 24

export class Viewport extends EventTarget {
  constructor (canvas, world) {
    super()
    this.canvas = canvas
    this.world = world
    this.x = 0
    this.y = 0
    this.zoom = 1
    this.pointers = new Map()
    this.pan = null
    this.pinch = null
    this.spaceDown = false
    this.bind()
    this.apply()
  }

  rect () { return this.canvas.getBoundingClientRect() }

  toWorld (clientX, clientY) {
    const r = this.rect()
    return { x: (clientX - r.left - this.x) / this.zoom, y: (clientY - r.top - this.y) / this.zoom }
  }

  center () {
    const r = this.rect()
    return { x: (r.width / 2 - this.x) / this.zoom, y: (r.height / 2 - this.y) / this.zoom }
  }

  /** World-space margins that the banners (top) and the toolbar (bottom) cover right now:
   * new notes and groups are not placed under them. */
  reserved () {
    const banners = document.getElementById('banner-stack')
    const own = document.getElementById('main')?.classList.contains('has-facbar') // banners have their own strip
    const top = !own && banners && banners.childElementCount ? banners.offsetTop + banners.offsetHeight + 12 : 8
    return { topReserve: top / this.zoom, bottomReserve: 80 / this.zoom }
  }

  /** The visible world rectangle. */
  visible () {
    const r = this.rect()
    return { x: -this.x / this.zoom, y: -this.y / this.zoom, w: r.width / this.zoom, h: r.height / this.zoom }
  }

  apply (reason = 'program') {
    this.world.style.transform = `translate(${this.x}px, ${this.y}px) scale(${this.zoom})`
    const g = GRID * this.zoom
    this.canvas.style.backgroundSize = `${g}px ${g}px`
    this.canvas.style.backgroundPosition = `${this.x}px ${this.y}px`
    this.dispatchEvent(new CustomEvent('change', { detail: { reason } }))
  }

  setCenter (wx, wy, zoom = this.zoom, reason = 'program') {
    const r = this.rect()
    this.zoom = clampZoom(zoom)
    this.x = r.width / 2 - wx * this.zoom
    this.y = r.height / 2 - wy * this.zoom
    this.apply(reason)
  }

  panBy (dx, dy, reason = 'user') {
    this.x += dx
    this.y += dy
    this.apply(reason)
  }

  zoomAt (factor, clientX, clientY, reason = 'user') {
    const r = this.rect()
    const sx = clientX === undefined ? r.width / 2 : clientX - r.left
    const sy = clientY === undefined ? r.height / 2 : clientY - r.top
    const next = clampZoom(this.zoom * factor)
    const wx = (sx - this.x) / this.zoom
    const wy = (sy - this.y) / this.zoom
    this.zoom = next
    this.x = sx - wx * next
    this.y = sy - wy * next
    this.apply(reason)
  }

  setZoom (zoom, reason = 'user') {
    const c = this.center()
    this.setCenter(c.x, c.y, zoom, reason)
  }

  fit (boxes, reason = 'user') {
    if (!boxes.length) {
      this.setCenter(400, 260, 1, reason)
      return
    }
    let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity
    for (const b of boxes) {
      minX = Math.min(minX, b.x); minY = Math.min(minY, b.y)
      maxX = Math.max(maxX, b.x + b.w); maxY = Math.max(maxY, b.y + b.h)
    }
    const r = this.rect()
    const pad = 80
    const zoom = Math.min(1, (r.width - pad * 2) / Math.max(1, maxX - minX), (r.height - pad * 2) / Math.max(1, maxY - minY))
    this.setCenter((minX + maxX) / 2, (minY + maxY) / 2, zoom, reason)
  }

  bind () {
    const c = this.canvas
    c.addEventListener('wheel', (e) => {
      e.preventDefault()
      if (e.ctrlKey || e.metaKey) {
        this.zoomAt(Math.exp(-e.deltaY * 0.01), e.clientX, e.clientY)
      } else {
        const k = e.deltaMode === 1 ? 16 : 1
        this.panBy(-e.deltaX * k, -e.deltaY * k)
      }
    }, { passive: false })

    c.addEventListener('pointerdown', (e) => {
      this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY })
      if (this.pointers.size === 2) {
        // Two fingers: pinch zoom (and pan) wherever they started.
        const [a, b] = [...this.pointers.values()]
        this.pinch = { dist: Math.hypot(a.x - b.x, a.y - b.y), mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 } }
        this.pan = null
        return
      }
      const onBackground = isBackground(e.target, c, this.world)
      const panButton = e.button === 1 || (e.button === 0 && (onBackground || this.spaceDown))
      if (!panButton) return
      e.preventDefault()
      if (document.activeElement !== c && !isTypingTarget(document.activeElement)) c.focus({ preventScroll: true })
      else if (isTypingTarget(document.activeElement)) document.activeElement.blur()
      this.pan = { id: e.pointerId, x: e.clientX, y: e.clientY, moved: false }
      c.setPointerCapture(e.pointerId)
    })
    c.addEventListener('pointermove', (e) => {
      if (this.pointers.has(e.pointerId)) this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY })
      if (this.pinch && this.pointers.size >= 2) {
        const [a, b] = [...this.pointers.values()]
        const dist = Math.hypot(a.x - b.x, a.y - b.y)
        const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }
        this.panBy(mid.x - this.pinch.mid.x, mid.y - this.pinch.mid.y)
        if (this.pinch.dist > 0) this.zoomAt(dist / this.pinch.dist, mid.x, mid.y)
        this.pinch = { dist, mid }
        return
      }
      if (!this.pan || this.pan.id !== e.pointerId) return
      const dx = e.clientX - this.pan.x
      const dy = e.clientY - this.pan.y
      if (!this.pan.moved && Math.hypot(dx, dy) < 3) return
      this.pan.moved = true
      c.classList.add('is-panning')
      this.pan.x = e.clientX
      this.pan.y = e.clientY
      this.panBy(dx, dy)
    })
    const end = (e) => {
      this.pointers.delete(e.pointerId)
      if (this.pointers.size < 2) this.pinch = null
      if (this.pan && this.pan.id === e.pointerId) {
        this.pan = null
        c.classList.remove('is-panning')
      }
    }
    c.addEventListener('pointerup', end)
    c.addEventListener('pointercancel', end)

    window.addEventListener('keydown', (e) => {
      if (e.key === ' ' && !isTypingTarget(e.target)) this.spaceDown = true
    })
    window.addEventListener('keyup', (e) => {
      if (e.key === ' ') this.spaceDown = false
    })
    c.addEventListener('keydown', (e) => {
      if (e.target !== c) return
      const step = e.shiftKey ? 200 : 60
      const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] }
      if (moves[e.key]) {
        e.preventDefault()
        this.panBy(...moves[e.key])
      }
    })
    window.addEventListener('resize', () => this.apply('resize'))
  }
}

/** Empty canvas, or the body of a group (its header drags the group): pointer pans there. */
export function isBackground (target, canvas, world) {
  if (target === canvas || target === world) return true
  return Boolean(target.classList && (target.classList.contains('layer') || target.classList.contains('group')))
}

function clampZoom (z) {
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z))
}
