// Toasts: short messages in an aria-live region, stacked in one corner of the canvas on the
// board page (never over the panels or the notes' toolbar), at most two at once. A toast may
// carry one action button (e.g. "Undo" after a destructive change).
import { icon } from './icons.js'
import { h } from './dom.js'
import { t } from './i18n.js'

export const MAX_TOASTS = 2

function region () {
  const el = document.getElementById('toasts')
  if (!el) return null
  const stage = document.getElementById('main')
  if (stage && el.parentElement !== stage) stage.append(el)
  return el
}

export function toast (message, { kind = 'info', timeout = 4500, action = null } = {}) {
  const box = region()
  if (!box) return
  const close = () => el.remove()
  const actionBtn = action
    ? h('button', {
      class: 'toast__action', type: 'button',
      on: { click: () => { close(); action.run() } }
    }, action.label)
    : null
  const el = h('div', { class: `toast toast--${kind}`, role: kind === 'error' ? 'alert' : null },
    h('span', { class: 'toast__text', text: message }),
    actionBtn,
    h('button', { class: 'toast__close', type: 'button', 'aria-label': t('common.dismiss'), on: { click: close } }, icon('close'))
  )
  // The same message twice in a row is shown once.
  for (const other of box.children) {
    if (other.querySelector('.toast__text')?.textContent === message) other.remove()
  }
  box.append(el)
  while (box.children.length > MAX_TOASTS) box.firstElementChild.remove()
  if (timeout > 0) setTimeout(close, action ? Math.max(timeout, 8000) : timeout)
  return el
}
