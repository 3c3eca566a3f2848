"""The Quality Month campaign with its phases and point rules (rules are data)."""

from __future__ import annotations

from peewee import BooleanField, CharField, DateField, IntegerField, TextField

from models.base import BaseModel


class Campaign(BaseModel):
    name = CharField(max_length=120)
    starts_on = DateField()
    ends_on = DateField()
    active = BooleanField(default=False)
    # JSON list of {"name": str, "starts_on": "YYYY-MM-DD", "ends_on": "YYYY-MM-DD"}
    phases_json = TextField(default="[]")
    correction_window_hours = IntegerField(default=48)
    ontime_points = IntegerField(default=2)
    late_points = IntegerField(default=-2)
    contest_correct_points = IntegerField(default=2)
    contest_wrong_points = IntegerField(default=-2)
    pass_mark_percent = IntegerField(default=80)
    assessment_items = IntegerField(default=10)
    proposal_points_min = IntegerField(default=1)
    proposal_points_max = IntegerField(default=10)
    # line evaluation weights (percent, summing to 100) and the critical-issue target
    weight_5s = IntegerField(default=40)
    weight_standard_ops = IntegerField(default=30)
    weight_fpy = IntegerField(default=30)
    critical_issue_target = IntegerField(default=3)
    # a supplier with this share (%) of the period's incoming-material defects is high-risk
    supplier_risk_share_percent = IntegerField(default=25)
    # targets shown against actuals on the board (schema step 11); the summary phase of
    # one campaign sets them for the next
    target_correction_rate_percent = IntegerField(default=100)
    target_training_coverage_percent = IntegerField(default=100)
    target_fpy_percent = IntegerField(default=98)
    target_high_risk_supplier_percent = IntegerField(default=10)
    # rules against farming points (schema step 14): who may verify (1: a leader outside
    # the responsible team or from the Quality department), confirmation of a defect
    # a team reported at its own station, a daily cap of on-time awards per team, and
    # when the Red-Black List marks a team (self-reported defects fixed within N hours)
    verifier_outside_team = IntegerField(default=1)
    quality_department = CharField(max_length=40, default="Quality")
    self_report_confirmation = IntegerField(default=1)
    ontime_awards_per_team_day = IntegerField(default=10)
    suspicious_self_reports = IntegerField(default=5)
    suspicious_fix_hours = IntegerField(default=4)
