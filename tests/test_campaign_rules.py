"""Campaign rules fully as data: one table of defaults, no literal fallbacks, and a rule
changed in the campaign changes what the services do."""

from __future__ import annotations

import ast
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

from kiosk.caller import Caller
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.plant.campaigns import RULES, CampaignView
from kiosk.services.platform import auth
from models import Campaign, Defect, db
from models.campaign import RULE_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
NOT_RULES = {"id", "name", "starts_on", "ends_on", "active", "phases_json"}


def test_every_rule_and_target_has_its_default_in_one_table():
    keys = {rule.key for rule in RULES}
    assert keys == set(RULE_DEFAULTS)
    assert set(Campaign._meta.fields) - NOT_RULES == keys  # every column is a rule
    view = CampaignView()
    view_fields = {field.name for field in fields(CampaignView)}
    for rule in RULES:
        assert rule.default == RULE_DEFAULTS[rule.key]
        assert getattr(view, rule.key) == RULE_DEFAULTS[rule.key]
        assert Campaign._meta.fields[rule.key].default == RULE_DEFAULTS[rule.key]
        assert rule.key in view_fields


def _sources() -> list[Path]:
    return sorted((ROOT / "kiosk").rglob("*.py")) + sorted((ROOT / "screens").rglob("*.py"))


def test_no_service_or_screen_falls_back_to_a_literal_rule_or_reads_the_columns():
    rule_keys = set(RULE_DEFAULTS)
    found = []
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (  # `campaign.correction_window_hours if campaign else 48`
                isinstance(node, ast.IfExp)
                and isinstance(node.body, ast.Attribute)
                and node.body.attr in rule_keys
                and isinstance(node.orelse, ast.Constant | ast.UnaryOp)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} literal fallback")
            if (  # Campaign._meta...
                isinstance(node, ast.Attribute)
                and node.attr == "_meta"
                and isinstance(node.value, ast.Name)
                and node.value.id == "Campaign"
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} reads Campaign._meta")
    assert found == []


def test_a_rule_changed_in_the_campaign_changes_the_correction_window(demo_plant, clock):
    draft = DefectDraft("L1-S02", "machine", "major", "inspection", "Loose earth screw")
    reporter = auth.identify_badge("E4004")
    first = report_defect(Caller.of(reporter, clock), draft)
    with db.connection():
        Campaign.update(correction_window_hours=24).where(Campaign.active).execute()
    second = report_defect(Caller.of(reporter, clock), draft)
    with db.connection():
        windows = [
            (row.due_at - row.reported_at)
            for row in (Defect.get_by_id(first.id), Defect.get_by_id(second.id))
        ]
    assert windows == [
        timedelta(hours=int(RULE_DEFAULTS["correction_window_hours"])),
        timedelta(hours=24),
    ]
