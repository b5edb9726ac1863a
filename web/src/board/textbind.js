// Two-way binding of a <textarea>/<input> to a Y.Text: local typing becomes minimal
// insert/delete operations, remote operations update the field and keep the caret in place.
import { LOCAL } from './context.js'

function shift (pos, index, inserted, deleted) {
  if (inserted) return index < pos ? pos + inserted : pos
  if (deleted) {
    if (pos <= index) return pos
    return Math.max(index, pos - deleted)
  }
  return pos
}

export function applyDiff (ytext, next, origin = LOCAL) {
  const prev = ytext.toString()
  if (prev === next) return false
  let start = 0
  const max = Math.min(prev.length, next.length)
  while (start < max && prev.charCodeAt(start) === next.charCodeAt(start)) start++
  let endPrev = prev.length
  let endNext = next.length
  while (endPrev > start && endNext > start && prev.charCodeAt(endPrev - 1) === next.charCodeAt(endNext - 1)) {
    endPrev--
    endNext--
  }
  ytext.doc.transact(() => {
    if (endPrev > start) ytext.delete(start, endPrev - start)
    if (endNext > start) ytext.insert(start, next.slice(start, endNext))
  }, origin)
  return true
}

/**
 * Bind `field` to `ytext`. `onLocal(prevText)` runs after each local change with the text
 * before it (the change guard remembers it). Returns an unbind function.
 */
export function bindText (ytext, field, { onLocal, onRemote } = {}) {
  field.value = ytext.toString()
  const onInput = () => {
    const prev = ytext.toString()
    if (prev === field.value) return
    applyDiff(ytext, field.value)
    if (onLocal) onLocal(prev)
  }
  const observer = (event) => {
    if (event.transaction.origin === LOCAL && field.value === ytext.toString()) return
    let start = field.selectionStart ?? 0
    let end = field.selectionEnd ?? 0
    let index = 0
    for (const op of event.delta) {
      if (op.retain) {
        index += op.retain
      } else if (op.insert !== undefined) {
        const len = typeof op.insert === 'string' ? op.insert.length : 1
        start = shift(start, index, len, 0)
        end = shift(end, index, len, 0)
        index += len
      } else if (op.delete) {
        start = shift(start, index, 0, op.delete)
        end = shift(end, index, 0, op.delete)
      }
    }
    const focused = document.activeElement === field
    field.value = ytext.toString()
    if (focused) field.setSelectionRange(start, end)
    if (onRemote) onRemote()
  }
  ytext.observe(observer)
  field.addEventListener('input', onInput)
  return () => {
    ytext.unobserve(observer)
    field.removeEventListener('input', onInput)
  }
}
