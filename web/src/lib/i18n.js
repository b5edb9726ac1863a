// The page's texts in one catalogue: English and German, chosen from the browser's language
// (or the person's choice, kept in localStorage), with dates and numbers formatted by Intl.
// t('key', {name: 'Ana'}) fills {name}; an entry given as {one, other} is picked by {count}.
import { h } from './dom.js'

export const LOCALES = { en: 'English', de: 'Deutsch' }
const STORE_KEY = 'planboard.lang'

const en = {
  // the outline view
  'outline.title': 'Outline',
  'outline.toggle.toOutline': 'Outline',
  'outline.toggle.toCanvas': 'Canvas',
  'outline.toggle.hint': 'Switch between the canvas and the outline (O)',
  'outline.intro': 'Everything on the board as lists. Changes by others are announced.',
  'outline.agenda': 'Agenda',
  'outline.agenda.none': 'No agenda items.',
  'outline.agenda.now': 'Now: {title}',
  'outline.agenda.noCurrent': 'No agenda item is current.',
  'outline.agenda.item': '{n}. {title}',
  'outline.agenda.minutes': { one: '{count} min', other: '{count} min' },
  'outline.agenda.current': 'current',
  'outline.agenda.goto': 'Go to',
  'outline.agenda.gotoLabel': 'Go to item {n}: {title}',
  'outline.agenda.prev': 'Previous item',
  'outline.agenda.next': 'Next item',
  'outline.timer.none': 'No timer running.',
  'outline.timer.left': '{time} left',
  'outline.timer.over': '{time} over time',
  'outline.timer.paused': 'Paused at {time}',
  'outline.you': 'You',
  'outline.you.ready': "I'm done",
  'outline.you.hand': 'Raise hand',
  'outline.you.handDown': 'Lower hand',
  'outline.status.locked': 'The board is locked: only facilitators can edit.',
  'outline.status.viewer': 'You are a viewer: you can follow along, but not edit.',
  'outline.status.drafting': 'Silent brainstorming: your new notes stay private until the facilitator reveals them.',
  'outline.status.voting': 'Voting round {round} is open.',
  'outline.status.votingSecret': 'Voting round {round} is open and secret until revealed.',
  'outline.status.dotsLeft': { one: '{count} of {budget} dots left.', other: '{count} of {budget} dots left.' },
  'outline.status.votingClosed': 'Voting round {round} is closed; results come when the facilitator reveals them.',
  'outline.status.revealed': 'Results of voting round {round} are revealed.',
  'outline.fac': 'Facilitator controls',
  'outline.fac.lock': 'Lock board',
  'outline.fac.unlock': 'Unlock board',
  'outline.fac.timer': 'Timer',
  'outline.fac.minutes': 'Minutes',
  'outline.fac.start': 'Start timer',
  'outline.fac.pause': 'Pause timer',
  'outline.fac.resume': 'Resume timer',
  'outline.fac.reset': 'Reset timer',
  'outline.fac.voting': 'Dot voting',
  'outline.fac.budget': 'Dots per person',
  'outline.fac.cap': 'Max per note',
  'outline.fac.secret': 'Secret until revealed',
  'outline.fac.startVote': 'Start voting',
  'outline.fac.closeVote': 'Close voting',
  'outline.fac.revealVote': 'Reveal results',
  'outline.fac.drafts': 'Silent brainstorming',
  'outline.fac.draftsCount': { one: '{count} private note so far.', other: '{count} private notes so far.' },
  'outline.fac.startDrafts': 'Start silent brainstorming',
  'outline.fac.revealDrafts': 'Reveal all drafts',
  'outline.notes': 'Notes',
  'outline.notes.count': { one: '{count} note', other: '{count} notes' },
  'outline.notes.new': 'New note',
  'outline.notes.colour': 'Colour',
  'outline.notes.group': 'Group',
  'outline.notes.add': 'Add note',
  'outline.notes.empty': 'Write something first.',
  'outline.notes.cannot': 'You cannot add notes now.',
  'outline.notes.drafts': 'Your private drafts',
  'outline.notes.ungrouped': 'Not in a group',
  'outline.notes.none': 'No notes here yet.',
  'outline.note.by': 'by {name}',
  'outline.note.byYou': 'by you',
  'outline.note.emptyText': '(empty note)',
  'outline.note.label': 'Note: {text}',
  'outline.note.edit': 'Edit',
  'outline.note.editLabel': 'Edit note: {text}',
  'outline.note.done': 'Done',
  'outline.note.text': 'Note text',
  'outline.note.colour': 'Colour…',
  'outline.note.colourLabel': 'Colour…: {text}',
  'outline.note.move': 'Move to…',
  'outline.note.moveLabel': 'Move to…: {text}',
  'outline.note.delete': 'Delete',
  'outline.note.deleteLabel': 'Delete note: {text}',
  'outline.note.vote': 'Vote',
  'outline.note.voteLabel': 'Vote for: {text}',
  'outline.note.unvote': 'Remove dot',
  'outline.note.unvoteLabel': 'Remove dot from: {text}',
  'outline.note.myDots': { one: 'your dots: {count}', other: 'your dots: {count}' },
  'outline.note.votes': { one: '{count} vote', other: '{count} votes' },
  'outline.note.rank': 'rank {rank}',
  'outline.note.private': 'private',
  'outline.groups.new': 'New group',
  'outline.groups.name': 'Group name',
  'outline.groups.add': 'Add group',
  'outline.groups.rename': 'Rename',
  'outline.groups.renameLabel': 'Rename group {title}',
  'outline.groups.save': 'Save',
  'outline.groups.cancel': 'Cancel',
  'outline.groups.delete': 'Delete group',
  'outline.groups.deleteLabel': 'Delete group {title} (keeps its notes)',
  'outline.groups.untitled': 'Untitled group',
  'outline.groups.none': 'No group',
  'outline.outcomes': 'Decisions and actions',
  'outline.decisions': 'Decisions',
  'outline.decisions.none': 'No decisions recorded yet.',
  'outline.decisions.new': 'Decision',
  'outline.decisions.add': 'Record decision',
  'outline.actions': 'Action items',
  'outline.actions.none': 'No action items yet.',
  'outline.actions.new': 'New action item',
  'outline.actions.owner': 'Owner',
  'outline.actions.noOwner': 'No owner',
  'outline.actions.due': 'Due date',
  'outline.actions.add': 'Add action item',
  'outline.actions.done': 'Done: {text}',
  'outline.actions.meta': 'owner: {owner}; due: {due}',
  'outline.results': 'Results',
  'outline.results.round': 'Round {round}',
  'outline.menu.close': 'Close menu',
  'outline.menu.current': '{label} (current)',
  // announcements (polite, rate-limited)
  'announce.noteAdded': '{name} added a note',
  'announce.noteAddedIn': '{name} added a note in {group}',
  'announce.noteDeleted': 'A note was deleted',
  'announce.noteMoved': 'A note moved to {group}',
  'announce.noteUngrouped': 'A note left its group',
  'announce.groupAdded': 'Group {title} was added',
  'announce.agenda': 'Agenda: now {title}',
  'announce.votingOpen': 'Voting round {round} started',
  'announce.votingClosed': 'Voting round {round} closed',
  'announce.revealed': 'Results of round {round} are revealed',
  'announce.locked': 'The board is locked',
  'announce.unlocked': 'The board is unlocked',
  'announce.hand': '{name} raised a hand',
  'announce.drafts': 'Silent brainstorming started',
  'announce.draftsRevealed': 'All drafts are revealed',
  'announce.decision': 'Decision recorded: {text}',
  'announce.more': { one: 'and {count} more change', other: 'and {count} more changes' },
  'announce.mine.added': 'Note added',
  'announce.mine.moved': 'Note moved to {group}',
  'announce.mine.ungrouped': 'Note is no longer in a group',
  'announce.mine.deleted': 'Note deleted',
  'announce.mine.colour': 'Colour: {colour}',
  'announce.mine.group': 'Group {title} added',
  'announce.mine.action': 'Action item added',
  'announce.mine.decision': 'Decision recorded',
  'announce.mine.voted': { one: '{count} dot left', other: '{count} dots left' },
  // drawers and the canvas on phones
  'drawer.close': 'Close',
  'drawer.closeAgenda': 'Close the agenda',
  'drawer.closeSide': 'Close the session panel',
  'canvas.notesNav': 'Arrow keys: next note in reading order; Alt + arrows move the note.',
  'canvas.zoomReset': 'Zoom {zoom}: reset to 100%',
  // colours
  'colour.yellow': 'Yellow',
  'colour.pink': 'Pink',
  'colour.blue': 'Blue',
  'colour.green': 'Green',
  'colour.orange': 'Orange',
  'colour.purple': 'Purple',
  // roles
  'role.facilitator': 'Facilitator',
  'role.participant': 'Participant',
  'role.viewer': 'Viewer',
  // the language switch
  'lang.label': 'Language',
  'common.someone': 'Someone'
}

const de = {
  'outline.title': 'Gliederung',
  'outline.toggle.toOutline': 'Gliederung',
  'outline.toggle.toCanvas': 'Whiteboard',
  'outline.toggle.hint': 'Zwischen Whiteboard und Gliederung wechseln (O)',
  'outline.intro': 'Alles auf dem Board als Listen. Änderungen anderer werden angesagt.',
  'outline.agenda': 'Agenda',
  'outline.agenda.none': 'Keine Agendapunkte.',
  'outline.agenda.now': 'Jetzt: {title}',
  'outline.agenda.noCurrent': 'Kein Agendapunkt ist aktiv.',
  'outline.agenda.item': '{n}. {title}',
  'outline.agenda.minutes': { one: '{count} Min.', other: '{count} Min.' },
  'outline.agenda.current': 'aktuell',
  'outline.agenda.goto': 'Dorthin',
  'outline.agenda.gotoLabel': 'Dorthin: Punkt {n}, {title}',
  'outline.agenda.prev': 'Vorheriger Punkt',
  'outline.agenda.next': 'Nächster Punkt',
  'outline.timer.none': 'Kein Timer läuft.',
  'outline.timer.left': 'noch {time}',
  'outline.timer.over': '{time} über der Zeit',
  'outline.timer.paused': 'Angehalten bei {time}',
  'outline.you': 'Du',
  'outline.you.ready': 'Ich bin fertig',
  'outline.you.hand': 'Hand heben',
  'outline.you.handDown': 'Hand senken',
  'outline.status.locked': 'Das Board ist gesperrt: nur Moderierende können bearbeiten.',
  'outline.status.viewer': 'Du schaust zu: du kannst folgen, aber nichts ändern.',
  'outline.status.drafting': 'Stilles Brainstorming: deine neuen Notizen bleiben privat, bis die Moderation sie aufdeckt.',
  'outline.status.voting': 'Abstimmungsrunde {round} läuft.',
  'outline.status.votingSecret': 'Abstimmungsrunde {round} läuft und bleibt bis zur Auflösung geheim.',
  'outline.status.dotsLeft': { one: 'Noch {count} von {budget} Punkten.', other: 'Noch {count} von {budget} Punkten.' },
  'outline.status.votingClosed': 'Abstimmungsrunde {round} ist geschlossen; die Ergebnisse kommen, wenn die Moderation sie aufdeckt.',
  'outline.status.revealed': 'Die Ergebnisse von Runde {round} sind aufgedeckt.',
  'outline.fac': 'Moderation',
  'outline.fac.lock': 'Board sperren',
  'outline.fac.unlock': 'Board entsperren',
  'outline.fac.timer': 'Timer',
  'outline.fac.minutes': 'Minuten',
  'outline.fac.start': 'Timer starten',
  'outline.fac.pause': 'Timer anhalten',
  'outline.fac.resume': 'Timer fortsetzen',
  'outline.fac.reset': 'Timer zurücksetzen',
  'outline.fac.voting': 'Punktabstimmung',
  'outline.fac.budget': 'Punkte pro Person',
  'outline.fac.cap': 'Höchstens pro Notiz',
  'outline.fac.secret': 'Geheim bis zur Auflösung',
  'outline.fac.startVote': 'Abstimmung starten',
  'outline.fac.closeVote': 'Abstimmung schließen',
  'outline.fac.revealVote': 'Ergebnisse aufdecken',
  'outline.fac.drafts': 'Stilles Brainstorming',
  'outline.fac.draftsCount': { one: 'Bisher {count} private Notiz.', other: 'Bisher {count} private Notizen.' },
  'outline.fac.startDrafts': 'Stilles Brainstorming starten',
  'outline.fac.revealDrafts': 'Alle Entwürfe aufdecken',
  'outline.notes': 'Notizen',
  'outline.notes.count': { one: '{count} Notiz', other: '{count} Notizen' },
  'outline.notes.new': 'Neue Notiz',
  'outline.notes.colour': 'Farbe',
  'outline.notes.group': 'Gruppe',
  'outline.notes.add': 'Notiz hinzufügen',
  'outline.notes.empty': 'Schreib zuerst etwas.',
  'outline.notes.cannot': 'Du kannst gerade keine Notizen hinzufügen.',
  'outline.notes.drafts': 'Deine privaten Entwürfe',
  'outline.notes.ungrouped': 'In keiner Gruppe',
  'outline.notes.none': 'Hier gibt es noch keine Notizen.',
  'outline.note.by': 'von {name}',
  'outline.note.byYou': 'von dir',
  'outline.note.emptyText': '(leere Notiz)',
  'outline.note.label': 'Notiz: {text}',
  'outline.note.edit': 'Bearbeiten',
  'outline.note.editLabel': 'Bearbeiten: {text}',
  'outline.note.done': 'Fertig',
  'outline.note.text': 'Text der Notiz',
  'outline.note.colour': 'Farbe…',
  'outline.note.colourLabel': 'Farbe…: {text}',
  'outline.note.move': 'Verschieben…',
  'outline.note.moveLabel': 'Verschieben…: {text}',
  'outline.note.delete': 'Löschen',
  'outline.note.deleteLabel': 'Löschen: {text}',
  'outline.note.vote': 'Punkt geben',
  'outline.note.voteLabel': 'Punkt geben: {text}',
  'outline.note.unvote': 'Punkt zurück',
  'outline.note.unvoteLabel': 'Punkt zurück: {text}',
  'outline.note.myDots': { one: 'deine Punkte: {count}', other: 'deine Punkte: {count}' },
  'outline.note.votes': { one: '{count} Stimme', other: '{count} Stimmen' },
  'outline.note.rank': 'Platz {rank}',
  'outline.note.private': 'privat',
  'outline.groups.new': 'Neue Gruppe',
  'outline.groups.name': 'Name der Gruppe',
  'outline.groups.add': 'Gruppe hinzufügen',
  'outline.groups.rename': 'Umbenennen',
  'outline.groups.renameLabel': 'Umbenennen: Gruppe {title}',
  'outline.groups.save': 'Speichern',
  'outline.groups.cancel': 'Abbrechen',
  'outline.groups.delete': 'Gruppe löschen',
  'outline.groups.deleteLabel': 'Gruppe löschen: {title} (die Notizen bleiben)',
  'outline.groups.untitled': 'Gruppe ohne Namen',
  'outline.groups.none': 'Keine Gruppe',
  'outline.outcomes': 'Entscheidungen und Aufgaben',
  'outline.decisions': 'Entscheidungen',
  'outline.decisions.none': 'Noch keine Entscheidungen.',
  'outline.decisions.new': 'Entscheidung',
  'outline.decisions.add': 'Entscheidung festhalten',
  'outline.actions': 'Aufgaben',
  'outline.actions.none': 'Noch keine Aufgaben.',
  'outline.actions.new': 'Neue Aufgabe',
  'outline.actions.owner': 'Verantwortlich',
  'outline.actions.noOwner': 'Niemand',
  'outline.actions.due': 'Fällig am',
  'outline.actions.add': 'Aufgabe hinzufügen',
  'outline.actions.done': 'Erledigt: {text}',
  'outline.actions.meta': 'verantwortlich: {owner}; fällig: {due}',
  'outline.results': 'Ergebnisse',
  'outline.results.round': 'Runde {round}',
  'outline.menu.close': 'Menü schließen',
  'outline.menu.current': '{label} (aktuell)',
  'announce.noteAdded': '{name} hat eine Notiz hinzugefügt',
  'announce.noteAddedIn': '{name} hat eine Notiz in {group} hinzugefügt',
  'announce.noteDeleted': 'Eine Notiz wurde gelöscht',
  'announce.noteMoved': 'Eine Notiz ist jetzt in {group}',
  'announce.noteUngrouped': 'Eine Notiz hat ihre Gruppe verlassen',
  'announce.groupAdded': 'Gruppe {title} wurde hinzugefügt',
  'announce.agenda': 'Agenda: jetzt {title}',
  'announce.votingOpen': 'Abstimmungsrunde {round} hat begonnen',
  'announce.votingClosed': 'Abstimmungsrunde {round} ist geschlossen',
  'announce.revealed': 'Die Ergebnisse von Runde {round} sind aufgedeckt',
  'announce.locked': 'Das Board ist gesperrt',
  'announce.unlocked': 'Das Board ist entsperrt',
  'announce.hand': '{name} hat die Hand gehoben',
  'announce.drafts': 'Stilles Brainstorming hat begonnen',
  'announce.draftsRevealed': 'Alle Entwürfe sind aufgedeckt',
  'announce.decision': 'Entscheidung festgehalten: {text}',
  'announce.more': { one: 'und {count} weitere Änderung', other: 'und {count} weitere Änderungen' },
  'announce.mine.added': 'Notiz hinzugefügt',
  'announce.mine.moved': 'Notiz ist jetzt in {group}',
  'announce.mine.ungrouped': 'Notiz ist in keiner Gruppe mehr',
  'announce.mine.deleted': 'Notiz gelöscht',
  'announce.mine.colour': 'Farbe: {colour}',
  'announce.mine.group': 'Gruppe {title} hinzugefügt',
  'announce.mine.action': 'Aufgabe hinzugefügt',
  'announce.mine.decision': 'Entscheidung festgehalten',
  'announce.mine.voted': { one: 'Noch {count} Punkt', other: 'Noch {count} Punkte' },
  'drawer.close': 'Schließen',
  'drawer.closeAgenda': 'Agenda schließen',
  'drawer.closeSide': 'Sitzungsbereich schließen',
  'canvas.notesNav': 'Pfeiltasten: nächste Notiz in Leserichtung; Alt + Pfeiltasten verschieben die Notiz.',
  'canvas.zoomReset': 'Zoom {zoom}: auf 100 % zurücksetzen',
  'colour.yellow': 'Gelb',
  'colour.pink': 'Rosa',
  'colour.blue': 'Blau',
  'colour.green': 'Grün',
  'colour.orange': 'Orange',
  'colour.purple': 'Lila',
  'role.facilitator': 'Moderation',
  'role.participant': 'Teilnehmer:in',
  'role.viewer': 'Zuschauer:in',
  'lang.label': 'Sprache',
  'common.someone': 'Jemand'
}

export const CATALOGUE = { en, de }

function stored () {
  try { return localStorage.getItem(STORE_KEY) } catch { return null }
}

/** The locale in force: the stored choice, else the first browser language we have. */
export function pickLocale (choice = stored(), languages = (typeof navigator !== 'undefined' && navigator.languages) || []) {
  if (choice && CATALOGUE[choice]) return choice
  for (const tag of languages) {
    const base = String(tag).toLowerCase().split('-')[0]
    if (CATALOGUE[base]) return base
  }
  return 'en'
}

let current = pickLocale()

export function locale () { return current }

export function setLocale (code, { reload = true } = {}) {
  if (!CATALOGUE[code]) return
  try { localStorage.setItem(STORE_KEY, code) } catch {}
  current = code
  if (reload) location.reload()
}

const plurals = new Map()
function pluralRule (code) {
  if (!plurals.has(code)) plurals.set(code, new Intl.PluralRules(code))
  return plurals.get(code)
}

/** The text for `key` in the current locale (English as the fallback), with {params} filled. */
export function t (key, params = {}) {
  let entry = CATALOGUE[current][key] ?? en[key]
  if (entry === undefined) return key
  if (typeof entry === 'object') {
    const n = Number(params.count ?? 0)
    entry = entry[pluralRule(current).select(n)] ?? entry.other
  }
  return entry.replace(/\{(\w+)\}/g, (m, name) => {
    if (!(name in params)) return m
    const v = params[name]
    return typeof v === 'number' ? formatNumber(v) : String(v)
  })
}

export function formatNumber (n, options) {
  return new Intl.NumberFormat(current, options).format(n)
}

/** A calendar date (an ISO date string, a Date, or ms since the epoch) in the locale's form. */
export function formatDate (value, options = { dateStyle: 'medium' }) {
  if (value === null || value === undefined || value === '') return ''
  const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? new Date(`${value}T00:00:00`)
    : new Date(value)
  if (Number.isNaN(date.getTime())) return String(value)
  return new Intl.DateTimeFormat(current, options).format(date)
}

export function formatDateTime (value) {
  return formatDate(value, { dateStyle: 'medium', timeStyle: 'short' })
}

/** A labelled <select> that switches the language (and reloads the page in it). */
export function languageSwitch (id = 'lang-switch') {
  const select = h('select', { id, class: 'lang-switch__select', on: { change: (e) => setLocale(e.target.value) } },
    ...Object.entries(LOCALES).map(([code, name]) => h('option', { value: code, selected: code === current, lang: code }, name)))
  return h('label', { class: 'lang-switch' }, h('span', { class: 'lang-switch__label', text: t('lang.label') }), select)
}
