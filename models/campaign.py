"""The Quality Month campaign with its phases and point rules (rules are data)."""

from __future__ import annotations

from peewee import AutoField, BooleanField, CharField, DateField, IntegerField, TextField

from models.base import BaseModel

# Every campaign rule and target with its default: the one place a default lives. A new
# campaign takes these, and so does the rule set that applies when no campaign is active
# (kiosk.services.plant.campaigns.CampaignView reads this table).
RULE_DEFAULTS: dict[str, int | str] = {
    "correction_window_hours": 48,
    "ontime_points": 2,
    "late_points": -2,
    "contest_correct_points": 2,
    "contest_wrong_points": -2,
    "pass_mark_percent": 80,
    "assessment_items": 10,
    "proposal_points_min": 1,
    "proposal_points_max": 10,
    "weight_5s": 40,
    "weight_standard_ops": 30,
    "weight_fpy": 30,
    "critical_issue_target": 3,
    "supplier_risk_share_percent": 25,
    "target_correction_rate_percent": 100,
    "target_training_coverage_percent": 100,
    "target_fpy_percent": 98,
    "target_high_risk_supplier_percent": 10,
    "verifier_outside_team": 1,
    "quality_department": "Quality",
    "self_report_confirmation": 1,
    "ontime_awards_per_team_day": 10,
    "suspicious_self_reports": 5,
    "suspicious_fix_hours": 4,
}


class Campaign(BaseModel):
    id = AutoField()
    name = CharField(max_length=120)
    starts_on = DateField()
    ends_on = DateField()
    active = BooleanField(default=False)
    # JSON list of {"name": str, "starts_on": "YYYY-MM-DD", "ends_on": "YYYY-MM-DD"}
    phases_json = TextField(default="[]")
    correction_window_hours = IntegerField(default=RULE_DEFAULTS["correction_window_hours"])
    ontime_points = IntegerField(default=RULE_DEFAULTS["ontime_points"])
    late_points = IntegerField(default=RULE_DEFAULTS["late_points"])
    contest_correct_points = IntegerField(default=RULE_DEFAULTS["contest_correct_points"])
    contest_wrong_points = IntegerField(default=RULE_DEFAULTS["contest_wrong_points"])
    pass_mark_percent = IntegerField(default=RULE_DEFAULTS["pass_mark_percent"])
    assessment_items = IntegerField(default=RULE_DEFAULTS["assessment_items"])
    proposal_points_min = IntegerField(default=RULE_DEFAULTS["proposal_points_min"])
    proposal_points_max = IntegerField(default=RULE_DEFAULTS["proposal_points_max"])
    # line evaluation weights (percent, summing to 100) and the critical-issue target
    weight_5s = IntegerField(default=RULE_DEFAULTS["weight_5s"])
    weight_standard_ops = IntegerField(default=RULE_DEFAULTS["weight_standard_ops"])
    weight_fpy = IntegerField(default=RULE_DEFAULTS["weight_fpy"])
    critical_issue_target = IntegerField(default=RULE_DEFAULTS["critical_issue_target"])
    # a supplier with this share (%) of the period's incoming-material defects is high-risk
    supplier_risk_share_percent = IntegerField(default=RULE_DEFAULTS["supplier_risk_share_percent"])
    # targets shown against actuals on the board (schema step 11); the summary phase of
    # one campaign sets them for the next
    target_correction_rate_percent = IntegerField(
        default=RULE_DEFAULTS["target_correction_rate_percent"]
    )
    target_training_coverage_percent = IntegerField(
        default=RULE_DEFAULTS["target_training_coverage_percent"]
    )
    target_fpy_percent = IntegerField(default=RULE_DEFAULTS["target_fpy_percent"])
    target_high_risk_supplier_percent = IntegerField(
        default=RULE_DEFAULTS["target_high_risk_supplier_percent"]
    )
    # rules against farming points (schema step 14): who may verify (1: a leader outside
    # the responsible team or from the Quality department), confirmation of a defect
    # a team reported at its own station, a daily cap of on-time awards per team, and
    # when the Red-Black List marks a team (self-reported defects fixed within N hours)
    verifier_outside_team = IntegerField(default=RULE_DEFAULTS["verifier_outside_team"])
    quality_department = CharField(max_length=40, default=RULE_DEFAULTS["quality_department"])
    self_report_confirmation = IntegerField(default=RULE_DEFAULTS["self_report_confirmation"])
    ontime_awards_per_team_day = IntegerField(default=RULE_DEFAULTS["ontime_awards_per_team_day"])
    suspicious_self_reports = IntegerField(default=RULE_DEFAULTS["suspicious_self_reports"])
    suspicious_fix_hours = IntegerField(default=RULE_DEFAULTS["suspicious_fix_hours"])
