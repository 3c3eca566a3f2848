"""Question bank import from CSV or JSON: validate every row first, then upsert by key.

CSV (UTF-8, one item per row, a header row first; column names are not case-sensitive):

    key,topic,kind,text,choice_1,choice_2,choice_3,choice_4,choice_5,choice_6,answer,explanation,difficulty,active

- key: a stable id (letters, digits, '.', '_', '-'; at most 64; not case-sensitive).
  Importing a key again updates that item; items not in the file are left alone.
- topic: a short subject, e.g. "5M1E" (required).
- kind: `single` (single choice, 2 to 6 choices) or `truefalse` (the choices may be
  left empty: they become "True" and "False"; if given, exactly two, the true one first).
- text: the question (required).
- choice_1 .. choice_6: the choices, in order, without gaps (choice_5 and choice_6
  may be left out of the header altogether).
- answer: the right choice as its number counted from 1 (`3`) or its letter (`C`);
  a true/false item also takes `true` / `false`.
- explanation: shown with the result to whoever missed the item (optional).
- difficulty: 1 (easy) to 5 (hard); empty means 1.
- active: `yes` (the default when empty or left out) or `no`: a retired item is no
  longer drawn, but past answers to it stay.

JSON: a list of objects, as in kiosk/data/questions.json, with the fields key, topic,
kind, text, choices (a list of strings), answer, explanation, difficulty, active. There
`answer` is the position in `choices` counted from 0 (as in questions.json), or a
letter "A".."F", or true / false for a true/false item.

Any problem anywhere refuses the whole file (ValidationFailed naming each bad row by its
line); nothing is written. Importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.clock import SystemClock
from kiosk.errors import ValidationFailed
from kiosk.i18n import _
from kiosk.services.platform import uow
from kiosk.services.platform.auth import record_action
from kiosk.services.platform.tabular import NESTED_TOO_DEEPLY, read_utf8_text
from kiosk.services.platform.text import clean_text, csv_rows, header_problems, shorten
from models import Choice, Question, QuizAnswer

IMPORT_MAX_BYTES = 2_000_000
MAX_ITEMS = 5_000
MAX_CHOICES = 6
KEY_MAX = 64
TOPIC_MAX = 64
TEXT_MAX = 1_000
CHOICE_MAX = 300
EXPLANATION_MAX = 2_000
DIFFICULTY_RANGE = (1, 5)
PROBLEMS_SHOWN = 100

CHOICE_COLUMNS = tuple(f"choice_{n}" for n in range(1, MAX_CHOICES + 1))
REQUIRED_COLUMNS = ("key", "topic", "kind", "text", "answer")
CSV_COLUMNS = (
    *REQUIRED_COLUMNS[:4],
    *CHOICE_COLUMNS,
    "answer",
    "explanation",
    "difficulty",
    "active",
)
JSON_FIELDS = (
    "key",
    "topic",
    "kind",
    "text",
    "choices",
    "answer",
    "explanation",
    "difficulty",
    "active",
)
JSON_REQUIRED = ("key", "topic", "kind", "text", "answer")

KIND_ALIASES = {
    "single": "single",
    "single choice": "single",
    "single_choice": "single",
    "single-choice": "single",
    "choice": "single",
    "truefalse": "truefalse",
    "true/false": "truefalse",
    "true_false": "truefalse",
    "true-false": "truefalse",
    "tf": "truefalse",
}
TRUE_WORDS = ("true", "t", "yes", "y")
FALSE_WORDS = ("false", "f", "no", "n")
TRUE_FALSE_CHOICES = ("True", "False")
_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_LETTERS = "ABCDEF"


@dataclass(frozen=True)
class QuestionEntry:
    """One validated item from a file."""

    key: str
    topic: str
    kind: str
    text: str
    choices: tuple[str, ...]
    answer: int  # 1-based position of the right choice
    explanation: str
    difficulty: int
    where: str  # "line 7", for messages
    active: bool = True  # False: retired, no longer drawn


@dataclass(frozen=True)
class ImportSummary:
    total: int
    added: int
    changed: int
    unchanged: int

    def __str__(self) -> str:
        return _(
            "{total} items: {added} new, {changed} changed, {unchanged} unchanged",
            total=self.total,
            added=self.added,
            changed=self.changed,
            unchanged=self.unchanged,
        )


# -- the entry point ----------------------------------------------------------------


def import_questions(path: Path | str, *, who: str = "") -> ImportSummary:
    """Validate a CSV or JSON question file, then insert or update its items by key
    (audited: the file, the summary and `who` ran the import)."""
    return upsert_questions(read_questions(path), source=Path(path).name, who=who)


def read_questions(path: Path | str) -> list[QuestionEntry]:
    """Read and validate a question file (no database). ValidationFailed on any problem."""
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in (".csv", ".json"):
        raise ValidationFailed(
            {
                "file": _(
                    "{name}: a question file is a .csv or a .json file, not {value}.",
                    name=path.name,
                    value=kind or "this",
                )
            }
        )
    text = read_utf8_text(path, IMPORT_MAX_BYTES)
    if kind == ".csv":
        return _entries_from_csv(text, path.name)
    return _entries_from_json(text, path.name)


# -- reading ------------------------------------------------------------------------


def _entries_from_csv(text: str, source: str) -> list[QuestionEntry]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[tuple[str, dict[str, object]]] = []
    try:
        for start, row in csv_rows(reader):
            if header is None:
                header = _csv_header(row, start)
                continue
            where = f"line {start}"
            if len(row) > len(header):
                rows.append(
                    (
                        where,
                        {
                            "_error": _(
                                "{count} cells, the header has {count2}",
                                count=len(row),
                                count2=len(header),
                            )
                        },
                    )
                )
                continue
            cells = dict(zip(header, row + [""] * (len(header) - len(row)), strict=True))
            choices = [cells.get(column, "") for column in CHOICE_COLUMNS]
            rows.append(
                (
                    where,
                    {
                        "key": cells["key"],
                        "topic": cells["topic"],
                        "kind": cells["kind"],
                        "text": cells["text"],
                        "choices": choices,
                        "answer": cells["answer"],
                        "explanation": cells.get("explanation", ""),
                        "difficulty": cells.get("difficulty", ""),
                        "active": cells.get("active", ""),
                    },
                )
            )
            if len(rows) > MAX_ITEMS:
                raise ValidationFailed(
                    {
                        "file": _(
                            "{source} holds more than {MAX_ITEMS:,} items: split it up.",
                            source=source,
                            MAX_ITEMS=MAX_ITEMS,
                        )
                    }
                )
    except csv.Error as exc:
        raise ValidationFailed(
            {
                "file": _(
                    "{source} is not valid CSV near line {line_num}: {exc}.",
                    source=source,
                    line_num=reader.line_num,
                    exc=exc,
                )
            }
        ) from None
    if header is None:
        raise ValidationFailed(
            {"file": _("{source} is empty: it needs a header row and items.", source=source)}
        )
    return _validated(rows, source, numbers_from=1)


def _csv_header(row: list[str], line: int) -> list[str]:
    header = [re.sub(r"\s+", "_", clean_text(cell).lower()) for cell in row]
    problems = header_problems(header, CSV_COLUMNS, REQUIRED_COLUMNS)
    if problems:
        raise ValidationFailed(
            {
                "header": _(
                    "line {line} (the header): {items}. The columns are: {items2} (choice_3 to "
                    "choice_6, explanation, difficulty and active may be left out).",
                    line=line,
                    items="; ".join(problems),
                    items2=",".join(CSV_COLUMNS),
                )
            }
        )
    return header


def _entries_from_json(text: str, source: str) -> list[QuestionEntry]:
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValidationFailed({"file": _(NESTED_TOO_DEEPLY, name=source)}) from None
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            {
                "file": _(
                    "{source} is not valid JSON: {msg} (line {lineno}, column {colno}).",
                    source=source,
                    msg=exc.msg,
                    lineno=exc.lineno,
                    colno=exc.colno,
                )
            }
        ) from None
    if not isinstance(data, list):
        raise ValidationFailed(
            {
                "file": _(
                    "{source} holds a JSON {kind}, not a list of questions: write it as [ "
                    '{{"key": …, "topic": …, …}}, … ] (see kiosk/data/questions.json).',
                    source=source,
                    kind=type(data).__name__,
                )
            }
        )
    if len(data) > MAX_ITEMS:
        raise ValidationFailed(
            {
                "file": _(
                    "{source} holds more than {MAX_ITEMS:,} items: split it.",
                    source=source,
                    MAX_ITEMS=MAX_ITEMS,
                )
            }
        )
    lines = _json_item_lines(text)
    rows: list[tuple[str, dict[str, object]]] = []
    for number, item in enumerate(data, start=1):
        where = f"line {lines[number - 1]}" if len(lines) == len(data) else f"item {number}"
        if not isinstance(item, dict):
            rows.append(
                (where, {"_error": _("item {number} is not an object {{…}}", number=number)})
            )
            continue
        problems: list[str] = []
        unknown = sorted(set(item) - set(JSON_FIELDS))
        if unknown:
            problems.append(
                _(
                    "unknown field(s) {items}",
                    items=", ".join(repr(shorten(str(u), 20)) for u in unknown),
                )
            )
        missing = [name for name in JSON_REQUIRED if name not in item]
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        for name in ("key", "topic", "kind", "text", "explanation"):
            if name in item and not isinstance(item[name], str):
                problems.append(_("{name} must be text", name=name))
        choices = item.get("choices", [])
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            problems.append(_("choices must be a list of texts"))
            choices = []
        difficulty = item.get("difficulty", "")
        if isinstance(difficulty, bool) or not isinstance(difficulty, int | str):
            problems.append(_("difficulty must be a whole number from 1 to 5"))
            difficulty = ""
        if problems:
            rows.append((where, {"_error": "; ".join(problems), "key": item.get("key")}))
            continue
        rows.append(
            (
                where,
                {
                    "key": item["key"],
                    "topic": item["topic"],
                    "kind": item["kind"],
                    "text": item["text"],
                    "choices": choices,
                    "answer": item["answer"],
                    "explanation": item.get("explanation", ""),
                    "difficulty": difficulty,
                    "active": item.get("active", ""),
                },
            )
        )
    return _validated(rows, source, numbers_from=0)


def _json_item_lines(text: str) -> list[int]:
    """The line on which each element of a top-level JSON list starts."""
    decoder = json.JSONDecoder()
    whitespace = " \t\r\n\ufeff"
    lines: list[int] = []
    position = 0
    while position < len(text) and text[position] in whitespace:
        position += 1
    position += 1  # the opening "["
    line, counted_to = 1, 0
    try:
        while True:
            while position < len(text) and text[position] in whitespace:
                position += 1
            if position >= len(text) or text[position] == "]":
                return lines
            line += text.count("\n", counted_to, position)
            counted_to = position
            lines.append(line)
            _value, position = decoder.raw_decode(text, position)
            while position < len(text) and text[position] in whitespace:
                position += 1
            if position < len(text) and text[position] == ",":
                position += 1
    except (json.JSONDecodeError, IndexError):
        return []


# -- validation -----------------------------------------------------------------------


def _validated(
    rows: Sequence[tuple[str, Mapping[str, object]]], source: str, *, numbers_from: int
) -> list[QuestionEntry]:
    problems: dict[str, str] = {}
    entries: list[QuestionEntry] = []
    first_seen: dict[str, str] = {}
    for where, raw in rows:
        error = raw.get("_error")
        if error:
            key = clean_text(str(raw.get("key") or ""))
            named = _(" (key {key!r})", key=shorten(key, 30)) if key else ""
            problems[where] = f"{where}{named}: {error}."
            continue
        entry, row_problems = _entry(where, raw, numbers_from=numbers_from)
        if entry is not None and entry.key in first_seen:
            row_problems.append(
                _(
                    "key {key!r} is already used on {first_seen}",
                    key=entry.key,
                    first_seen=first_seen[entry.key],
                )
            )
        elif entry is not None:
            first_seen[entry.key] = where
        if row_problems:
            key = clean_text(str(raw.get("key", "")))
            named = _(" (key {key!r})", key=shorten(key, 30)) if key else ""
            problems[where] = f"{where}{named}: {'; '.join(row_problems)}."
        elif entry is not None:
            entries.append(entry)
    if problems:
        raise ValidationFailed(_capped(problems))
    if not entries:
        raise ValidationFailed({"file": _("{source} holds no questions.", source=source)})
    return entries


def _capped(problems: dict[str, str]) -> dict[str, str]:
    if len(problems) <= PROBLEMS_SHOWN:
        return problems
    shown = dict(list(problems.items())[:PROBLEMS_SHOWN])
    shown["more"] = _(
        "… and {count} more rows with problems.", count=len(problems) - PROBLEMS_SHOWN
    )
    return shown


def _entry(
    where: str, raw: Mapping[str, object], *, numbers_from: int
) -> tuple[QuestionEntry | None, list[str]]:
    problems: list[str] = []
    key = clean_text(str(raw["key"])).lower()
    if not key:
        problems.append(_("no key: give every item a stable key, e.g. 5s-001"))
    elif len(key) > KEY_MAX or not _KEY.match(key):
        problems.append(
            _(
                "key {key!r} may hold only letters, digits, '.', '_' and '-' (at most {KEY_MAX})",
                key=shorten(key, 30),
                KEY_MAX=KEY_MAX,
            )
        )
    topic = clean_text(str(raw["topic"]))
    if not topic:
        problems.append(_("no topic"))
    elif len(topic) > TOPIC_MAX:
        problems.append(
            _(
                "the topic is {count} characters long; keep it to {TOPIC_MAX}",
                count=len(topic),
                TOPIC_MAX=TOPIC_MAX,
            )
        )
    kind_given = clean_text(str(raw["kind"])).lower()
    kind = KIND_ALIASES.get(kind_given)
    if kind is None:
        problems.append(
            _(
                "kind {kind_given!r} is not known: write single or truefalse",
                kind_given=shorten(kind_given, 20),
            )
            if kind_given
            else _("no kind: write single or truefalse")
        )
    text = clean_text(str(raw["text"]), keep_newlines=True)
    if not text:
        problems.append(_("no question text"))
    elif len(text) > TEXT_MAX:
        problems.append(
            _(
                "the question is {count:,} characters long; keep it to {TEXT_MAX:,}",
                count=len(text),
                TEXT_MAX=TEXT_MAX,
            )
        )
    explanation = clean_text(str(raw.get("explanation") or ""), keep_newlines=True)
    if len(explanation) > EXPLANATION_MAX:
        problems.append(
            _(
                "the explanation is {count:,} characters long; keep it to {EXPLANATION_MAX:,}",
                count=len(explanation),
                EXPLANATION_MAX=EXPLANATION_MAX,
            )
        )
    difficulty = _difficulty(raw.get("difficulty"), problems)
    active = _active(raw.get("active"), problems)
    choices = _choices(raw.get("choices") or [], kind, problems)
    answer = None
    if kind is not None and choices is not None:
        answer = _answer(raw["answer"], kind, choices, problems, numbers_from=numbers_from)
    if problems or kind is None or choices is None or answer is None:
        return None, problems
    return (
        QuestionEntry(
            key=key,
            topic=topic,
            kind=kind,
            text=text,
            choices=choices,
            answer=answer,
            explanation=explanation,
            difficulty=difficulty,
            where=where,
            active=active,
        ),
        problems,
    )


def _active(value: object, problems: list[str]) -> bool:
    if isinstance(value, bool):
        return value
    given = clean_text(str(value if value is not None else "")).lower()
    if given in ("", "yes", "y", "true", "1"):
        return True
    if given in ("no", "n", "false", "0"):
        return False
    problems.append(_("active {given!r} must be yes or no", given=shorten(given, 10)))
    return True


def _difficulty(value: object, problems: list[str]) -> int:
    given = clean_text(str(value if value is not None else ""))
    if not given:
        return 1
    low, high = DIFFICULTY_RANGE
    if given.isdigit() and low <= int(given) <= high:
        return int(given)
    problems.append(
        _(
            "difficulty {given!r} must be a whole number from {low} to {high}",
            given=shorten(given, 10),
            low=low,
            high=high,
        )
    )
    return 1


def _choices(values: object, kind: str | None, problems: list[str]) -> tuple[str, ...] | None:
    cells = [clean_text(str(v)) for v in values] if isinstance(values, list) else []
    while cells and not cells[-1]:
        cells.pop()
    gaps = [n for n, cell in enumerate(cells, start=1) if not cell]
    if gaps:
        problems.append(
            _(
                "choice {items} is empty but a later one is not: fill the choices in order "
                "without gaps",
                items=", ".join(map(str, gaps)),
            )
        )
        return None
    if len(cells) > MAX_CHOICES:
        problems.append(
            _("{count} choices; at most {MAX_CHOICES}", count=len(cells), MAX_CHOICES=MAX_CHOICES)
        )
        return None
    long = [n for n, cell in enumerate(cells, start=1) if len(cell) > CHOICE_MAX]
    if long:
        problems.append(
            _(
                "choice {items} is longer than {CHOICE_MAX} characters",
                items=", ".join(map(str, long)),
                CHOICE_MAX=CHOICE_MAX,
            )
        )
        return None
    folded = [cell.casefold() for cell in cells]
    doubled = sorted({n for n, cell in enumerate(folded, start=1) if folded.count(cell) > 1})
    if doubled:
        problems.append(_("choices {items} are the same text", items=", ".join(map(str, doubled))))
        return None
    if kind == "truefalse":
        if not cells:
            return TRUE_FALSE_CHOICES
        if len(cells) != 2:
            problems.append(
                _(
                    "a true/false item has exactly 2 choices (the true one first), not {count}; "
                    "or leave them empty for True / False",
                    count=len(cells),
                )
            )
            return None
        return tuple(cells)
    if kind == "single" and len(cells) < 2:
        problems.append(
            _(
                "a single-choice item needs 2 to {MAX_CHOICES} choices, this one has {count}",
                MAX_CHOICES=MAX_CHOICES,
                count=len(cells),
            )
        )
        return None
    return tuple(cells)


def _answer(
    value: object,
    kind: str,
    choices: tuple[str, ...],
    problems: list[str],
    *,
    numbers_from: int,
) -> int | None:
    count = len(choices)
    letters = _LETTERS[:count]
    how: str = _(
        "the number (1-{count}) or the letter (A-{letters}) of the right choice",
        count=count,
        letters=letters[-1],
    )
    if numbers_from == 0:
        how = _(
            "the position counted from 0 (0-{count}) or the letter (A-{letters})",
            count=count - 1,
            letters=letters[-1],
        )
    if kind == "truefalse":
        how += _(", or true / false")
    position: int | None = None
    if isinstance(value, bool):
        if kind == "truefalse":
            return 1 if value else 2
        problems.append(
            _(
                "answer {lower} fits only a true/false item: give {how}",
                lower=str(value).lower(),
                how=how,
            )
        )
        return None
    if isinstance(value, int):
        position = value + 1 - numbers_from
    elif isinstance(value, str):
        given = clean_text(value)
        folded = given.lower()
        if not given:
            problems.append(_("no answer: give {how}", how=how))
            return None
        if kind == "truefalse" and folded in TRUE_WORDS:
            return 1
        if kind == "truefalse" and folded in FALSE_WORDS:
            return 2
        if len(given) == 1 and given.upper() in _LETTERS:
            position = _LETTERS.index(given.upper()) + 1
        elif given.isdigit() and numbers_from == 1:
            position = int(given)
        else:
            problems.append(_("answer {given!r} is not {how}", given=shorten(given, 20), how=how))
            return None
    else:
        problems.append(_("the answer must be {how}", how=how))
        return None
    if not 1 <= position <= count:
        shown = value if isinstance(value, str) else str(value)
        problems.append(
            _(
                "answer {shown!r} points past the {count} choices: {how}",
                shown=shorten(str(shown), 20),
                count=count,
                how=how,
            )
        )
        return None
    return position


# -- writing --------------------------------------------------------------------------


@uow.write
def upsert_questions(
    entries: list[QuestionEntry], *, source: str = "", who: str = ""
) -> ImportSummary:
    """Insert new keys, update changed ones, leave identical ones untouched; all or nothing.
    With a `source` file, the import is audited in the same transaction."""
    added = changed = unchanged = 0
    problems: dict[str, str] = {}
    existing = _existing([entry.key for entry in entries])
    for entry in entries:
        found = existing.get(entry.key)
        wanted = [
            (text, position == entry.answer) for position, text in enumerate(entry.choices, start=1)
        ]
        if found is None:
            question = Question.create(
                key=entry.key,
                topic=entry.topic,
                kind=entry.kind,
                text=entry.text,
                explanation=entry.explanation,
                difficulty=entry.difficulty,
                active=entry.active,
            )
            Choice.insert_many(
                [
                    {"question": question.id, "position": n, "text": t, "correct": c}
                    for n, (t, c) in enumerate(wanted, start=1)
                ]
            ).execute()
            added += 1
            continue
        question, choices = found
        same_question = (
            question.topic,
            question.kind,
            question.text,
            question.explanation,
            question.difficulty,
            question.active,
        ) == (
            entry.topic,
            entry.kind,
            entry.text,
            entry.explanation,
            entry.difficulty,
            entry.active,
        )
        if same_question and [(c.text, c.correct) for c in choices] == wanted:
            unchanged += 1
            continue
        dropped = [c for c in choices if c.position > len(wanted)]
        if dropped and (
            QuizAnswer.select().where(QuizAnswer.choice.in_([c.id for c in dropped])).exists()
        ):
            problems[entry.where] = _(
                "{where} (key {key!r}): the bank's item has {count} choices and people "
                "have answered choice {items}; it cannot lose choices. Keep the "
                "choices, or give the new item a new key.",
                where=entry.where,
                key=entry.key,
                count=len(choices),
                items=", ".join(str(c.position) for c in dropped),
            )
            continue
        Question.update(
            topic=entry.topic,
            kind=entry.kind,
            text=entry.text,
            explanation=entry.explanation,
            difficulty=entry.difficulty,
            active=entry.active,
        ).where(Question.id == question.id).execute()
        by_position = {c.position: c for c in choices}
        for position, (text, correct) in enumerate(wanted, start=1):
            current = by_position.get(position)
            if current is None:
                Choice.create(question=question.id, position=position, text=text, correct=correct)
            elif (current.text, current.correct) != (text, correct):
                Choice.update(text=text, correct=correct).where(Choice.id == current.id).execute()
        if dropped:
            Choice.delete().where(Choice.id.in_([c.id for c in dropped])).execute()
        changed += 1
    if problems:
        raise ValidationFailed(_capped(problems))  # rolls the whole file back
    summary = ImportSummary(total=len(entries), added=added, changed=changed, unchanged=unchanged)
    if source:
        record_action(
            None,
            "import_questions",
            shorten(source, 128),
            SystemClock().now(),
            detail=f"{summary}; by {who}" if who else str(summary),
        )
    return summary


def _existing(keys: list[str]) -> dict[str, tuple[Question, list[Choice]]]:
    found: dict[str, tuple[Question, list[Choice]]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        questions = {q.id: q for q in Question.select().where(Question.key.in_(chunk))}
        choices: dict[int, list[Choice]] = {qid: [] for qid in questions}
        if questions:
            for choice in (
                Choice.select()
                .where(Choice.question.in_(list(questions)))
                .order_by(Choice.question, Choice.position)
            ):
                choices[choice.question_id].append(choice)
        for qid, question in questions.items():
            found[question.key] = (question, choices[qid])
    return found
