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
import { t } from '../lib/i18n.js'

function section (title, ...children) {
  return h('div', { class: 'section' }, h('div', { class: 'section__head' }, h('h3', null, title)), ...children)
}

function button (label, onClick, cls = 'btn btn--sm', attrs = {}) {
  return h('button', { class: cls, type: 'button', ...attrs, on: { click: onClick } }, label)
}

const ROLE_LABEL = { facilitator: t('role.facilitator'), participant: t('role.participant'), viewer: t('role.viewer') }

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
    this.lockBtn = button(t('outline.fac.lock'), () => b.command(b.locked() ? 'unlock' : 'lock').catch(() => {}), 'btn btn--sm', { id: 'lock-btn', 'aria-pressed': 'false' })
    this.summonBtn = button(t('panels.summon'), () => {
      const c = viewport.center()
      b.command('summon', { x: c.x, y: c.y, zoom: viewport.zoom }).then(() => toast(t('panels.summoned'))).catch(() => {})
    }, 'btn btn--sm', { id: 'summon-btn' })
    this.boardSection = section(t('panels.board'), this.lockState, h('div', { class: 'row fac-only' }, this.lockBtn, this.summonBtn))

    // Voting
    this.votingState = h('p', { class: 'state-line', id: 'voting-state' })
    this.budget = h('input', { type: 'number', min: '1', max: '100', value: '5', id: 'vote-budget' })
    this.cap = h('input', { type: 'number', min: '1', max: '100', value: '3', id: 'vote-cap' })
    this.secret = h('input', { type: 'checkbox', checked: true, id: 'vote-secret' })
    this.startForm = h('form', { class: 'inline-form fac-only', id: 'voting-form' },
      h('label', null, t('outline.fac.budget'), this.budget),
      h('label', null, t('outline.fac.cap'), this.cap),
      h('label', { class: 'check' }, this.secret, t('outline.fac.secret')),
      h('button', { class: 'btn btn--sm btn--primary', type: 'submit', id: 'voting-start' }, t('outline.fac.startVote')))
    this.startForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const budget = Math.round(Number(this.budget.value) || 5)
      const cap = Math.min(budget, Math.round(Number(this.cap.value) || budget))
      b.command('voting.start', { budget, max_per_note: cap, secret: this.secret.checked }).catch(() => {})
    })
    this.closeBtn = button(t('outline.fac.closeVote'), run('voting.close'), 'btn btn--sm', { id: 'voting-close' })
    this.revealBtn = button(t('outline.fac.revealVote'), run('voting.reveal'), 'btn btn--sm btn--primary', { id: 'voting-reveal' })
    this.votingSection = section(t('outline.fac.voting'), this.votingState, this.startForm, h('div', { class: 'row fac-only' }, this.closeBtn, this.revealBtn))

    // Silent brainstorming
    this.draftState = h('p', { class: 'state-line', id: 'drafts-state' })
    this.draftStart = button(t('outline.fac.startDrafts'), run('drafts.start'), 'btn btn--sm', { id: 'drafts-start' })
    this.draftReveal = button(t('outline.fac.revealDrafts'), run('drafts.reveal'), 'btn btn--sm btn--primary', { id: 'drafts-reveal' })
    this.draftSection = section(t('outline.fac.drafts'), this.draftState, h('div', { class: 'row fac-only' }, this.draftStart, this.draftReveal))

    // Me: ready, hand
    this.readyBtn = button(t('outline.you.ready'), () => b.command(this.isFlag('ready') ? 'unready' : 'ready').catch(() => {}), 'btn btn--sm', { id: 'ready-btn', 'aria-pressed': 'false' })
    this.handBtn = button(t('outline.you.hand'), () => b.command(this.isFlag('hands') ? 'hand.lower' : 'hand.raise').catch(() => {}), 'btn btn--sm', { id: 'hand-btn', 'aria-pressed': 'false' })
    this.meSection = section(t('outline.you'), h('div', { class: 'row' }, this.readyBtn, this.handBtn))

    // People
    this.rosterTitle = h('h3', null, t('panels.people'))
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
    this.lockState.textContent = locked ? t('panels.locked') : t('panels.open')
    this.lockBtn.textContent = locked ? t('outline.fac.unlock') : t('outline.fac.lock')
    this.lockBtn.setAttribute('aria-pressed', String(locked))

    const v = b.voting()
    if (!v) this.votingState.textContent = t('panels.noRound')
    else {
      const kind = v.secret ? t('panels.secret') : t('panels.openKind')
      const members = b.roster().filter((p) => p.role !== 'viewer').length
      const statusText = ['open', 'closed', 'revealed'].includes(v.status) ? t(`panels.status.${v.status}`) : v.status
      this.votingState.textContent = t('panels.round', { round: v.round, kind, status: statusText, count: v.budget, cap: v.max_per_note }) +
        (v.status === 'open' ? t('panels.done', { done: v.done || 0, count: members }) : '')
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
      ? t('panels.drafting', { count: total, people: t('panels.persons', { count: people }) })
      : t('panels.draftsOff')
    if (!fac && !drafting) this.draftState.textContent = t('panels.off')
    this.draftStart.hidden = drafting
    this.draftReveal.hidden = !drafting

    this.meSection.hidden = b.isViewer()
    const ready = this.isFlag('ready')
    const hand = this.isFlag('hands')
    this.readyBtn.setAttribute('aria-pressed', String(ready))
    this.readyBtn.replaceChildren(...(ready ? [icon('check'), t('board.done')] : [t('outline.you.ready')]))
    this.handBtn.setAttribute('aria-pressed', String(hand))
    this.handBtn.replaceChildren(icon('hand'), hand ? t('outline.you.handDown') : t('outline.you.hand'))
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
    this.rosterTitle.textContent = t('panels.peopleCount', { here, count: people.length })
    this.roster.replaceChildren(...people.map((p) => {
      const avatar = h('span', { class: `avatar${online.has(p.id) ? '' : ' is-away'}`, 'aria-hidden': 'true' }, initials(p.name))
      avatar.style.setProperty('--c', b.color(p.id))
      const flags = h('span', { class: 'roster__flags' })
      if (hands[p.id]) flags.append(h('span', { class: 'flag flag--hand', title: t('panels.handRaised'), role: 'img', 'aria-label': t('panels.handRaisedLabel') }, icon('hand')))
      if (ready[p.id]) flags.append(h('span', { class: 'flag flag--done', title: t('board.done'), role: 'img', 'aria-label': t('panels.doneLabel') }, icon('check')))
      if (drafts[p.id]) flags.append(h('span', { class: 'chip chip--muted', title: t('panels.privateDrafts') }, t('panels.drafts', { count: drafts[p.id] })))
      let role
      if (fac && p.id !== b.me) {
        role = h('select', {
          'aria-label': t('panels.roleOf', { name: p.name }),
          dataset: { participant: p.id },
          on: {
            change: (e) => b.command('role.set', { participant_id: p.id, role: e.target.value })
              .then(() => toast(t('panels.roleNow', { name: p.name, role: ROLE_LABEL[e.target.value].toLowerCase() })))
              .catch(() => { this.rosterKey = null; this.renderRoster() })
          }
        },
        h('option', { value: 'facilitator', selected: p.role === 'facilitator' }, t('panels.cofacilitator')),
        h('option', { value: 'participant', selected: p.role === 'participant' }, t('role.participant')),
        h('option', { value: 'viewer', selected: p.role === 'viewer' }, t('role.viewer')))
      } else {
        role = h('span', { class: `chip${p.role === 'facilitator' ? '' : ' chip--muted'}` }, ROLE_LABEL[p.role] || p.role)
      }
      return h('li', { dataset: { participant: p.id } }, avatar,
        h('span', { class: 'roster__name', title: p.name, text: p.id === b.me ? t('notes.nameYou', { name: p.name }) : p.name }),
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
      type: 'checkbox', class: 'action__check', 'aria-label': t('board.done'),
      on: { change: () => b.transact(() => ymap.set('status', this.check.checked ? 'done' : 'open')) }
    })
    this.text = h('input', { class: 'action__text', maxlength: '500', 'aria-label': t('panels.actionItem') })
    this.owner = h('select', { 'aria-label': t('outline.actions.owner'), on: { change: () => b.transact(() => ymap.set('owner', this.owner.value || null)) } })
    this.due = h('input', { type: 'date', 'aria-label': t('outline.actions.due'), on: { change: () => b.transact(() => ymap.set('due', this.due.value || null)) } })
    this.del = h('button', {
      class: 'icon-btn', type: 'button', 'aria-label': t('panels.deleteAction'), title: t('outline.note.delete'),
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
      this.owner.replaceChildren(h('option', { value: '' }, t('outline.actions.noOwner')), ...people.map((p) => h('option', { value: p.id }, p.name)))
    }
    if (document.activeElement !== this.owner) this.owner.value = owner
    const due = typeof m.get('due') === 'string' ? m.get('due') : ''
    if (document.activeElement !== this.due) this.due.value = due
    for (const el of [this.check, this.text, this.owner, this.due, this.del]) el.disabled = !editable
    const warnings = []
    if (!owner) warnings.push(t('panels.noOwner'))
    if (!due) warnings.push(t('panels.noDue'))
    this.warn.textContent = warnings.length ? t('panels.notActionable', { what: warnings.join(t('panels.and')) }) : ''
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
    this.decisionText = h('textarea', { rows: '2', maxlength: '1000', placeholder: t('panels.decisionPh'), 'aria-label': t('outline.decisions.new'), id: 'decision-text' })
    this.decisionForm = h('form', { class: 'form fac-only', id: 'decision-form' }, this.decisionText, this.decisionItem,
      h('button', { class: 'btn btn--sm btn--primary', type: 'submit' }, t('outline.decisions.add')))
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
    this.actionText = h('input', { maxlength: '500', placeholder: t('panels.actionPh'), 'aria-label': t('outline.actions.new'), id: 'action-text' })
    this.actionOwner = h('select', { 'aria-label': t('panels.newOwner'), id: 'action-owner' })
    this.actionDue = h('input', { type: 'date', 'aria-label': t('panels.newDue'), id: 'action-due' })
    this.actionForm = h('form', { class: 'form edit-only', id: 'action-form' }, this.actionText,
      h('div', { class: 'row' }, h('div', { class: 'grow' }, this.actionOwner), h('div', { class: 'grow' }, this.actionDue)),
      h('button', { class: 'btn btn--sm btn--primary', type: 'submit' }, t('outline.actions.add')))
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
    this.actionsEmpty = h('p', { class: 'empty' }, t('outline.actions.none'))
    this.decisionsEmpty = h('p', { class: 'empty' }, t('outline.decisions.none'))

    // Export
    const exp = (fmt, label) => button(label, async () => {
      try {
        const name = await download(`/api/boards/${encodeURIComponent(b.boardId)}/export?format=${fmt}`, b.auth.token, `planboard.${fmt}`)
        toast(t('panels.downloaded', { name }), { kind: 'ok' })
      } catch (error) {
        toast(error.message, { kind: 'error' })
      }
    }, 'btn btn--sm', { id: `export-${fmt}` })
    this.root.append(
      section(t('outline.decisions'), this.decisionForm, this.decisionList, this.decisionsEmpty),
      section(t('outline.actions'), this.actionForm, this.actionList, this.actionsEmpty),
      section(t('summary.export'), h('div', { class: 'export-row' }, exp('md', 'Markdown'), exp('csv', 'CSV'), exp('json', 'JSON'),
        h('a', { class: 'btn btn--sm btn--ghost', href: `/b/${encodeURIComponent(b.boardId)}/summary`, id: 'summary-link' }, t('panels.openSummary'))))
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
    this.decisionItem.textContent = current ? t('panels.forItem', { title: titles.get(current) || current }) : t('panels.noItem')

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
          ? h('button', { class: 'icon-btn', type: 'button', 'aria-label': t('panels.deleteDecision'), on: { click: () => b.transact(() => b.decisions.delete(d.id)) } }, icon('close'))
          : null)))
      this.decisionsEmpty.hidden = decisions.length > 0
    }

    // new action owner options
    const okey = JSON.stringify(people.map((p) => [p.id, p.name]))
    if (okey !== this.okey) {
      this.okey = okey
      const selected = this.actionOwner.value
      this.actionOwner.replaceChildren(h('option', { value: '' }, t('panels.ownerPick')), ...people.map((p) => h('option', { value: p.id }, p.name)))
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
      this.root.replaceChildren(h('p', { class: 'empty', id: 'results-empty' }, t('panels.noResults')))
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
      ? h('label', { class: 'row small' }, t('panels.roundLabel'), h('select', {
        'aria-label': t('panels.votingRound'),
        on: { change: (e) => { this.selected = Number(e.target.value); this.render() } }
      }, ...rounds.map((r) => h('option', { value: String(r.round), selected: r.round === selected.round }, t(r.live ? 'panels.roundLive' : 'summary.round', { round: r.round })))))
      : null
    const total = rows.reduce((a, r) => a + r.value, 0)
    this.root.replaceChildren(
      h('div', { class: 'section', id: 'results' },
        h('div', { class: 'section__head' }, h('h3', null, t(selected.live ? 'panels.roundLive' : 'summary.round', { round: selected.round })), picker),
        h('p', { class: 'muted small' }, t('panels.dotsOn', { count: total, notes: t('outline.notes.count', { count: rows.length }) })),
        rows.length ? barChart(rows.slice(0, 12), { title: t('summary.chartTitle', { round: selected.round }) }) : h('p', { class: 'empty' }, t('summary.noDots')),
        h('ol', { class: 'ranking', 'aria-label': t('panels.ranking') }, ...rows.map((r) => h('li', { dataset: { note: r.id } },
          h('span', { class: 'ranking__rank' }, `${r.rank}.`),
          h('span', { class: 'ranking__text', title: r.label, text: r.label || t('outline.note.emptyText') }),
          h('span', { class: 'ranking__votes' }, String(r.value)))))
      )
    )
  }

  show () { this.tabs.select('tab-btn-results') }
}
