// Presence through awareness: avatars, live cursors, who is typing where, follow the facilitator.
import { h, s, rafThrottle, throttle } from '../lib/dom.js'
import { initials } from '../lib/colors.js'
import { toast } from '../lib/toast.js'
import { icon } from '../lib/icons.js'
import { t } from '../lib/i18n.js'

function avatarTitle (p, hand) {
  const name = p.me ? t('notes.nameYou', { name: p.name }) : p.name
  return hand ? t('presence.withHand', { name }) : name
}

function cursorArrow (color) {
  return s('svg', { viewBox: '0 0 20 20', 'aria-hidden': 'true' },
    s('path', { d: 'M2 1.5 L17 9.2 L10 10.8 L6.6 17.6 Z', fill: color, stroke: '#fff', 'stroke-width': '1.5', 'stroke-linejoin': 'round' }))
}

export class Presence extends EventTarget {
  constructor ({ board, viewport, cursorsLayer, avatarList, notes, followButton }) {
    super()
    this.board = board
    this.viewport = viewport
    this.cursorsLayer = cursorsLayer
    this.avatarList = avatarList
    this.notes = notes
    this.followButton = followButton
    this.awareness = board.awareness
    this.cursors = new Map()
    this.online = new Set()
    this.following = false
    this.lastSummon = null
    this.render = rafThrottle(() => this.draw())
    this.publishUser()
    board.addEventListener('state', () => { this.publishUser(); this.checkSummon(); this.render() })
    this.awareness.on('change', () => this.render())

    const sendCursor = throttle((pos) => this.awareness.setLocalStateField('cursor', pos), 40)
    const canvas = viewport.canvas
    canvas.addEventListener('pointermove', (e) => {
      if (e.pointerType === 'touch') return
      const p = viewport.toWorld(e.clientX, e.clientY)
      sendCursor({ x: Math.round(p.x), y: Math.round(p.y) })
    })
    canvas.addEventListener('pointerleave', () => sendCursor(null))
    let lastViewport = ''
    const sendViewport = throttle(() => {
      const c = viewport.center()
      // The zoom as it is: a follower rounding a rounded value could show 78 % where the leader shows 77 %.
      const v = { x: Math.round(c.x), y: Math.round(c.y), zoom: viewport.zoom }
      const key = JSON.stringify(v)
      if (key === lastViewport) return
      lastViewport = key
      this.awareness.setLocalStateField('viewport', v)
    }, 120)
    viewport.addEventListener('change', (e) => {
      sendViewport()
      this.placeCursors()
      if (this.following && e.detail.reason === 'user') this.setFollowing(false, t('presence.stopped'))
    })
    sendViewport()
    followButton.addEventListener('click', () => this.setFollowing(!this.following))
  }

  publishUser () {
    const b = this.board
    const user = { id: b.me, name: b.name(b.me), color: b.color(), role: b.role() }
    const current = this.awareness.getLocalState()?.user
    if (!current || current.name !== user.name || current.role !== user.role || current.color !== user.color) this.awareness.setLocalStateField('user', user)
    this.followButton.hidden = b.isFacilitator()
  }

  setEditing (key) {
    this.awareness.setLocalStateField('editing', key)
  }

  remoteStates () {
    const out = []
    this.awareness.getStates().forEach((state, clientId) => {
      if (clientId !== this.board.doc.clientID && state && state.user) out.push([clientId, state])
    })
    return out
  }

  leader () {
    for (const [, state] of this.remoteStates()) {
      if (state.user.role === 'facilitator' && state.user.id !== this.board.me && state.viewport) return state
    }
    return null
  }

  setFollowing (on, message) {
    if (on && !this.leader()) {
      toast(t('presence.noFacilitator'))
      on = false
    }
    this.following = on
    this.followButton.setAttribute('aria-pressed', String(on))
    this.followButton.textContent = on ? t('presence.following') : t('board.follow')
    if (message) toast(message)
    if (on) this.applyFollow()
  }

  applyFollow () {
    const state = this.leader()
    if (!state) return
    const v = state.viewport
    if (typeof v.x !== 'number' || typeof v.y !== 'number') return
    const c = this.viewport.center()
    const zoom = v.zoom || 1
    if (Math.abs(c.x - v.x) < 1 && Math.abs(c.y - v.y) < 1 && Math.abs(this.viewport.zoom - zoom) < 0.001) return
    this.viewport.setCenter(v.x, v.y, zoom, 'follow')
  }

  checkSummon () {
    const summon = this.board.sessionSet('summon')
    const counter = typeof summon.counter === 'number' ? summon.counter : 0
    if (this.lastSummon === null) {
      if (this.board.synced) this.lastSummon = counter
      return
    }
    if (counter > this.lastSummon) {
      this.lastSummon = counter
      if (summon.by !== this.board.me && typeof summon.x === 'number') {
        this.viewport.setCenter(summon.x, summon.y, summon.zoom || 1, 'summon')
        toast(t('presence.summoned', { name: this.board.name(summon.by) }))
      }
    }
  }

  draw () {
    const states = this.remoteStates()
    // Avatars: one per person (a person may have several tabs), me first.
    const people = new Map()
    people.set(this.board.me, { id: this.board.me, name: this.board.name(this.board.me), color: this.board.color(), me: true })
    for (const [, state] of states) {
      const u = state.user
      if (!people.has(u.id)) people.set(u.id, { id: u.id, name: this.board.name(u.id) || u.name, color: u.color })
    }
    this.online = new Set(people.keys())
    const list = [...people.values()]
    const shown = list.slice(0, 6)
    const hands = this.board.sessionSet('hands')
    // The initials are drawn by CSS (data-initials), not text: the button's accessible name is
    // "People on this board", and its visible text must not contradict it (WCAG 2.5.3).
    this.avatarList.replaceChildren(...shown.map((p) => h('span', {
      class: `avatar${p.me ? ' avatar--me' : ''}${hands[p.id] ? ' has-hand' : ''}`, title: avatarTitle(p, hands[p.id]), 'data-initials': initials(p.name)
    }, hands[p.id] ? h('span', { class: 'avatar__hand', 'aria-hidden': 'true' }, icon('hand')) : null)))
    shown.forEach((p, i) => this.avatarList.children[i].style.setProperty('--c', p.color))
    if (list.length > shown.length) {
      this.avatarList.append(h('span', { class: 'avatar avatar--more', title: list.slice(6).map((p) => p.name).join(', '), 'data-initials': t('presence.more', { count: list.length - shown.length }) }))
    }

    // Cursors, keyed by client (two tabs of one person are two cursors).
    const alive = new Set()
    for (const [clientId, state] of states) {
      if (!state.cursor || typeof state.cursor.x !== 'number') continue
      alive.add(clientId)
      let c = this.cursors.get(clientId)
      if (!c) {
        const name = h('span', { class: 'cursor__name' })
        c = { el: h('div', { class: 'cursor', dataset: { user: state.user.id } }, cursorArrow(state.user.color), name), name }
        c.name.style.setProperty('--c', state.user.color)
        this.cursors.set(clientId, c)
        this.cursorsLayer.append(c.el)
      }
      c.name.textContent = state.user.name
      c.x = state.cursor.x
      c.y = state.cursor.y
    }
    for (const [clientId, c] of this.cursors) {
      if (!alive.has(clientId)) { c.el.remove(); this.cursors.delete(clientId) }
    }
    this.placeCursors()

    // Who is typing in which note.
    const editing = new Map()
    for (const [, state] of states) {
      if (typeof state.editing === 'string') {
        const list = editing.get(state.editing) || []
        list.push({ name: state.user.name, color: state.user.color })
        editing.set(state.editing, list)
      }
    }
    for (const [key, view] of this.notes.views) view.setEditors(editing.get(key) || [])

    if (this.following) {
      if (this.leader()) this.applyFollow()
      else this.setFollowing(false, t('presence.left'))
    }
    this.dispatchEvent(new Event('change'))
  }

  placeCursors () {
    const k = 1 / this.viewport.zoom
    for (const c of this.cursors.values()) c.el.style.transform = `translate(${c.x}px, ${c.y}px) scale(${k})`
  }
}
