// Toasts: short messages in an aria-live region.
import { icon } from './icons.js'
import { h } from './dom.js'

export function toast (message, { kind = 'info', timeout = 4500 } = {}) {
  const region = document.getElementById('toasts')
  if (!region) return
  const close = () => el.remove()
  const el = h('div', { class: `toast toast--${kind}`, role: kind === 'error' ? 'alert' : null },
    h('span', { class: 'toast__text', text: message }),
    h('button', { class: 'toast__close', type: 'button', 'aria-label': 'Dismiss', on: { click: close } }, icon('close'))
  )
  region.append(el)
  while (region.children.length > 4) region.firstElementChild.remove()
  if (timeout > 0) setTimeout(close, timeout)
  return el
}
