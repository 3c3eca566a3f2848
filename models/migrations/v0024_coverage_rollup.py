"""Schema step 24: training coverage kept in the writing transaction (issue 16).

The coverage screen and the board's coverage tile counted every active employee and
every passed attempt on each read. Three rollups hold the figures instead:

- `coverage_employees(department, team_key, employees)`: active employees per department
  and team (team_key 0: none);
- `coverage_person(employee_id, campaign_key, passes)`: passed attempts per employee and
  campaign (0: none named; -1: any campaign, what coverage counts with no active campaign),
  so a person counts once however many passes they have;
- `coverage_passed(campaign_key, department, team_key, employees)`: active employees with
  at least one passed attempt, per campaign key (as above), department and team.

On PostgreSQL statement-level triggers on `assessment` and `employee` read the statement's
rows from transition tables, add them up per key and upsert each key once, in key order,
as the owner (SECURITY DEFINER, as step 18). An assessment statement first share-locks
the employees whose passes it changes, so an employee moving team (or going inactive) at
the same moment waits for it or makes it wait (then each reads what the other wrote).
`coverage_person`'s upsert returns the new number of passes, so the first pass of a person
(and the removal of the last) is seen once even when two kiosks write at once.

On SQLite (one writer at a time) row triggers set each key they touch to its count from
`employee` and `assessment` (an index range: the index below, and the assessments' own by
employee), and guard triggers refuse any other write to the rollups (as step 20).

Also an index of the active employees by department, team, name and badge: the missing
list reads a page of one or a few teams' people in its order, and SQLite counts a key's
people in it. `kiosk db check` reports it missing.
"""

from __future__ import annotations

from peewee import Database

from models.db import is_postgresql
from models.migrations.v0018_defect_rollups import _EVENTS  # the rows with their sign
from models.migrations.v0021_defect_quick_fix import _postgresql_trigger

VERSION = 24
TITLE = "training coverage kept by triggers (the coverage screen and tile)"

INDEXES: dict[str, tuple[str, str]] = {
    "employee_coverage_group": ("employee", "department, team_id, active, name, badge_code"),
}
ANY = -1  # campaign_key of "a pass in any campaign"
KEPT = "coverage rollups are kept by the employees and assessments: change those instead"

EMPLOYEES, PERSON, PASSED = "coverage_employees", "coverage_person", "coverage_passed"


def create_indexes(database: Database, names: list[str] | None = None) -> None:
    for name, (table, columns) in INDEXES.items():
        if names is None or name in names:
            database.execute_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


def _tables(postgresql: bool) -> list[str]:
    clustered = "" if postgresql else " WITHOUT ROWID"
    return [
        f"CREATE TABLE IF NOT EXISTS {EMPLOYEES} (department VARCHAR(40) NOT NULL, "
        "team_key INTEGER NOT NULL, employees INTEGER NOT NULL, "
        f"PRIMARY KEY (department, team_key)){clustered}",
        f"CREATE TABLE IF NOT EXISTS {PERSON} (employee_id INTEGER NOT NULL, "
        "campaign_key INTEGER NOT NULL, passes INTEGER NOT NULL, "
        f"PRIMARY KEY (employee_id, campaign_key)){clustered}",
        f"CREATE TABLE IF NOT EXISTS {PASSED} (campaign_key INTEGER NOT NULL, "
        "department VARCHAR(40) NOT NULL, team_key INTEGER NOT NULL, "
        "employees INTEGER NOT NULL, "
        f"PRIMARY KEY (campaign_key, department, team_key)){clustered}",
    ]


def _add(table: str, key: str, value: str, select: str) -> str:
    """Add what `select` gives (key columns, number) to `table`."""
    return (
        f"INSERT INTO {table} ({key}, {value}) {select} ON CONFLICT ({key}) "
        f"DO UPDATE SET {value} = {table}.{value} + excluded.{value}"
    )


_PERSON_KEY = "employee_id, campaign_key"
_PASSED_KEY = "campaign_key, department, team_key"
_EMPLOYEES_KEY = "department, team_key"


def _passes(rows: str) -> str:
    """`rows` (assessment rows with `sign`), their passes per employee and campaign key
    (each pass twice: its campaign and ANY)."""
    return (
        f"SELECT r.employee_id, CASE WHEN a.any_key = 1 THEN {ANY} "
        "ELSE COALESCE(r.campaign_id, 0) END AS campaign_key, SUM(r.sign) AS passes "
        f"FROM {rows} CROSS JOIN (SELECT 0 AS any_key UNION ALL SELECT 1) AS a "
        "WHERE r.passed GROUP BY 1, 2 HAVING SUM(r.sign) <> 0"
    )


def _rebuild_statements() -> list[str]:
    every = "(SELECT *, 1 AS sign FROM assessment) AS r"
    return [
        f"DELETE FROM {EMPLOYEES}",
        f"DELETE FROM {PERSON}",
        f"DELETE FROM {PASSED}",
        _add(
            EMPLOYEES,
            _EMPLOYEES_KEY,
            "employees",
            "SELECT department, COALESCE(team_id, 0), COUNT(*) FROM employee WHERE active "
            "GROUP BY 1, 2 ORDER BY 1, 2",
        ),
        _add(
            PERSON,
            _PERSON_KEY,
            "passes",
            f"SELECT * FROM ({_passes(every)}) AS p WHERE true ORDER BY 1, 2",
        ),
        _add(
            PASSED,
            _PASSED_KEY,
            "employees",
            "SELECT p.campaign_key, e.department, COALESCE(e.team_id, 0), COUNT(*) "
            f"FROM {PERSON} p JOIN employee e ON e.id = p.employee_id "
            "WHERE e.active AND p.passes > 0 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        ),
    ]


def rebuild(database: Database) -> None:
    """The rollups again from the employees and assessments (call inside a transaction; on
    SQLite the guards are lifted and made again around it)."""
    postgresql = is_postgresql(database)
    if postgresql:
        database.execute_sql("LOCK TABLE employee, assessment IN SHARE MODE")
    else:
        drop_sqlite_guards(database)
    for statement in _rebuild_statements():
        database.execute_sql(statement)
    if not postgresql:
        for statement in _sqlite_guards():
            database.execute_sql(statement)


# -- PostgreSQL ------------------------------------------------------------------------


def _assessment_body(rows: str) -> str:
    """Lock the employees whose passes change, add the passes per person, then the people
    whose first pass came (or last went) to their department and team."""
    lock = (
        f"PERFORM 1 FROM employee WHERE id IN (SELECT employee_id FROM ({_passes(rows)}) AS d) "
        "ORDER BY id FOR SHARE"
    )
    person = _add(PERSON, _PERSON_KEY, "passes", "SELECT * FROM delta WHERE true ORDER BY 1, 2")
    counted = (
        f"WITH delta AS ({_passes(rows)}), kept AS ({person} "
        "RETURNING employee_id, campaign_key, passes), "
        "changed AS (SELECT kept.employee_id, kept.campaign_key, "
        "(CASE WHEN kept.passes > 0 THEN 1 ELSE 0 END) "
        "- (CASE WHEN kept.passes - delta.passes > 0 THEN 1 ELSE 0 END) AS sign "
        "FROM kept JOIN delta USING (employee_id, campaign_key)) "
    )
    passed = _add(
        PASSED,
        _PASSED_KEY,
        "employees",
        "SELECT c.campaign_key, e.department, COALESCE(e.team_id, 0), SUM(c.sign) "
        "FROM changed c JOIN employee e ON e.id = c.employee_id WHERE e.active "
        "GROUP BY 1, 2, 3 HAVING SUM(c.sign) <> 0 ORDER BY 1, 2, 3",
    )
    return f"{lock}; {counted}{passed}"


def _employee_body(rows: str) -> str:
    employees = _add(
        EMPLOYEES,
        _EMPLOYEES_KEY,
        "employees",
        f"SELECT r.department, COALESCE(r.team_id, 0), SUM(r.sign) FROM {rows} WHERE r.active "
        "GROUP BY 1, 2 HAVING SUM(r.sign) <> 0 ORDER BY 1, 2",
    )
    passed = _add(
        PASSED,
        _PASSED_KEY,
        "employees",
        f"SELECT p.campaign_key, r.department, COALESCE(r.team_id, 0), SUM(r.sign) FROM {rows} "
        f"JOIN {PERSON} p ON p.employee_id = r.id AND p.passes > 0 WHERE r.active "
        "GROUP BY 1, 2, 3 HAVING SUM(r.sign) <> 0 ORDER BY 1, 2, 3",
    )
    return f"{employees}; {passed}"


def _postgresql_triggers() -> list[str]:
    statements = []
    for event, (referencing, rows) in _EVENTS.items():
        rows_r = rows.replace(" AS rows", " AS r")
        name = event.lower()
        statements += _postgresql_trigger(
            f"assessment_coverage_{name}",
            f"{event} ON assessment",
            referencing,
            _assessment_body(rows_r),
        )
        statements += _postgresql_trigger(
            f"employee_coverage_{name}", f"{event} ON employee", referencing, _employee_body(rows_r)
        )
    return statements


# -- SQLite ----------------------------------------------------------------------------


def _count_employees(department: str, team_key: str) -> str:
    return (
        f"(SELECT COUNT(*) FROM employee WHERE department = {department} "
        f"AND team_id IS NULLIF({team_key}, 0) AND active)"
    )


def _pass_in(employee: str, campaign_key: str) -> str:
    """The passed attempts of `employee` that count for `campaign_key`."""
    return (
        f"FROM assessment a WHERE a.employee_id = {employee} AND a.passed "
        f"AND ({campaign_key} = {ANY} OR a.campaign_id IS NULLIF({campaign_key}, 0))"
    )


def _count_passes(employee: str, campaign_key: str) -> str:
    return f"(SELECT COUNT(*) {_pass_in(employee, campaign_key)})"


def _count_passed(campaign_key: str, department: str, team_key: str) -> str:
    return (
        f"(SELECT COUNT(*) FROM employee e WHERE e.department = {department} "
        f"AND e.team_id IS NULLIF({team_key}, 0) AND e.active "
        f"AND EXISTS (SELECT 1 {_pass_in('e.id', campaign_key)}))"
    )


def _set(table: str, key: str, value: str, select: str) -> str:
    return (
        f"INSERT INTO {table} ({key}, {value}) {select} ON CONFLICT ({key}) "
        f"DO UPDATE SET {value} = excluded.{value}"
    )


def _keys(row: str) -> str:
    """The campaign keys a pass of assessment row `row` counts for."""
    return f"(SELECT COALESCE({row}.campaign_id, 0) AS k UNION SELECT {ANY})"


def _sqlite_after_assessment(row: str) -> list[str]:
    """Set the rollup rows assessment row `row` (NEW or OLD) touches to their counts."""
    person = _set(
        PERSON,
        _PERSON_KEY,
        "passes",
        f"SELECT {row}.employee_id, k, {_count_passes(f'{row}.employee_id', 'k')} "
        f"FROM {_keys(row)} WHERE true",
    )
    passed = _set(
        PASSED,
        _PASSED_KEY,
        "employees",
        f"SELECT k, o.department, COALESCE(o.team_id, 0), "
        f"{_count_passed('k', 'o.department', 'COALESCE(o.team_id, 0)')} "
        f"FROM {_keys(row)}, employee o WHERE o.id = {row}.employee_id",
    )
    return [person, passed]


def _sqlite_after_employee(row: str) -> list[str]:
    """Set the rollup rows of employee row `row`'s department and team to their counts."""
    team = f"COALESCE({row}.team_id, 0)"
    employees = _set(
        EMPLOYEES,
        _EMPLOYEES_KEY,
        "employees",
        f"SELECT {row}.department, {team}, {_count_employees(f'{row}.department', team)} "
        "WHERE true",
    )
    passed = _set(
        PASSED,
        _PASSED_KEY,
        "employees",
        f"SELECT p.campaign_key, {row}.department, {team}, "
        f"{_count_passed('p.campaign_key', f'{row}.department', team)} "
        f"FROM {PERSON} p WHERE p.employee_id = {row}.id AND p.passes > 0",
    )
    return [employees, passed]


def _sqlite_triggers() -> list[str]:
    assessment_changed = " OR ".join(
        f"NEW.{c} IS NOT OLD.{c}" for c in ("passed", "campaign_id", "employee_id")
    )
    employee_changed = " OR ".join(
        f"NEW.{c} IS NOT OLD.{c}" for c in ("active", "department", "team_id")
    )
    triggers = {
        "assessment_coverage_insert": (
            "AFTER INSERT ON assessment WHEN NEW.passed",
            _sqlite_after_assessment("NEW"),
        ),
        "assessment_coverage_delete": (
            "AFTER DELETE ON assessment WHEN OLD.passed",
            _sqlite_after_assessment("OLD"),
        ),
        "assessment_coverage_update": (
            f"AFTER UPDATE ON assessment WHEN ({assessment_changed}) "
            "AND (NEW.passed OR OLD.passed)",
            _sqlite_after_assessment("OLD") + _sqlite_after_assessment("NEW"),
        ),
        "employee_coverage_insert": ("AFTER INSERT ON employee", _sqlite_after_employee("NEW")),
        "employee_coverage_delete": ("AFTER DELETE ON employee", _sqlite_after_employee("OLD")),
        "employee_coverage_update": (
            f"AFTER UPDATE ON employee WHEN {employee_changed}",
            _sqlite_after_employee("OLD") + _sqlite_after_employee("NEW"),
        ),
    }
    made = (
        f"CREATE TRIGGER {n} {when} BEGIN {'; '.join(b)}; END" for n, (when, b) in triggers.items()
    )
    return [*(f"DROP TRIGGER IF EXISTS {name}" for name in triggers), *made]


_GUARDED = {  # table: (key columns, value column, its count from NEW's key)
    EMPLOYEES: (
        ("department", "team_key"),
        "employees",
        _count_employees("NEW.department", "NEW.team_key"),
    ),
    PERSON: (
        ("employee_id", "campaign_key"),
        "passes",
        _count_passes("NEW.employee_id", "NEW.campaign_key"),
    ),
    PASSED: (
        ("campaign_key", "department", "team_key"),
        "employees",
        _count_passed("NEW.campaign_key", "NEW.department", "NEW.team_key"),
    ),
}


def _sqlite_guards() -> list[str]:
    statements = []
    for table, (key, value, count) in _GUARDED.items():
        moved = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in key)
        statements += [
            f"CREATE TRIGGER {table}_kept_insert BEFORE INSERT ON {table} "
            f"WHEN NEW.{value} IS NOT {count} BEGIN SELECT RAISE(ABORT, '{KEPT}'); END",
            f"CREATE TRIGGER {table}_kept_update BEFORE UPDATE ON {table} "
            f"WHEN NEW.{value} IS NOT {count} OR {moved} "
            f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END",
            f"CREATE TRIGGER {table}_kept_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END",
        ]
    return statements


def drop_sqlite_guards(database: Database) -> None:
    for table in _GUARDED:
        for what in ("insert", "update", "delete"):
            database.execute_sql(f"DROP TRIGGER IF EXISTS {table}_kept_{what}")


def apply(database: Database) -> None:
    postgresql = is_postgresql(database)
    create_indexes(database)
    for statement in _tables(postgresql):
        database.execute_sql(statement)
    for statement in _postgresql_triggers() if postgresql else _sqlite_triggers():
        database.execute_sql(statement)
    rebuild(database)
