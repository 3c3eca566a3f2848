"""The running totals beside the ledger's own sums (tests of the totals rollup)."""

from __future__ import annotations

from models import db


def totals_and_sums() -> tuple[dict, dict]:
    """The running totals, and the ledger's sums per (campaign key, team), without zeros."""
    with db.connection() as database:
        kept = {
            (campaign, team): int(points)
            for campaign, team, points in database.execute_sql(
                "SELECT campaign_key, team_id, points FROM team_point_total"
            ).fetchall()
            if points
        }
        summed = {
            (campaign, team): int(points)
            for campaign, team, points in database.execute_sql(
                "SELECT COALESCE(campaign_id, 0), team_id, SUM(amount) FROM ledger_entry "
                "GROUP BY COALESCE(campaign_id, 0), team_id"
            ).fetchall()
            if points
        }
    return kept, summed
