// JSON API client: bearer tokens, the error shape, and the server clock (X-Server-Time).
import { t } from './i18n.js'

export class ApiError extends Error {
  constructor (status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

// skew = server clock - local clock, from the response with the shortest round trip.
let skew = 0
let bestRtt = Infinity
let skewAge = 0

function noteServerTime (serverMs, sentAt, receivedAt) {
  if (!Number.isFinite(serverMs) || serverMs <= 0) return
  const rtt = receivedAt - sentAt
  // Prefer precise samples, but let old ones age out (clocks drift, laptops sleep).
  const aged = Date.now() - skewAge > 5 * 60_000
  if (rtt <= bestRtt || aged) {
    bestRtt = rtt
    skewAge = Date.now()
    skew = serverMs - (sentAt + receivedAt) / 2
  }
}

/** Milliseconds since the epoch on the server's clock (as well as we know it). */
export function serverNow () {
  return Date.now() + skew
}

export function clockSkew () {
  return skew
}

export async function api (path, { method = 'GET', body, token, raw = false } = {}) {
  const headers = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = `Bearer ${token}`
  const sentAt = Date.now()
  let response
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin'
    })
  } catch {
    throw new ApiError(0, 'network', t('api.network'))
  }
  noteServerTime(Number(response.headers.get('x-server-time')), sentAt, Date.now())
  if (raw && response.ok) return response
  let data = null
  try {
    data = await response.json()
  } catch {
    data = null
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : {}
    throw new ApiError(
      response.status,
      error.code || `http_${response.status}`,
      error.message || t('api.failed', { status: response.status })
    )
  }
  return data
}

/** Fetch a file with the token and hand it to the browser as a download. */
export async function download (path, token, fallbackName) {
  const response = await api(path, { token, raw: true })
  const blob = await response.blob()
  const disposition = response.headers.get('content-disposition') || ''
  const match = /filename="?([^";]+)"?/i.exec(disposition)
  const name = match ? match[1] : fallbackName
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.rel = 'noopener'
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 30_000)
  return name
}

/**
 * Download an export through a short-lived signed link (POST …/export/link): a plain navigation,
 * so it works like any download and the link also opens in a new tab for a minute or two.
 */
export async function downloadExport (boardId, token, fmt, { table } = {}) {
  const body = { format: fmt }
  if (table) body.table = table
  const { url } = await api(`/api/boards/${encodeURIComponent(boardId)}/export/link`, { method: 'POST', body, token })
  const a = document.createElement('a')
  a.href = url
  a.download = ''
  a.rel = 'noopener'
  document.body.append(a)
  a.click()
  a.remove()
  return url
}
