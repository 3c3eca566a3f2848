"""The offline outbox: entries made while the server is away are kept, then sent once, in order."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest

from kiosk.caller import Caller
from kiosk.errors import NotFound, PermissionDenied
from kiosk.services.defects.defects import DefectDraft
from kiosk.services.plant.demo import seed_demo_plant
from kiosk.services.platform import auth, outbox
from kiosk.services.platform import database as database_service
from models import Defect, DefectProgress, QuizAnswer, Station, db
from tests.helpers.offline import ServerAway
from tests.helpers.pg import Cluster, admin_execute, database_url


@pytest.fixture
def box(tmp_path):
    return outbox.Outbox(tmp_path / "outbox.db")


def test_a_report_made_offline_is_sent_once_with_its_own_time(demo_plant, clock, box):
    reporter = auth.identify_badge("E1002")
    draft = DefectDraft("L1-S02", "machine", "major", "inspection", "Offline: loose gland nut")
    defect_id = uuid.uuid4()
    entered = clock.now()
    with ServerAway():
        kept = outbox.report_defect_or_keep(
            Caller.of(reporter, clock, "WS-7"), box, draft, defect_id=defect_id
        )
        assert kept == outbox.Queued("report_defect", 1)
        assert box.forward() == outbox.ForwardResult(sent=0, refused=0, waiting=1)
    clock.advance(timedelta(hours=5))  # the server comes back five hours later
    assert box.forward() == outbox.ForwardResult(sent=1, refused=0, waiting=0)
    assert box.forward() == outbox.ForwardResult(sent=0, refused=0, waiting=0)
    with db.connection():
        defect = Defect.get_by_id(defect_id)
        assert defect.reported_at == entered
        assert defect.due_at == entered + timedelta(hours=48)
        assert defect.terminal == "WS-7"
    # a lost acknowledgement makes the kiosk send it again: still one defect
    box.enqueue(
        "report_defect",
        {
            "reporter": auth.identify_badge("E1002").__dict__,
            "draft": draft.__dict__,
            "terminal": "WS-7",
            "defect_id": str(defect_id),
        },
        entered,
    )
    assert box.forward().sent == 1
    with db.connection():
        assert Defect.select().where(Defect.description.contains("gland nut")).count() == 1


def test_progress_and_answers_wait_and_replay_in_order_once(demo_plant, clock, box):
    from kiosk.services.defects.defects import report_defect
    from kiosk.services.training import training

    fixer = auth.identify_badge("E1004")
    operator = auth.identify_badge("E1002")
    defect = report_defect(
        Caller.of(operator, clock),
        DefectDraft("L1-S01", "method", "minor", "inspection", "No torque card"),
    )
    question = training.next_question(Caller.of(operator))
    progress_id, answer_id = uuid.uuid4(), uuid.uuid4()
    with ServerAway():
        outbox.post_progress_or_keep(
            Caller.of(fixer, clock), box, defect.id, "Card printed", progress_id=progress_id
        )
        outbox.answer_or_keep(Caller.of(operator, clock), box, question.id, 1, answer_id=answer_id)
        assert box.waiting() == 2
    assert box.forward().sent == 2
    # replay both again (as after a crash between sending and forgetting): nothing doubles
    box.enqueue(
        "post_progress",
        {
            "actor": fixer.__dict__,
            "defect_id": defect.id,
            "text": "Card printed",
            "terminal": None,
            "progress_id": str(progress_id),
        },
        clock.now(),
    )
    box.enqueue(
        "answer_question",
        {
            "employee": operator.__dict__,
            "question_id": question.id,
            "position": 1,
            "answer_id": str(answer_id),
            "terminal": None,
        },
        clock.now(),
    )
    assert box.forward().sent == 2
    with db.connection():
        posts = DefectProgress.select().where(DefectProgress.defect == defect.id)
        assert [p.text for p in posts] == ["Card printed"]
        assert Defect.get_by_id(defect.id).status == "in_progress"
        assert QuizAnswer.select().where(QuizAnswer.id == answer_id).count() == 1


def test_a_record_the_server_refuses_is_set_aside_and_the_rest_go_on(demo_plant, clock, box):
    reporter = auth.identify_badge("E1002")
    with ServerAway():
        for station in ("L1-S03", "L1-S04"):
            outbox.report_defect_or_keep(
                Caller.of(reporter, clock),
                box,
                DefectDraft(station, "man", "minor", "inspection", f"Offline at {station}"),
                defect_id=uuid.uuid4(),
            )
    with db.connection():
        Station.update(active=False).where(Station.code == "L1-S03").execute()
    result = box.forward()
    assert (result.sent, result.refused, result.waiting) == (1, 1, 0)
    [(kind, why)] = box.refused()
    assert kind == "report_defect" and "L1-S03" in why


def test_offline_sign_in_for_badges_seen_here(demo_plant, clock, box):
    leader = auth.sign_in(Caller.of(None, clock), "E1001", "1234")
    box.remember(leader, "1234", clock.now())
    box.remember(auth.sign_in(Caller.of(None, clock), "E1002"), None, clock.now())
    with ServerAway():
        assert box.offline_sign_in("e1002", None, now=clock.now()).name == "Li Na"
        with pytest.raises(auth.PinRequired):
            box.offline_sign_in("E1001", None, now=clock.now())
        with pytest.raises(PermissionDenied, match="Wrong PIN"):
            box.offline_sign_in("E1001", "0000", now=clock.now())
        assert box.offline_sign_in("E1001", "1234", now=clock.now()).role == "team_leader"
        with pytest.raises(NotFound, match="has not signed in on this kiosk"):
            box.offline_sign_in("E3003", None, now=clock.now())


@pytest.mark.env  # its own PostgreSQL server
@pytest.mark.parametrize("engine", ["postgresql"])  # a real server stopped and started
def test_postgresql_stopped_mid_run_nothing_lost_nothing_doubled(tmp_path, clock, engine):
    cluster = Cluster()
    server = cluster.start()
    try:
        admin_execute(server, 'CREATE DATABASE "qk_outage"')
        url = database_url(server, "qk_outage")
        database_service.open_database(url)
        database_service.upgrade(clock)
        seed_demo_plant(Caller.system(clock))
        box = outbox.Outbox(tmp_path / "outbox.db")
        reporter = auth.identify_badge("E1002")
        sent: list[uuid.UUID] = []
        lock = threading.Lock()
        stop = threading.Event()

        def kiosk(number: int) -> None:
            for n in range(30):
                defect_id = uuid.uuid4()
                draft = DefectDraft(
                    "L2-S01", "method", "minor", "inspection", f"outage kiosk {number} report {n}"
                )
                outbox.report_defect_or_keep(
                    Caller.of(reporter, clock, f"K{number}"), box, draft, defect_id=defect_id
                )
                with lock:
                    sent.append(defect_id)
                time.sleep(0.02)
            stop.set()

        threads = [threading.Thread(target=kiosk, args=(n,)) for n in range(5)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        cluster.stop_server()  # the server goes away mid-run ...
        time.sleep(1.0)
        kept_while_down = box.waiting()
        cluster.start_server()  # ... and comes back
        for thread in threads:
            thread.join()
        for _ in range(20):
            if box.forward().waiting == 0:
                break
            time.sleep(0.5)
        assert kept_while_down > 0
        assert box.waiting() == 0 and box.refused() == []
        with db.connection():
            stored = {
                row.id
                for row in Defect.select(Defect.id).where(
                    Defect.description.startswith("outage kiosk")
                )
            }
        assert len(sent) == 150
        assert stored == set(sent)  # every report once: none lost, none doubled
    finally:
        db.close_all()
        cluster.stop()


def test_stations_and_form_options_seen_online_are_there_offline(demo_plant, clock, box):
    online = outbox.lookup_station_or_kept(Caller.of(None, clock), box, "L1-S01")
    assert online.open_defects  # the demo's crimping defect
    options = outbox.report_options_or_kept(box)
    with ServerAway():
        offline = outbox.lookup_station_or_kept(Caller.of(None, clock), box, "l1-s01")
        assert (offline.code, offline.team_name, offline.open_defects) == (
            "L1-S01",
            online.team_name,
            (),
        )
        with pytest.raises(Exception, match="cannot be reached"):
            outbox.lookup_station_or_kept(Caller.of(None, clock), box, "L3-S05")  # never seen here
        kept = outbox.report_options_or_kept(box)
        assert [o.value for o in kept.categories] == [o.value for o in options.categories]
        assert [o.value for o in kept.suppliers] == [o.value for o in options.suppliers]
        assert kept.correction_window_hours == 48
