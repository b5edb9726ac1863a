// A region that scrolls but holds nothing focusable cannot be scrolled from the keyboard (a
// participant's agenda on an 800 px high laptop: its items are not buttons for them). While that
// is so, the region itself is a focus stop, named by its own label (WCAG 2.1.1; axe:
// scrollable-region-focusable). Where it holds controls, or fits, it is no stop of its own.

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), ' +
  'textarea:not([disabled]), [tabindex]:not([tabindex="-1"]), [contenteditable="true"]'

function shown (el) {
  return el.getClientRects().length > 0
}

/** Keep `region` reachable by keyboard whenever it scrolls; follows its size and its content. */
export function keepScrollReachable (region) {
  const update = () => {
    const scrolls = region.scrollHeight > region.clientHeight + 1
    const controls = [...region.querySelectorAll(FOCUSABLE)].some(shown)
    if (scrolls && !controls) {
      if (region.getAttribute('tabindex') !== '0') region.setAttribute('tabindex', '0')
    } else if (region.getAttribute('tabindex') === '0') {
      region.removeAttribute('tabindex')
    }
  }
  let queued = false
  const soon = () => {
    if (queued) return
    queued = true
    requestAnimationFrame(() => { queued = false; update() })
  }
  new ResizeObserver(soon).observe(region)
  new MutationObserver(soon).observe(region, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['hidden', 'disabled', 'class']
  })
  update()
}
