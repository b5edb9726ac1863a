"""The session's outcomes as data (JSON schema v1), Markdown and CSV. Pure: no I/O.

The export reads only what the board document already shows to every member, so a secret
voting round that was never revealed cannot appear in it: its tallies are not in `results`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pycrdt import Array, Doc, Map

from crdt.facilitation import ranking

SCHEMA_ID = "planboard.export/v1"


def _iso(ms: Any) -> str | None:
    if isinstance(ms, int | float) and ms > 0:
        return datetime.fromtimestamp(ms / 1000.0, tz=UTC).isoformat(timespec="seconds")
    return None


def _root(doc: Doc[Any], name: str, kind: type) -> Any:
    value = doc.get(name, type=kind).to_py()
    return value if value is not None else ({} if kind is Map else [])


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class _Board:
    """The doc's roots as plain data, read once, and the lookups every section shares."""

    doc: Doc[Any]
    meta: dict[str, Any]
    participants: dict[str, Any]
    notes: dict[str, Any]
    groups: dict[str, Any]
    items: list[dict[str, Any]]  # the agenda's entries that are maps
    session: dict[str, Any]
    results: dict[str, Any]
    actions: dict[str, Any]
    decisions: dict[str, Any]
    names: dict[str, str]  # participant id -> name
    titles: dict[str, str]  # agenda item id -> title


@dataclass(frozen=True)
class _Votes:
    """Votes per note: the latest round that shows tallies, and every round it got some in."""

    latest: dict[str, int]
    by_round: dict[str, dict[str, int]]


def _read(doc: Doc[Any]) -> _Board:
    participants = _root(doc, "participants", Map)
    items = [i for i in _root(doc, "agenda", Array) if isinstance(i, dict)]
    return _Board(
        doc=doc,
        meta=_root(doc, "meta", Map),
        participants=participants,
        notes=_root(doc, "notes", Map),
        groups=_root(doc, "groups", Map),
        items=items,
        session=_root(doc, "session", Map),
        results=_root(doc, "results", Map),
        actions=_root(doc, "actions", Map),
        decisions=_root(doc, "decisions", Map),
        names={pid: _str(p.get("name")) for pid, p in participants.items() if isinstance(p, dict)},
        titles={_str(i.get("id")): _str(i.get("title")) for i in items},
    )


def build_export(
    doc: Doc[Any],
    *,
    board_id: str,
    audit: list[dict[str, Any]],
    generated_at_ms: float,
) -> dict[str, Any]:
    board = _read(doc)
    rounds, estimation_rounds = _rounds(board)
    votes = _votes(rounds)
    by_item = _notes_by_item(board, votes)
    return {
        "schema": SCHEMA_ID,
        "generated_at": _iso(generated_at_ms),
        "board": _board_section(board, board_id),
        "participants": _participants(board),
        "agenda": _agenda(board, by_item),
        "unassigned_notes": by_item.get(None, []),
        "voting_rounds": rounds,
        "estimation_rounds": estimation_rounds,
        "decisions": _decisions(board, votes),
        "actions": _actions(board),
        "audit": audit,
    }


def _board_section(board: _Board, board_id: str) -> dict[str, Any]:
    meta = board.meta
    return {
        "id": board_id,
        "title": _str(meta.get("title")),
        "objective": _str(meta.get("objective")),
        "template": _str(meta.get("template")),
        "created_at": _iso(meta.get("created_at")),
        "follow_up_of": meta.get("follow_up_of")
        if isinstance(meta.get("follow_up_of"), str)
        else None,
        "follow_ups": [f for f in meta.get("follow_ups") or [] if isinstance(f, str)],
    }


def _participants(board: _Board) -> list[dict[str, Any]]:
    return [
        {"id": pid, "name": _str(p.get("name")), "role": _str(p.get("role"))}
        for pid, p in sorted(board.participants.items(), key=lambda kv: _str(kv[1].get("name")))
        if isinstance(p, dict)
    ]


def _rounds(board: _Board) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The dot-voting rounds (ranking and group totals) and the estimation rounds, in order."""
    results = board.results
    open_round, kept_settings = board.session.get("voting"), board.session.get("rounds")
    voting: dict[str, Any] = open_round if isinstance(open_round, dict) else {}
    settings: dict[str, Any] = kept_settings if isinstance(kept_settings, dict) else {}
    rounds: list[dict[str, Any]] = []
    estimation_rounds: list[dict[str, Any]] = []
    for round_key in sorted(results, key=lambda k: int(float(k)) if k.isdigit() else 0):
        number = int(float(round_key)) if round_key.isdigit() else 0
        entries = results[round_key] or {}
        if any(isinstance(v, dict) for v in entries.values()):
            estimation_rounds.append(_estimation_round(number, entries, board.notes))
            continue
        tally = {n: int(c) for n, c in entries.items() if isinstance(c, int | float)}
        status = "revealed"
        kept = settings.get(round_key)
        secret = bool(kept.get("secret", True)) if isinstance(kept, dict) else None
        if voting and int(voting.get("round", 0)) == number:
            status = _str(voting.get("status")) or "closed"
            secret = bool(voting.get("secret", True))
        rows = ranking(tally, board.doc)
        rounds.append(
            {
                "round": number,
                "status": status,
                "secret": secret,
                "ranking": rows,
                "group_totals": _group_totals(rows, board.notes, board.groups),
            }
        )
    return rounds, estimation_rounds


def _votes(rounds: list[dict[str, Any]]) -> _Votes:
    latest: dict[str, int] = {}
    by_round: dict[str, dict[str, int]] = {}
    for r in rounds:
        latest = {row["note_id"]: row["votes"] for row in r["ranking"]}
        for row in r["ranking"]:
            if row["votes"] > 0:
                by_round.setdefault(row["note_id"], {})[str(r["round"])] = row["votes"]
    return _Votes(latest, by_round)


def _note_view(board: _Board, votes: _Votes, note_id: str, note: dict[str, Any]) -> dict[str, Any]:
    group_id = note.get("group") if isinstance(note.get("group"), str) else None
    group = board.groups.get(group_id) if group_id else None
    return {
        "id": note_id,
        "text": _str(note.get("text")),
        "author": _str(note.get("author")),
        "author_name": board.names.get(_str(note.get("author")), ""),
        "color": _str(note.get("color")),
        "group": group_id,
        "group_title": _str(group.get("title")) if isinstance(group, dict) else None,
        "votes": votes.latest.get(note_id, 0),
        "votes_by_round": votes.by_round.get(note_id, {}),
        "estimate": note.get("estimate") if isinstance(note.get("estimate"), str) else None,
        "created_at": _iso(note.get("created_at")),
    }


def _notes_by_item(board: _Board, votes: _Votes) -> dict[str | None, list[dict[str, Any]]]:
    """Each agenda item's notes (None: no item, or one that is gone), in reading order."""

    def order(n: tuple[str, dict[str, Any]]) -> tuple[int, str, str, float, str]:
        """Grouped notes first, group by group, then the rest; oldest first inside."""
        group_id = n[1].get("group") if isinstance(n[1].get("group"), str) else None
        group = board.groups.get(group_id) if group_id else None
        created = n[1].get("created_at")
        return (
            0 if group_id else 1,
            _str(group.get("title")) if isinstance(group, dict) else "",
            group_id or "",
            float(created) if isinstance(created, int | float) else 0.0,
            n[0],
        )

    by_item: dict[str | None, list[dict[str, Any]]] = {}
    for note_id, note in sorted(board.notes.items(), key=order):
        if isinstance(note, dict):
            item = note.get("item") if note.get("item") in board.titles else None
            by_item.setdefault(item, []).append(_note_view(board, votes, note_id, note))
    return by_item


def _agenda(board: _Board, by_item: dict[str | None, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    agenda_out = []
    current = board.session.get("current_item")
    for item in board.items:
        item_id = _str(item.get("id"))
        agenda_out.append(
            {
                "id": item_id,
                "title": _str(item.get("title")),
                "minutes": item.get("minutes"),
                "kind": _str(item.get("kind")),
                "current": item_id == current,
                "notes": by_item.get(item_id, []),
            }
        )
    return agenda_out


def _decisions(board: _Board, votes: _Votes) -> list[dict[str, Any]]:
    """Oldest first, each with the notes it rests on and their latest votes."""
    notes, titles = board.notes, board.titles
    decisions_out = []
    for dec_id, dec in sorted(
        board.decisions.items(),
        key=lambda d: (d[1].get("created_at") or 0) if isinstance(d[1], dict) else 0,
    ):
        if not isinstance(dec, dict):
            continue
        evidence_ids: list[Any] = dec["notes"] if isinstance(dec.get("notes"), list) else []
        decisions_out.append(
            {
                "id": dec_id,
                "text": _str(dec.get("text")),
                "rationale": _str(dec.get("rationale")),
                "item": dec.get("item") if isinstance(dec.get("item"), str) else None,
                "item_title": titles.get(_str(dec.get("item"))),
                "created_at": _iso(dec.get("created_at")),
                "round": dec.get("round"),
                "evidence": [
                    {
                        "note_id": nid,
                        "text": _str((notes.get(nid) or {}).get("text")),
                        "votes": votes.latest.get(nid, 0),
                    }
                    for nid in evidence_ids
                    if isinstance(nid, str)
                ],
            }
        )
    return decisions_out


def _actions(board: _Board) -> list[dict[str, Any]]:
    """Oldest first; one without an owner or a due date is flagged as not yet actionable."""
    actions_out = []
    for act_id, act in sorted(
        board.actions.items(),
        key=lambda a: (a[1].get("created_at") or 0) if isinstance(a[1], dict) else 0,
    ):
        if not isinstance(act, dict):
            continue
        owner = act.get("owner") if isinstance(act.get("owner"), str) and act.get("owner") else None
        due = act.get("due") if isinstance(act.get("due"), str) and act.get("due") else None
        warnings = []
        if owner is None:
            warnings.append("no owner")
        if due is None:
            warnings.append("no due date")
        actions_out.append(
            {
                "id": act_id,
                "text": _str(act.get("text")),
                "owner": owner,
                "owner_name": board.names.get(owner or "", "") if owner else None,
                "due": due,
                "status": _str(act.get("status")) or "open",
                "item": act.get("item") if isinstance(act.get("item"), str) else None,
                "item_title": board.titles.get(_str(act.get("item"))),
                "note": act.get("note") if isinstance(act.get("note"), str) else None,
                "actionable": not warnings,
                "warnings": warnings,
            }
        )
    return actions_out


def _group_totals(
    rows: list[dict[str, Any]], notes: dict[str, Any], groups: dict[str, Any]
) -> list[dict[str, Any]]:
    """Dots per group in one round (notes in no group together as `group: null`)."""
    totals: dict[str | None, dict[str, Any]] = {}
    for row in rows:
        note = notes.get(row["note_id"])
        group_id = note.get("group") if isinstance(note, dict) else None
        group = groups.get(group_id) if isinstance(group_id, str) else None
        key = group_id if isinstance(group, dict) else None
        entry = totals.setdefault(
            key,
            {
                "group": key,
                "title": _str(group.get("title")) if isinstance(group, dict) else None,
                "votes": 0,
                "notes": 0,
            },
        )
        entry["votes"] += row["votes"]
        entry["notes"] += 1
    return sorted(totals.values(), key=lambda t: (-t["votes"], t["title"] or "\uffff"))


def _dots(n: int) -> str:
    return f"{n} vote" if n == 1 else f"{n} votes"


def _estimation_round(
    number: int, entries: dict[str, Any], notes: dict[str, Any]
) -> dict[str, Any]:
    """A revealed estimation round: per note its distribution, median, spread, agreed value."""
    rows = []
    for note_id, summary in sorted(entries.items()):
        if not isinstance(summary, dict):
            continue
        found = notes.get(note_id)
        note: dict[str, Any] = found if isinstance(found, dict) else {}
        distribution = summary.get("distribution")
        rows.append(
            {
                "note_id": note_id,
                "text": _str(note.get("text")),
                "distribution": {
                    str(k): int(v)
                    for k, v in (distribution or {}).items()
                    if isinstance(v, int | float)
                },
                "count": int(summary.get("count") or 0),
                "median": summary.get("median") if isinstance(summary.get("median"), str) else None,
                "discuss": summary.get("discuss")
                if isinstance(summary.get("discuss"), str)
                else None,
                "agreed": note.get("estimate") if isinstance(note.get("estimate"), str) else None,
            }
        )
    return {"round": number, "status": "revealed", "notes": rows}


def _md(text: Any) -> str:
    """User text made safe for Markdown renderers: no HTML, no link or image syntax (brackets
    escaped, so `[x](url)`, `![x](url)` and `[x]: url` stay text), no table breaks, one line."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("[", "\\[")
        .replace("]", "\\]")
        .replace("|", "\\|")
        .replace("\r", " ")
        .replace("\n", " ")
        .strip()
    )


_PLAIN_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _code(text: Any) -> str:
    """A board id as code; anything that is not a plain id is escaped text instead."""
    value = str(text)
    return f"`{value}`" if _PLAIN_ID.match(value) else _md(value)


def to_markdown(data: dict[str, Any]) -> str:
    return "\n".join(
        [
            *_md_header(data),
            *_md_agenda(data),
            *_md_results(data),
            *_md_decisions(data),
            *_md_actions(data),
        ]
    )


def _md_header(data: dict[str, Any]) -> list[str]:
    """Title, objective, date and template, follow-up links, participants."""
    board = data["board"]
    out: list[str] = [f"# {_md(board['title']) or 'Untitled board'}", ""]
    if board["objective"]:
        out += [f"**Objective:** {_md(board['objective'])}", ""]
    date = (board["created_at"] or "")[:10]
    people = ", ".join(
        f"{_md(p['name'])}" + (f" ({_md(p['role'])})" if p["role"] != "participant" else "")
        for p in data["participants"]
    )
    out += [f"*Session of {_md(date)} · template: {_md(board['template'])}*", ""]
    if board["follow_up_of"]:
        out += [f"Follow-up of board {_code(board['follow_up_of'])}.", ""]
    if board["follow_ups"]:
        out += ["Continued in: " + ", ".join(_code(b) for b in board["follow_ups"]), ""]
    out += ["## Participants", "", people or "_nobody_", ""]
    return out


def _md_agenda(data: dict[str, Any]) -> list[str]:
    out = ["## Agenda and notes", ""]
    for index, item in enumerate(data["agenda"], start=1):
        minutes = f" ({item['minutes']:g} min)" if isinstance(item["minutes"], int | float) else ""
        out += [f"### {index}. {_md(item['title'])}{minutes}", ""]
        out += _note_lines(item["notes"]) or ["_No notes._"]
        out.append("")
    if data["unassigned_notes"]:
        out += ["### Other notes", "", *_note_lines(data["unassigned_notes"]), ""]
    return out


def _md_results(data: dict[str, Any]) -> list[str]:
    """Each dot round's ranking (and its group totals when notes are grouped), then each
    estimation round's table."""
    out = ["## Voting results", ""]
    if not data["voting_rounds"] and not data.get("estimation_rounds"):
        out += ["_No revealed voting round._", ""]
    for r in data["voting_rounds"]:
        kind = "" if r["secret"] is None else (" (secret)" if r["secret"] else " (open)")
        out += [f"### Round {_md(r['round'])}{kind}: {_md(r['status'])}", ""]
        out += ["| Rank | Note | Votes |", "| ---: | --- | ---: |"]
        out += [f"| {row['rank']} | {_md(row['text'])} | {row['votes']} |" for row in r["ranking"]]
        out.append("")
        if any(t["group"] for t in r.get("group_totals", [])):
            out += ["| Group | Notes | Votes |", "| --- | ---: | ---: |"]
            out += [
                f"| {_md(t['title'] or '') or '_not in a group_'} | {t['notes']} | {t['votes']} |"
                for t in r["group_totals"]
            ]
            out.append("")

    for r in data.get("estimation_rounds", []):
        out += [f"### Estimation round {r['round']}: {r['status']}", ""]
        out += ["| Note | Agreed | Median | Cards | Spread |", "| --- | ---: | ---: | --- | --- |"]
        for row in r["notes"]:
            cards = ", ".join(f"{_md(k)}: {v}" for k, v in row["distribution"].items())
            out.append(
                f"| {_md(row['text'])} | {_md(row['agreed'] or '')} | {_md(row['median'] or '')}"
                f" | {cards} | {_md(row['discuss'] or '')} |"
            )
        out.append("")
    return out


def _md_decisions(data: dict[str, Any]) -> list[str]:
    out = ["## Decisions", ""]
    if not data["decisions"]:
        out += ["_No decisions recorded._", ""]
    for dec in data["decisions"]:
        where = f" *({_md(dec['item_title'])})*" if dec["item_title"] else ""
        line = f"- **{_md(dec['text'])}**{where}"
        if dec["rationale"]:
            line += f": {_md(dec['rationale'])}"
        out.append(line)
        for ev in dec["evidence"]:
            votes = f", {_dots(ev['votes'])}" if ev["votes"] else ""
            out.append(f"  - evidence: “{_md(ev['text'])}”{votes}")
    out.append("")
    return out


def _md_actions(data: dict[str, Any]) -> list[str]:
    out = ["## Action items", ""]
    if not data["actions"]:
        out += ["_No action items._", ""]
    for act in data["actions"]:
        box = "[x]" if act["status"] == "done" else "[ ]"
        details = []
        if act["owner_name"] or act["owner"]:
            details.append(f"owner: {_md(act['owner_name'] or act['owner'])}")
        if act["due"]:
            details.append(f"due {_md(act['due'])}")
        if act["warnings"]:
            details.append("⚠ " + " and ".join(act["warnings"]) + ": not yet actionable")
        suffix = f" ({'; '.join(details)})" if details else ""
        out.append(f"- {box} {_md(act['text'])}{suffix}")
    out.append("")
    return out


def _note_lines(notes: list[dict[str, Any]]) -> list[str]:
    lines = []
    group = object()
    for note in notes:
        if note["group"] != group:
            group = note["group"]
            if note["group_title"]:
                lines.append(f"- **{_md(note['group_title'])}**")
        indent = "  " if note["group_title"] else ""
        by_round = note.get("votes_by_round") or {}
        if len(by_round) > 1:
            votes = " · " + ", ".join(f"round {k}: {_dots(v)}" for k, v in by_round.items())
        else:
            votes = f" · {_dots(note['votes'])}" if note["votes"] else ""
        if note.get("estimate"):
            votes += f" · estimate {_md(note['estimate'])}"
        author = f" ({_md(note['author_name'])})" if note["author_name"] else ""
        lines.append(f"{indent}- {_md(note['text']) or '_empty_'}{author}{votes}")
    return lines


ACTION_COLUMNS = [
    "id",
    "text",
    "owner",
    "owner_name",
    "due",
    "status",
    "item",
    "item_title",
    "note",
    "actionable",
]
RESULT_COLUMNS = ["round", "rank", "note_id", "text", "votes"]


# OWASP CSV injection: a cell starting with one of these runs as a formula in a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUOTE_WHEN = (",", '"', "\r", "\n", "\t")


def _csv_cell(value: Any) -> str:
    """One cell: formulas defused with a leading quote; quoted when it holds a delimiter, a
    quote, CR, LF or tab (a bare CR left unquoted starts a new row in spreadsheets)."""
    if isinstance(value, str) and value[:1] in FORMULA_START:
        value = "'" + value
    text = "" if value is None else str(value)
    if any(ch in text for ch in _QUOTE_WHEN):
        text = '"' + text.replace('"', '""') + '"'
    return text


def _csv(rows: list[list[Any]], header: list[str]) -> str:
    return "".join(",".join(_csv_cell(c) for c in row) + "\n" for row in [header, *rows])


def actions_csv(data: dict[str, Any]) -> str:
    rows = [
        [act.get(c) if act.get(c) is not None else "" for c in ACTION_COLUMNS]
        for act in data["actions"]
    ]
    return _csv(rows, ACTION_COLUMNS)


def results_csv(data: dict[str, Any], round_no: int | None) -> str:
    rows = []
    for r in data["voting_rounds"]:
        if round_no is None or r["round"] == round_no:
            rows += [
                [r["round"], row["rank"], row["note_id"], row["text"], row["votes"]]
                for row in r["ranking"]
            ]
    return _csv(rows, RESULT_COLUMNS)
