"""The indexes the boards' and the kiosk's reads use (schema steps 17, 18 and 26): each main
read's plan uses its index on both engines, and `kiosk db check` names a missing one with
the command that makes it again (rather than a board that slows down as the data grows)."""

from __future__ import annotations

from kiosk.cli import main
from models import db
from models.migrations.v0017_read_indexes import INDEXES
from models.migrations.v0018_defect_rollups import indexes


def test_db_check_names_a_missing_index_and_upgrade_makes_it_again(database, capsys):
    assert main(["db", "check", "--db", database]) == 0
    with db.connection() as connection:
        connection.execute_sql("DROP INDEX defect_team_status_due")
    assert main(["db", "check", "--db", database]) == 1
    err = capsys.readouterr().err
    assert "defect_team_status_due" in err and "kiosk db upgrade" in err
    assert main(["db", "upgrade", "--db", database]) == 0
    assert "Made the missing index(es) again: defect_team_status_due." in capsys.readouterr().out
    assert main(["db", "check", "--db", database]) == 0
    with db.connection() as connection:
        tables = {table for table, _columns in INDEXES.values()}
        names = {i.name for table in tables for i in connection.get_indexes(table)}
    assert set(INDEXES) <= names


def test_db_check_names_the_defect_rollups_missing_indexes(database, capsys):
    """Schema step 18's: the board's "due today" count, the farming cap's partial index,
    and on SQLite the range its rollup triggers count a key in."""
    with db.connection() as connection:
        expected = set(indexes(db.is_postgresql(connection)))
        assert {"defect_campaign_due_at", "ledger_entry_ontime_awards"} <= expected
        for name in expected:
            connection.execute_sql(f"DROP INDEX {name}")
    assert main(["db", "check", "--db", database]) == 1
    err = capsys.readouterr().err
    assert all(name in err for name in expected) and "kiosk db upgrade" in err
    assert main(["db", "upgrade", "--db", database]) == 0
    assert "Made the missing index(es) again: " in capsys.readouterr().out
    assert main(["db", "check", "--db", database]) == 0
    with db.connection() as connection:
        tables = ("defect", "ledger_entry")
        names = {i.name for table in tables for i in connection.get_indexes(table)}
    assert expected <= names


def test_db_check_names_the_ledger_cause_index_missing(database, capsys):
    """Schema step 26's: a defect's points and a contest's scoreboard read the ledger rows of
    one cause; without it each read walks the whole ledger."""
    with db.connection() as connection:
        connection.execute_sql("DROP INDEX ledger_entry_cause")
    assert main(["db", "check", "--db", database]) == 1
    err = capsys.readouterr().err
    assert "ledger_entry_cause" in err and "kiosk db upgrade" in err
    assert main(["db", "upgrade", "--db", database]) == 0
    assert "Made the missing index(es) again: ledger_entry_cause." in capsys.readouterr().out
    assert main(["db", "check", "--db", database]) == 0
