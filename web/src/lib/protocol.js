// What the server says on the wire beyond y-websocket itself, in one place: the close codes
// (design "WebSocket") and the reserved awareness client of the server's notices.

export const CLOSE_BAD_TOKEN = 4401 // bad or expired token
export const CLOSE_FORBIDDEN = 4403 // a token for another board, or a forbidden Origin
export const CLOSE_NOT_FOUND = 4404 // no such board

// After these, reconnecting cannot help: the client stops and explains.
export const TERMINAL_CLOSE_CODES = new Set([CLOSE_BAD_TOKEN, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND])

// The awareness client id of the server (server/realtime/notices.py): never a real Yjs client.
export const SERVER_CLIENT_ID = 0
