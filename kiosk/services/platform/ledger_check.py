"""`kiosk ledger verify`: recompute the ledger's hash chain and the running totals.

Each ledger row's hash is chained to the previous row of its campaign when it is written
(ledger.write_award). An edit, a deletion or a reordering done behind the application's
back (an owner with the triggers disabled, a restored file) breaks the chain from that
row on; a running total written by hand disagrees with the ledger's sum. The check walks
the ledger in id order, a batch at a time (bounded memory at any size), names the first
row or total that disagrees, and keeps its result for the board (plant setting
`ledger_check`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.caller import Caller
from kiosk.clock import format_local
from kiosk.i18n import _
from kiosk.services.platform import uow
from kiosk.services.platform.auth import record_action
from models import PlantSetting, db
from models.points import CHAIN_COLUMNS, CHAIN_START, chain_hash

LAST_CHECK = "ledger_check"
BATCH = 10_000


@dataclass(frozen=True)
class LedgerCheck:
    checked_at: datetime
    rows: int
    problem: str | None  # the first row or total that disagrees, in English (the record)

    @property
    def ok(self) -> bool:
        return self.problem is None


def _rows_after(after: int) -> list[tuple[Any, ...]]:
    param = db.database_proxy.param
    return db.fetch_all(
        f"SELECT e.id, {', '.join('e.' + c.strip() for c in CHAIN_COLUMNS.split(','))}, "
        "c.entry_id, c.hash FROM ledger_entry AS e "
        "LEFT JOIN ledger_chain AS c ON c.entry_id = e.id "
        f"WHERE e.id > {param} ORDER BY e.id LIMIT {BATCH}",
        (after,),
    )


def _chain_problem() -> tuple[int, str | None]:
    """(rows checked, the first row that breaks the chain or None)."""
    last: dict[int, tuple[int | None, str]] = {}  # campaign key -> (row id, its stored hash)
    checked, after = 0, 0
    while rows := _rows_after(after):
        for entry_id, *columns, linked_id, stored in rows:
            key = columns[0] or 0
            previous_id, previous_hash = last.get(key, (None, CHAIN_START))
            if linked_id is None:
                return checked, (
                    f"row {entry_id} (campaign {key}) has no chain link: it was added "
                    "behind the application's back"
                )
            if stored != chain_hash(previous_hash, *columns):
                before = f"row {previous_id}" if previous_id else "the campaign's start"
                return checked, (
                    f"row {entry_id} (campaign {key}) does not match its chain link: it was "
                    f"changed, or rows between {before} and it were deleted or reordered"
                )
            last[key] = (entry_id, stored)
            checked += 1
        after = rows[-1][0]
    orphan = db.fetch_all(
        "SELECT c.entry_id FROM ledger_chain AS c LEFT JOIN ledger_entry AS e "
        "ON e.id = c.entry_id WHERE e.id IS NULL ORDER BY c.entry_id LIMIT 1",
        (),
    )
    if orphan:
        return checked, f"row {orphan[0][0]} was deleted (its chain link is still there)"
    return checked, None


def _totals_problem() -> str | None:
    kept = {
        (campaign, team): points
        for campaign, team, points in db.fetch_all(
            "SELECT campaign_key, team_id, points FROM team_point_total", ()
        )
    }
    summed = {
        (campaign, team): points
        for campaign, team, points in db.fetch_all(
            "SELECT COALESCE(campaign_id, 0), team_id, SUM(amount) FROM ledger_entry "
            "GROUP BY COALESCE(campaign_id, 0), team_id",
            (),
        )
    }
    for campaign, team in sorted(kept.keys() | summed.keys()):
        total, ledger_sum = kept.get((campaign, team), 0), summed.get((campaign, team), 0)
        if int(total) != int(ledger_sum):
            return (
                f"the running total of team {team} in campaign {campaign} is {total}, "
                f"but its ledger rows add up to {ledger_sum}"
            )
    return None


@uow.read
def _check() -> tuple[int, str | None]:
    rows, problem = _chain_problem()
    return rows, problem or _totals_problem()


def verify_ledger(caller: Caller, *, who: str = "") -> LedgerCheck:
    """Recompute the chain and the totals (a read), then keep and audit the result (a
    write). `who` names the command line's OS user (the caller is the system)."""
    rows, problem = _check()
    result = LedgerCheck(caller.now(), rows, problem)
    _keep(result, who)
    return result


@uow.write
def _keep(result: LedgerCheck, who: str) -> None:
    rows, problem = result.rows, result.problem
    record = json.dumps({"at": result.checked_at.isoformat(), "rows": rows, "problem": problem})
    PlantSetting.insert(key=LAST_CHECK, value=record).on_conflict(
        conflict_target=[PlantSetting.key], update={PlantSetting.value: record}
    ).execute()
    record_action(
        None,
        "ledger_verify",
        "ledger",
        result.checked_at,
        detail=f"{'ok' if result.ok else 'FAILED: ' + str(problem)} ({rows} rows); {who}".strip(),
    )


@uow.read
def last_check() -> LedgerCheck | None:
    """The latest `kiosk ledger verify` result, for the board's warning."""
    row = PlantSetting.get_or_none(PlantSetting.key == LAST_CHECK)
    if row is None:
        return None
    value = json.loads(row.value)
    return LedgerCheck(datetime.fromisoformat(value["at"]), value["rows"], value["problem"])


def warning_text(check: LedgerCheck) -> str:
    return _(
        "Ledger check failed ({when}): points may have been changed outside Quality Kiosk. "
        "Tell the quality office.",
        when=format_local(check.checked_at),
    )
