// The canvas for keyboard users: Tab reaches the panels and the toolbar before the notes, the
// notes are one Tab stop (a roving tabindex), and the arrow keys move the focus between notes in
// reading order (by position, not by creation). Alt or Shift with an arrow still moves the note.
import { $ } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { NOTE_H } from '../board/notes.js'
import { num, readingOrder } from './model.js'

export function installCanvasKeys ({ viewport, notes }) {
  const canvas = $('#canvas')
  const main = $('#main')
  const toolbar = $('#toolbar')
  const layer = $('#notes-layer')
  const side = $('#side-panel')
  // Focus order follows the DOM: toolbar before the canvas, and the session panel before the
  // stage (CSS `order` keeps it on the right).
  if (toolbar && canvas && toolbar.nextElementSibling !== canvas) main.insertBefore(toolbar, canvas)
  if (side && main.parentElement === side.parentElement) main.parentElement.insertBefore(side, main)
  canvas.setAttribute('aria-describedby', 'canvas-notes-help')
  canvas.append(Object.assign(document.createElement('span'), { id: 'canvas-notes-help', className: 'sr-only', textContent: t('canvas.notesNav') }))

  // The zoom button shows the zoom: its name says it too (the visible text is part of the name).
  const zoomBtn = $('#zoom-reset')
  const zoomLabel = () => zoomBtn?.setAttribute('aria-label', t('canvas.zoomReset', { zoom: `${Math.round(viewport.zoom * 100)}%` }))
  viewport.addEventListener('change', zoomLabel)
  zoomLabel()

  let entry = null // the one note in the Tab order
  const ordered = () => [...layer.querySelectorAll(':scope > .note')].map((el) => {
    const view = notes.views.get(`${el.dataset.source}:${el.dataset.id}`)
    return { el, x: view ? num(view.ymap.get('x')) : 0, y: view ? num(view.ymap.get('y')) : 0, id: el.dataset.id }
  }).sort(readingOrder)

  const setEntry = (el) => {
    if (entry && entry !== el && entry.isConnected) entry.tabIndex = -1
    entry = el
    if (el) el.tabIndex = 0
  }
  let chosen = false // the entry is the note focused last, else the first in reading order
  const refresh = () => {
    const all = layer.querySelectorAll(':scope > .note')
    for (const el of all) if (el !== entry) el.tabIndex = -1
    if (!chosen || !entry || !entry.isConnected) {
      chosen = false
      const first = ordered()[0]
      setEntry(first ? first.el : null)
    }
  }
  new MutationObserver(refresh).observe(layer, { childList: true })
  refresh()
  canvas.addEventListener('focus', refresh) // positions may have changed since
  layer.addEventListener('focusin', (e) => {
    const el = e.target.closest('.note')
    if (el && el.parentElement === layer) { setEntry(el); chosen = true }
  })

  const reveal = (el) => {
    const r = el.getBoundingClientRect()
    const c = canvas.getBoundingClientRect()
    if (r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom - 72) return
    const view = notes.views.get(`${el.dataset.source}:${el.dataset.id}`)
    if (!view) return
    viewport.setCenter(num(view.ymap.get('x')) + 100, num(view.ymap.get('y')) + NOTE_H / 2, viewport.zoom, 'user')
  }

  // Capture phase: runs before the note's own handler, which moves the note on arrows.
  layer.addEventListener('keydown', (e) => {
    const el = e.target
    if (!el.classList || !el.classList.contains('note') || el.parentElement !== layer) return
    if (e.altKey || e.shiftKey || e.ctrlKey || e.metaKey) return
    if (!['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End'].includes(e.key)) return
    e.preventDefault()
    e.stopPropagation()
    const list = ordered()
    const i = list.findIndex((n) => n.el === el)
    if (i < 0) return
    let next = null
    if (e.key === 'ArrowRight') next = list[i + 1]
    else if (e.key === 'ArrowLeft') next = list[i - 1]
    else if (e.key === 'Home') next = list[0]
    else if (e.key === 'End') next = list[list.length - 1]
    else {
      // Up and down: the nearest note (by x) in the row above or below.
      const row = (n) => Math.round(n.y / (NOTE_H / 2))
      const here = list[i]
      const down = e.key === 'ArrowDown'
      const rows = [...new Set(list.map(row))].sort((a, b) => a - b)
      const target = rows[rows.indexOf(row(here)) + (down ? 1 : -1)]
      if (target !== undefined) {
        next = list.filter((n) => row(n) === target).sort((a, b) => Math.abs(a.x - here.x) - Math.abs(b.x - here.x))[0]
      }
    }
    if (!next) return
    setEntry(next.el)
    next.el.focus({ preventScroll: true })
    reveal(next.el)
  }, true)
}
