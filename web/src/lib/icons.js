// A few stroke icons as SVG (no icon font, no emoji: they render the same everywhere).
import { s } from './dom.js'

const PATHS = {
  trash: ['M4 7h16', 'M9 7V4.5h6V7', 'M6.5 7l1 13h9l1-13', 'M10 11v5', 'M14 11v5'],
  lock: ['M6 11h12v9H6z', 'M8.5 11V8a3.5 3.5 0 0 1 7 0v3'],
  eye: ['M2.5 12S6 5.5 12 5.5 21.5 12 21.5 12 18 18.5 12 18.5 2.5 12 2.5 12z', 'M12 9.5a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5z'],
  eyeOff: ['M3 3l18 18', 'M10.6 6.1A9 9 0 0 1 12 6c6 0 9.5 6 9.5 6a16 16 0 0 1-2.9 3.5', 'M6.3 7.8C3.9 9.6 2.5 12 2.5 12S6 18 12 18a8.6 8.6 0 0 0 4-1'],
  vote: ['M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18z', 'M8 12.5l3 3 5-6'],
  hourglass: ['M7 3h10', 'M7 21h10', 'M8 3c0 4.5 8 5 8 9s-8 4.5-8 9', 'M16 3c0 4.5-8 5-8 9s8 4.5 8 9'],
  sparkle: ['M12 3l1.8 5.2L19 10l-5.2 1.8L12 17l-1.8-5.2L5 10l5.2-1.8z', 'M19 16l.8 2.2L22 19l-2.2.8L19 22l-.8-2.2L16 19l2.2-.8z'],
  hand: ['M8 12V5.5a1.5 1.5 0 0 1 3 0V11', 'M11 10V4.5a1.5 1.5 0 0 1 3 0V11', 'M14 10.5V6a1.5 1.5 0 0 1 3 0v7.5a7 7 0 0 1-7 7h-.5a6 6 0 0 1-4.8-2.4L4 15.2a1.6 1.6 0 0 1 2.5-2L8 15'],
  check: ['M5 12.5l4.5 4.5L19 7.5'],
  pencil: ['M4 20h4L19.5 8.5l-4-4L4 16z', 'M13.5 6.5l4 4'],
  close: ['M6 6l12 12', 'M18 6L6 18'],
  up: ['M6 14.5l6-6 6 6'],
  down: ['M6 9.5l6 6 6-6'],
  plus: ['M12 5v14', 'M5 12h14'],
  panelLeft: ['M4 5h16v14H4z', 'M9.5 5v14'],
  panelRight: ['M4 5h16v14H4z', 'M14.5 5v14'],
  warn: ['M12 4l9 16H3z', 'M12 10v4', 'M12 17h.01'],
  grid: ['M4 4h7v7H4z', 'M13 4h7v7h-7z', 'M4 13h7v7H4z', 'M13 13h7v7h-7z'],
  undo: ['M9 14L4 9l5-5', 'M4 9h10.5a5.5 5.5 0 0 1 0 11H11'],
  redo: ['M15 14l5-5-5-5', 'M20 9H9.5a5.5 5.5 0 0 0 0 11H13']
}

export function icon (name, cls = '') {
  return s('svg', {
    class: `icon${cls ? ' ' + cls : ''}`,
    viewBox: '0 0 24 24',
    fill: 'none',
    stroke: 'currentColor',
    'stroke-width': '2',
    'stroke-linecap': 'round',
    'stroke-linejoin': 'round',
    'aria-hidden': 'true',
    focusable: 'false'
  }, ...(PATHS[name] || []).map((d) => s('path', { d })))
}
