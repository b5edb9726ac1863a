// The right-hand panel: Session (facilitation, people), Outcomes (decisions, actions, export),
// Results (ranking and chart of the latest visible voting round).
import { icon } from '../lib/icons.js'
import * as Y from 'yjs'
import { $, $$, h } from '../lib/dom.js'
import { initials } from '../lib/colors.js'
import { downloadExport } from '../lib/api.js'
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
      b.command('voting.start', this.votingSettings()).catch(() => {})
    })
    for (const el of [this.budget, this.cap, this.secret]) el.addEventListener('change', () => b.emitState())
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

    this.quiet = h('p', { class: 'empty', id: 'session-quiet' }, t('panels.quiet'))
    this.root.append(this.quiet, this.boardSection, this.votingSection, this.draftSection, this.meSection)
    $('#tab-people').append(this.peopleSection) // its own tab: reachable without scrolling
    board.addEventListener('state', () => this.render())
    presence.addEventListener('change', () => this.renderRoster())
    this.render()
  }

  isFlag (key) { return Boolean(this.board.sessionSet(key)[this.board.me]) }

  /** The voting form starts from the last round's settings. */
  prefillVoting () {
    const rounds = this.board.sessionSet('rounds')
    const last = Object.keys(rounds).map(Number).filter(Number.isFinite).sort((a, c) => c - a)[0]
    if (last === undefined || last === this.prefilled) return
    this.prefilled = last
    const r = rounds[String(last)] || {}
    if (typeof r.budget === 'number') this.budget.value = String(r.budget)
    if (typeof r.max_per_note === 'number') this.cap.value = String(r.max_per_note)
    if (typeof r.secret === 'boolean') this.secret.checked = r.secret
    this.board.emitState()
  }

  votingSettings () {
    const budget = Math.min(100, Math.max(1, Math.round(Number(this.budget.value) || 5)))
    const cap = Math.min(budget, Math.max(1, Math.round(Number(this.cap.value) || budget)))
    return { budget, max_per_note: cap, secret: this.secret.checked }
  }

  render () {
    const b = this.board
    const fac = b.isFacilitator()
    const locked = b.locked()
    this.lockState.textContent = locked ? t('panels.locked') : t('panels.open')
    this.lockBtn.textContent = locked ? t('outline.fac.unlock') : t('outline.fac.lock')
    this.lockBtn.setAttribute('aria-pressed', String(locked))

    const v = b.voting()
    if (!v) this.votingState.textContent = t('panels.noRound')
    else if (v.kind === 'estimate') this.votingState.textContent = `Round ${v.round} is an estimation round (${v.status}).`
    else {
      const kind = v.secret ? t('panels.secret') : t('panels.openKind')
      const members = b.roster().filter((p) => p.role !== 'viewer').length
      const statusText = ['open', 'closed', 'revealed'].includes(v.status) ? t(`panels.status.${v.status}`) : v.status
      this.votingState.textContent = t('panels.round', { round: v.round, kind, status: statusText, count: v.budget, cap: v.max_per_note }) +
        (v.status === 'open' ? t('panels.usedAll', { done: v.done || 0, count: members }) : '')
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

    // Participants see a section only when it says something: no "Off", no "No voting round".
    this.boardSection.hidden = !fac && !locked
    this.votingSection.hidden = !fac && !v
    this.draftSection.hidden = !fac && !drafting
    // members raise hands and say "I'm done" in the session bar; facilitators here
    this.meSection.hidden = b.isViewer() || !fac
    this.quiet.hidden = fac || locked || Boolean(v) || drafting
    this.prefillVoting()
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
      class: 'icon-btn', type: 'button', 'aria-label': t('panels.deleteAction'), title: t('panels.delete'),
      on: { click: () => panel.undo.destructive(t('panels.actionDeleted'), () => b.actions.delete(id)) }
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
  constructor ({ board, undo }) {
    this.board = board
    this.undo = undo
    this.root = $('#tab-actions')
    this.rows = new Map()
    const b = board

    // Decisions: text, rationale, evidence (notes of a voting round), as the schema allows
    this.decisionItem = h('p', { class: 'muted small' })
    this.decisionText = h('textarea', { rows: '2', maxlength: '1000', placeholder: t('panels.decisionPh'), 'aria-label': t('panels.decision'), id: 'decision-text' })
    this.decisionWhy = h('textarea', { rows: '2', maxlength: '1000', placeholder: t('panels.rationalePh'), 'aria-label': t('panels.rationale'), id: 'decision-rationale' })
    this.evidence = { notes: [], round: null }
    this.evidenceEl = h('div', { class: 'evidence', id: 'decision-evidence' })
    this.decisionForm = h('form', { class: 'form fac-only', id: 'decision-form' }, this.decisionText, this.decisionWhy, this.evidenceEl, this.decisionItem,
      h('button', { class: 'btn btn--sm btn--primary', type: 'submit' }, t('panels.recordDecision')))
    this.decisionForm.addEventListener('submit', (e) => {
      e.preventDefault()
      const text = this.decisionText.value.trim()
      if (!text) { this.decisionText.focus(); return }
      const id = newId()
      const d = new Y.Map()
      const rationale = this.decisionWhy.value.trim()
      const ev = this.evidence
      b.transact(() => {
        b.decisions.set(id, d)
        d.set('text', text)
        d.set('item', b.currentItem())
        d.set('created_at', Date.now())
        if (rationale) d.set('rationale', rationale)
        if (ev.notes.length) d.set('notes', ev.notes.slice(0, 100))
        if (ev.round !== null) d.set('round', ev.round)
      })
      this.decisionText.value = ''
      this.decisionWhy.value = ''
      this.setEvidence({ notes: [], round: null })
    })
    board.prefillDecision = (fields) => this.prefillDecision(fields)
    this.setEvidence(this.evidence)
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
      this.actionForm.reset() // owner and due too: the next action never inherits them
      this.actionOwner.value = ''
      this.actionText.focus()
    })
    this.actionList = h('ul', { class: 'list', id: 'action-list' })
    this.actionsEmpty = h('p', { class: 'empty' }, t('outline.actions.none'))
    this.decisionsEmpty = h('p', { class: 'empty' }, t('outline.decisions.none'))

    // Export
    const exp = (fmt, label) => button(label, async () => {
      try {
        await downloadExport(b.boardId, b.auth.token, fmt)
      } catch (error) {
        toast(error.message, { kind: 'error' })
      }
    }, 'btn btn--sm', { id: `export-${fmt}`, 'aria-label': t('panels.exportAs', { format: label }) })
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

  noteText (id) {
    const n = this.board.notes.get(id)
    if (!(n instanceof Y.Map)) return null
    const t = n.get('text')
    return t instanceof Y.Text ? t.toString() : String(t ?? '')
  }

  /** The evidence of a decision, as shown on the board: the notes (with their dots) and round. */
  evidenceList (d) {
    const ids = Array.isArray(d.notes) ? d.notes : []
    if (!ids.length && typeof d.round !== 'number') return null
    const tally = typeof d.round === 'number' ? this.board.results.get(String(d.round)) : null
    const votes = (id) => (tally instanceof Y.Map ? Number(tally.get(id)) || 0 : 0)
    return h('ul', { class: 'decision__evidence', 'aria-label': t('panels.evidence') },
      typeof d.round === 'number' ? h('li', { class: 'decision__round', text: t('panels.votingRoundN', { round: d.round }) }) : null,
      ...ids.map((id) => {
        const text = this.noteText(id)
        const n = votes(id)
        const shown = text ?? t('panels.deletedNote')
        return h('li', { title: shown, text: n ? t('panels.evidenceDots', { text: shown, count: n }) : t('panels.quoted', { text: shown }) })
      }))
  }

  setEvidence (ev) {
    this.evidence = ev
    const chips = ev.notes.map((id) => h('span', { class: 'chip chip--muted evidence__chip', title: this.noteText(id) || '' }, t('panels.quoted', { text: this.noteText(id) || t('panels.note') })))
    this.evidenceEl.replaceChildren(...(ev.notes.length || ev.round !== null
      ? [h('span', { class: 'small muted' }, ev.round !== null ? t('panels.evidenceFrom', { round: ev.round }) : t('panels.evidenceColon')), ...chips,
          h('button', { class: 'btn btn--sm btn--ghost', type: 'button', id: 'decision-evidence-clear', on: { click: () => this.setEvidence({ notes: [], round: null }) } }, t('panels.removeEvidence'))]
      : []))
    this.evidenceEl.hidden = !(ev.notes.length || ev.round !== null)
  }

  /** "Record decision from result #n": the form, filled in, with the note(s) as evidence. */
  prefillDecision ({ text, rationale, notes, round }) {
    this.decisionText.value = text || ''
    this.decisionWhy.value = rationale || ''
    this.setEvidence({ notes: notes || [], round: typeof round === 'number' ? round : null })
    document.getElementById('tab-btn-actions')?.click()
    this.decisionText.focus()
    this.decisionText.select()
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
        h('div', { class: 'decision__text' }, h('span', { class: 'decision__title', text: String(d.text ?? '') }),
          typeof d.rationale === 'string' && d.rationale ? h('span', { class: 'decision__why', text: d.rationale }) : null,
          this.evidenceList(d),
          d.item && titles.has(d.item) ? h('span', { class: 'decision__item', text: titles.get(d.item) }) : null),
        b.isFacilitator()
          ? h('button', { class: 'icon-btn', type: 'button', 'aria-label': t('panels.deleteDecision'), on: { click: () => this.undo.destructive(t('panels.decisionDeleted'), () => b.decisions.delete(d.id)) } }, icon('close'))
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
    board.groups.observeDeep(() => this.render())
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

  /** Tell the canvas which round's badges to paint (or none, with "hide results"). */
  publish (round) {
    const ui = this.board.ui
    const shown = ui.hideResults ? null : round
    if (ui.shownRound === shown) return
    ui.shownRound = shown
    this.board.emitState()
  }

  render () {
    const b = this.board
    const rounds = this.rounds()
    const groupKey = []
    b.groups.forEach((g, id) => { if (g instanceof Y.Map) groupKey.push([id, g.get('title')]) })
    const key = JSON.stringify([rounds, b.notes.size, this.selected, b.ui.hideResults, b.isFacilitator(), groupKey])
    if (key === this.key) return
    this.key = key
    this.badge.hidden = rounds.length === 0
    this.badge.textContent = rounds.length ? String(rounds.length) : ''
    if (!rounds.length) {
      this.board.decideFromTop = null
      this.publish(null)
      this.root.replaceChildren(h('p', { class: 'empty', id: 'results-empty' }, t('panels.noResults')))
      return
    }
    const selected = rounds.find((r) => r.round === this.selected) || rounds[0]
    this.publish(selected.round)
    const rows = []
    const groupTotals = new Map()
    for (const [noteId, count] of Object.entries(selected.tally)) {
      const note = b.notes.get(noteId)
      if (!(note instanceof Y.Map) || !(count > 0)) continue
      const text = note.get('text')
      rows.push({ id: noteId, label: text instanceof Y.Text ? text.toString() : String(text ?? ''), value: count, created: note.get('created_at') || 0 })
      const gid = note.get('group')
      const group = typeof gid === 'string' ? b.groups.get(gid) : null
      const gkey = group instanceof Y.Map ? gid : ''
      const entry = groupTotals.get(gkey) || { title: group instanceof Y.Map ? (String(group.get('title') || '') || t('outline.groups.untitled')) : t('outline.notes.ungrouped'), value: 0, notes: 0 }
      entry.value += count
      entry.notes += 1
      groupTotals.set(gkey, entry)
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
    const hide = h('label', { class: 'check small' },
      h('input', { type: 'checkbox', id: 'results-hide', checked: Boolean(b.ui.hideResults), on: { change: (e) => { b.ui.hideResults = e.target.checked; this.key = null; this.render() } } }),
      t('panels.hideResults'))
    const fac = b.isFacilitator()
    const decide = (r) => b.prefillDecision?.({
      text: r.label,
      rationale: t('panels.rankedRationale', { rank: r.rank, round: selected.round, count: r.value, total }),
      notes: [r.id],
      round: selected.round
    })
    b.decideFromTop = fac && rows.length ? () => decide(rows[0]) : null
    const groups = [...groupTotals.values()].sort((a, c) => c.value - a.value || a.title.localeCompare(c.title))
    const showGroups = groups.length > 1 || (groups.length === 1 && groups[0].title !== t('outline.notes.ungrouped'))
    this.root.replaceChildren(
      h('div', { class: 'section', id: 'results' },
        h('div', { class: 'section__head' }, h('h3', null, t(selected.live ? 'panels.roundLive' : 'summary.round', { round: selected.round })), picker),
        h('p', { class: 'muted small' }, t('panels.dotsOn', { count: total, notes: t('outline.notes.count', { count: rows.length }) })),
        hide,
        fac && rows.length ? h('button', { class: 'btn btn--sm btn--primary', type: 'button', id: 'decide-top', on: { click: () => decide(rows[0]) } }, t('facbar.decideTop')) : null,
        rows.length ? null : h('p', { class: 'empty' }, t('summary.noDots')),
        h('ol', { class: 'ranking', 'aria-label': t('panels.ranking') }, ...rows.map((r) => {
          const max = rows[0].value || 1
          const bar = h('span', { class: 'ranking__bar', 'aria-hidden': 'true' })
          bar.style.setProperty('--share', String(r.value / max))
          return h('li', { dataset: { note: r.id } },
            h('span', { class: 'ranking__rank' }, `${r.rank}.`),
            h('span', { class: 'ranking__text', text: r.label || t('outline.note.emptyText') }),
            h('span', { class: 'ranking__votes', 'aria-label': t('panels.dots', { count: r.value }) }, String(r.value)),
            bar,
            fac ? h('button', { class: 'btn btn--sm btn--ghost ranking__decide', type: 'button', 'aria-label': t('panels.decideFrom', { rank: r.rank, label: r.label }), on: { click: () => decide(r) } }, t('panels.decide')) : null)
        }))),
      showGroups
        ? h('div', { class: 'section', id: 'group-totals' },
          h('div', { class: 'section__head' }, h('h3', null, t('panels.dotsPerGroup'))),
          h('ol', { class: 'ranking ranking--groups', 'aria-label': t('panels.dotsPerGroup') }, ...groups.map((g) => h('li', null,
            h('span', { class: 'ranking__rank' }, ''),
            h('span', { class: 'ranking__text', text: t('panels.groupNotes', { title: g.title, notes: t('outline.notes.count', { count: g.notes }) }) }),
            h('span', { class: 'ranking__votes' }, String(g.value))))))
        : null
    )
  }

  show () { this.tabs.select('tab-btn-results') }
}
