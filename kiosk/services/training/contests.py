"""Knowledge contests: 4-person teams answer items from the question bank, +2 / -2 at once.

A host (team leader or above) registers contest teams of exactly four active
employees, creates a contest from two or more of them and runs it on one
shared kiosk: draw an item, take each team's answer, confirm it. Every
confirmed answer is one ledger row for the contest team at once (cause_type
"contest", cause_id = the contest id, key `contest:<contest>:<question>:<team>`),
so a double Enter or two kiosks confirming the same answer count it once.
Scores are sums of that contest's ledger rows (reversals included); they may
go negative. The point values are the campaign's rules, fixed when the
contest is created.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from peewee import IntegrityError, fn

from kiosk.caller import Caller
from kiosk.errors import Conflict, NotFound, ValidationFailed
from kiosk.i18n import _
from kiosk.services.plant.campaigns import active_campaign_row, rules_of
from kiosk.services.platform import uow
from kiosk.services.platform.auth import (
    active_employee,
    normalise_badge,
    record_action,
)
from kiosk.services.platform.ledger import Award, write_award
from kiosk.services.platform.refusals import Target, requires_role
from kiosk.services.platform.text import clean_text, shorten
from kiosk.services.platform.uow import for_update
from models import Choice, Employee, LedgerEntry, Question, Team, db
from models.contests import (
    Contest,
    ContestAnswer,
    ContestEntry,
    ContestItem,
    ContestTeamMember,
)

HOST_ROLE = "team_leader"
TEAM_SIZE = 4
MIN_TEAMS = 2
MAX_TEAMS = 9  # one digit key per team on the host screen
NAME_MAX = 60
CONTEST_NAME_MAX = 120
CAUSE_TYPE = "contest"
LETTERS = "ABCDEF"
_TEAM_CODE = re.compile(r"^C(\d+)$")
P = ParamSpec("P")
R = TypeVar("R")


# -- views handed to screens --------------------------------------------------------


@dataclass(frozen=True)
class MemberView:
    badge_code: str
    name: str
    department: str


@dataclass(frozen=True)
class ContestTeamView:
    id: int
    code: str
    name: str
    members: tuple[MemberView, ...]

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(sorted({member.department for member in self.members}))

    @property
    def member_names(self) -> str:
        return ", ".join(member.name for member in self.members)


@dataclass(frozen=True)
class ContestSummary:
    id: int
    name: str
    status: str
    created_at: datetime
    finished_at: datetime | None
    team_names: tuple[str, ...]
    items_drawn: int


@dataclass(frozen=True)
class ContestChoiceView:
    position: int
    letter: str
    text: str


@dataclass(frozen=True)
class ItemAnswerView:
    team_id: int
    team_name: str
    letter: str
    correct: bool
    points: int


@dataclass(frozen=True)
class ItemView:
    number: int
    question_id: int
    topic: str
    kind: str
    text: str
    choices: tuple[ContestChoiceView, ...]
    answers: tuple[ItemAnswerView, ...]

    def answer_of(self, team_id: int) -> ItemAnswerView | None:
        return next((answer for answer in self.answers if answer.team_id == team_id), None)


@dataclass(frozen=True)
class StandingView:
    team_id: int
    team_code: str
    team_name: str
    points: int
    rank: int
    right: int
    wrong: int
    position: int  # order of registration in the contest (1-based: the host's key)
    members: tuple[str, ...] = ()  # the members' names in their order (the host's keys 1-4)


@dataclass(frozen=True)
class ContestView:
    id: int
    name: str
    status: str
    correct_points: int
    wrong_points: int
    host_name: str
    created_at: datetime
    finished_at: datetime | None
    standings: tuple[StandingView, ...]  # best first; ties share a rank
    item: ItemView | None  # the item on the board (the latest drawn)
    items_drawn: int
    items_left: int

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def teams(self) -> tuple[StandingView, ...]:
        """The teams in their registration order (the host's keys 1..n)."""
        return tuple(sorted(self.standings, key=lambda s: s.position))

    @property
    def leaders(self) -> tuple[StandingView, ...]:
        return tuple(s for s in self.standings if s.rank == 1)

    def standing(self, team_id: int) -> StandingView | None:
        return next((s for s in self.standings if s.team_id == team_id), None)


@dataclass(frozen=True)
class AnswerOutcome:
    contest: ContestView
    team_id: int
    team_name: str
    item_number: int
    letter: str
    correct: bool
    points: int
    already: bool  # True: this answer had been confirmed before; nothing new was counted
    correct_letter: str
    correct_text: str
    explanation: str
    answered_by: str = ""  # the member the points are attributed to (when just counted)

    def describe(self) -> str:
        verdict = _("RIGHT") if self.correct else _("WRONG")
        text: str = (
            _(
                "{team_name} ({name}) answered {letter} on item {item_number}: {verdict}, "
                "{points:+d}.",
                team_name=self.team_name,
                name=self.answered_by,
                letter=self.letter,
                item_number=self.item_number,
                verdict=verdict,
                points=self.points,
            )
            if self.answered_by
            else _(
                "{team_name} answered {letter} on item {item_number}: {verdict}, {points:+d}.",
                team_name=self.team_name,
                letter=self.letter,
                item_number=self.item_number,
                verdict=verdict,
                points=self.points,
            )
        )
        if not self.correct:
            text += _(
                " The answer is {correct_letter}: {rstrip}.",
                correct_letter=self.correct_letter,
                rstrip=self.correct_text.rstrip("."),
            )
        if self.already:
            text = _("Already counted once (nothing added). {text}", text=text)
        return text


def _contest_target(given: dict[str, Any]) -> str:
    return f"contest {given['contest_id']}"


def _host_only(action: str, target: Target) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Refuse a caller below HOST_ROLE before the unit runs (the refusal audited in its
    own transaction: inside the unit it would be rolled back with it)."""
    return requires_role(HOST_ROLE, action, target)


# -- registering teams -----------------------------------------------------------------


@_host_only("register_a_contest_team", lambda given: shorten(given["name"] or ""))
@uow.write
def register_contest_team(
    caller: Caller,
    name: str,
    badges: Sequence[str],
) -> ContestTeamView:
    """Register a contest team of exactly four different, active employees.

    Problems are reported by field: "name", "members" (the count) and
    "member1".."memberN" (a badge that is unknown, inactive or listed twice).
    """
    actor = caller.person
    team_name = clean_text(name or "")
    problems: dict[str, str] = {}
    if not team_name:
        problems["name"] = _("Give the team a name.")
    elif len(team_name) > NAME_MAX:
        problems["name"] = _(
            "The name is {count} characters long; keep it to {NAME_MAX}.",
            count=len(team_name),
            NAME_MAX=NAME_MAX,
        )
    codes = [normalise_badge(clean_text(badge or "")) for badge in badges]
    given = [(number, code) for number, code in enumerate(codes, start=1) if code]
    if len(given) != TEAM_SIZE:
        if len(given) < TEAM_SIZE:
            fix = _("add {TEAM_SIZE} more", TEAM_SIZE=TEAM_SIZE - len(given))
        else:
            fix = _("take {count} off", count=len(given) - TEAM_SIZE)
        problems["members"] = _(
            "A contest team has exactly {TEAM_SIZE} members; {count} given: {fix}.",
            TEAM_SIZE=TEAM_SIZE,
            count=len(given),
            fix=fix,
        )
    found = {
        e.badge_code: e
        for e in Employee.select().where(Employee.badge_code.in_([c for _, c in given] or [""]))
    }
    seen: dict[str, int] = {}
    for number, code in given:
        field = f"member{number}"
        employee = found.get(code)
        if len(code) > 64:
            problems[field] = _("{code} is not a badge code.", code=shorten(code, 20))
        elif employee is None:
            problems[field] = _("Badge {code} is not known.", code=shorten(code, 20))
        elif not employee.active:
            problems[field] = _(
                "{code} ({name}) is inactive and cannot take part.",
                code=code,
                name=employee.name,
            )
        elif code in seen:
            problems[field] = _(
                "{code} ({name}) is listed twice (also member {seen}): a team needs "
                "{TEAM_SIZE} different people.",
                code=code,
                name=employee.name,
                seen=seen[code],
                TEAM_SIZE=TEAM_SIZE,
            )
        else:
            seen[code] = number
    if team_name and "name" not in problems:
        taken = (
            Team.select()
            .where(
                (Team.kind == "contest") & Team.active & (fn.LOWER(Team.name) == team_name.lower())
            )
            .first()
        )
        if taken is not None:
            problems["name"] = _(
                "A contest team named {name!r} exists ({code}): choose another.",
                name=taken.name,
                code=taken.code,
            )
    if problems:
        raise ValidationFailed(problems)
    host = active_employee(actor)
    code = next_contest_team_code()
    try:
        with db.database_proxy.atomic():
            team = Team.create(code=code, name=team_name, kind="contest")
    except IntegrityError:
        raise Conflict(
            _("Another kiosk registered a team at the same moment. Save again.")
        ) from None
    for position, (_number, badge) in enumerate(given, start=1):
        ContestTeamMember.create(team=team, employee=found[badge], position=position)
    record_action(
        host, "register_contest_team", f"{code} {team_name}", caller.now(), terminal=caller.terminal
    )
    return _team_view(team)


@uow.read
def contest_teams() -> list[ContestTeamView]:
    """Every active contest team with its members, in order of registration."""
    teams = Team.select().where((Team.kind == "contest") & Team.active).order_by(Team.id)
    return [_team_view(team) for team in teams]


# -- contests -------------------------------------------------------------------------------


@_host_only("create_a_contest", lambda given: shorten(given["name"] or ""))
@uow.write
def create_contest(
    caller: Caller,
    name: str,
    team_codes: Sequence[str],
) -> ContestView:
    """Start a contest between two or more registered teams; nobody may play for two of them."""
    actor = caller.person
    contest_name = clean_text(name or "")
    problems: dict[str, str] = {}
    if not contest_name:
        problems["name"] = _("Give the contest a name.")
    elif len(contest_name) > CONTEST_NAME_MAX:
        problems["name"] = _(
            "The name is {count} characters long; keep it to {CONTEST_NAME_MAX}.",
            count=len(contest_name),
            CONTEST_NAME_MAX=CONTEST_NAME_MAX,
        )
    codes: list[str] = []
    for raw in team_codes:
        code = clean_text(raw or "").upper()
        if not code:
            continue
        if code in codes:
            problems["teams"] = _("Team {code} is named twice.", code=shorten(code, 12))
        else:
            codes.append(code)
    if "teams" not in problems and len(codes) < MIN_TEAMS:
        problems["teams"] = _(
            "A contest needs at least {MIN_TEAMS} teams; {count} given.",
            MIN_TEAMS=MIN_TEAMS,
            count=len(codes),
        )
    if "teams" not in problems and len(codes) > MAX_TEAMS:
        problems["teams"] = _(
            "At most {MAX_TEAMS} teams play in one contest; {count} given.",
            MAX_TEAMS=MAX_TEAMS,
            count=len(codes),
        )
    teams: list[Team] = []
    if "teams" not in problems:
        rows = {
            t.code: t
            for t in Team.select().where(
                (Team.kind == "contest") & Team.active & Team.code.in_(codes)
            )
        }
        unknown = [shorten(code, 12) for code in codes if code not in rows]
        if unknown:
            problems["teams"] = _(
                "Not a registered contest team: {items}. Register the team first (its "
                "code is C and a number).",
                items=", ".join(unknown),
            )
        else:
            teams = [rows[code] for code in codes]
            clash = _member_in_two_teams(teams)
            if clash:
                problems["teams"] = clash
    if problems:
        raise ValidationFailed(problems)
    host = active_employee(actor)
    campaign = active_campaign_row()
    rules = rules_of(campaign)
    now = caller.now()
    contest = Contest.create(
        name=contest_name,
        campaign=campaign,
        status="running",
        correct_points=rules.contest_correct_points,
        wrong_points=rules.contest_wrong_points,
        host=host,
        created_at=now,
    )
    for position, team in enumerate(teams, start=1):
        ContestEntry.create(contest=contest, team=team, position=position)
    record_action(
        host,
        "create_contest",
        f"contest {contest.id} {contest_name}",
        now,
        terminal=caller.terminal,
    )
    return _view(contest)


@_host_only("run_a_contest", _contest_target)
@uow.write
def draw_item(
    caller: Caller,
    contest_id: int,
    *,
    after: int | None = None,
    rng: random.Random | None = None,
) -> ContestView:
    """Put the next item on the board: an active question not yet used in this contest.

    `after` is the item number the host saw on the board: when another item has
    been drawn since (a double key press, a second kiosk), that one is shown and
    nothing new is drawn.
    """
    actor = caller.person
    rng = rng or random.Random()
    contest = _contest(contest_id, lock=True)
    _require_running(contest)
    latest = (
        ContestItem.select(fn.MAX(ContestItem.number))
        .where(ContestItem.contest == contest)
        .scalar()
        or 0
    )
    if after is not None and latest != after:
        return _view(contest)
    used = ContestItem.select(ContestItem.question).where(ContestItem.contest == contest)
    candidates = [
        q.id
        for q in Question.select(Question.id)
        .where(Question.active & Question.id.not_in(used))
        .order_by(Question.id)
    ]
    if not candidates:
        raise Conflict(
            _(
                "Every item of the question bank has been used in this contest ({latest}). "
                "Finish the contest to see the final ranking.",
                latest=latest,
            )
        )
    drawn = ContestItem.create(
        contest=contest,
        question=rng.choice(candidates),
        number=latest + 1,
        drawn_at=caller.now(),
        drawn_by=active_employee(actor),
    )
    record_action(
        actor.id,
        "draw_contest_item",
        f"contest {contest.id} item {drawn.number}",
        drawn.drawn_at,
        detail=f"question {drawn.question_id}",
        terminal=caller.terminal,
    )
    return _view(contest)


@_host_only("run_a_contest", _contest_target)
@uow.write(idempotent=True)  # one answer row per team and item, one ledger key
def submit_answer(
    caller: Caller,
    contest_id: int,
    item_number: int,
    team_id: int,
    position: int,
    *,
    member: int | None = None,
) -> AnswerOutcome:
    """Confirm a team's answer to an item: +correct or +wrong points for the team at once,
    attributed to the member who answered (member: their number on the team, 1-4), so the
    points reach that person's monthly performance too.

    A team answers an item once. Confirming the same answer again (a double
    Enter, two kiosks) counts nothing new and says so.
    """
    actor = caller.person
    contest = _contest(contest_id, lock=True)
    item = ContestItem.get_or_none(
        (ContestItem.contest == contest) & (ContestItem.number == item_number)
    )
    if item is None:
        raise NotFound(
            _("Item {item_number} has not been drawn in this contest.", item_number=item_number)
        )
    entry = ContestEntry.get_or_none(
        (ContestEntry.contest == contest) & (ContestEntry.team == team_id)
    )
    if entry is None:
        raise NotFound(_("That team does not play in this contest."))
    team = Team.get_by_id(team_id)
    choices = list(
        Choice.select().where(Choice.question == item.question_id).order_by(Choice.position)
    )
    right = next(c for c in choices if c.correct)
    existing = ContestAnswer.get_or_none(
        (ContestAnswer.item == item) & (ContestAnswer.team == team_id)
    )
    if existing is not None:
        return _outcome(contest, item, team, existing, right, already=True)
    _require_running(contest)
    latest = (
        ContestItem.select(fn.MAX(ContestItem.number))
        .where(ContestItem.contest == contest)
        .scalar()
    )
    if item_number != latest:
        raise Conflict(
            _(
                "Item {item_number} is closed: item {latest} is on the board now.",
                item_number=item_number,
                latest=latest,
            )
        )
    chosen = next((c for c in choices if c.position == position), None)
    if chosen is None:
        raise ValidationFailed(
            {
                "choice": _(
                    "Choose {LETTERS} to {LETTERS2}.",
                    LETTERS=LETTERS[0],
                    LETTERS2=LETTERS[len(choices) - 1],
                )
            }
        )
    answerer = (
        ContestTeamMember.select(ContestTeamMember, Employee)
        .join(Employee)
        .where((ContestTeamMember.team == team_id) & (ContestTeamMember.position == member))
        .first()
        if member is not None
        else None
    )
    if answerer is None:
        raise ValidationFailed(
            {
                "member": _(
                    "Say which member of {team_name} answered: 1-{TEAM_SIZE}.",
                    team_name=team.name,
                    TEAM_SIZE=TEAM_SIZE,
                )
            }
        )
    host = active_employee(actor)
    now = caller.now()
    key = f"contest:{contest.id}:{item.question_id}:{team_id}"
    inserted = list(
        ContestAnswer.insert(
            item=item,
            team=team_id,
            choice=chosen,
            correct=chosen.correct,
            ledger_key=key,
            confirmed_by=host,
            answered_at=now,
            terminal=caller.terminal,
        )
        .on_conflict_ignore()
        .returning(ContestAnswer.id)
        .execute()
    )
    answer = ContestAnswer.get((ContestAnswer.item == item) & (ContestAnswer.team == team_id))
    if not inserted:  # another kiosk confirmed it a moment before us
        return _outcome(contest, item, team, answer, right, already=True)
    letter = LETTERS[chosen.position - 1]
    write_award(
        Award(
            team_id=team_id,
            amount=contest.correct_points if answer.correct else contest.wrong_points,
            reason=(
                f"contest {contest.name!r} item {item.number}: {team.name} answered "
                f"{letter} ({'right' if answer.correct else 'wrong'}), "
                f"by {answerer.employee.name}"
            ),
            cause_type=CAUSE_TYPE,
            cause_id=str(contest.id),
            idempotency_key=key,
            employee_id=answerer.employee_id,
            created_by_id=host.id,
            campaign_id=contest.campaign_id,
        ),
        now,
    )
    record_action(
        host,
        "confirm_contest_answer",
        f"contest {contest.id} item {item.number} {team.code}",
        now,
        detail=(
            f"{letter}, {'right' if answer.correct else 'wrong'}, by {answerer.employee.badge_code}"
        ),
        terminal=caller.terminal,
    )
    outcome = _outcome(contest, item, team, answer, right, already=False)
    return replace(outcome, answered_by=answerer.employee.name)


@_host_only("run_a_contest", _contest_target)
@uow.write
def finish_contest(
    caller: Caller,
    contest_id: int,
) -> ContestView:
    """End the contest: no more items or answers; the ranking is final (idempotent)."""
    actor = caller.person
    contest = _contest(contest_id, lock=True)
    if contest.status == "finished":
        return _view(contest)
    host = active_employee(actor)
    now = caller.now()
    Contest.update(status="finished", finished_at=now, finished_by=host).where(
        Contest.id == contest.id
    ).execute()
    record_action(
        host,
        "finish_contest",
        f"contest {contest.id} {contest.name}",
        now,
        terminal=caller.terminal,
    )
    return _view(Contest.get_by_id(contest.id))


@uow.read
def contests() -> list[ContestSummary]:
    """Every contest, running ones first, newest first."""
    rows = list(Contest.select().order_by(Contest.created_at.desc(), Contest.id.desc()))
    summaries = []
    for contest in rows:
        names = tuple(
            entry.team.name
            for entry in ContestEntry.select(ContestEntry, Team)
            .join(Team)
            .where(ContestEntry.contest == contest)
            .order_by(ContestEntry.position)
        )
        drawn = ContestItem.select().where(ContestItem.contest == contest).count()
        summaries.append(
            ContestSummary(
                contest.id,
                contest.name,
                contest.status,
                contest.created_at,
                contest.finished_at,
                names,
                drawn,
            )
        )
    summaries.sort(key=lambda s: s.status != "running")
    return summaries


@uow.read
def contest_view(contest_id: int) -> ContestView:
    return _view(_contest(contest_id))


@uow.read
def scoreboard(contest_id: int | None = None) -> ContestView | None:
    """The contest a scoreboard shows: the one asked for, else the running one
    (the newest if several), else the last one played; None when there is none."""
    if contest_id is not None:
        return _view(_contest(contest_id))
    contest = (
        Contest.select()
        .order_by(
            (Contest.status == "running").desc(), Contest.created_at.desc(), Contest.id.desc()
        )
        .first()
    )
    return _view(contest) if contest else None


# -- helpers -----------------------------------------------------------------------------


def _contest(contest_id: int, *, lock: bool = False) -> Contest:
    try:
        key = int(contest_id)
    except (TypeError, ValueError):
        raise NotFound(
            _("There is no contest {contest_id}.", contest_id=shorten(str(contest_id), 12))
        ) from None
    query = Contest.select().where(Contest.id == key)
    contest: Contest | None = (for_update(query) if lock else query).first()
    if contest is None:
        raise NotFound(_("There is no contest {key}.", key=key))
    return contest


def _require_running(contest: Contest) -> None:
    if contest.status != "running":
        raise Conflict(
            _("The contest {name!r} is finished: its ranking is final.", name=contest.name)
        )


def next_contest_team_code() -> str:
    """The next free contest team code: C1, C2, ..."""
    numbers = [
        int(match.group(1))
        for (code,) in db.tuples(Team.select(Team.code).where(Team.kind == "contest"))
        if (match := _TEAM_CODE.match(code))
    ]
    return f"C{max(numbers, default=0) + 1}"


def _member_in_two_teams(teams: list[Team]) -> str:
    first_team: dict[int, Team] = {}
    for team in teams:
        members = (
            ContestTeamMember.select(ContestTeamMember, Employee)
            .join(Employee)
            .where(ContestTeamMember.team == team)
            .order_by(ContestTeamMember.position)
        )
        for member in members:
            earlier = first_team.setdefault(member.employee_id, team)
            if earlier.id != team.id:
                return _(
                    "{name} ({badge_code}) is in both {code} {name2} and {code2} {name3}: a "
                    "person plays for one team in a contest.",
                    name=member.employee.name,
                    badge_code=member.employee.badge_code,
                    code=earlier.code,
                    name2=earlier.name,
                    code2=team.code,
                    name3=team.name,
                )
    return ""


def _team_view(team: Team) -> ContestTeamView:
    members = (
        ContestTeamMember.select(ContestTeamMember, Employee)
        .join(Employee)
        .where(ContestTeamMember.team == team)
        .order_by(ContestTeamMember.position)
    )
    return ContestTeamView(
        id=team.id,
        code=team.code,
        name=team.name,
        members=tuple(
            MemberView(m.employee.badge_code, m.employee.name, m.employee.department)
            for m in members
        ),
    )


def _outcome(
    contest: Contest,
    item: ContestItem,
    team: Team,
    answer: ContestAnswer,
    right: Choice,
    *,
    already: bool,
) -> AnswerOutcome:
    chosen = Choice.get_by_id(answer.choice_id)
    return AnswerOutcome(
        contest=_view(contest),
        team_id=team.id,
        team_name=team.name,
        item_number=item.number,
        letter=LETTERS[chosen.position - 1],
        correct=answer.correct,
        points=contest.correct_points if answer.correct else contest.wrong_points,
        already=already,
        correct_letter=LETTERS[right.position - 1],
        correct_text=right.text,
        explanation=item.question.explanation,
    )


def _points_by_team(contest: Contest) -> dict[int, int]:
    rows = db.tuples(
        LedgerEntry.select(LedgerEntry.team, fn.SUM(LedgerEntry.amount))
        .where((LedgerEntry.cause_type == CAUSE_TYPE) & (LedgerEntry.cause_id == str(contest.id)))
        .group_by(LedgerEntry.team)
    )
    return {team_id: int(total or 0) for team_id, total in rows}


def _view(contest: Contest) -> ContestView:
    entries = list(
        ContestEntry.select(ContestEntry, Team)
        .join(Team)
        .where(ContestEntry.contest == contest)
        .order_by(ContestEntry.position)
    )
    points = _points_by_team(contest)
    tally: dict[int, list[int]] = {}
    answers = db.tuples(
        ContestAnswer.select(ContestAnswer.team, ContestAnswer.correct)
        .join(ContestItem)
        .where(ContestItem.contest == contest)
    )
    for team_id, correct in answers:
        counts = tally.setdefault(team_id, [0, 0])
        counts[0 if correct else 1] += 1
    members: dict[int, list[str]] = {}
    for team_id, name in db.tuples(
        ContestTeamMember.select(ContestTeamMember.team, Employee.name)
        .join(Employee)
        .where(ContestTeamMember.team.in_([e.team_id for e in entries] or [-1]))
        .order_by(ContestTeamMember.team, ContestTeamMember.position)
    ):
        members.setdefault(team_id, []).append(name)
    ordered = sorted(entries, key=lambda e: (-points.get(e.team_id, 0), e.team.name, e.position))
    standings: list[StandingView] = []
    rank = 0
    previous: int | None = None
    for place, entry in enumerate(ordered, start=1):
        score = points.get(entry.team_id, 0)
        if score != previous:
            rank, previous = place, score
        right, wrong = tally.get(entry.team_id, [0, 0])
        standings.append(
            StandingView(
                team_id=entry.team_id,
                team_code=entry.team.code,
                team_name=entry.team.name,
                points=score,
                rank=rank,
                right=right,
                wrong=wrong,
                position=entry.position,
                members=tuple(members.get(entry.team_id, ())),
            )
        )
    items = ContestItem.select().where(ContestItem.contest == contest)
    drawn = items.count()
    latest = items.order_by(ContestItem.number.desc()).first()
    used = ContestItem.select(ContestItem.question).where(ContestItem.contest == contest)
    left = Question.select().where(Question.active & Question.id.not_in(used)).count()
    return ContestView(
        id=contest.id,
        name=contest.name,
        status=contest.status,
        correct_points=contest.correct_points,
        wrong_points=contest.wrong_points,
        host_name=Employee.get_by_id(contest.host_id).name,
        created_at=contest.created_at,
        finished_at=contest.finished_at,
        standings=tuple(standings),
        item=_item_view(contest, latest, {e.team_id: e.team.name for e in entries})
        if latest
        else None,
        items_drawn=drawn,
        items_left=left,
    )


def _item_view(contest: Contest, item: ContestItem, names: dict[int, str]) -> ItemView:
    question = Question.get_by_id(item.question_id)
    choices = list(Choice.select().where(Choice.question == question).order_by(Choice.position))
    by_id = {choice.id: choice for choice in choices}
    answers = []
    for answer in (
        ContestAnswer.select()
        .where(ContestAnswer.item == item)
        .order_by(ContestAnswer.answered_at, ContestAnswer.id)
    ):
        chosen = by_id.get(answer.choice_id)
        answers.append(
            ItemAnswerView(
                team_id=answer.team_id,
                team_name=names.get(answer.team_id, "?"),
                letter=LETTERS[chosen.position - 1] if chosen else "?",
                correct=answer.correct,
                points=contest.correct_points if answer.correct else contest.wrong_points,
            )
        )
    return ItemView(
        number=item.number,
        question_id=question.id,
        topic=question.topic,
        kind=question.kind,
        text=question.text,
        choices=tuple(
            ContestChoiceView(c.position, LETTERS[c.position - 1], c.text) for c in choices
        ),
        answers=tuple(answers),
    )
