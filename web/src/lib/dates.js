// One date format everywhere (board, summary): the browser's locale, numeric, the way its date
// inputs show a date, so that 2027-01-15 reads the same on the board and on the summary.

const DAY = { year: 'numeric', month: '2-digit', day: '2-digit' }

/** "2027-01-15" (a calendar day, no time zone) in the user's locale, e.g. 01/15/2027. */
export function formatDay (iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ''))
  if (!m) return iso ? String(iso) : ''
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  return d.toLocaleDateString(undefined, DAY)
}

/** An ISO timestamp as a day and a time in the user's locale. */
export function formatDateTime (iso) {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return String(iso)
  return `${d.toLocaleDateString(undefined, DAY)} ${d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}`
}
