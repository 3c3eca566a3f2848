"""Knowledge contests: 4-person teams, +2/-2 per answer through the ledger, exactly once."""

from __future__ import annotations

import random
import threading

import pytest

from kiosk.caller import Caller
from kiosk.errors import Conflict, PermissionDenied, ValidationFailed
from kiosk.services.platform.auth import identify_badge
from kiosk.services.platform.ledger import team_totals
from kiosk.services.training import contests
from models import AuditEntry, Campaign, Choice, LedgerEntry, Team, db
from models.contests import ContestAnswer, ContestItem, ContestTeamMember

LEADER = "E1001"
TEAM_A = ["E1003", "E2003", "E4006", "E5004"]
TEAM_B = ["E1004", "E2004", "E3004", "E6003"]


def host():
    return identify_badge(LEADER)


def right_position(question_id: int) -> int:
    with db.connection():
        return Choice.get((Choice.question == question_id) & Choice.correct).position


def wrong_position(question_id: int) -> int:
    with db.connection():
        return Choice.get((Choice.question == question_id) & ~Choice.correct).position


def contest_rows(contest_id: int) -> list[LedgerEntry]:
    with db.connection():
        return list(
            LedgerEntry.select()
            .where(
                (LedgerEntry.cause_type == "contest") & (LedgerEntry.cause_id == str(contest_id))
            )
            .order_by(LedgerEntry.id)
        )


@pytest.fixture
def two_teams(demo_plant, clock) -> tuple[contests.ContestTeamView, contests.ContestTeamView]:
    a = contests.register_contest_team(Caller.of(host(), clock), "Sharp Eyes", TEAM_A)
    b = contests.register_contest_team(Caller.of(host(), clock), "Zero Slips", TEAM_B)
    return a, b


def test_a_team_has_exactly_four_different_active_members(demo_plant, clock):
    with pytest.raises(ValidationFailed) as three:
        contests.register_contest_team(Caller.of(host(), clock), "Trio", TEAM_A[:3])
    assert three.value.problems["members"] == (
        "A contest team has exactly 4 members; 3 given: add 1 more."
    )
    with pytest.raises(ValidationFailed) as five:
        contests.register_contest_team(Caller.of(host(), clock), "Five", [*TEAM_A, "E6006"])
    assert "exactly 4 members; 5 given: take 1 off" in five.value.problems["members"]
    with pytest.raises(ValidationFailed) as twice:
        contests.register_contest_team(Caller.of(host(), clock), "Twice", [*TEAM_A[:3], "e1003"])
    assert twice.value.problems == {
        "member4": "E1003 (Wang Fang) is listed twice (also member 1): "
        "a team needs 4 different people."
    }
    with pytest.raises(ValidationFailed) as inactive:
        contests.register_contest_team(Caller.of(host(), clock), "Ghosts", [*TEAM_A[:3], "E9001"])
    assert inactive.value.problems == {
        "member4": "E9001 (Qian Lost) is inactive and cannot take part."
    }
    with pytest.raises(ValidationFailed) as unknown:
        contests.register_contest_team(Caller.of(host(), clock), "", [*TEAM_A[:3], "E7777"])
    assert unknown.value.problems["member4"] == "Badge E7777 is not known."
    assert unknown.value.problems["name"] == "Give the team a name."

    team = contests.register_contest_team(Caller.of(host(), clock), "  Sharp\x1b[31m Eyes ", TEAM_A)
    assert (team.code, team.name) == ("C3", "Sharp Eyes")  # the demo holds C1 and C2
    assert [m.badge_code for m in team.members] == TEAM_A
    assert team.departments == ("Manufacturing", "Quality", "R&D")
    with db.connection():
        row = Team.get_by_id(team.id)
        assert row.kind == "contest"
        assert ContestTeamMember.select().where(ContestTeamMember.team == row).count() == 4
    # a second team of the same name is refused; nothing else was written by the refusals
    with pytest.raises(ValidationFailed, match="named .Sharp Eyes. exists \\(C3\\)"):
        contests.register_contest_team(Caller.of(host(), clock), "sharp eyes", TEAM_B)
    assert [t.team_name for t in team_totals(kind="contest")] == [
        "Reliability Builders",
        "Sharp Eyes",
        "Zero Defect Eagles",
    ]
    # the demo's two teams: four people each, from four departments each
    demo = [t for t in contests.contest_teams() if t.code in ("C1", "C2")]
    assert [(len(t.members), len(t.departments)) for t in demo] == [(4, 4), (4, 4)]

    # nobody plays for two teams of one contest
    overlap = contests.register_contest_team(
        Caller.of(host(), clock), "Overlap", [TEAM_A[0], "E6006", "E6007", "E5005"]
    )
    with pytest.raises(ValidationFailed) as refused:
        contests.create_contest(Caller.of(host(), clock), "Round 1", [team.code, overlap.code])
    assert refused.value.problems["teams"] == (
        "Wang Fang (E1003) is in both C3 Sharp Eyes and C4 Overlap: "
        "a person plays for one team in a contest."
    )
    with pytest.raises(ValidationFailed, match="at least 2 teams; 1 given"):
        contests.create_contest(Caller.of(host(), clock), "Solo", [team.code])
    with pytest.raises(ValidationFailed, match="Not a registered contest team: T1"):
        contests.create_contest(Caller.of(host(), clock), "Lines", [team.code, "T1"])
    assert contests.contests() == []

    # operators cannot host; the refusal is audited and nothing is written
    operator = identify_badge("E1002")
    with pytest.raises(PermissionDenied, match="team leader or above"):
        contests.register_contest_team(Caller.of(operator, clock), "Mine", TEAM_B)
    with db.connection():
        refusal = AuditEntry.get(AuditEntry.action == "register_a_contest_team")
        assert refusal.allowed is False and refusal.actor_id == operator.id
        assert not Team.select().where(Team.name == "Mine").exists()


def test_right_and_wrong_answers_give_exact_totals_in_the_ledger(two_teams, clock):
    a, b = two_teams
    contest = contests.create_contest(Caller.of(host(), clock), "Final", [a.code, b.code])
    assert (contest.correct_points, contest.wrong_points) == (2, -2)
    rng = random.Random(5)
    plan = [(True, False), (True, False), (False, False)]  # (A right?, B right?) per item
    for number, (a_right, b_right) in enumerate(plan, start=1):
        view = contests.draw_item(Caller.of(host(), clock), contest.id, after=number - 1, rng=rng)
        assert view.item is not None and view.item.number == number
        question = view.item.question_id
        for team, right in ((a, a_right), (b, b_right)):
            position = right_position(question) if right else wrong_position(question)
            outcome = contests.submit_answer(
                Caller.of(host(), clock), contest.id, number, team.id, position, member=1
            )
            assert (outcome.correct, outcome.points, outcome.already) == (
                right,
                2 if right else -2,
                False,
            )
    final = contests.finish_contest(Caller.of(host(), clock), contest.id)
    scores = {s.team_name: (s.points, s.rank, s.right, s.wrong) for s in final.standings}
    assert scores == {"Sharp Eyes": (2, 1, 2, 1), "Zero Slips": (-6, 2, 0, 3)}
    rows = contest_rows(contest.id)
    assert len(rows) == 6
    assert sum(r.amount for r in rows if r.team_id == a.id) == 2
    assert sum(r.amount for r in rows if r.team_id == b.id) == -6
    with db.connection():
        campaign = Campaign.get(Campaign.active)
        items = list(ContestItem.select().where(ContestItem.contest == contest.id))
    assert {r.campaign_id for r in rows} == {campaign.id}
    assert {r.idempotency_key for r in rows} == {
        f"contest:{contest.id}:{item.question_id}:{team.id}" for item in items for team in (a, b)
    }
    assert {t.team_name: t.points for t in team_totals(kind="contest")}["Zero Slips"] == -6
    assert "Zero Slips" not in {t.team_name for t in team_totals()}  # line boards stay clean
    # a finished contest takes no more items or answers
    with pytest.raises(Conflict, match="is finished"):
        contests.draw_item(Caller.of(host(), clock), contest.id)
    assert len(contest_rows(contest.id)) == 6


def test_a_double_submit_counts_once(two_teams, clock):
    a, b = two_teams
    contest = contests.create_contest(Caller.of(host(), clock), "Doubles", [a.code, b.code])
    view = contests.draw_item(Caller.of(host(), clock), contest.id, after=0)
    # a double key press on "next item" draws one item, not two
    again = contests.draw_item(Caller.of(host(), clock), contest.id, after=0)
    assert again.items_drawn == 1 and again.item == view.item
    question = view.item.question_id
    for member in (None, 0, 5):  # who answered must be said: nothing counted without it
        with pytest.raises(ValidationFailed) as refused:
            contests.submit_answer(
                Caller.of(host(), clock),
                contest.id,
                1,
                a.id,
                wrong_position(question),
                member=member,
            )
        assert "Say which member of" in refused.value.problems["member"]
    assert contest_rows(contest.id) == []
    first = contests.submit_answer(
        Caller.of(host(), clock), contest.id, 1, a.id, wrong_position(question), member=2
    )
    [row] = contest_rows(contest.id)
    with db.connection():
        assert row.employee.badge_code == a.members[1].badge_code  # the second member
        assert row.reason.endswith(f"by {a.members[1].name}") and row.team_id == a.id
    second = contests.submit_answer(
        Caller.of(host(), clock), contest.id, 1, a.id, right_position(question), member=1
    )
    assert (first.already, second.already) == (False, True)
    assert (second.correct, second.points, second.letter) == (False, -2, first.letter)
    assert second.describe().startswith("Already counted once (nothing added).")
    assert [r.amount for r in contest_rows(contest.id)] == [-2]
    # an item that is no longer on the board takes no new answer
    contests.draw_item(Caller.of(host(), clock), contest.id, after=1)
    with pytest.raises(Conflict, match="Item 1 is closed: item 2 is on the board"):
        contests.submit_answer(Caller.of(host(), clock), contest.id, 1, b.id, 1, member=1)


def test_two_kiosks_confirming_the_same_answer_at_once_write_one_row(two_teams, clock):
    a, b = two_teams
    contest = contests.create_contest(Caller.of(host(), clock), "Race", [a.code, b.code])
    view = contests.draw_item(Caller.of(host(), clock), contest.id, after=0)
    position = right_position(view.item.question_id)
    leader = host()
    start = threading.Barrier(4)
    outcomes: list[contests.AnswerOutcome] = []
    errors: list[BaseException] = []

    def confirm() -> None:
        try:
            start.wait()
            outcomes.append(
                contests.submit_answer(
                    Caller.of(leader, clock), contest.id, 1, a.id, position, member=1
                )
            )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=confirm) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(o.already for o in outcomes) == [False, True, True, True]
    assert [(r.team_id, r.amount) for r in contest_rows(contest.id)] == [(a.id, 2)]
    with db.connection():
        assert ContestAnswer.select().count() == 1


def test_items_never_repeat_within_a_contest_and_contests_do_not_mix(two_teams, clock):
    a, b = two_teams
    first = contests.create_contest(Caller.of(host(), clock), "Morning", [a.code, b.code])
    drawn = []
    number = 0
    while True:
        try:
            view = contests.draw_item(Caller.of(host(), clock), first.id, after=number)
        except Conflict as exc:
            assert "Every item of the question bank has been used" in exc.message
            break
        number = view.item.number
        drawn.append(view.item.question_id)
    assert view.items_left == 0
    assert len(drawn) == len(set(drawn)) == 36  # the demo bank, each item once
    contests.submit_answer(Caller.of(host(), clock), first.id, number, a.id, 1, member=1)
    a_first = contests.contest_view(first.id).standing(a.id).points
    contests.finish_contest(Caller.of(host(), clock), first.id)

    second = contests.create_contest(Caller.of(host(), clock), "Afternoon", [b.code, a.code])
    assert contests.scoreboard().id == second.id  # the running one, by default
    view = contests.draw_item(Caller.of(host(), clock), second.id, after=0)
    question = view.item.question_id
    contests.submit_answer(
        Caller.of(host(), clock), second.id, 1, a.id, right_position(question), member=1
    )
    contests.submit_answer(
        Caller.of(host(), clock), second.id, 1, b.id, right_position(question), member=1
    )
    board = contests.scoreboard()
    assert [(s.team_name, s.points, s.rank) for s in board.standings] == [
        ("Sharp Eyes", 2, 1),
        ("Zero Slips", 2, 1),  # a tie shares the rank
    ]
    assert contests.contest_view(first.id).standing(a.id).points == a_first
    assert [s.team_name for s in board.teams] == ["Zero Slips", "Sharp Eyes"]
    assert [c.name for c in contests.contests()] == ["Afternoon", "Morning"]
