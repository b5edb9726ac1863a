// Used by tests/browser/helpers.py: overflowing(page).
// Elements that stick out of the panel, chip, toast or select that holds them.
() => {
  const out = []
  const boxes = ['#side-panel', '#agenda-panel', '#toasts', '.topbar', '#banner-stack']
  for (const sel of boxes) {
    const box = document.querySelector(sel)
    if (!box || box.offsetParent === null && sel !== '.topbar') continue
    const r = box.getBoundingClientRect()
    if (r.width === 0) continue
    if (box.scrollWidth > box.clientWidth + 1) out.push(`${sel} scrolls sideways (${box.scrollWidth} > ${box.clientWidth})`)
    for (const el of box.querySelectorAll('*')) {
      if (el.closest('.sr-only') || el.closest('[hidden]')) continue
      const e = el.getBoundingClientRect()
      if (e.width === 0 || e.height === 0) continue
      if (e.left < r.left - 1 || e.right > r.right + 1) {
        out.push(`${sel} > ${el.tagName.toLowerCase()}.${el.className}#${el.id} [${Math.round(e.left)}, ${Math.round(e.right)}] outside [${Math.round(r.left)}, ${Math.round(r.right)}]`)
      }
    }
  }
  for (const el of document.querySelectorAll('.chip, .toast, select, .roster li')) {
    if (el.closest('[hidden]') || el.offsetParent === null) continue
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow === 'visible') {
      out.push(`${el.tagName.toLowerCase()}.${el.className} overflows its own box`)
    }
  }
  return out
}
