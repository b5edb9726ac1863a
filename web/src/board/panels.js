// The right-hand panel: Session (facilitation, people), Outcomes (decisions, actions, export),
// Results (ranking and chart of the latest visible voting round).
import { icon } from '../lib/icons.js'
import * as Y from 'yjs'
import { $, $$, h } from '../lib/dom.js'
import { initials } from '../lib/colors.js'
import { barChart } from '../lib/chart.js'
import { download } from '../lib/api.js'
import { toast } from '../lib/toast.js'
import { bindText } from './textbind.js'
import { newId } from './context.js'

function section (title, ...children) {
  return h('div', { class: 'section' }, h('div', { class: 'section__head' }, h('h3', null, title)), ...children)
}

function button (label, onClick, cls = 'btn btn--sm', attrs = {}) {
  return h('button', { class: cls, type: 'button', ...attrs, on: { click: onClick } }, label)
}

const ROLE_LABEL = { facilitator: 'Facilitator', participant: 'Participant', viewer: 'Viewer' }

// ---------------------------------------------------------------- tabs
export class Tabs {
  constructor () {
    this.buttons = $$('.tabs [role="tab"]')
    for (const btn of this.buttons) {
      btn.addEventListener('click', () => this.select(btn.id))
      btn.addEventListener('keydown', (e) => {
        const i = this.buttons.indexOf(btn)
        if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
          e.preventDefault()
          const next = this.buttons[(i + (e.key === 'ArrowRight' ? 1 : this.buttons.length - 1)) % this.buttons.length]
          this.select(next.id)
          next.focus()
        }
      })
    }
  }

  select (id) {
    for (const btn of this.buttons) {
      const on = btn.id === id || btn.getAttribute('aria-controls') === id
      btn.setAttribute('aria-selected', String(on))
      btn.tabIndex = on ? 0 : -1
      document.getElementById(btn.getAttribute('aria-controls')).hidden = !on
    }
  }
}

// ---------------------------------------------------------------- session tab
export class SessionPanel {
  constructor ({ board, presence, viewport }) {
    this.board = board
    this.presence = presence
    this.viewport = viewport
    this.root = $('#tab-session')
    const b = board
    const run = (type, args) => () => b.command(type, args).catch(() => {})

    // Board: lock, summon
    this.lockState = h('p', { class: 'state-line', id: 'lock-state' })
    this.lockBtn = button('Lock board', () => b.command(b.locked() ? 'unlock' : 'lock').catch(() => {}), 'btn btn--sm', { id: 'lock-btn', 'aria-pressed': 'false' })
    this.summonBtn = button('Bring everyone to my view', () => {
      const c = viewport.center()
      b.command('summon', { x: c.x, y: c.y, zoom: viewport.zoom }).then(() => toast('Everyone now sees your view.')).catch(() => {})
    }, 'btn btn--sm', { id: 'summon-btn' })
    this.boardSection = section('Board', this.lockState, h('div', { class: 'row fac-only' }, this.lockBtn, this.summonBtn))

    // Voting
    this.votingState = h('p', { class: 'state-line', id: 'voting-state' })
    this.budget = h('input', { type: 'number', min: '1', max: '100', value: '5', id: 'vote-budget' })
    this.cap = h('input', { type: 'number', min: '1', max: '100', value: '3', id: 'vote-cap' })
    this.secret = h('input', { type: 'checkbox', checked: true, id: 'vote-secret' })
    this.startForm = h('form', { class: 'inline-form fac-only', id: 'voting-form' },
      h('label', null, 'Dots per person', this.budget),
      h('label', null, 'Max per note', this.cap),
      h('label', { class: 'check' }, this.secret, 'Secret until revealed'),
      h('button', { class: 'btn btn--sm btn--primary', type: 'submit', id: 'voting-start' }, 'Start voting'))
    this.startForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const budget = Math.round(Number(this.budget.value) || 5)
      const cap = Math.min(budget, Math.round(Number(this.cap.value) || budget))
      b.command('voting.start', { budget, max_per_note: cap, secret: this.secret.checked }).catch(() => {})
    })
    this.closeBtn = button('Close voting', run('voting.close'), 'btn btn--sm', { id: 'voting-close' })
    this.revealBtn = button('Reveal results', run('voting.reveal'), 'btn btn--sm btn--primary', { id: 'voting-reveal' })
    this.votingSection = section('Dot voting', this.votingState, this.startForm, h('div', { class: 'row fac-only' }, this.closeBtn, this.revealBtn))

    // Silent brainstorming
    this.draftState = h('p', { class: 'state-line', id: 'drafts-state' })
    this.draftStart = button('Start silent brainstorming', run('drafts.start'), 'btn btn--sm', { id: 'drafts-start' })
    this.draftReveal = button('Reveal all drafts', run('drafts.reveal'), 'btn btn--sm btn--primary', { id: 'drafts-reveal' })
    this.draftSection = section('Silent brainstorming', this.draftState, h('div', { class: 'row fac-only' }, this.draftStart, this.draftReveal))

    // Me: ready, hand
    this.readyBtn = button("I'm done", () => b.command(this.isFlag('ready') ? 'unready' : 'ready').catch(() => {}), 'btn btn--sm', { id: 'ready-btn', 'aria-pressed': 'false' })
    this.handBtn = button('Raise hand', () => b.command(this.isFlag('hands') ? 'hand.lower' : 'hand.raise').catch(() => {}), 'btn btn--sm', { id: 'hand-btn', 'aria-pressed': 'false' })
    this.meSection = section('You', h('div', { class: 'row' }, this.readyBtn, this.handBtn))

    // People
    this.rosterTitle = h('h3', null, 'People')
    this.roster = h('ul', { class: 'roster', id: 'roster' })
    this.peopleSection = h('div', { class: 'section' }, h('div', { class: 'section__head' }, this.rosterTitle), this.roster)

    this.root.append(this.boardSection, this.votingSection, this.draftSection, this.meSection, this.peopleSection)
    board.addEventListener('state', () => this.render())
    presence.addEventListener('change', () => this.renderRoster())
    this.render()
  }

  isFlag (key) { return Boolean(this.board.sessionSet(key)[this.board.me]) }

  render () {
    const b = this.board
    const fac = b.isFacilitator()
    const locked = b.locked()
    this.lockState.textContent = locked ? 'Locked: only facilitators can edit.' : 'Open: everyone but viewers can edit.'
    this.lockBtn.textContent = locked ? 'Unlock board' : 'Lock board'
    this.lockBtn.setAttribute('aria-pressed', String(locked))

    const v = b.voting()
    if (!v) this.votingState.textContent = 'No voting round yet.'
    else if (v.kind === 'estimate') this.votingState.textContent = `Round ${v.round} is an estimation round (${v.status}).`
    else {
      const kind = v.secret ? 'secret' : 'open'
      const members = b.roster().filter((p) => p.role !== 'viewer').length
      const statusText = { open: 'open', closed: 'closed', revealed: 'revealed' }[v.status] || v.status
      this.votingState.textContent = `Round ${v.round} (${kind}) is ${statusText}: ${v.budget} dots each, at most ${v.max_per_note} per note.` +
        (v.status === 'open' ? ` ${v.done || 0} of ${members} done.` : '')
    }
    const open = v && v.status === 'open'
    this.startForm.hidden = !fac || Boolean(open)
    this.closeBtn.hidden = !open
    this.revealBtn.hidden = !v || v.status === 'revealed'

    const drafting = b.drafting()
    const counts = b.sessionSet('drafts')
    const total = Object.values(counts).reduce((a, n) => a + (typeof n === 'number' ? n : 0), 0)
    const people = Object.keys(counts).length
    this.draftState.textContent = drafting
      ? `Running: ${total} private ${total === 1 ? 'note' : 'notes'} from ${people} ${people === 1 ? 'person' : 'people'}.`
      : 'Off. While it runs, everyone writes notes privately until you reveal them.'
    if (!fac && !drafting) this.draftState.textContent = 'Off.'
    this.draftStart.hidden = drafting
    this.draftReveal.hidden = !drafting

    this.meSection.hidden = b.isViewer()
    const ready = this.isFlag('ready')
    const hand = this.isFlag('hands')
    this.readyBtn.setAttribute('aria-pressed', String(ready))
    this.readyBtn.replaceChildren(...(ready ? [icon('check'), 'Done'] : ["I'm done"]))
    this.handBtn.setAttribute('aria-pressed', String(hand))
    this.handBtn.replaceChildren(icon('hand'), hand ? 'Lower hand' : 'Raise hand')
    this.renderRoster()
  }

  renderRoster () {
    const b = this.board
    const fac = b.isFacilitator()
    const online = this.presence.online
    const ready = b.sessionSet('ready')
    const hands = b.sessionSet('hands')
    const drafts = b.sessionSet('drafts')
    const people = b.roster()
    const key = JSON.stringify([people, [...online], ready, hands, drafts, fac])
    if (key === this.rosterKey) return
    if (this.roster.contains(document.activeElement)) {
      // Do not rebuild under the user's hands; try again shortly.
      clearTimeout(this.retry)
      this.retry = setTimeout(() => this.renderRoster(), 800)
      return
    }
    this.rosterKey = key
    const here = people.filter((p) => online.has(p.id)).length
    this.rosterTitle.textContent = `People (${here} here, ${people.length} joined)`
    this.roster.replaceChildren(...people.map((p) => {
      const avatar = h('span', { class: `avatar${online.has(p.id) ? '' : ' is-away'}`, 'aria-hidden': 'true' }, initials(p.name))
      avatar.style.setProperty('--c', b.color(p.id))
      const flags = h('span', { class: 'roster__flags' })
      if (hands[p.id]) flags.append(h('span', { class: 'flag flag--hand', title: 'Hand raised', role: 'img', 'aria-label': 'hand raised' }, icon('hand')))
      if (ready[p.id]) flags.append(h('span', { class: 'flag flag--done', title: 'Done', role: 'img', 'aria-label': 'done' }, icon('check')))
      if (drafts[p.id]) flags.append(h('span', { class: 'chip chip--muted', title: 'Private drafts' }, `${drafts[p.id]} ${drafts[p.id] === 1 ? 'draft' : 'drafts'}`))
      let role
      if (fac && p.id !== b.me) {
        role = h('select', {
          'aria-label': `Role of ${p.name}`,
          dataset: { participant: p.id },
          on: {
            change: (e) => b.command('role.set', { participant_id: p.id, role: e.target.value })
              .then(() => toast(`${p.name} is now ${ROLE_LABEL[e.target.value].toLowerCase()}.`))
              .catch(() => { this.rosterKey = null; this.renderRoster() })
          }
        },
        h('option', { value: 'facilitator', selected: p.role === 'facilitator' }, 'Co-facilitator'),
        h('option', { value: 'participant', selected: p.role === 'participant' }, 'Participant'),
        h('option', { value: 'viewer', selected: p.role === 'viewer' }, 'Viewer'))
      } else {
        role = h('span', { class: `chip${p.role === 'facilitator' ? '' : ' chip--muted'}` }, ROLE_LABEL[p.role] || p.role)
      }
      return h('li', { dataset: { participant: p.id } }, avatar,
        h('span', { class: 'roster__name', title: p.name, text: p.id === b.me ? `${p.name} (you)` : p.name }),
        flags, role)
    }))
  }
}

// ---------------------------------------------------------------- outcomes tab
class ActionRow {
  constructor (panel, id, ymap) {
    this.panel = panel
    this.board = panel.board
    this.id = id
    this.ymap = ymap
    const b = this.board
    this.check = h('input', {
      type: 'checkbox', class: 'action__check', 'aria-label': 'Done',
      on: { change: () => b.transact(() => ymap.set('status', this.check.checked ? 'done' : 'open')) }
    })
    this.text = h('input', { class: 'action__text', maxlength: '500', 'aria-label': 'Action item' })
    this.owner = h('select', { 'aria-label': 'Owner', on: { change: () => b.transact(() => ymap.set('owner', this.owner.value || null)) } })
    this.due = h('input', { type: 'date', 'aria-label': 'Due date', on: { change: () => b.transact(() => ymap.set('due', this.due.value || null)) } })
    this.del = h('button', {
      class: 'icon-btn', type: 'button', 'aria-label': 'Delete action item', title: 'Delete',
      on: { click: () => b.transact(() => b.actions.delete(id)) }
    }, icon('close'))
    this.warn = h('p', { class: 'action__warn' })
    this.el = h('li', { class: 'action', dataset: { action: id } }, this.check, this.text, this.del,
      h('div', { class: 'action__meta' }, this.owner, this.due), this.warn)
    this.bindTextField()
  }

  bindTextField () {
    const t = this.ymap.get('text')
    if (t === this.boundText) return
    if (this.unbind) this.unbind()
    this.unbind = null
    this.boundText = t
    if (t instanceof Y.Text) {
      this.unbind = bindText(t, this.text)
    } else {
      this.text.value = typeof t === 'string' ? t : ''
      this.text.onchange = null
      this.text.addEventListener('change', () => this.board.transact(() => this.ymap.set('text', new Y.Text(this.text.value))))
    }
  }

  update (people) {
    const m = this.ymap
    const editable = this.board.canEdit()
    this.bindTextField()
    this.check.checked = m.get('status') === 'done'
    this.el.classList.toggle('is-done', this.check.checked)
    const owner = typeof m.get('owner') === 'string' ? m.get('owner') : ''
    const key = JSON.stringify(people.map((p) => [p.id, p.name]))
    if (this.ownerKey !== key) {
      this.ownerKey = key
      this.owner.replaceChildren(h('option', { value: '' }, 'No owner'), ...people.map((p) => h('option', { value: p.id }, p.name)))
    }
    if (document.activeElement !== this.owner) this.owner.value = owner
    const due = typeof m.get('due') === 'string' ? m.get('due') : ''
    if (document.activeElement !== this.due) this.due.value = due
    for (const el of [this.check, this.text, this.owner, this.due, this.del]) el.disabled = !editable
    const warnings = []
    if (!owner) warnings.push('no owner')
    if (!due) warnings.push('no due date')
    this.warn.textContent = warnings.length ? `Not yet actionable: ${warnings.join(' and ')}` : ''
    this.warn.hidden = warnings.length === 0
  }

  destroy () {
    if (this.unbind) this.unbind()
    this.el.remove()
  }
}

export class OutcomesPanel {
  constructor ({ board }) {
    this.board = board
    this.root = $('#tab-actions')
    this.rows = new Map()
    const b = board

    // Decisions
    this.decisionItem = h('p', { class: 'muted small' })
    this.decisionText = h('textarea', { rows: '2', maxlength: '1000', placeholder: 'What did the group decide?', 'aria-label': 'Decision', id: 'decision-text' })
    this.decisionForm = h('form', { class: 'form fac-only', id: 'decision-form' }, this.decisionText, this.decisionItem,
      h('button', { class: 'btn btn--sm btn--primary', type: 'submit' }, 'Record decision'))
    this.decisionForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const text = this.decisionText.value.trim()
      if (!text) return
      const id = newId()
      const d = new Y.Map()
      b.transact(() => {
        b.decisions.set(id, d)
        d.set('text', text)
        d.set('item', b.currentItem())
        d.set('created_at', Date.now())
      })
      this.decisionText.value = ''
    })
    this.decisionList = h('ul', { class: 'list', id: 'decision-list' })

    // Actions
    this.actionText = h('input', { maxlength: '500', placeholder: 'What needs to happen?', 'aria-label': 'New action item', id: 'action-text' })
    this.actionOwner = h('select', { 'aria-label': 'Owner of the new action', id: 'action-owner' })
    this.actionDue = h('input', { type: 'date', 'aria-label': 'Due date of the new action', id: 'action-due' })
    this.actionForm = h('form', { class: 'form edit-only', id: 'action-form' }, this.actionText,
      h('div', { class: 'row' }, h('div', { class: 'grow' }, this.actionOwner), h('div', { class: 'grow' }, this.actionDue)),
      h('button', { class: 'btn btn--sm btn--primary', type: 'submit' }, 'Add action item'))
    this.actionForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const text = this.actionText.value.trim()
      if (!text || !b.canEdit()) return
      const id = newId()
      const a = new Y.Map()
      b.transact(() => {
        b.actions.set(id, a)
        a.set('text', new Y.Text(text))
        a.set('owner', this.actionOwner.value || null)
        a.set('due', this.actionDue.value || null)
        a.set('status', 'open')
        a.set('note', null)
        a.set('item', b.currentItem())
        a.set('created_at', Date.now())
      })
      this.actionText.value = ''
      this.actionDue.value = ''
      this.actionText.focus()
    })
    this.actionList = h('ul', { class: 'list', id: 'action-list' })
    this.actionsEmpty = h('p', { class: 'empty' }, 'No action items yet.')
    this.decisionsEmpty = h('p', { class: 'empty' }, 'No decisions recorded yet.')

    // Export
    const exp = (fmt, label) => button(label, async () => {
      try {
        const name = await download(`/api/boards/${encodeURIComponent(b.boardId)}/export?format=${fmt}`, b.auth.token, `planboard.${fmt}`)
        toast(`Downloaded ${name}`, { kind: 'ok' })
      } catch (error) {
        toast(error.message, { kind: 'error' })
      }
    }, 'btn btn--sm', { id: `export-${fmt}` })
    this.root.append(
      section('Decisions', this.decisionForm, this.decisionList, this.decisionsEmpty),
      section('Action items', this.actionForm, this.actionList, this.actionsEmpty),
      section('Export', h('div', { class: 'export-row' }, exp('md', 'Markdown'), exp('csv', 'CSV'), exp('json', 'JSON'),
        h('a', { class: 'btn btn--sm btn--ghost', href: `/b/${encodeURIComponent(b.boardId)}/summary`, id: 'summary-link' }, 'Open summary →')))
    )
    b.actions.observeDeep(() => this.render())
    b.decisions.observeDeep(() => this.render())
    b.addEventListener('state', () => this.render())
    this.render()
  }

  render () {
    const b = this.board
    const people = b.roster().filter((p) => p.role !== 'viewer')
    const items = b.agendaItems()
    const titles = new Map(items.map((i) => [i.id, i.title]))
    const current = b.currentItem()
    this.decisionItem.textContent = current ? `For agenda item: ${titles.get(current) || current}` : 'Not tied to an agenda item.'

    // decisions
    const decisions = []
    b.decisions.forEach((d, id) => { if (d instanceof Y.Map) decisions.push({ id, ...d.toJSON() }) })
    decisions.sort((a, c) => (a.created_at || 0) - (c.created_at || 0))
    const dkey = JSON.stringify([decisions, b.isFacilitator(), [...titles]])
    if (dkey !== this.dkey) {
      this.dkey = dkey
      this.decisionList.replaceChildren(...decisions.map((d) => h('li', { class: 'decision', dataset: { decision: d.id } },
        h('span', { class: 'decision__text' }, String(d.text ?? ''),
          d.item && titles.has(d.item) ? h('span', { class: 'decision__item', text: titles.get(d.item) }) : null),
        b.isFacilitator()
          ? h('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Delete decision', on: { click: () => b.transact(() => b.decisions.delete(d.id)) } }, icon('close'))
          : null)))
      this.decisionsEmpty.hidden = decisions.length > 0
    }

    // new action owner options
    const okey = JSON.stringify(people.map((p) => [p.id, p.name]))
    if (okey !== this.okey) {
      this.okey = okey
      const selected = this.actionOwner.value
      this.actionOwner.replaceChildren(h('option', { value: '' }, 'Owner…'), ...people.map((p) => h('option', { value: p.id }, p.name)))
      this.actionOwner.value = selected
    }

    // actions: keyed rows
    const entries = []
    b.actions.forEach((a, id) => { if (a instanceof Y.Map) entries.push([id, a]) })
    entries.sort((x, y) => (x[1].get('created_at') || 0) - (y[1].get('created_at') || 0))
    const seen = new Set()
    entries.forEach(([id, a], index) => {
      seen.add(id)
      let row = this.rows.get(id)
      if (row && row.ymap !== a) { row.destroy(); row = null }
      if (!row) {
        row = new ActionRow(this, id, a)
        this.rows.set(id, row)
      }
      row.update(people)
      // Move a row only when it is out of place: moving a node takes the focus from it.
      const at = this.actionList.children[index]
      if (at !== row.el) this.actionList.insertBefore(row.el, at || null)
    })
    for (const [id, row] of this.rows) {
      if (!seen.has(id)) { row.destroy(); this.rows.delete(id) }
    }
    this.actionsEmpty.hidden = entries.length > 0
  }
}

// ---------------------------------------------------------------- results tab
export class ResultsPanel {
  constructor ({ board, tabs }) {
    this.board = board
    this.tabs = tabs
    this.root = $('#tab-results')
    this.badge = h('span', { class: 'tab__badge', hidden: true })
    $('#tab-btn-results').append(this.badge)
    board.addEventListener('state', () => this.render())
    board.notes.observeDeep(() => this.render())
    this.render()
  }

  rounds () {
    const b = this.board
    const v = b.voting()
    const out = []
    b.results.forEach((tally, key) => {
      if (!(tally instanceof Y.Map)) return
      if ([...tally.values()].some((value) => value instanceof Y.Map)) return // an estimation round
      const round = Number(key)
      const secretOpen = v && v.round === round && v.status !== 'revealed' && v.secret !== false
      if (!secretOpen) out.push({ round, tally: tally.toJSON(), live: v && v.round === round && v.status !== 'revealed' })
    })
    out.sort((a, c) => c.round - a.round)
    return out
  }

  render () {
    const b = this.board
    const rounds = this.rounds()
    const key = JSON.stringify([rounds, b.notes.size, this.selected])
    if (key === this.key) return
    this.key = key
    this.badge.hidden = rounds.length === 0
    this.badge.textContent = rounds.length ? String(rounds.length) : ''
    if (!rounds.length) {
      this.root.replaceChildren(h('p', { class: 'empty', id: 'results-empty' }, 'Results appear here when the facilitator reveals a voting round (or live, in an open round).'))
      return
    }
    const selected = rounds.find((r) => r.round === this.selected) || rounds[0]
    const rows = []
    for (const [noteId, count] of Object.entries(selected.tally)) {
      const note = b.notes.get(noteId)
      if (!(note instanceof Y.Map) || !(count > 0)) continue
      const t = note.get('text')
      rows.push({ id: noteId, label: t instanceof Y.Text ? t.toString() : String(t ?? ''), value: count, created: note.get('created_at') || 0 })
    }
    rows.sort((a, c) => c.value - a.value || a.created - c.created)
    let rank = 0
    let prev = null
    rows.forEach((r, i) => { if (r.value !== prev) { rank = i + 1; prev = r.value } r.rank = rank })
    const picker = rounds.length > 1
      ? h('label', { class: 'row small' }, 'Round ', h('select', {
        'aria-label': 'Voting round',
        on: { change: (e) => { this.selected = Number(e.target.value); this.render() } }
      }, ...rounds.map((r) => h('option', { value: String(r.round), selected: r.round === selected.round }, `Round ${r.round}${r.live ? ' (live)' : ''}`))))
      : null
    const total = rows.reduce((a, r) => a + r.value, 0)
    this.root.replaceChildren(
      h('div', { class: 'section', id: 'results' },
        h('div', { class: 'section__head' }, h('h3', null, `Round ${selected.round}${selected.live ? ' (live)' : ''}`), picker),
        h('p', { class: 'muted small' }, `${total} ${total === 1 ? 'dot' : 'dots'} on ${rows.length} ${rows.length === 1 ? 'note' : 'notes'}.`),
        rows.length ? barChart(rows.slice(0, 12), { title: `Votes per note, round ${selected.round}` }) : h('p', { class: 'empty' }, 'No dots were placed.'),
        h('ol', { class: 'ranking', 'aria-label': 'Ranking' }, ...rows.map((r) => h('li', { dataset: { note: r.id } },
          h('span', { class: 'ranking__rank' }, `${r.rank}.`),
          h('span', { class: 'ranking__text', title: r.label, text: r.label || '(empty note)' }),
          h('span', { class: 'ranking__votes' }, String(r.value)))))
      )
    )
  }

  show () { this.tabs.select('tab-btn-results') }
}
