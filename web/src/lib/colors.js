// Note colours (names are what the document stores) and participant colours.
import { t } from './i18n.js'

export const NOTE_COLORS = [
  { id: 'yellow', label: t('colour.yellow') },
  { id: 'pink', label: t('colour.pink') },
  { id: 'blue', label: t('colour.blue') },
  { id: 'green', label: t('colour.green') },
  { id: 'orange', label: t('colour.orange') },
  { id: 'purple', label: t('colour.purple') }
]
const KNOWN = new Set(NOTE_COLORS.map((c) => c.id))

export function noteColor (value) {
  return KNOWN.has(value) ? value : 'yellow'
}

export const PEOPLE_COLORS = ['#e5484d', '#5b5bd6', '#12a594', '#f76b15', '#8e4ec6', '#0090ff', '#d6409f', '#2f9e44', '#a16207', '#0d74ce']

export function personColor (id) {
  let hash = 0
  for (const ch of String(id || '')) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0
  return PEOPLE_COLORS[hash % PEOPLE_COLORS.length]
}

export function initials (name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean)
  if (parts.length === 0) return '?'
  const first = Array.from(parts[0])[0] || '?'
  const second = parts.length > 1 ? Array.from(parts[parts.length - 1])[0] || '' : ''
  return (first + second).toUpperCase()
}
