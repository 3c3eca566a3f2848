"""Running point totals per team and campaign, kept by a database trigger on the ledger.

The ledger stays the truth (append-only); this table is derived from it inside the
same transaction, so reading a board costs one row per team whatever the ledger's
size. `campaign_key` is the campaign id, or 0 for rows that name no campaign.
"""

from __future__ import annotations

from peewee import BigIntegerField, CharField, CompositeKey, ForeignKeyField, IntegerField

from models.base import BaseModel, UTCDateTimeField
from models.people import Team


class TeamPointTotal(BaseModel):
    campaign_key = IntegerField()
    team = ForeignKeyField(Team, on_delete="CASCADE")
    team_id: int
    points = IntegerField(default=0)

    class Meta:
        primary_key = False
        indexes = ((("campaign_key", "team"), True),)


class LedgerTeamHour(BaseModel):
    """Points per campaign (0: none), team and UTC hour, kept by the ledger's trigger
    (schema step 17): the daily points chart reads these, never the ledger."""

    campaign_key = IntegerField()
    team = ForeignKeyField(Team, on_delete="CASCADE", index=False)  # the key's second column
    team_id: int
    hour = UTCDateTimeField()
    amount = BigIntegerField()

    class Meta:
        table_name = "ledger_team_hour"
        primary_key = CompositeKey("campaign_key", "team", "hour")


class LedgerTeamPerson(BaseModel):
    """Per campaign (0: none), team and person (employee_key 0: none named): the points,
    the on-time awards and the late charges (count and points), kept by the ledger's
    trigger (schema step 17) for the Red-Black List."""

    campaign_key = IntegerField()
    team = ForeignKeyField(Team, on_delete="CASCADE", index=False)  # the key's second column
    team_id: int
    employee_key = IntegerField()
    amount = BigIntegerField()
    ontime_entries = IntegerField()
    overdue_entries = IntegerField()
    overdue_amount = BigIntegerField()

    class Meta:
        table_name = "ledger_team_person"
        primary_key = CompositeKey("campaign_key", "team", "employee_key")


class DefectDaySource(BaseModel):
    """Defects per source, UTC day of their report, supplier (supplier_key 0: none named),
    5M1E category and severity, kept by the defects' triggers (schema step 18): the
    supplier ranking and the anomaly Pareto read these."""

    source = CharField(max_length=24)
    day = UTCDateTimeField()
    supplier_key = IntegerField()
    category = CharField(max_length=16)
    severity = CharField(max_length=16)
    defects = IntegerField()

    class Meta:
        table_name = "defect_day_source"
        primary_key = CompositeKey("source", "day", "supplier_key", "category", "severity")


class DefectCampaignDue(BaseModel):
    """Defects per campaign (0: none), UTC day of their due time, status, severity and
    whether they were verified inside their window (on_time 1), kept by the defects'
    triggers (schema step 18): the board's KPI tiles read these."""

    campaign_key = IntegerField()
    due_day = UTCDateTimeField()
    status = CharField(max_length=16)
    severity = CharField(max_length=16)
    on_time = IntegerField()
    defects = IntegerField()

    class Meta:
        table_name = "defect_campaign_due"
        primary_key = CompositeKey("campaign_key", "due_day", "status", "severity", "on_time")


class DefectCampaignHour(BaseModel):
    """Defects per campaign (0: none) and UTC hour of their report, kept by the defects'
    triggers (schema step 18): the board's defects reported per day read these."""

    campaign_key = IntegerField()
    hour = UTCDateTimeField()
    defects = IntegerField()

    class Meta:
        table_name = "defect_campaign_hour"
        primary_key = CompositeKey("campaign_key", "hour")


class DefectTeamStatus(BaseModel):
    """Defects per team and status, kept by the defects' triggers (schema step 20): the
    worklist's count reads these."""

    team_id = IntegerField()
    status = CharField(max_length=16)
    defects = IntegerField()

    class Meta:
        table_name = "defect_team_status"
        primary_key = CompositeKey("team_id", "status")


class DefectQuickFix(BaseModel):
    """Self-reported defects marked fixed, per campaign (0: none), whole hours from report
    to fix (rounded up, capped at 721) and responsible team, kept by the triggers of
    schema step 21 on the defects and on the employees' teams: the Red-Black List marks
    the teams whose points look farmed from these."""

    campaign_key = IntegerField()
    fix_hours = IntegerField()
    team = ForeignKeyField(Team, on_delete="CASCADE", index=False)  # the key's last column
    team_id: int
    defects = IntegerField()

    class Meta:
        table_name = "defect_quick_fix"
        primary_key = CompositeKey("campaign_key", "fix_hours", "team")


class CoverageEmployees(BaseModel):
    """Active employees per department and team (team_key 0: none), kept by the
    employees' triggers (schema step 24): the coverage screen's and tile's totals."""

    department = CharField(max_length=40)
    team_key = IntegerField()
    employees = IntegerField()

    class Meta:
        table_name = "coverage_employees"
        primary_key = CompositeKey("department", "team_key")


class CoveragePerson(BaseModel):
    """Passed attempts per employee and campaign (campaign_key 0: none named, -1: any),
    kept by the assessments' triggers (schema step 24)."""

    employee_id = IntegerField()
    campaign_key = IntegerField()
    passes = IntegerField()

    class Meta:
        table_name = "coverage_person"
        primary_key = CompositeKey("employee_id", "campaign_key")


class CoveragePassed(BaseModel):
    """Active employees with a passed attempt per campaign key (as CoveragePerson's),
    department and team, kept by the triggers of schema step 24."""

    campaign_key = IntegerField()
    department = CharField(max_length=40)
    team_key = IntegerField()
    employees = IntegerField()

    class Meta:
        table_name = "coverage_passed"
        primary_key = CompositeKey("campaign_key", "department", "team_key")
