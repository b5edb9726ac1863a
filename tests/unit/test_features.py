"""The command table is built from the features: every command once, with its roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.app import build_services
from server.config import Settings
from server.features.base import FACILITATOR, MEMBERS, Command, Feature, command_table

DESIGN_COMMANDS = {
    "lock": FACILITATOR,
    "unlock": FACILITATOR,
    "agenda.next": FACILITATOR,
    "agenda.prev": FACILITATOR,
    "agenda.goto": FACILITATOR,
    "timer.start": FACILITATOR,
    "timer.pause": FACILITATOR,
    "timer.resume": FACILITATOR,
    "timer.reset": FACILITATOR,
    "voting.start": FACILITATOR,
    "voting.close": FACILITATOR,
    "voting.reveal": FACILITATOR,
    "role.set": FACILITATOR,
    "summon": FACILITATOR,
    "drafts.start": FACILITATOR,
    "drafts.reveal": FACILITATOR,
    "groups.suggest": FACILITATOR,
    "vote": MEMBERS,
    "unvote": MEMBERS,
    "ready": MEMBERS,
    "unready": MEMBERS,
    "hand.raise": MEMBERS,
    "hand.lower": MEMBERS,
    "estimate": MEMBERS,
}


def test_the_app_offers_every_command_of_the_design_with_its_roles(tmp_path: Path) -> None:
    services = build_services(Settings(data_dir=tmp_path))
    for name, roles in DESIGN_COMMANDS.items():
        assert services.commands[name].roles == roles, name


def test_two_features_may_not_claim_one_command() -> None:
    async def handler(*_: object) -> dict[str, object]:
        return {}

    class Lock(Feature):
        def commands(self) -> dict[str, Command]:
            return {"lock": Command(FACILITATOR, handler)}

    assert set(command_table([Lock()])) == {"lock"}
    with pytest.raises(ValueError, match="lock"):
        command_table([Lock(), Lock()])
