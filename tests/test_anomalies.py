"""The on-site anomaly Pareto and the history import, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kiosk.caller import Caller
from kiosk.cli import main
from kiosk.errors import PermissionDenied, ValidationFailed
from kiosk.services.lines import anomalies
from kiosk.services.platform import auth
from models import AuditEntry, Campaign, db
from models.anomalies import AnomalyHistory
from tests.helpers.incoming import add_defect, noon


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def history() -> dict[tuple[str, str], int]:
    with db.connection():
        return {(row.month, row.category): row.count for row in AnomalyHistory.select()}


def test_pareto_of_reported_and_imported_anomalies_against_last_year(demo_plant, clock, tmp_path):
    # the demo has one on-site anomaly (method, 9 Sept); these add to it
    add_defect(noon(9, 3), source="on_site_anomaly", category="method")
    add_defect(noon(9, 15), source="on_site_anomaly", category="method")
    add_defect(noon(9, 20), source="on_site_anomaly", category="machine")
    add_defect(datetime(2025, 9, 30, 12, 0, tzinfo=UTC), source="on_site_anomaly", category="man")
    # not counted: another month, or not an on-site anomaly
    add_defect(noon(8, 31), source="on_site_anomaly", category="machine")
    add_defect(noon(10, 1), source="on_site_anomaly", category="machine")
    add_defect(noon(9, 4), source="incoming_material", supplier="SUP-CN01", lot="A1")
    anomalies.import_anomalies(
        Caller.system(clock),
        write(
            tmp_path,
            "sept.csv",  # replaces the demo's PMC count for September (all six categories)
            "month,category,count\n2025-09,material,5\n"
            "2025-09,machine,0\n2025-09,method,0\n2025-09,man,0\n2025-09,measurement,0\n2025-09,environment,0\n",
        ),
    )

    pareto = anomalies.anomaly_pareto(Caller.system(), "2025-09")
    assert (pareto.month, pareto.last_year_month) == ("2025-09", "2024-09")
    assert (pareto.total, pareto.reported, pareto.imported, pareto.last_year_total) == (
        10,
        5,
        5,
        80,
    )
    table = [
        (r.category, r.count, r.share_percent, r.cumulative_percent, r.last_year_count)
        for r in pareto.rows
    ]
    assert table == [
        ("material", 5, 50.0, 50.0, 31),
        ("method", 3, 30.0, 80.0, 12),
        ("machine", 1, 10.0, 90.0, 14),  # a tie on count: more last year first
        ("man", 1, 10.0, 100.0, 10),
        ("measurement", 0, 0.0, 100.0, 8),
        ("environment", 0, 0.0, 100.0, 5),
    ]
    assert pareto.rows[0].label == "Material" and pareto.row("machine").change == -13
    assert pareto.change_percent == -87.5
    assert (pareto.previous_month, pareto.next_month) == ("2025-08", "2025-10")


def test_shares_round_and_cumulative_ends_at_100(database, clock, tmp_path):
    csv_text = "month,category,count\n2025-07,machine,2\n2025-07,man,1\n2025-07,environment,4\n"
    anomalies.import_anomalies(Caller.system(clock), write(tmp_path, "july.csv", csv_text))
    pareto = anomalies.anomaly_pareto(Caller.system(), "2025-7")
    assert [(r.category, r.share_percent, r.cumulative_percent) for r in pareto.rows] == [
        ("environment", 57.1, 57.1),
        ("machine", 28.6, 85.7),
        ("man", 14.3, 100.0),
    ]
    assert pareto.last_year_total == 0 and pareto.change_percent is None
    empty = anomalies.anomaly_pareto(Caller.system(), "2026-02")
    assert empty.total == 0 and empty.rows == ()


def test_months_and_the_default_month(database, clock):
    assert anomalies.shift_month("2025-01", -1) == "2024-12"
    assert anomalies.shift_month("2024-12", 13) == "2026-01"
    assert anomalies.anomaly_pareto(Caller.system(clock)).month == "2025-09"
    clock.set(datetime(2025, 11, 20, 9, 0, tzinfo=UTC))
    assert (
        anomalies.anomaly_pareto(Caller.system(clock)).month == "2025-11"
    )  # no campaign: this month
    with db.connection():
        Campaign.create(
            name="QM", starts_on=date(2025, 9, 1), ends_on=date(2025, 9, 30), active=True
        )
    assert (
        anomalies.anomaly_pareto(Caller.system(clock)).month == "2025-09"
    )  # after it: its last month
    for bad in ("2025-13", "Sept 2025", "2025-09-01", ""):
        with pytest.raises(ValidationFailed) as caught:
            anomalies.anomaly_pareto(Caller.system(), bad)
        assert "use YYYY-MM" in caught.value.message
    with pytest.raises(ValidationFailed) as caught:
        anomalies.shift_month("1990-01", -1)
    assert caught.value.message == "Month 1989-12 is outside 1990-2100."


def test_a_file_with_bad_lines_is_refused_whole_with_line_numbers(database, clock, tmp_path):
    before = history()
    text = (
        "month,category,count,note\n"
        "2024-07,machine,3,fine\n"  # line 2: fine
        "2024-13,machine,3,\n"  # line 3
        "2024-07,machines,3,\n"  # line 4
        "2024-07,man,-2,\n"  # line 5
        "2024-07,machine,4,twice\n"  # line 6
        "\n"  # line 7: blank, skipped
        '2024-07,method,3,"a note",extra\n'  # line 8
        "2024-07,environment,,\n"  # line 9
    )
    with pytest.raises(ValidationFailed) as caught:
        anomalies.import_anomalies(Caller.system(clock), write(tmp_path, "bad.csv", text))
    message = caught.value.message
    for line in (3, 4, 5, 6, 8, 9):
        assert f"line {line}:" in message, line
    assert "line 2:" not in message and "line 7" not in message
    assert "month '2024-13' is not YYYY-MM" in message
    assert "category 'machines' is not 5M1E" in message
    assert "count '-2' is not a whole number" in message
    assert "2024-07 machine is already on line 2" in message
    assert "5 values where the header has 4 columns" in message
    assert "the count is empty" in message
    assert history() == before  # not even the good line went in

    for name, content, expected in (
        ("header.csv", "month,cat,count\n2024-07,man,1\n", "unknown column(s) 'cat'"),
        ("empty.csv", "\n\n", "is empty"),
        ("only.csv", "month,category,count\n", "no rows to import"),
        (
            "latin.csv",
            "month,category,count,note\n2024-07,man,1,Größe\n".encode("latin-1"),
            "UTF-8",
        ),
    ):
        with pytest.raises(ValidationFailed) as caught:
            anomalies.import_anomalies(Caller.system(clock), write(tmp_path, name, content))
        assert expected in caught.value.message, name
    assert history() == before


def test_reimport_replaces_a_month_and_category(database, clock, tmp_path):
    first = anomalies.import_anomalies(
        Caller.system(clock), write(tmp_path, "a.csv", "month,category,count\n2024-07,machine,3\n")
    )
    assert (first.added, first.replaced) == (1, 0)
    again = anomalies.import_anomalies(
        Caller.system(clock),
        write(tmp_path, "b.csv", "category;count;month\nMachine;7;2024-07\nman;2;2024-07\n"),
    )
    assert (again.rows, again.added, again.replaced, again.anomalies) == (2, 1, 1, 9)
    stored = history()
    assert stored[("2024-07", "machine")] == 7 and stored[("2024-07", "man")] == 2
    with db.connection():
        assert AnomalyHistory.select().where(AnomalyHistory.month == "2024-07").count() == 2
    sample = anomalies.load_sample_anomalies(Caller.system(clock))  # the demo's history
    assert (sample.rows, sample.added, sample.replaced) == (24, 24, 0)
    sample = anomalies.load_sample_anomalies(Caller.system(clock))  # ... loaded a second time
    assert (sample.rows, sample.added, sample.replaced) == (24, 0, 24)
    assert len(history()) == 26
    assert anomalies.anomaly_pareto(Caller.system(), "2024-07").total == 9


def test_the_cli_imports_and_refuses_with_exit_2(database, tmp_path, capsys):
    good = write(tmp_path, "h.csv", "month,category,count,note\n2024-09,material,31,PMC\n")
    assert main(["import", "anomalies", str(good), "--db", database]) == 0
    assert "1 row (31 anomalies; months 2024-09): 1 added, 0 replaced" in capsys.readouterr().out
    bad = write(tmp_path, "bad.csv", "month,category,count\n2024-09,material,31\n2024-09,x,1\n")
    assert main(["import", "anomalies", str(bad), "--db", database]) == 2
    err = capsys.readouterr().err
    assert "nothing imported" in err and "line 3: category 'x' is not 5M1E" in err
    assert history() == {("2024-09", "material"): 31}
    with db.connection():
        assert AuditEntry.select().where(AuditEntry.action == "import_anomalies").count() == 1


def test_operators_are_refused_the_report_and_the_demo_has_history(demo_plant, clock):
    with pytest.raises(PermissionDenied) as caught:
        anomalies.anomaly_report_for(Caller.of(auth.identify_badge("E3003"), clock), "2025-09")
    assert caught.value.message == "Only a supervisor or above may view the anomaly report."
    with db.connection():
        refusal = AuditEntry.get(AuditEntry.action == anomalies.ACTION)
        assert not refusal.allowed and refusal.actor.badge_code == "E3003"
    report = anomalies.anomaly_report_for(Caller.of(auth.identify_badge("E4001"), clock), "2025-09")
    assert report.total == 49 and report.last_year_total == 80  # 48 imported, 1 reported
    assert report.reported == 1 and report.change_percent == -38.8
    pareto = anomalies.anomaly_pareto(
        Caller.system(), "2024-09"
    )  # the demo loads the sample history
    assert pareto.total == 80 and pareto.imported == 80 and pareto.reported == 0
    assert pareto.rows[0].category == "material" and pareto.rows[0].count == 31
    assert pareto.rows[0].share_percent == 38.8  # 31 / 80, the largest share
    assert anomalies.anomaly_pareto(Caller.system(), "2025-08").total == 80


def test_the_demo_history_leads_up_to_the_month_the_demo_is_tried_in(database):
    """Seeded in February 2028, the sample history moves from Aug/Sep 2024 and Aug 2025 to
    Jan/Feb 2027 and Jan 2028: last year's month and the month before are there."""
    from datetime import UTC, datetime

    from kiosk.clock import FrozenClock
    from kiosk.services.plant.demo import seed_demo_plant

    seed_demo_plant(Caller.system(FrozenClock(datetime(2028, 2, 20, 9, tzinfo=UTC))))
    months = {month for month, _category in history()}
    assert months == {"2027-01", "2027-02", "2028-01", "2028-02"}
    pareto = anomalies.anomaly_pareto(Caller.system(), "2028-02")
    assert pareto.last_year_month == "2027-02" and pareto.last_year_total > 0
