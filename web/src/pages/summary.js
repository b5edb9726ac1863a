// The summary page: the session's outcomes (decisions, actions, results) from the export JSON.
import { $, h, pageData } from '../lib/dom.js'
import { download, api } from '../lib/api.js'
import { loadAuth } from '../lib/auth.js'
import { barChart } from '../lib/chart.js'
import { noteColor } from '../lib/colors.js'
import { toast } from '../lib/toast.js'
import { addLanguageSwitch, translatePage } from '../lib/i18n-page.js'

translatePage('summary')
addLanguageSwitch()

const data = pageData()
const boardId = data.board_id
const auth = loadAuth(boardId)
const status = $('#summary-status')

function fmtDate (iso) {
  if (!iso) return ''
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

function empty (text) { return h('p', { class: 'empty', text }) }

function render (x) {
  const board = x.board || {}
  $('#summary-title').textContent = board.title || 'Untitled board'
  document.title = `Summary: ${board.title || 'board'} · planboard`
  $('#summary-objective').textContent = board.objective || ''
  const people = (x.participants || []).map((p) => p.name).filter(Boolean)
  $('#summary-meta').textContent = [board.created_at ? `Session of ${fmtDate(board.created_at)}` : '', people.length ? `${people.length} participants: ${people.join(', ')}` : ''].filter(Boolean).join(' · ')

  const decisions = x.decisions || []
  $('#summary-decisions').replaceChildren(decisions.length
    ? h('ul', { class: 'list' }, ...decisions.map((d) => h('li', { class: 'decision' },
      h('span', { class: 'decision__text' }, d.text || '', d.item_title ? h('span', { class: 'decision__item', text: d.item_title }) : null))))
    : empty('No decisions recorded.'))

  const actions = x.actions || []
  $('#summary-actions').replaceChildren(actions.length
    ? h('table', { class: 'table' },
      h('thead', null, h('tr', null, h('th', null, 'Action'), h('th', null, 'Owner'), h('th', null, 'Due'), h('th', null, 'Status'))),
      h('tbody', null, ...actions.map((a) => h('tr', null,
        h('td', { text: a.text || '' }),
        h('td', { text: a.owner_name || a.owner || '—' }),
        h('td', { text: a.due || '—' }),
        h('td', null, h('span', { class: `chip ${a.status === 'done' ? 'chip--ok' : 'chip--muted'}`, text: a.status === 'done' ? 'done' : 'open' }))))))
    : empty('No action items.'))

  const rounds = x.voting_rounds || []
  const results = $('#summary-results')
  results.replaceChildren()
  if (!rounds.length) results.append(empty('No revealed voting round.'))
  for (const r of [...rounds].reverse()) {
    const rows = (r.ranking || []).filter((row) => row.votes > 0).map((row) => ({ label: row.text, value: row.votes }))
    results.append(h('h3', null, `Round ${r.round}${r.secret === true ? ' (secret)' : r.secret === false ? ' (open)' : ''}`),
      rows.length ? barChart(rows.slice(0, 15), { title: `Votes per note, round ${r.round}`, width: 720 }) : empty('No dots were placed.'))
  }

  const agenda = $('#summary-agenda')
  agenda.replaceChildren()
  const chips = (notes) => h('div', { class: 'note-chips' }, ...notes.map((n) => h('div', {
    class: `note-chip note-chip--${noteColor(n.color)}`, title: n.author_name ? `by ${n.author_name}` : null
  }, n.text || '', n.votes ? h('strong', null, ` · ${n.votes}●`) : null)))
  for (const item of x.agenda || []) {
    agenda.append(h('h3', null, `${item.title}${item.minutes ? ` (${item.minutes} min)` : ''}`),
      item.notes && item.notes.length ? chips(item.notes) : empty('No notes.'))
  }
  if ((x.unassigned_notes || []).length) agenda.append(h('h3', null, 'Other notes'), chips(x.unassigned_notes))
  if (!agenda.children.length) agenda.append(empty('No agenda.'))
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
        click: () => download(`/api/boards/${encodeURIComponent(boardId)}/export?format=${fmt}`, auth.token, `planboard.${fmt}`)
          .catch((e) => toast(e.message, { kind: 'error' }))
      }
    }, `Export ${label}`))
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
