// A horizontal bar chart drawn as SVG; labels are SVG text nodes (textContent), never markup.
import { s } from './dom.js'
import { t } from './i18n.js'

function truncate (text, max) {
  const chars = Array.from(String(text || '').replace(/\s+/g, ' ').trim())
  if (chars.length === 0) return t('outline.note.emptyText')
  return chars.length > max ? chars.slice(0, max - 1).join('') + '…' : chars.join('')
}

/** rows: [{label, value}] in display order. Returns an <svg> element. */
export function barChart (rows, { title = t('chart.title'), width = 300 } = {}) {
  const rowH = 30
  const labelW = Math.round(width * 0.46)
  const labelChars = Math.max(8, Math.floor((labelW - 10) / 6.8))
  const valueW = 30
  const barW = width - labelW - valueW - 8
  const height = Math.max(rowH, rows.length * rowH)
  const max = Math.max(1, ...rows.map((r) => r.value))
  const svg = s('svg', {
    class: 'chart',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': `${title}: ` + rows.map((r) => `${truncate(r.label, 40)}, ${r.value}`).join('; ')
  })
  svg.append(s('title', { text: title }))
  rows.forEach((row, i) => {
    const y = i * rowH
    const w = Math.max(row.value > 0 ? 3 : 0, (row.value / max) * barW)
    svg.append(
      s('text', { class: 'chart__label', x: 0, y: y + rowH / 2 + 4 }, truncate(row.label, labelChars)),
      s('rect', { class: 'chart__track', x: labelW, y: y + 7, width: barW, height: rowH - 14, rx: 4 }),
      s('rect', {
        class: row.value === max && row.value > 0 ? 'chart__bar chart__bar--top' : 'chart__bar',
        x: labelW,
        y: y + 7,
        width: w.toFixed(1),
        height: rowH - 14,
        rx: 4,
        'data-value': row.value
      }),
      s('text', { class: 'chart__value', x: labelW + barW + 6, y: y + rowH / 2 + 4 }, String(row.value))
    )
  })
  return svg
}
