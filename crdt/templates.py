"""Board templates: a title, an objective and a timeboxed agenda for each kind of session.

A template only seeds `meta`, `agenda` and `session`; everything after that is the board's own.
Agenda item ids are stable slugs, so links and exports stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycrdt import Array, Doc, Map


@dataclass(frozen=True)
class AgendaItem:
    id: str
    title: str
    minutes: int
    kind: str  # one of crdt.schema.AGENDA_KINDS


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    title: str
    objective: str
    agenda: tuple[AgendaItem, ...]

    @property
    def total_minutes(self) -> int:
        return sum(item.minutes for item in self.agenda)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "objective": self.objective,
            "minutes": self.total_minutes,
            "agenda": [
                {"id": i.id, "title": i.title, "minutes": i.minutes, "kind": i.kind}
                for i in self.agenda
            ],
        }


def _t(
    tid: str, name: str, title: str, objective: str, *items: tuple[str, str, int, str]
) -> Template:
    return Template(tid, name, title, objective, tuple(AgendaItem(*item) for item in items))


TEMPLATES: dict[str, Template] = {
    t.id: t
    for t in (
        _t(
            "quarterly",
            "Quarterly planning (OKRs)",
            "Quarterly planning",
            "Agree on three to five objectives for the quarter, with measurable key results "
            "and an owner for each.",
            ("review", "Review last quarter", 15, "discuss"),
            ("objectives", "Brainstorm objectives", 15, "brainstorm"),
            ("cluster", "Cluster into themes", 10, "group"),
            ("vote", "Vote on objectives", 10, "vote"),
            ("key-results", "Key results for the top objectives", 20, "discuss"),
            ("decide", "Commit to the OKRs", 10, "decide"),
            ("owners", "Owners and next steps", 10, "actions"),
        ),
        _t(
            "prioritization",
            "Task prioritization",
            "Task prioritization",
            "Rank the candidate tasks and agree on what we do first, what later, and what not.",
            ("collect", "Collect candidate tasks", 10, "brainstorm"),
            ("clarify", "Clarify and merge duplicates", 10, "group"),
            ("vote", "Dot-vote on impact", 10, "vote"),
            ("discuss", "Discuss the ranking", 15, "discuss"),
            ("decide", "Decide the top priorities", 5, "decide"),
            ("assign", "Assign owners", 10, "actions"),
        ),
        _t(
            "kickoff",
            "Project kick-off",
            "Project kick-off",
            "Start the project with shared goals, a clear scope, named roles and known risks.",
            ("goals", "Goals", 10, "brainstorm"),
            ("scope", "Scope: in and out", 15, "group"),
            ("roles", "Roles and responsibilities", 10, "discuss"),
            ("risks", "Risks", 10, "brainstorm"),
            ("risk-vote", "Vote on the biggest risks", 5, "vote"),
            ("decide", "Decisions", 5, "decide"),
            ("next-steps", "Next steps", 10, "actions"),
        ),
        _t(
            "problem-solving",
            "Problem solving",
            "Problem solving",
            "Understand the problem, find its likely root causes, and choose the fixes to try.",
            ("problem", "Frame the problem", 10, "discuss"),
            ("causes", "Possible causes", 10, "brainstorm"),
            ("group-causes", "Group the causes", 10, "group"),
            ("vote-causes", "Vote on root causes", 5, "vote"),
            ("solutions", "Solutions for the top causes", 15, "brainstorm"),
            ("decide", "Choose what to try", 10, "decide"),
            ("actions", "Actions", 10, "actions"),
        ),
        _t(
            "blank",
            "Blank board",
            "Planning session",
            "",
            ("brainstorm", "Brainstorm", 10, "brainstorm"),
            ("vote", "Vote", 10, "vote"),
            ("actions", "Actions", 10, "actions"),
        ),
    )
}


def init_board(
    doc: Doc[Any], *, title: str, objective: str, template_id: str, created_at_ms: float
) -> None:
    """Seed a new board from a template, in one server transaction."""
    template = TEMPLATES[template_id]
    with doc.transaction(origin="server"):
        meta: Map[Any] = doc.get("meta", type=Map)
        meta["title"] = title
        meta["objective"] = objective
        meta["template"] = template_id
        meta["created_at"] = created_at_ms
        agenda: Array[Any] = doc.get("agenda", type=Array)
        agenda.extend(
            [
                Map({"id": i.id, "title": i.title, "minutes": i.minutes, "kind": i.kind})
                for i in template.agenda
            ]
        )
        session: Map[Any] = doc.get("session", type=Map)
        session["locked"] = False
        session["current_item"] = template.agenda[0].id if template.agenda else None
        session["drafting"] = False
