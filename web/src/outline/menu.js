// A menu button (WAI-ARIA menu pattern): the button opens a list of choices; arrow keys, Home and
// End move between them, Enter or Space picks one, Escape or Tab closes it and the focus returns
// to the button. Touch and mouse work the same way: tap the button, tap a choice.
import { h } from '../lib/dom.js'

let openMenu = null

document.addEventListener('pointerdown', (e) => {
  if (openMenu && !openMenu.wrap.contains(e.target)) openMenu.close(false)
}, true)

export class MenuButton {
  /**
   * label: the button's text; ariaLabel: its accessible name; choices(): [{value, label, current}];
   * onPick(value): what a choice does; fk: the focus key of the button (focus survives re-renders).
   */
  constructor ({ label, ariaLabel, choices, onPick, fk, cls = 'btn btn--sm' }) {
    this.choices = choices
    this.onPick = onPick
    this.button = h('button', {
      class: cls, type: 'button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-label': ariaLabel, dataset: { fk },
      on: { click: () => (this.list ? this.close(true) : this.open()), keydown: (e) => this.onButtonKey(e) }
    }, label)
    this.list = null
    this.wrap = h('span', { class: 'ol-menu' }, this.button)
  }

  setLabel (ariaLabel) { this.button.setAttribute('aria-label', ariaLabel) }

  onButtonKey (e) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      this.open(e.key === 'ArrowUp' ? 'last' : 'current')
    }
  }

  open (where = 'current') {
    if (openMenu && openMenu !== this) openMenu.close(false)
    const items = this.choices().map((c) => h('li', { role: 'none' }, h('button', {
      type: 'button',
      role: 'menuitemradio',
      'aria-checked': String(Boolean(c.current)),
      class: `ol-menu__item${c.cls ? ' ' + c.cls : ''}`,
      dataset: { value: c.value ?? '' },
      tabindex: '-1',
      on: { click: (e) => { e.stopPropagation(); this.pick(c.value) } }
    }, c.label)))
    this.list = h('ul', { class: 'ol-menu__list', role: 'menu', 'aria-label': this.button.getAttribute('aria-label') }, ...items)
    this.list.addEventListener('keydown', (e) => this.onListKey(e))
    this.wrap.append(this.list)
    this.button.setAttribute('aria-expanded', 'true')
    openMenu = this
    const buttons = this.items()
    const target = where === 'last' ? buttons[buttons.length - 1] : (buttons.find((b) => b.getAttribute('aria-checked') === 'true') || buttons[0])
    target?.focus()
  }

  items () { return this.list ? [...this.list.querySelectorAll('[role="menuitemradio"]')] : [] }

  onListKey (e) {
    const buttons = this.items()
    const i = buttons.indexOf(document.activeElement)
    let next = null
    if (e.key === 'ArrowDown') next = buttons[(i + 1) % buttons.length]
    else if (e.key === 'ArrowUp') next = buttons[(i - 1 + buttons.length) % buttons.length]
    else if (e.key === 'Home') next = buttons[0]
    else if (e.key === 'End') next = buttons[buttons.length - 1]
    else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); this.close(true); return } else if (e.key === 'Tab') { this.close(false); return }
    if (next) { e.preventDefault(); e.stopPropagation(); next.focus() }
  }

  pick (value) {
    this.close(true)
    this.onPick(value)
  }

  close (refocus) {
    if (!this.list) return
    this.list.remove()
    this.list = null
    this.button.setAttribute('aria-expanded', 'false')
    if (openMenu === this) openMenu = null
    if (refocus) this.button.focus()
  }
}
