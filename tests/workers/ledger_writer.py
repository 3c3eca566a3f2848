"""A kiosk of its own (a separate OS process) that awards points as fast as it can, for
tests/test_ledger_chain.py: keys of its own and keys every writer also uses.

python -m tests.workers.ledger_writer URL NAME CAMPAIGN_ID COUNT TEAM_ID[,TEAM_ID...]
"""

from __future__ import annotations

import sys

from kiosk.clock import SystemClock
from kiosk.services.platform import database, ledger


def awards(name: str, campaign: int, count: int, teams: list[int]) -> list[ledger.Award]:
    """`count` awards: every third one under a key that every writer uses (`shared:N`),
    the others under keys of this writer's own, spread over the teams."""
    return [
        ledger.Award(
            team_id=teams[n % len(teams)],
            amount=(n % 5) - 1,
            reason=f"{name} award {n} · 点",
            cause_type="test",
            cause_id=str(n),
            idempotency_key=f"shared:{n}" if n % 3 == 0 else f"{name}:{n}",
            campaign_id=campaign,
        )
        for n in range(count)
    ]


def main(url: str, name: str, campaign: str, count: str, teams: str) -> int:
    database.open_database(url)
    team_ids = [int(team) for team in teams.split(",")]
    for award in awards(name, int(campaign), int(count), team_ids):
        ledger.award(award, clock=SystemClock())
    database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
