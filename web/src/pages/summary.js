// The summary page: the session's outcomes (decisions, actions, results) from the export JSON.
import { $, h, pageData } from '../lib/dom.js'
import { downloadExport, api } from '../lib/api.js'
import { formatDateTime, formatDay } from '../lib/dates.js'
import { loadAuth } from '../lib/auth.js'
import { barChart } from '../lib/chart.js'
import { noteColor } from '../lib/colors.js'
import { toast } from '../lib/toast.js'
import { addLanguageSwitch, translatePage } from '../lib/i18n-page.js'
import { t } from '../lib/i18n.js'

translatePage('summary')
addLanguageSwitch()

const data = pageData()
const boardId = data.board_id
const auth = loadAuth(boardId)
const status = $('#summary-status')

const fmtDate = formatDateTime
const dots = (n) => t('summary.votes', { count: n })

function empty (text) { return h('p', { class: 'empty', text }) }

function render (x) {
  const board = x.board || {}
  $('#summary-title').textContent = board.title || t('common.untitledBoard')
  document.title = t('summary.docTitle', { title: board.title || t('common.untitledBoard') })
  $('#summary-objective').textContent = board.objective || ''
  const people = (x.participants || []).map((p) => p.name).filter(Boolean)
  $('#summary-meta').textContent = [board.created_at ? t('summary.sessionOf', { date: fmtDate(board.created_at) }) : '', people.length ? t('summary.people', { count: people.length, names: people.join(', ') }) : ''].filter(Boolean).join(' · ')

  const decisions = x.decisions || []
  $('#summary-decisions').replaceChildren(decisions.length
    ? h('ul', { class: 'list' }, ...decisions.map((d) => h('li', { class: 'decision' },
      h('div', { class: 'decision__text' },
        h('span', { class: 'decision__title', text: d.text || '' }),
        d.rationale ? h('span', { class: 'decision__why', text: d.rationale }) : null,
        (d.evidence || []).length || d.round
          ? h('ul', { class: 'decision__evidence', 'aria-label': t('panels.evidence') },
            d.round ? h('li', { class: 'decision__round', text: t('panels.votingRoundN', { round: d.round }) }) : null,
            ...(d.evidence || []).map((ev) => h('li', { text: ev.votes ? t('summary.evidenceVotes', { text: ev.text || t('panels.deletedNote'), count: ev.votes }) : t('panels.quoted', { text: ev.text || t('panels.deletedNote') }) })))
          : null,
        d.item_title ? h('span', { class: 'decision__item', text: d.item_title }) : null))))
    : empty(t('summary.noDecisions')))

  const actions = x.actions || []
  $('#summary-actions').replaceChildren(actions.length
    ? h('table', { class: 'table' },
      h('thead', null, h('tr', null, h('th', null, t('summary.thAction')), h('th', null, t('summary.thOwner')), h('th', null, t('summary.thDue')), h('th', null, t('summary.thStatus')))),
      h('tbody', null, ...actions.map((a) => h('tr', { class: a.actionable ? '' : 'is-not-actionable' },
        h('td', null, h('span', { text: a.text || '' }),
          a.actionable ? null : h('span', { class: 'action__warn summary__warn', text: t('panels.notActionable', { what: (a.warnings || []).join(t('panels.and')) }) })),
        h('td', { text: a.owner_name || a.owner || '—' }),
        h('td', { class: 'nowrap', text: a.due ? formatDay(a.due) : '—' }),
        h('td', null, h('span', { class: `chip ${a.status === 'done' ? 'chip--ok' : 'chip--muted'}`, text: a.status === 'done' ? t('summary.done') : t('summary.open') }))))))
    : empty(t('summary.noActions')))

  const rounds = x.voting_rounds || []
  const results = $('#summary-results')
  results.replaceChildren()
  if (!rounds.length) results.append(empty(t('summary.noRounds')))
  for (const r of [...rounds].reverse()) {
    const rows = (r.ranking || []).filter((row) => row.votes > 0).map((row) => ({ label: row.text, value: row.votes }))
    results.append(h('h3', null, t(r.secret === true ? 'summary.roundSecret' : r.secret === false ? 'summary.roundOpen' : 'summary.round', { round: r.round })),
      rows.length ? barChart(rows.slice(0, 15), { title: t('summary.chartTitle', { round: r.round }), width: 720 }) : empty(t('summary.noDots')))
    const totals = (r.group_totals || [])
    if (totals.some((g) => g.group)) {
      results.append(h('table', { class: 'table group-totals', 'aria-label': t('summary.groupTotals', { round: r.round }) },
        h('thead', null, h('tr', null, h('th', null, t('summary.thGroup')), h('th', null, t('summary.thNotes')), h('th', null, t('summary.thVotes')))),
        h('tbody', null, ...totals.map((g) => h('tr', null,
          h('td', { text: g.group ? (g.title || t('outline.groups.untitled')) : t('outline.notes.ungrouped') }),
          h('td', { text: String(g.notes) }), h('td', { text: String(g.votes) }))))))
    }
  }

  const agenda = $('#summary-agenda')
  agenda.replaceChildren()
  const votesText = (n) => {
    const by = Object.entries(n.votes_by_round || {})
    if (by.length > 1) return ' · ' + by.map(([r, v]) => t('summary.roundVotes', { round: r, votes: dots(v) })).join(', ')
    return n.votes ? ` · ${dots(n.votes)}` : ''
  }
  const chip = (n) => h('div', {
    class: `note-chip note-chip--${noteColor(n.color)}`, title: n.author_name ? t('outline.note.by', { name: n.author_name }) : null
  }, n.text || '', votesText(n) ? h('strong', null, votesText(n)) : null)
  // Notes as on the board: by group (the export lists grouped notes first, group by group).
  const chips = (notes) => {
    const out = []
    let current = Symbol('none')
    let box = null
    for (const n of notes) {
      const key = n.group || null
      if (key !== current) {
        current = key
        box = h('div', { class: 'note-chips' })
        out.push(h('div', { class: 'summary-group' },
          h('h4', { class: 'summary-group__title', text: n.group ? (n.group_title || t('outline.groups.untitled')) : (notes.some((x) => x.group) ? t('outline.notes.ungrouped') : '') }), box))
      }
      box.append(chip(n))
    }
    return out
  }
  for (const item of x.agenda || []) {
    agenda.append(h('h3', null, item.minutes ? t('summary.itemMinutes', { title: item.title, count: item.minutes }) : String(item.title ?? '')),
      ...(item.notes && item.notes.length ? chips(item.notes) : [empty(t('summary.noNotes'))]))
  }
  if ((x.unassigned_notes || []).length) agenda.append(h('h3', null, t('summary.otherNotes')), ...chips(x.unassigned_notes))
  if (!agenda.children.length) agenda.append(empty(t('summary.noAgenda')))
}

async function load () {
  if (!auth) {
    location.replace(`/b/${encodeURIComponent(boardId)}/join`)
    return
  }
  const exportRow = $('#summary-export')
  for (const [fmt, label] of [['md', 'Markdown'], ['csv', 'CSV'], ['json', 'JSON']]) {
    exportRow.append(h('button', {
      class: 'btn btn--sm', type: 'button', id: `export-${fmt}`,
      on: {
        click: () => downloadExport(boardId, auth.token, fmt).catch((e) => toast(e.message, { kind: 'error' }))
      }
    }, t('summary.exportAs', { format: label })))
  }
  try {
    const x = await api(`/api/boards/${encodeURIComponent(boardId)}/export?format=json`, { token: auth.token })
    render(x)
    status.hidden = true
    $('#summary-body').hidden = false
  } catch (error) {
    status.textContent = error.message
  }
}

load()
