"""The indexes the boards' and the kiosk's reads use (schema step 17): each main read's plan
uses its index on both engines, and `kiosk db check` names a missing one with the command
that makes it again (rather than a board that slows down as the data grows)."""

from __future__ import annotations

from kiosk.cli import main
from models import db
from models.migrations.v0017_read_indexes import INDEXES


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
