// Join page: a display name, then a participant token for this board, then the board.
import { api } from '../lib/api.js'
import { loadAuth, saveAuth } from '../lib/auth.js'
import { $, pageData } from '../lib/dom.js'
import { addLanguageSwitch, translatePage } from '../lib/i18n-page.js'
import { t } from '../lib/i18n.js'

translatePage('join')
addLanguageSwitch()

const data = pageData()
const boardId = data.board_id
const form = $('#join-form')
const nameInput = $('#join-name')
const errorEl = $('#join-error')
const submit = $('#join-submit')

const existing = loadAuth(boardId)
if (existing) {
  $('#join-continue').hidden = false
  $('#continue-link').textContent = existing.name ? t('join.continueAs', { name: existing.name }) : t('join.continue')
}
try {
  const saved = localStorage.getItem('planboard.name')
  if (saved) nameInput.value = saved
} catch {}
nameInput.focus()

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  errorEl.textContent = ''
  const name = nameInput.value.trim()
  if (!name) {
    errorEl.textContent = t('join.needName')
    nameInput.focus()
    return
  }
  submit.disabled = true
  submit.textContent = t('join.joining')
  try {
    const joined = await api(`/api/boards/${encodeURIComponent(boardId)}/participants`, {
      method: 'POST',
      body: { name }
    })
    try { localStorage.setItem('planboard.name', name) } catch {}
    saveAuth(boardId, { token: joined.token, participant_id: joined.participant_id, role: joined.role, name }, data.title)
    location.assign(`/b/${encodeURIComponent(boardId)}`)
  } catch (error) {
    errorEl.textContent = error.message
    submit.disabled = false
    submit.textContent = t('join.submit')
  }
})
