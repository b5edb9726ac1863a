// The server-rendered texts of each page, by selector, translated in place from the catalogue
// (web/src/lib/i18n.js) when the locale is not English; also sets <html lang>. The templates
// stay plain English HTML, so the pages read well without the bundle too.
import { $, $$, h } from './dom.js'
import { languageSwitch, locale, t } from './i18n.js'

// [selector, key, where]: where is 'text' (the default), 'first' (the first text node only,
// for elements with an icon or badge), 'label' (aria-label), 'title' or 'placeholder'.
const COMMON = [
  ['.skip-link', 'page.skip'],
  ['.brand', 'page.home', 'label'],
  ['#toasts', 'page.toasts', 'label']
]

export const PAGE_TEXTS = {
  landing: [
    ['.landing__intro h1', 'landing.h1'],
    ['.landing__intro .lead', 'landing.lead'],
    ['.feature-list li:nth-child(1)', 'landing.f1'],
    ['.feature-list li:nth-child(2)', 'landing.f2'],
    ['.feature-list li:nth-child(3)', 'landing.f3'],
    ['.feature-list li:nth-child(4)', 'landing.f4'],
    ['#recent-title', 'landing.recent'],
    ['#create-title', 'landing.create'],
    ['label:has(#name) .field__label', 'landing.name'],
    ['#name', 'landing.namePh', 'placeholder'],
    ['label:has(#title) .field__label', 'landing.title'],
    ['.templates legend', 'landing.template'],
    ['#agenda-preview', 'landing.preview', 'label'],
    ['label:has(#objective) .field__label', 'landing.objective', 'first'],
    ['label:has(#objective) .field__label .muted', 'landing.objectiveHint'],
    ['#create-submit', 'landing.submit']
  ],
  join: [
    ['.eyebrow', 'join.invited'],
    ['#join-continue > p:first-child', 'join.before'],
    ['#join-continue .divider span', 'join.other'],
    ['label:has(#join-name) .field__label', 'join.name'],
    ['#join-name', 'join.namePh', 'placeholder'],
    ['#join-submit', 'join.submit']
  ],
  summary: [
    ['.site-header__nav', 'summary.nav', 'label'],
    ['.site-header__nav .btn', 'summary.back'],
    ['.summary__head .eyebrow', 'summary.eyebrow'],
    ['#summary-export', 'summary.export', 'label'],
    ['#summary-status', 'summary.loading'],
    ['#s-decisions', 'summary.decisions'],
    ['#s-actions', 'summary.actions'],
    ['#s-results', 'summary.results'],
    ['#s-agenda', 'summary.agenda']
  ],
  board: [
    ['#toggle-agenda', 'board.agenda'],
    ['#toggle-side', 'board.panel'],
    ['#invite-btn', 'board.invite'],
    ['#edit-title', 'board.rename', 'label'],
    ['#edit-title', 'board.rename', 'title'],
    ['#presence', 'board.people', 'label'],
    ['#agenda-panel', 'board.agendaPanel', 'label'],
    ['#objective-title', 'board.objective'],
    ['#edit-objective', 'board.editObjective', 'label'],
    ['#edit-objective', 'board.editObjective', 'title'],
    ['#timer-title', 'board.timer'],
    ['#timer-time', 'board.timeLeft', 'label'],
    ['#agenda-title', 'board.agenda'],
    ['#agenda-edit', 'outline.note.edit'],
    ['#agenda-edit', 'agenda.editTitle', 'title'],
    ['#agenda-prev', 'board.prev', 'label'],
    ['#agenda-next', 'board.next', 'label'],
    ['#agenda-empty', 'board.noItems'],
    ['#canvas', 'board.canvas', 'label'],
    ['#empty-hint strong', 'board.emptyTitle'],
    ['#empty-hint span', 'board.emptyText'],
    ['#toolbar', 'board.tools', 'label'],
    ['#add-note', 'board.addNote', 'title'],
    ['#add-note span:not(.tool__icon)', 'board.note'],
    ['#swatches', 'board.swatches', 'label'],
    ['#add-group', 'board.addGroup', 'title'],
    ['#add-group span:not(.tool__icon)', 'board.group'],
    ['#zoom-out', 'board.zoomOut', 'label'],
    ['#zoom-out', 'board.zoomOutTitle', 'title'],
    ['#zoom-reset', 'board.zoomResetTitle', 'title'],
    ['#zoom-in', 'board.zoomIn', 'label'],
    ['#zoom-in', 'board.zoomInTitle', 'title'],
    ['#zoom-fit', 'board.fit'],
    ['#zoom-fit', 'board.fitTitle', 'title'],
    ['#follow-btn', 'board.follow'],
    ['#follow-btn', 'board.followTitle', 'title'],
    ['#help-btn', 'board.shortcuts', 'label'],
    ['#help-btn', 'board.shortcutsTitle', 'title'],
    ['#side-panel', 'board.sidePanel', 'label'],
    ['.tabs', 'board.panels', 'label'],
    ['#tab-btn-session', 'board.tabSession'],
    ['#tab-btn-actions', 'board.tabOutcomes'],
    ['#tab-btn-results', 'board.tabResults', 'first'],
    ['#tab-btn-people', 'board.tabPeople'],
    ['#presence-btn', 'board.peopleButton', 'label'],
    ['#presence-btn', 'board.peopleTitle', 'title'],
    ['#invite-title', 'board.inviteTitle'],
    ['#invite-dialog p:not([id])', 'board.inviteText'],
    ['#invite-link', 'board.inviteLink', 'label'],
    ['#copy-invite', 'board.copyInvite'],
    ['#invite-dialog .dialog__actions .btn', 'board.done'],
    ['#details-heading', 'board.details'],
    ['label:has(#details-title) .field__label', 'board.boardTitle'],
    ['label:has(#details-objective) .field__label', 'board.objective'],
    ['#details-cancel', 'board.cancel'],
    ['#details-save', 'board.save'],
    ['#help-title', 'board.helpTitle'],
    ['#help-dialog .dialog__actions .btn', 'board.close'],
    ['#fatal-title', 'board.fatal'],
    ['#fatal-join', 'board.joinAgain'],
    ['#fatal-dialog .dialog__actions a:not(#fatal-join)', 'board.home']
  ]
}

function apply (el, key, where) {
  const text = t(key)
  if (where === 'label') el.setAttribute('aria-label', text)
  else if (where === 'title') el.title = text
  else if (where === 'placeholder') el.placeholder = text
  else if (where === 'first') {
    const node = [...el.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim())
    if (node) node.textContent = text + (/\s$/.test(node.textContent) ? ' ' : '')
  } else el.textContent = text
}

/** Translate the page's fixed texts (and the help dialog's list) into the current locale. */
export function translatePage (page) {
  const code = locale()
  document.documentElement.lang = code
  if (code === 'en') return
  for (const [selector, key, where] of [...COMMON, ...(PAGE_TEXTS[page] || [])]) {
    for (const el of $$(selector)) apply(el, key, where)
  }
  if (page === 'board') {
    $$('#help-dialog .shortcuts dd').forEach((dd, i) => { dd.textContent = t(`board.help.${i}`) })
  }
}

/** The language switch, placed at the end of a page's header (landing, join, summary). */
export function addLanguageSwitch (parent = $('.site-header')) {
  if (!parent) return
  parent.append(h('div', { class: 'site-header__lang' }, languageSwitch()))
}
