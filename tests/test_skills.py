"""Skill competitions: events as data, judges' scores in range, rankings with ties."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kiosk.caller import Caller
from kiosk.errors import NotFound, PermissionDenied, ValidationFailed
from kiosk.services.platform.auth import identify_badge
from kiosk.services.training import skills
from models import AuditEntry, db
from models.contests import SkillScore

SUPERVISOR = "E4002"  # Liang Yu
ADMIN = "E4001"  # Sun Hongbing
OTHER_SUPERVISOR = "E5001"  # Deng Chao


def judge(badge: str = SUPERVISOR):
    return identify_badge(badge)


def test_the_three_campaign_events_are_seeded_with_criteria_and_ranges(demo_plant):
    events = skills.skill_events()
    assert [(e.code, e.name) for e in events] == [
        ("EQUIP", "Inspection-equipment operation"),
        ("SOLDER", "Soldering"),
        ("BLIND", "Blind sample testing"),
    ]
    solder = events[1]
    assert [(c.code, c.range_text) for c in solder.criteria] == [
        ("JOINTS", "0-10"),
        ("SPEED", "0-10"),
        ("ESD", "0-5"),
    ]
    assert solder.max_total == 25
    assert [p.badge_code for p in solder.participants] == ["E3004", "E3002", "E3005", "E3006"]
    # loading the data again changes nothing
    assert skills.load_default_skill_events() == 3
    assert len(skills.skill_events()) == 3

    # event data is checked before anything is written
    with pytest.raises(ValidationFailed) as refused:
        skills.load_skill_events(
            [
                {"code": "OK", "name": "Fine", "criterion": [{"code": "A", "name": "a"}]},
                {
                    "code": "BAD",
                    "name": "Broken",
                    "criterion": [{"code": "A", "name": "a", "min": 5, "max": 5}],
                },
            ]
        )
    assert refused.value.problems == {
        "event 2": "event 2: criterion 1: the range 5-5 is not a range (min < max)"
    }
    assert [e.code for e in skills.skill_events()] == ["EQUIP", "SOLDER", "BLIND"]


def test_scores_rank_by_total_averaged_over_judges_with_ties_as_ties(demo_plant, clock):
    # E3002 Guo Mei, E3004 Gao Yan, E3005 Lin Feng, E3006 Luo Xin take part in soldering
    skills.enter_scores(
        Caller.of(judge(), clock), "SOLDER", "E3002", {"JOINTS": 9, "SPEED": 8, "ESD": 5}
    )
    skills.enter_scores(
        Caller.of(judge(), clock), "SOLDER", "E3004", {"JOINTS": 8, "SPEED": 9, "ESD": 5}
    )
    skills.enter_scores(
        Caller.of(judge(), clock), "SOLDER", "E3005", {"JOINTS": 7, "SPEED": 7, "ESD": 4}
    )
    ranking = skills.ranking("SOLDER")
    # Luo Xin is not scored yet: leaders, but no winner (issue 13: not after 3 of 4)
    assert [(r.participant.name, r.rank, r.total_text, r.winner) for r in ranking.rows] == [
        ("Gao Yan", 1, "22", False),
        ("Guo Mei", 1, "22", False),
        ("Lin Feng", 3, "18", False),
        ("Luo Xin", None, "—", False),
    ]
    assert ranking.winners == () and not ranking.decided and ranking.fully_scored == 3
    assert [w.participant.badge_code for w in ranking.leaders] == ["E3004", "E3002"]
    skills.enter_scores(
        Caller.of(judge(), clock), "SOLDER", "E3006", {"JOINTS": 5, "SPEED": 5, "ESD": 5}
    )
    ranking = skills.ranking("SOLDER")
    assert ranking.decided
    assert [w.participant.badge_code for w in ranking.winners] == ["E3004", "E3002"]

    # a second judge: each criterion is the judges' average, so the tie breaks
    skills.enter_scores(
        Caller.of(judge(ADMIN), clock), "SOLDER", "E3002", {"JOINTS": 10, "SPEED": 8, "ESD": 5}
    )
    skills.enter_scores(
        Caller.of(judge(ADMIN), clock), "SOLDER", "E3004", {"JOINTS": 8, "SPEED": 8, "ESD": 4}
    )
    ranking = skills.ranking("SOLDER")
    guo, gao = ranking.row_of("E3002"), ranking.row_of("E3004")
    assert (guo.total, guo.rank, guo.judges, guo.winner) == (Fraction(45, 2), 1, 2, True)
    assert (gao.total, gao.rank, gao.total_text) == (Fraction(21), 2, "21")
    assert guo.total_text == "22.50"
    assert [w.participant.name for w in ranking.winners] == ["Guo Mei"]

    # a judge re-entering a score replaces their own
    with db.connection():
        before = SkillScore.select().count()
    skills.enter_scores(Caller.of(judge(), clock), "BLIND", "E1005", {"FOUND": 6, "NAMED": 5})
    skills.enter_scores(Caller.of(judge(ADMIN), clock), "BLIND", "E1005", {"FOUND": 10})
    sheet = skills.enter_scores(
        Caller.of(judge(), clock), "BLIND", "E1005", {"FOUND": "8", "NAMED": ""}
    )
    assert sheet.replaced == ("FOUND",)
    assert [(s.criterion.code, s.score) for s in sheet.scores] == [
        ("FOUND", 8),
        ("NAMED", 5),  # blank left it as it was
        ("FALSE", None),
    ]
    with db.connection():
        assert SkillScore.select().count() == before + 3  # 2 of Liang Yu's, 1 of Sun's
    row = skills.ranking("BLIND").row_of("E1005")
    assert (row.total, row.criteria_scored, row.complete) == (Fraction(14), 2, False)


def test_an_out_of_range_score_is_refused_with_the_range(demo_plant, clock):
    with pytest.raises(ValidationFailed) as refused:
        skills.enter_scores(
            Caller.of(judge(), clock), "SOLDER", "E3002", {"JOINTS": 9, "ESD": 6, "SPEED": "fast"}
        )
    assert refused.value.problems == {
        "ESD": "ESD protection and cleanliness: 6 is out of range: give a score from 0 to 5.",
        "SPEED": "Time to finish the board: 'fast' is not a whole number from 0 to 10.",
    }
    with pytest.raises(ValidationFailed, match="-1 is out of range: give a score from 0 to 10"):
        skills.enter_scores(Caller.of(judge(), clock), "SOLDER", "E3002", {"JOINTS": -1})
    with pytest.raises(ValidationFailed, match="Enter at least one score"):
        skills.enter_scores(Caller.of(judge(), clock), "SOLDER", "E3002", {"JOINTS": " "})
    with pytest.raises(NotFound, match="E1002 does not take part in Soldering"):
        skills.enter_scores(Caller.of(judge(), clock), "SOLDER", "E1002", {"JOINTS": 5})
    with db.connection():
        assert SkillScore.select().count() == 0  # all or nothing: JOINTS 9 was not kept


def test_only_judges_score_and_refusals_are_audited(demo_plant, clock):
    leader = identify_badge("E3001")  # a team leader is not a judge
    with pytest.raises(PermissionDenied, match="Only a supervisor or above may judge"):
        skills.enter_scores(Caller.of(leader, clock), "SOLDER", "E3002", {"JOINTS": 10})
    with pytest.raises(PermissionDenied, match="supervisor or above may register"):
        skills.register_participant(Caller.of(leader, clock), "SOLDER", "E3007")
    # a supervisor who takes part cannot score themselves
    skills.register_participant(Caller.of(judge(OTHER_SUPERVISOR), clock), "EQUIP", SUPERVISOR)
    with pytest.raises(PermissionDenied, match="another judge must score you"):
        skills.enter_scores(Caller.of(judge(), clock), "EQUIP", SUPERVISOR, {"SETUP": 10})
    with db.connection():
        refused = {
            (a.action, a.actor.badge_code)
            for a in AuditEntry.select().where(AuditEntry.allowed == False)  # noqa: E712
        }
        assert SkillScore.select().count() == 0
    assert refused == {
        ("judge_a_skill_competition", "E3001"),
        ("register_a_participant", "E3001"),
        ("enter_skill_scores", SUPERVISOR),
    }

    # participants are registered once, active employees only
    view = skills.register_participant(Caller.of(judge(), clock), "SOLDER", " e3007 ")
    assert "E3007" in [p.badge_code for p in view.participants]
    with pytest.raises(ValidationFailed, match="Zheng Bo \\(E3007\\) already takes part"):
        skills.register_participant(Caller.of(judge(), clock), "SOLDER", "E3007")
    with pytest.raises(ValidationFailed, match="inactive"):
        skills.register_participant(Caller.of(judge(), clock), "SOLDER", "E9001")
    with pytest.raises(NotFound, match="no skill competition NOPE"):
        skills.register_participant(Caller.of(judge(), clock), "nope", "E3007")
