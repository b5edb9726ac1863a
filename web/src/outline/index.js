// Hooks the outline view, the drawers' Escape and close buttons, the readable phone zoom and the
// canvas keyboard into the board page. Installed by pages/board.js before its own shortcuts, so
// that in the outline the canvas shortcuts (N, G, zoom) act on the outline instead.
import { $, h, isTypingTarget } from '../lib/dom.js'
import { languageSwitch, t } from '../lib/i18n.js'
import { translatePage } from '../lib/i18n-page.js'
import { icon } from '../lib/icons.js'
import { NOTE_W, NOTE_H } from '../board/notes.js'
import { Announcer, watchBoard } from './announcer.js'
import { OutlineView } from './outline.js'
import { installCanvasKeys } from './canvaskeys.js'
import { groupGeometry, num } from './model.js'

const VIEW_KEY = 'planboard.view'
const PHONE = '(max-width: 599px)'
const MIN_PHONE_ZOOM = 0.6

export function installOutline ({ board, voting, viewport, notes }) {
  const app = $('#app')
  const main = $('#main')
  translatePage('board')
  $('#help-dialog .dialog__actions')?.before(languageSwitch('lang-switch-help'))
  const announcer = new Announcer(document.body)
  watchBoard(board, announcer)
  const container = h('div', { class: 'outline', id: 'outline', role: 'region', 'aria-labelledby': 'outline-heading', hidden: true })
  main.append(container)
  const view = new OutlineView({ board, voting, announcer, container })
  const toggle = $('#view-toggle')
  const phone = window.matchMedia(PHONE)

  let stored = null
  try { stored = localStorage.getItem(VIEW_KEY) } catch {}
  let outline = stored ? stored === 'outline' : phone.matches
  let canvasShown = !outline
  const fitAll = () => {
    const groups = []
    board.groups.forEach((g) => { if (g && typeof g.get === 'function') groups.push(groupGeometry(g)) })
    viewport.fit([...notes.boxes(), ...groups], 'program')
  }

  const apply = (focus) => {
    app.classList.toggle('view-outline', outline)
    container.hidden = !outline
    view.setActive(outline)
    if (toggle) {
      toggle.setAttribute('aria-pressed', String(outline))
      toggle.textContent = outline ? t('outline.toggle.toCanvas') : t('outline.toggle.toOutline')
      toggle.title = t('outline.toggle.hint')
    }
    if (!outline) {
      // A canvas that was hidden when the board loaded was never fitted: fit it now.
      const first = !canvasShown
      canvasShown = true
      requestAnimationFrame(() => { if (phone.matches) phoneFit(); else if (first) fitAll() })
    }
    if (focus) (outline ? container.querySelector('h2:not(.sr-only)') : $('#canvas'))?.focus({ preventScroll: true })
  }
  const setView = (on, focus = true) => {
    outline = on
    try { localStorage.setItem(VIEW_KEY, on ? 'outline' : 'canvas') } catch {}
    apply(focus)
  }
  toggle?.addEventListener('click', () => setView(!outline))

  // On a phone the canvas opens at a readable zoom: the current item's notes fill the width,
  // never below 60 %, starting at their top left.
  const phoneFit = () => {
    if (!phone.matches || outline || !board.synced) return
    const item = board.currentItem()
    const boxes = []
    notes.views.forEach((v) => {
      if (item && v.ymap.get('item') !== item) return
      boxes.push({ x: num(v.ymap.get('x')), y: num(v.ymap.get('y')) })
    })
    if (!boxes.length) notes.views.forEach((v) => boxes.push({ x: num(v.ymap.get('x')), y: num(v.ymap.get('y')) }))
    const r = viewport.rect()
    if (!boxes.length || !r.width) return
    const minX = Math.min(...boxes.map((b) => b.x))
    const maxX = Math.max(...boxes.map((b) => b.x + NOTE_W))
    const minY = Math.min(...boxes.map((b) => b.y))
    const pad = 16
    const zoom = Math.max(MIN_PHONE_ZOOM, Math.min(1, (r.width - pad * 2) / Math.max(1, maxX - minX)))
    const w = r.width / zoom
    const cx = (maxX - minX) * zoom <= r.width - pad * 2 ? (minX + maxX) / 2 : minX - pad / zoom + w / 2
    viewport.setCenter(cx, minY - pad / zoom - 56 / zoom + r.height / zoom / 2, zoom, 'program')
  }
  board.addEventListener('synced', () => requestAnimationFrame(() => requestAnimationFrame(phoneFit)), { once: true })

  // Shortcuts: O switches the view; in the outline, N and G go to its forms and the canvas zoom
  // keys do nothing. Registered before the board's own handler, which skips prevented events.
  window.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTypingTarget(e.target)) return
    if (document.querySelector('dialog[open]') || e.target.closest?.('[role="menu"]')) return
    const key = e.key.toLowerCase()
    if (key === 'o') { e.preventDefault(); setView(!outline); return }
    if (!outline) return
    if (key === 'n') { e.preventDefault(); $('#ol-note-text')?.focus() } else if (key === 'g') { e.preventDefault(); $('#ol-group-name')?.focus() } else if (['+', '=', '-', '_', '0', 'f'].includes(key)) e.preventDefault()
  })

  installDrawers({ app, voting, isOutline: () => outline })
  installCanvasKeys({ viewport, notes })
  apply(false)
  return { view, announcer, setView }
}

// Drawers (the side panels below 1100 px): a visible close button, and Escape closes them.
function installDrawers ({ app, voting, isOutline }) {
  const drawers = [
    { cls: 'show-agenda', panel: $('#agenda-panel'), toggle: $('#toggle-agenda'), label: t('drawer.closeAgenda') },
    { cls: 'show-side', panel: $('#side-panel'), toggle: $('#toggle-side'), label: t('drawer.closeSide') }
  ]
  for (const d of drawers) {
    if (!d.panel || !d.toggle) continue
    d.close = h('button', {
      class: 'icon-btn drawer-close only-narrow', type: 'button', 'aria-label': d.label, title: d.label,
      on: { click: () => closeDrawer(d, true) }
    }, icon('close'))
    d.panel.prepend(d.close)
    // Opening a drawer from its button takes the focus into it (again once its slide-in has
    // made it visible: a hidden element cannot take the focus).
    const focusIn = () => { if (app.classList.contains(d.cls) && [d.toggle, document.body].includes(document.activeElement)) d.close.focus() }
    d.toggle.addEventListener('click', () => { setTimeout(focusIn, 0); setTimeout(focusIn, 250) })
  }
  function closeDrawer (d, refocus) {
    if (!app.classList.contains(d.cls)) return
    d.toggle.click()
    if (refocus) d.toggle.focus()
  }
  window.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('dialog[open]') || isTypingTarget(e.target)) return
    const open = drawers.find((d) => d.panel && app.classList.contains(d.cls))
    if (!open) return
    e.preventDefault()
    closeDrawer(open, true)
  })
  // In the outline the results are in the outline itself: the reveal does not cover it.
  voting.addEventListener('revealed', () => {
    const side = drawers[1]
    if (isOutline() && side.panel && app.classList.contains(side.cls)) closeDrawer(side, false)
  })
}
