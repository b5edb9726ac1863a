// Per-board credentials in localStorage: the token the server minted at create or join.

const PREFIX = 'planboard.auth.'
const RECENT = 'planboard.recent'

function decodePayload (token) {
  try {
    const part = token.split('.')[1]
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'))
    return JSON.parse(json)
  } catch {
    return null
  }
}

/** {token, participant_id, role, name} for this board, or null (missing or expired). */
export function loadAuth (boardId) {
  let value = null
  try {
    value = JSON.parse(localStorage.getItem(PREFIX + boardId) || 'null')
  } catch {
    value = null
  }
  if (!value || typeof value.token !== 'string') return null
  const claims = decodePayload(value.token)
  if (!claims || claims.board !== boardId) return null
  if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return null
  return {
    token: value.token,
    participant_id: value.participant_id || claims.sub,
    role: value.role || claims.role,
    name: value.name || claims.name || ''
  }
}

export function saveAuth (boardId, auth, title) {
  try {
    localStorage.setItem(PREFIX + boardId, JSON.stringify(auth))
    rememberBoard(boardId, { title, name: auth.name, role: auth.role })
  } catch {
    // Private mode or a full quota: the session still works for this page view.
  }
}

export function clearAuth (boardId) {
  try {
    localStorage.removeItem(PREFIX + boardId)
  } catch {}
}

export function rememberBoard (boardId, { title, name, role }) {
  try {
    const list = recentBoards().filter((b) => b.id !== boardId)
    const previous = recentBoards().find((b) => b.id === boardId) || {}
    list.unshift({
      id: boardId,
      title: title || previous.title || '',
      name: name || previous.name || '',
      role: role || previous.role || '',
      at: Date.now()
    })
    localStorage.setItem(RECENT, JSON.stringify(list.slice(0, 8)))
  } catch {}
}

export function recentBoards () {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT) || '[]')
    return Array.isArray(list) ? list.filter((b) => b && typeof b.id === 'string') : []
  } catch {
    return []
  }
}
