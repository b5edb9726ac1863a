// Where new things go: a deterministic search for free space that looks at notes AND groups,
// nearest to the view centre first, so that a new note never lands inside a group (and silently
// joins it) and a new group never covers the previous one. Two people adding at the same moment
// see the same free cell; a small offset derived from the Yjs client id keeps their items from
// coinciding exactly (the same holds for an offline note merged back later).

const GAP = 24

function overlaps (a, b, margin) {
  return a.x < b.x + b.w + margin && b.x < a.x + a.w + margin && a.y < b.y + b.h + margin && b.y < a.y + a.h + margin
}

/** A small per-client offset (0..30 px each way), the same for every add by one client. */
export function clientOffset (clientId) {
  const n = Number(clientId) >>> 0
  return { dx: (n % 7) * 5, dy: (Math.floor(n / 7) % 7) * 5 }
}

/** Is the w×h box at (x, y) fully inside the world rectangle `view`? */
export function inside (x, y, w, h, view) {
  return x >= view.x && y >= view.y && x + w <= view.x + view.w && y + h <= view.y + view.h
}

/**
 * Top-left of a free w×h spot near the centre of `view` (a world rectangle), avoiding `taken`
 * boxes; rings of cells, nearest first; falls back to below everything.
 */
export function freeSpot ({ w, h, taken, view, clientId = 0, bottomReserve = 80, topReserve = 8 }) {
  const { dx, dy } = clientOffset(clientId)
  const cx = view.x + view.w / 2
  const cy = view.y + view.h / 2
  const x0 = cx - w / 2
  const y0 = cy - h / 2
  // half-size steps: more candidates near the centre than whole cells would give
  const stepX = (w + GAP) / 2
  const stepY = (h + GAP) / 2
  const inView = (x, y) => x >= view.x + 8 && y >= view.y + topReserve && x + w <= view.x + view.w - 8 && y + h <= view.y + view.h - bottomReserve
  const free = (x, y) => !taken.some((b) => overlaps({ x, y, w: w + 32, h: h + 32 }, b, 8))
  for (let pass = 0; pass < 2; pass++) {
    for (let r = 0; r < 14; r++) {
      const cells = []
      for (let j = -r; j <= r; j++) {
        for (let i = -r; i <= r; i++) {
          if (Math.max(Math.abs(i), Math.abs(j)) === r) cells.push([i, j])
        }
      }
      cells.sort((a, b) => Math.hypot(a[0] * 1.4, a[1]) - Math.hypot(b[0] * 1.4, b[1]) || a[1] - b[1] || a[0] - b[0])
      for (const [i, j] of cells) {
        const x = x0 + i * stepX
        const y = y0 + j * stepY
        // first pass: only spots in view; second: anywhere near
        if ((pass === 1 || inView(x, y)) && free(x, y)) return { x: Math.round(x + dx), y: Math.round(y + dy) }
      }
    }
  }
  const bottom = taken.reduce((m, b) => Math.max(m, b.y + b.h), y0)
  return { x: Math.round(x0 + dx), y: Math.round(bottom + GAP + dy) }
}
