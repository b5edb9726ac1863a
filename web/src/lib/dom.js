// Tiny DOM helpers. User text only ever goes into text nodes (textContent): never innerHTML.

const SVG_NS = 'http://www.w3.org/2000/svg'

function applyProps (el, props, svg) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') {
      if (svg) el.setAttribute('class', value)
      else el.className = value
    } else if (key === 'text') {
      el.textContent = String(value)
    } else if (key === 'on') {
      for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn)
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value)
    } else if (key.startsWith('on') || key === 'style' || key === 'innerHTML') {
      throw new Error(`refusing to set ${key} (CSP and XSS hygiene)`)
    } else if (!svg && (key === 'value' || key === 'checked' || key === 'disabled' || key === 'selected' || key === 'hidden' || key === 'readOnly')) {
      el[key] = value
    } else {
      el.setAttribute(key, value === true ? '' : String(value))
    }
  }
}

function appendChildren (el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Create an HTML element: h('button', {class: 'btn', on: {click}}, 'Label') */
export function h (tag, props, ...children) {
  const el = document.createElement(tag)
  applyProps(el, props, false)
  appendChildren(el, children)
  return el
}

/** Create an SVG element. */
export function s (tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag)
  applyProps(el, props, true)
  appendChildren(el, children)
  return el
}

export function $ (selector, root = document) {
  return root.querySelector(selector)
}

export function $$ (selector, root = document) {
  return Array.from(root.querySelectorAll(selector))
}

export function clear (el) {
  while (el.firstChild) el.removeChild(el.firstChild)
  return el
}

/** Replace the children of el with the given nodes. */
export function setChildren (el, ...children) {
  clear(el)
  appendChildren(el, children)
  return el
}

/** The JSON that the server embedded in the page (a non-executable data element). */
export function pageData () {
  const el = document.getElementById('page-data')
  try {
    return JSON.parse(el ? el.textContent : '{}') || {}
  } catch {
    return {}
  }
}

export function isTypingTarget (target) {
  if (!(target instanceof Element)) return false
  return Boolean(target.closest('input, textarea, select, [contenteditable="true"]'))
}

/** Run fn at most once per animation frame with the latest arguments. */
export function rafThrottle (fn) {
  let scheduled = false
  let lastArgs = []
  return (...args) => {
    lastArgs = args
    if (scheduled) return
    scheduled = true
    requestAnimationFrame(() => {
      scheduled = false
      fn(...lastArgs)
    })
  }
}

/** Call fn at most every `ms` milliseconds, always delivering the last call. */
export function throttle (fn, ms) {
  let last = 0
  let timer = null
  let lastArgs = []
  return (...args) => {
    lastArgs = args
    const now = Date.now()
    const wait = last + ms - now
    if (wait <= 0) {
      last = now
      fn(...lastArgs)
    } else if (timer === null) {
      timer = setTimeout(() => {
        timer = null
        last = Date.now()
        fn(...lastArgs)
      }, wait)
    }
  }
}
