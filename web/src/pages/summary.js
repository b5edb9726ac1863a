// The summary page: the session's outcomes (decisions, actions, results) from the export JSON.
import { $, h, pageData } from '../lib/dom.js'
import { download, api } from '../lib/api.js'
import { loadAuth } from '../lib/auth.js'
import { barChart } from '../lib/chart.js'
import { noteColor } from '../lib/colors.js'
import { toast } from '../lib/toast.js'
import { addLanguageSwitch, translatePage } from '../lib/i18n-page.js'
import { t, formatDate, formatDateTime } from '../lib/i18n.js'

translatePage('summary')
addLanguageSwitch()

const data = pageData()
const boardId = data.board_id
const auth = loadAuth(boardId)
const status = $('#summary-status')

function fmtDate (iso) {
  if (!iso) return ''
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? String(iso) : formatDateTime(d)
}

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
      h('span', { class: 'decision__text' }, d.text || '', d.item_title ? h('span', { class: 'decision__item', text: d.item_title }) : null))))
    : empty(t('summary.noDecisions')))

  const actions = x.actions || []
  $('#summary-actions').replaceChildren(actions.length
    ? h('table', { class: 'table' },
      h('thead', null, h('tr', null, h('th', null, t('summary.thAction')), h('th', null, t('summary.thOwner')), h('th', null, t('summary.thDue')), h('th', null, t('summary.thStatus')))),
      h('tbody', null, ...actions.map((a) => h('tr', null,
        h('td', { text: a.text || '' }),
        h('td', { text: a.owner_name || a.owner || '—' }),
        h('td', { text: a.due ? formatDate(a.due) : '—' }),
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
  }

  const agenda = $('#summary-agenda')
  agenda.replaceChildren()
  const chips = (notes) => h('div', { class: 'note-chips' }, ...notes.map((n) => h('div', {
    class: `note-chip note-chip--${noteColor(n.color)}`, title: n.author_name ? t('outline.note.by', { name: n.author_name }) : null
  }, n.text || '', n.votes ? h('strong', null, ` · ${n.votes}●`) : null)))
  for (const item of x.agenda || []) {
    agenda.append(h('h3', null, item.minutes ? t('summary.itemMinutes', { title: item.title, count: item.minutes }) : String(item.title ?? '')),
      item.notes && item.notes.length ? chips(item.notes) : empty(t('summary.noNotes')))
  }
  if ((x.unassigned_notes || []).length) agenda.append(h('h3', null, t('summary.otherNotes')), chips(x.unassigned_notes))
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
        click: () => download(`/api/boards/${encodeURIComponent(boardId)}/export?format=${fmt}`, auth.token, `planboard.${fmt}`)
          .catch((e) => toast(e.message, { kind: 'error' }))
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
