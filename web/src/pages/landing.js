// Landing page: pick a template, create a board, land on it as its facilitator.
import { api } from '../lib/api.js'
import { recentBoards, saveAuth } from '../lib/auth.js'
import { $, $$, h, pageData } from '../lib/dom.js'
import { addLanguageSwitch, translatePage } from '../lib/i18n-page.js'
import { t as tr } from '../lib/i18n.js'

translatePage('landing')
addLanguageSwitch()

const data = pageData()
const templates = new Map((data.templates || []).map((t) => [t.id, t]))
const form = $('#create-form')
const titleInput = $('#title')
const nameInput = $('#name')
const errorEl = $('#create-error')
const submit = $('#create-submit')

try {
  const saved = localStorage.getItem('planboard.name')
  if (saved && !nameInput.value) nameInput.value = saved
} catch {}

function selectedTemplate () {
  const checked = $('input[name="template"]:checked', form)
  return checked ? checked.value : 'blank'
}

function showTemplate () {
  const id = selectedTemplate()
  for (const el of $$('[data-template]')) el.hidden = el.dataset.template !== id
  const t = templates.get(id)
  titleInput.placeholder = t && t.title ? t.title : tr('landing.titlePh')
  const objective = $('#objective')
  objective.placeholder = t && t.objective ? t.objective : tr('landing.objectivePh')
}

form.addEventListener('change', (event) => {
  if (event.target.name === 'template') showTemplate()
})
showTemplate()

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  errorEl.textContent = ''
  const name = nameInput.value.trim()
  if (!name) {
    errorEl.textContent = tr('landing.needName')
    nameInput.focus()
    return
  }
  const body = {
    template: selectedTemplate(),
    name,
    title: titleInput.value.trim() || undefined,
    objective: $('#objective').value.trim() || undefined
  }
  submit.disabled = true
  submit.textContent = tr('landing.creating')
  try {
    const created = await api('/api/boards', { method: 'POST', body })
    try { localStorage.setItem('planboard.name', name) } catch {}
    const t = templates.get(body.template)
    saveAuth(created.id, {
      token: created.token,
      participant_id: created.participant_id,
      role: created.role,
      name
    }, body.title || (t && t.title) || '')
    try { sessionStorage.setItem(`planboard.created.${created.id}`, '1') } catch {}
    location.assign(`/b/${encodeURIComponent(created.id)}`)
  } catch (error) {
    errorEl.textContent = error.message
    submit.disabled = false
    submit.textContent = tr('landing.submit')
  }
})

const recent = recentBoards()
if (recent.length) {
  const list = $('#recent-list')
  for (const board of recent.slice(0, 5)) {
    list.append(h('li', null,
      h('a', { href: `/b/${encodeURIComponent(board.id)}` },
        h('span', { text: board.title || tr('common.untitledBoard') }),
        h('span', { class: 'muted small', text: board.role === 'facilitator' ? tr('landing.roleFacilitator') : board.name || '' })
      )
    ))
  }
  $('#recent').hidden = false
}
