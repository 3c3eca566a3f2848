"""The defect state machine as one table: the services, the screens' key hints and the
docs (docs/defect-states.md, rendered by `markdown_table` and kept in sync by a test)
all read it.

A row says, for one action on a defect: the states it may start from, the state it leads
to, who may do it (the least role, and who else is refused), what it writes (the audit
action on success, the ledger rows, the audit action of a refusal). Any (state, action)
pair not in the table is refused with "Defect … is <state>: it cannot be <doing> now."
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.i18n import N_
from models.defects import STATUSES

STATES = STATUSES  # reported, in_progress, fixed, verified, closed
OPEN_STATUSES = ("reported", "in_progress", "fixed")
SAME = "(same)"  # the action leaves the state as it is


@dataclass(frozen=True)
class Transition:
    action: str  # the service's and the screen's name for it
    from_states: tuple[str, ...]
    to_state: str  # a state, or SAME
    role: str | None  # the least role offered the key (None: anyone signed in)
    who: str  # who may, in full (the service checks it; the docs show it)
    doing: str  # in the refusal "it cannot be <doing> now" (i18n msgid)
    audit: str  # the audit action written when it is done
    ledger: str  # the ledger rows it writes
    refusal_audit: str  # the audit action of a refusal (PermissionDenied)


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "progress",
        ("reported", "in_progress"),
        "in_progress",
        None,
        "the responsible team or a supervisor",
        N_("updated"),
        "defect_in_progress (the first update; later ones none)",
        "none",
        "defect_progress",
    ),
    Transition(
        "fixed",
        ("reported", "in_progress"),
        "fixed",
        None,
        "a member of the responsible team",
        N_("marked fixed"),
        "defect_fixed",
        "none",
        "defect_fixed",
    ),
    Transition(
        "confirm",
        OPEN_STATUSES,
        SAME,
        "team_leader",
        "a team leader or above from outside the team or from Quality; not the reporter; "
        "only a self-reported defect, once",
        N_("confirmed"),
        "defect_confirm",
        "none",
        "defect_confirm",
    ),
    Transition(
        "verify",
        ("fixed",),
        "verified",
        "team_leader",
        "a team leader or above, not the fixer; from outside the team or from Quality "
        "when the campaign says so",
        N_("verified"),
        "defect_verified",
        "on time: +ontime points (`ontime:<id>`, 0 when a farming rule withholds them); "
        "late: the late points (`overdue:<id>`) unless the sweep wrote them",
        "defect_verify",
    ),
    Transition(
        "reject",
        ("fixed",),
        "in_progress",
        "team_leader",
        "as for verify",
        N_("rejected"),
        "defect_in_progress",
        "none",
        "defect_reject",
    ),
    Transition(
        "close",
        ("verified",),
        "closed",
        "team_leader",
        "a team leader or above, with a root cause and a corrective action",
        N_("closed"),
        "defect_closed",
        "none",
        "defect_close",
    ),
    Transition(
        "typical",
        ("closed",),
        SAME,
        "supervisor",
        "a supervisor or above",
        N_("marked typical"),
        "defect_typical, defect_not_typical",
        "none",
        "defect_typical",
    ),
    Transition(
        "reassign",
        OPEN_STATUSES,
        SAME,
        "supervisor",
        "a supervisor or above, with a reason",
        N_("reassigned"),
        "defect_update",
        "none",
        "defect_reassign",
    ),
)

BY_ACTION = {row.action: row for row in TRANSITIONS}


def transition(action: str) -> Transition:
    return BY_ACTION[action]


def allowed(status: str, action: str) -> bool:
    """Whether the table has a row for `action` from `status`."""
    return status in BY_ACTION[action].from_states


def markdown_table() -> str:
    """The table as Markdown, for docs/defect-states.md."""
    lines = [
        "# Defect states",
        "",
        "Generated from `kiosk/services/defects/defect_states.py` (`TRANSITIONS`); "
        "tests/test_defect_states.py fails when this file and the table differ.",
        "",
        "States: " + " → ".join(f"`{state}`" for state in STATES) + ". Any (state, action) "
        "pair not listed is refused: *Defect … is <state>: it cannot be <doing> now.*",
        "",
        "| action | from | to | least role (key offered) | who may | audit | ledger "
        "| refusal audited as |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in TRANSITIONS:
        cells = (
            f"`{row.action}`",
            ", ".join(f"`{state}`" for state in row.from_states),
            row.to_state if row.to_state == SAME else f"`{row.to_state}`",
            row.role or "anyone signed in",
            row.who,
            row.audit,
            row.ledger,
            row.refusal_audit,
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
