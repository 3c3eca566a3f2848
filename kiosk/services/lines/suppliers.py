"""Incoming-material quality: suppliers ranked by their share of incoming-material defects.

Over a period of local calendar days (default: the active campaign's dates), every
defect with source "incoming_material" counts for its supplier. A supplier's share
is its count over all incoming-material defects of the period; its trend compares
the count with the previous period of the same length. A supplier is high-risk when
its share is at or above the campaign's threshold (`supplier_risk_share_percent`,
default 25 %) or when one of its defects in the period is critical.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from peewee import Expression

from kiosk.caller import Caller
from kiosk.clock import to_local
from kiosk.errors import ValidationFailed
from kiosk.i18n import _, ngettext
from kiosk.services.defects.counts import reported_counts
from kiosk.services.plant.campaigns import active_campaign_row, rules_of
from kiosk.services.platform import uow
from kiosk.services.platform.refusals import requires_role
from kiosk.services.platform.text import shorten
from models import Campaign, Defect, Supplier, db

MINIMUM_ROLE = "supervisor"
ACTION = "view_the_supplier_ranking"  # "Only a supervisor or above may view the supplier ranking."
SOURCE = "incoming_material"
DEFAULT_DAYS = 30  # the period when no campaign is active: the 30 days up to today
MAX_DAYS = 3660
NO_SUPPLIER = "—"


def percent(part: int, whole: int) -> float:
    """part / whole in %, rounded half up to 1 decimal (12.25 -> 12.3); 0.0 when whole is 0."""
    if not whole:
        return 0.0
    exact = Decimal(part) * 100 / Decimal(whole)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class SupplierRow:
    rank: int | None  # 1, 2, ... by count; None for a supplier with none in this period
    supplier_code: str
    supplier_name: str
    count: int
    share_percent: float  # of all incoming-material defects in the period, 1 decimal
    previous_count: int  # in the previous period of the same length
    trend: str  # "up", "down" or "same" (this period against the previous one)
    lots: tuple[str, ...]  # lots involved in this period, sorted
    critical: int  # critical defects in this period
    high_risk: bool
    risk_reasons: tuple[str, ...]  # e.g. ("share 40.0 % ≥ 25 %", "1 critical defect")

    @property
    def change(self) -> int:
        return self.count - self.previous_count


@dataclass(frozen=True)
class SupplierRanking:
    generated_at: datetime
    campaign_name: str  # the campaign whose threshold applies ("(no active campaign)")
    start: date
    end: date
    previous_start: date
    previous_end: date
    threshold_percent: int
    total: int  # incoming-material defects in the period
    previous_total: int
    rows: tuple[SupplierRow, ...]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def high_risk(self) -> tuple[SupplierRow, ...]:
        return tuple(row for row in self.rows if row.high_risk)

    def row(self, supplier_code: str) -> SupplierRow | None:
        return next((row for row in self.rows if row.supplier_code == supplier_code), None)


def _parse_day(value: date | str | None, field: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = shorten(str(value), 40)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            {
                field: _(
                    "{capitalize} {text!r} is not a date: use YYYY-MM-DD.",
                    capitalize=field.capitalize(),
                    text=text,
                )
            }
        ) from None


def _period(
    start: date | None, end: date | None, campaign: Campaign | None, today: date
) -> tuple[date, date]:
    if start is None and end is None and campaign is not None:
        return campaign.starts_on, campaign.ends_on
    if end is None:
        end = today if start is None or start <= today else start
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise ValidationFailed(
            {
                "end": _(
                    "The period ends ({end}) before it starts ({start}): swap the dates.",
                    end=end,
                    start=start,
                )
            }
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            {"end": _("The period is longer than {MAX_DAYS} days.", MAX_DAYS=MAX_DAYS)}
        )
    return start, end


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Local midnight at `start` to local midnight after `end`, as aware datetimes."""
    first = datetime.combine(start, time.min).astimezone()
    after = datetime.combine(end + timedelta(days=1), time.min).astimezone()
    return first, after


def high_risk_count(start: date, end: date, threshold: int) -> tuple[int, int]:
    """(high-risk suppliers over [start, end], active suppliers), counted in SQL, by the
    ranking's rule: a share at or above the threshold, or a critical defect."""
    per_supplier = _per_supplier(start, end)
    total = sum(count for count, _critical in per_supplier.values())
    high_risk = sum(
        1
        for supplier, (count, critical) in per_supplier.items()
        if supplier is not None and (count * 100 >= threshold * total or critical)
    )
    return high_risk, Supplier.select().where(Supplier.active).count()


def _incoming(start: date, end: date) -> Expression:
    first, after = _bounds(start, end)
    return (Defect.source == SOURCE) & (Defect.reported_at >= first) & (Defect.reported_at < after)


def _per_supplier(start: date, end: date) -> dict[int | None, tuple[int, int]]:
    """{supplier id (None: none named): (defects, critical ones)} over [start, end], from
    the rollup the database keeps with the defects (schema step 18)."""
    found: dict[int | None, tuple[int, int]] = {}
    for (supplier, severity), n in reported_counts(
        SOURCE, *_bounds(start, end), ("supplier", "severity")
    ).items():
        count, critical = found.get(supplier, (0, 0))
        found[supplier] = (count + n, critical + (n if severity == "critical" else 0))
    return found


def _lots(start: date, end: date) -> dict[int | None, tuple[str, ...]]:
    """The distinct lots named per supplier over [start, end], sorted."""
    lots: dict[int | None, list[str]] = {}
    for supplier, lot in db.tuples(
        Defect.select(Defect.supplier, Defect.lot)
        .where(_incoming(start, end) & Defect.lot.is_null(False) & (Defect.lot != ""))
        .distinct()
    ):
        lots.setdefault(supplier, []).append(lot)
    return {supplier: tuple(sorted(names)) for supplier, names in lots.items()}


def _trend(count: int, previous: int) -> str:
    return "up" if count > previous else ("down" if count < previous else "same")


@uow.read
def supplier_ranking(
    caller: Caller,
    start: date | str | None = None,
    end: date | str | None = None,
) -> SupplierRanking:
    """The ranking over [start, end] (local days, both included), ungated (boards, exports).

    Without dates: the active campaign's dates, else the 30 days up to today.
    """
    now = caller.now()
    campaign = active_campaign_row()
    first_day, last_day = _period(
        _parse_day(start, "start"), _parse_day(end, "end"), campaign, to_local(now).date()
    )
    length = timedelta(days=(last_day - first_day).days + 1)
    previous_start, previous_end = first_day - length, first_day - timedelta(days=1)
    threshold = rules_of(campaign).supplier_risk_share_percent

    current = _per_supplier(first_day, last_day)
    counts = {key: count for key, (count, _critical) in current.items()}
    critical = {key: n for key, (_count, n) in current.items()}
    lots = _lots(first_day, last_day)
    before = _per_supplier(previous_start, previous_end)
    previous_counts = {key: count for key, (count, _critical) in before.items()}

    keys = set(counts) | set(previous_counts)
    suppliers = {
        supplier.id: supplier
        for supplier in Supplier.select().where(Supplier.id.in_([k for k in keys if k] or [-1]))
    }
    total = sum(counts.values())

    def code_of(key: int | None) -> str:
        return suppliers[key].code if key in suppliers else NO_SUPPLIER

    ordered = sorted(
        keys, key=lambda k: (-counts.get(k, 0), -previous_counts.get(k, 0), code_of(k))
    )
    rows = []
    rank = 0
    for key in ordered:
        count = counts.get(key, 0)
        if count:
            rank += 1
        reasons: list[str] = []
        share = percent(count, total)
        if key is not None and count and count * 100 >= threshold * total:
            reasons.append(
                _("share {share:.1f} % ≥ {threshold} %", share=share, threshold=threshold)
            )
        if key is not None and critical.get(key, 0):
            n = critical[key]
            reasons.append(ngettext("{count} critical defect", "{count} critical defects", n))
        supplier = suppliers.get(key) if key is not None else None
        rows.append(
            SupplierRow(
                rank=rank if count else None,
                supplier_code=code_of(key),
                supplier_name=supplier.name if supplier else _("(no supplier named)"),
                count=count,
                share_percent=share,
                previous_count=previous_counts.get(key, 0),
                trend=_trend(count, previous_counts.get(key, 0)),
                lots=lots.get(key, ()),
                critical=critical.get(key, 0),
                high_risk=bool(reasons),
                risk_reasons=tuple(reasons),
            )
        )
    return SupplierRanking(
        generated_at=now,
        campaign_name=campaign.name if campaign is not None else _("(no active campaign)"),
        start=first_day,
        end=last_day,
        previous_start=previous_start,
        previous_end=previous_end,
        threshold_percent=threshold,
        total=total,
        previous_total=sum(previous_counts.values()),
        rows=tuple(rows),
    )


@requires_role(MINIMUM_ROLE, ACTION, lambda given: "supplier ranking")
def supplier_ranking_for(
    caller: Caller,
    start: date | str | None = None,
    end: date | str | None = None,
) -> SupplierRanking:
    """The ranking for the kiosk screen: supervisors and up (a refusal is audited)."""
    return supplier_ranking(caller, start, end)
