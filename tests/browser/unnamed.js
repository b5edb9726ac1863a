// Used by tests/browser/helpers.py: unnamed(page). Visible controls without an accessible name.
() => {
  const out = []
  for (const el of document.querySelectorAll('button, input, select, textarea, [role="button"], [role="tab"], a[href]')) {
    if (el.closest('[hidden]') || el.offsetParent === null || el.type === 'hidden') continue
    const label = (el.getAttribute('aria-label') || '').trim() ||
      (el.getAttribute('aria-labelledby') || '').split(/\s+/).map((id) => document.getElementById(id)?.textContent || '').join('').trim() ||
      (el.labels && [...el.labels].map((l) => l.textContent).join('').trim()) ||
      (['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) ? (el.getAttribute('placeholder') || '').trim() : el.textContent.trim()) ||
      (el.getAttribute('title') || '').trim()
    if (!label) out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}`)
  }
  return out
}
