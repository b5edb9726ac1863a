// Suggested themes: the facilitator asks the server (groups.suggest), previews the themes in a
// side list, renames, picks some or all, and accepts (groups.accept: one server transaction).
// Likely duplicates show as "possible duplicate of …" with merge (notes.merge) or keep both.
import { $, h } from '../lib/dom.js'
import { t } from '../lib/i18n.js'
import { icon } from '../lib/icons.js'
import { toast } from '../lib/toast.js'

const BACKENDS = {
  builtin: () => t('suggest.backend.builtin'),
  minilm: () => t('suggest.backend.minilm'),
  endpoint: () => t('suggest.backend.endpoint')
}

function snippet (text, max = 60) {
  const one = String(text || '').replace(/\s+/g, ' ').trim()
  if (!one) return '(empty note)'
  return one.length > max ? `${one.slice(0, max - 1)}…` : one
}

export class SuggestPanel {
  constructor ({ board, root = $('#tab-session') }) {
    this.board = board
    this.proposal = null // {backend, themes: [{title, note_ids, on}], duplicates, ungrouped}
    this.busy = false
    const link = h('link', { rel: 'stylesheet', href: '/static/css/suggest.css' })
    document.head.append(link)
    this.button = h('button', {
      class: 'btn btn--sm btn--primary', type: 'button', id: 'suggest-themes',
      on: { click: () => this.suggest() }
    }, icon('sparkle'), t('suggest.button'))
    this.state = h('p', { class: 'state-line', id: 'suggest-state' },
      t('suggest.intro'))
    this.preview = h('div', { class: 'suggest', id: 'suggest-preview', hidden: true })
    this.section = h('div', { class: 'section fac-only', id: 'suggest-section' },
      h('div', { class: 'section__head' }, h('h3', null, t('suggest.title'))),
      this.state, h('div', { class: 'row' }, this.button), this.preview)
    root.append(this.section)
    board.addEventListener('state', () => this.render())
    board.notes.observeDeep(() => { if (this.proposal) this.prune() })
    this.render()
  }

  render () {
    this.section.hidden = !this.board.isFacilitator()
    this.button.disabled = this.busy
  }

  async suggest () {
    this.busy = true
    this.render()
    this.state.textContent = t('suggest.reading')
    try {
      const answer = await this.board.command('groups.suggest')
      this.proposal = {
        backend: answer.backend,
        fallback: answer.fallback || null,
        themes: answer.themes.map((theme) => ({ ...theme, on: true })),
        duplicates: answer.duplicates,
        ungrouped: answer.ungrouped
      }
      this.state.textContent = answer.themes.length
        ? `${answer.themes.length} themes proposed. Untick, rename, then accept.`
        : t('suggest.none')
      this.show()
    } catch {
      this.state.textContent = t('suggest.failed')
    } finally {
      this.busy = false
      this.render()
    }
  }

  noteText (id) {
    const note = this.board.notes.get(id)
    return note ? String(note.get('text') ?? '') : ''
  }

  // Notes deleted (or merged) since the suggestion leave the preview. Only a removal redraws
  // it: other edits (people moving notes) must not steal the focus from a title being typed.
  prune () {
    const p = this.proposal
    const alive = (id) => this.board.notes.has(id)
    const gone = [...p.themes, ...p.duplicates].some((entry) => !entry.note_ids.every(alive))
    if (!gone) return
    for (const entry of [...p.themes, ...p.duplicates]) entry.note_ids = entry.note_ids.filter(alive)
    p.themes = p.themes.filter((theme) => theme.note_ids.length)
    p.duplicates = p.duplicates.filter((d) => d.note_ids.length > 1)
    this.show()
  }

  show () {
    const p = this.proposal
    if (!p) {
      this.preview.hidden = true
      this.preview.replaceChildren()
      return
    }
    const backend = h('p', { class: 'suggest__backend', id: 'suggest-backend', dataset: { backend: p.backend } },
      h('span', { class: 'chip chip--muted' }, p.backend), ' ', BACKENDS[p.backend]?.() || p.backend)
    const items = p.themes.map((theme, index) => this.themeRow(theme, index))
    const chosen = p.themes.filter((theme) => theme.on).length
    const actions = h('div', { class: 'row suggest__actions' },
      h('button', { class: 'btn btn--sm btn--primary', type: 'button', id: 'suggest-accept', disabled: !chosen, on: { click: () => this.accept(p.themes.filter((theme) => theme.on)) } },
        chosen === p.themes.length ? t('suggest.acceptAll', { count: chosen }) : t('suggest.acceptSome', { chosen, count: p.themes.length })),
      h('button', { class: 'btn btn--sm', type: 'button', id: 'suggest-dismiss', on: { click: () => this.dismiss() } }, t('suggest.dismiss')))
    const parts = [backend]
    if (p.fallback) parts.push(h('p', { class: 'suggest__warn' }, icon('warn'), ' The configured back end failed; this is the built-in one.'))
    parts.push(h('ol', { class: 'suggest__themes', id: 'suggest-themes-list' }, ...items))
    if (p.ungrouped.length) parts.push(h('p', { class: 'suggest__note' }, `${p.ungrouped.length} ${p.ungrouped.length === 1 ? 'note fits' : 'notes fit'} no theme and stay where they are.`))
    if (p.themes.length) parts.push(actions)
    else parts.push(h('div', { class: 'row' }, actions.lastChild))
    if (p.duplicates.length) parts.push(this.duplicatesList(p.duplicates))
    this.preview.replaceChildren(...parts)
    this.preview.hidden = false
  }

  themeRow (theme, index) {
    const box = h('input', {
      type: 'checkbox', checked: theme.on, 'aria-label': t('suggest.include', { title: theme.title }),
      on: { change: () => { theme.on = box.checked; this.show() } }
    })
    const title = h('input', {
      type: 'text', class: 'suggest__title', value: theme.title, maxlength: '200',
      'aria-label': t('suggest.name', { n: index + 1 }),
      on: { input: () => { theme.title = title.value } }
    })
    const notes = h('ul', { class: 'suggest__notes' }, ...theme.note_ids.slice(0, 4).map((id) => h('li', null, snippet(this.noteText(id)))))
    if (theme.note_ids.length > 4) notes.append(h('li', { class: 'suggest__more' }, `and ${theme.note_ids.length - 4} more`))
    return h('li', { class: `suggest__theme${theme.on ? '' : ' is-off'}`, dataset: { index: String(index) } },
      h('div', { class: 'suggest__head' }, box, title, h('span', { class: 'chip' }, String(theme.note_ids.length))),
      notes)
  }

  duplicatesList (duplicates) {
    const rows = duplicates.map((dup) => {
      const [keep, ...others] = dup.note_ids
      const score = `${Math.round(dup.score * 100)}% alike`
      return h('li', { class: 'suggest__dup', dataset: { notes: dup.note_ids.join(' ') } },
        h('p', null, h('q', null, snippet(others.map((id) => this.noteText(id)).join(' / '), 80)),
          ' possible duplicate of ', h('q', null, snippet(this.noteText(keep), 80)),
          h('span', { class: 'suggest__score' }, ` (${score})`)),
        h('div', { class: 'row' },
          h('button', { class: 'btn btn--sm', type: 'button', on: { click: () => this.merge(dup) } }, t('suggest.merge')),
          h('button', { class: 'btn btn--sm btn--ghost', type: 'button', on: { click: () => this.keepBoth(dup) } }, t('suggest.keepBoth'))))
    })
    return h('div', { class: 'suggest__dups' }, h('h4', null, t('suggest.duplicates')), h('ul', { id: 'suggest-duplicates' }, ...rows))
  }

  async accept (themes) {
    const body = themes.map((theme) => ({ title: theme.title.trim() || t('suggest.untitled'), note_ids: theme.note_ids }))
    try {
      const answer = await this.board.command('groups.accept', { themes: body })
      toast(`${answer.groups.length} ${answer.groups.length === 1 ? 'group' : 'groups'} created.`, { kind: 'ok' })
      this.proposal.themes = this.proposal.themes.filter((theme) => !themes.includes(theme))
      if (!this.proposal.themes.length && !this.proposal.duplicates.length) this.dismiss()
      else this.show()
      this.state.textContent = t('suggest.created')
    } catch {}
  }

  async merge (dup) {
    try {
      await this.board.command('notes.merge', { note_ids: dup.note_ids })
      this.keepBoth(dup)
    } catch {}
  }

  keepBoth (dup) {
    this.proposal.duplicates = this.proposal.duplicates.filter((d) => d !== dup)
    this.show()
  }

  dismiss () {
    this.proposal = null
    this.state.textContent = t('suggest.intro')
    this.show()
  }
}
