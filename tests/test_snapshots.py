"""Pictures of the main screens and modals (pytest-textual-snapshot): a broken layout or
stylesheet fails here. Each screen at 80x24 and 120x40, in English and Simplified Chinese.

Chinese characters take two cells. Rich (15.0) writes each SVG text run's textLength as
characters x cell width, which squeezes a Chinese run into half its cells when the picture
is drawn; `_wide_runs_fixed` writes it as cells x cell width, the same on every machine.

SQLite only, on purpose: these test layout, not the database (the other tests run every
query on both engines). Everything in a picture is fixed: the demo plant seeded at START
from a template made once per run with seeded ids and a seeded random generator, the
clock frozen at START, the same random draws (quiz, assessment, contest) each run, and
the start-problem screen's missing database named by a path relative to the test's folder.

Update the pictures after an intended change of a screen, then look at every changed
SVG before committing it (docs/developers.md, "Snapshots"):

    .venv/bin/python -m pytest tests/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import html
import random
import re
import secrets
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable

from kiosk.app import KioskApp
from kiosk.clock import FrozenClock
from kiosk.config import Settings
from kiosk.services.platform import database as database_service
from models import db
from screens.start_problem import StartProblemScreen
from screens.widgets.status_bar import StatusBar
from tests.helpers.app import make_app, settle, sign_in
from tests.helpers.plant import START, build

# relative, so the picture names no temporary folder: the test runs in a folder of its own
# where there is no data/ (a kiosk never makes a database: kiosk/services/platform/database.py)
NO_DATABASE = "sqlite:///data/kiosk.db"
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
LANGUAGES = ("en", "zh_CN")
OPERATOR = ("E1002", None)
LEADER, SUPERVISOR, ADMIN = ("E1001", "1234"), ("E4002", "1234"), ("E4001", "1234")

# name: (who signs in (badge, PIN) or None, the keys pressed after that; "=CODE" types CODE
# and Enter, as a scanner does)
SCREENS: dict[str, tuple[tuple[str, str | None] | None, tuple[str, ...]]] = {
    "sign_in": (None, ()),
    "station": (OPERATOR, ("=L1-S01",)),
    "defect_report": (OPERATOR, ("=L1-S01", "f2")),
    "quiz": (OPERATOR, ("f3",)),
    "team_points": (OPERATOR, ("f4",)),
    "worklist": (LEADER, ("f5",)),
    "defect_detail": (LEADER, ("f5", "enter")),
    "red_black": (OPERATOR, ("f7",)),
    "inspection": (SUPERVISOR, ("f6",)),
    "assessment": (OPERATOR, ("f8",)),
    "coverage": (SUPERVISOR, ("f8", "g")),
    "contest": (SUPERVISOR, ("f9", "enter")),
    "proposals": (OPERATOR, ("f11",)),
    "lines": (SUPERVISOR, ("f12",)),
    "admin_menu": (ADMIN, ("ctrl+o",)),
    "people": (ADMIN, ("ctrl+o", "enter")),
    "campaigns": (ADMIN, ("ctrl+k",)),
    "change_pin": (LEADER, ("ctrl+n",)),
    # modals
    "competitions_menu": (SUPERVISOR, ("f9",)),
    "progress_form": (LEADER, ("f5", "enter", "p")),
    "person_form": (ADMIN, ("ctrl+o", "enter", "f2")),
    "enrolment_code": (ADMIN, ("ctrl+o", "enter", "f6")),
    "board_campaign_picker": (None, ("c",)),
    "board": (None, ()),  # a board terminal (kiosk board): the supervisor board alone
    # lists laid out by FittedTable (columns kept, elided, wrapped or named as hidden)
    "skills": (SUPERVISOR, ("f9", "down", "enter", "down", "enter")),
    "scoreboard": (SUPERVISOR, ("f9", "enter", "c", "=Morning round", "=C1 C2", "s")),
    "code_lists": (ADMIN, ("ctrl+o", "down", "down", "down", "enter")),
    # modals: offers and confirmations
    "resume_offer": (OPERATOR, ("f8", "enter", "1", "enter", "f10", "=E1002")),
    "restored_draft": (OPERATOR, ("=L1-S01", "f2", "3", *"Wrong cable", "f10", "=E1002", "f2")),
    "confirm_activation": (
        ADMIN,
        ("ctrl+k", "n", "=Autumn check", "=2025-10-01", "=2025-10-31", "ctrl+s", "a"),
    ),
    "locked_unlock": (None, ("ctrl+q", "=E1002", "=0000")),  # refused: not a supervisor
    # Esc on a form with something typed asks first (screens/discard.py)
    "discard_typed": (OPERATOR, ("=L1-S01", "f2", "3", *"Wrong cable", "escape")),
    "sign_in_pin": (None, ("=E1001",)),  # the PIN step names the badge
    # the forms (ActionForm, AdminForm), some sent empty to show where the errors go
    "progress_refused": (LEADER, ("f5", "enter", "p", "ctrl+s")),
    "reassign_form": (SUPERVISOR, ("f5", "a", "enter", "a")),
    "contest_team_form": (SUPERVISOR, ("f9", "enter", "t", "ctrl+s")),
    "contest_new_form": (SUPERVISOR, ("f9", "enter", "c")),
    "production_form": (SUPERVISOR, ("f12", "p")),
    "evaluation_form": (SUPERVISOR, ("f12", "e")),
    "reversal_form": (SUPERVISOR, ("f4", "enter", "x")),
    "participant_form": (SUPERVISOR, ("f9", "down", "enter", "down", "enter", "a")),
    "proposal_form": (OPERATOR, ("f11", "n", "ctrl+s")),
    "code_form": (ADMIN, ("ctrl+o", "down", "down", "down", "enter", "f2", "ctrl+s")),
    "line_form": (ADMIN, ("ctrl+o", "down", "enter", "f2")),
    # the rest of the screens
    "team_ledger": (SUPERVISOR, ("f4", "enter")),
    "lines_admin": (ADMIN, ("ctrl+o", "down", "enter")),
    "campaign_form": (ADMIN, ("ctrl+k", "n")),
    "suppliers": (SUPERVISOR, ("ctrl+u",)),
    # a kiosk whose database is not there (NO_DATABASE): it stops and says what to do
    "start_problem": (None, ()),
    "anomalies": (SUPERVISOR, ("ctrl+a",)),  # its Pareto: screens/widgets/chart.py
}


class _Seeded(random.Random):
    """Every generator the code makes draws the same numbers each run."""

    def __init__(self, _seed: object = None) -> None:
        super().__init__(14)


@contextmanager
def _fixed_draws() -> Iterator[None]:
    """Seeded uuid4, secrets and random generators: ids end up in the pictures as short
    ids, the plant's signing key in the demo codes on the sign-in screen."""
    ids = random.Random(13)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=ids.getrandbits(128), version=4))
        patch.setattr(secrets, "token_bytes", lambda n=32: ids.randbytes(n))
        patch.setattr(secrets, "token_hex", lambda n=32: ids.randbytes(n).hex())
        patch.setattr(random, "Random", _Seeded)
        patch.setattr(random, "SystemRandom", _Seeded)
        yield


_TEXT_RUN = re.compile(r'(<text [^>]*?textLength=")([0-9.]+)("[^>]*>)([^<]*)(</text>)')


def _wide_runs_fixed(svg: str) -> str:
    """Each text run of the picture as wide as the cells it takes (two per Chinese character)."""

    def fixed(run: re.Match[str]) -> str:
        text = html.unescape(run[4])
        cells = cell_len(text)
        if cells == len(text):
            return run[0]
        width = float(run[2]) / len(text) * cells
        return f"{run[1]}{width:g}{run[3]}{run[4]}{run[5]}"

    return _TEXT_RUN.sub(fixed, svg)


@pytest.fixture(autouse=True)
def still_pictures(monkeypatch) -> None:
    """Chinese runs as wide as their cells; no live refresh (another terminal's write, the
    start-up deadline sweep's, the start-problem screen's check) redrawing a screen while
    its picture is taken."""
    monkeypatch.setattr(KioskApp, "_heard_change", lambda app: None)
    # nor the start-problem screen's check every 10 s ("Checking…") on a slow run
    monkeypatch.setattr(StartProblemScreen, "on_mount", lambda screen: None)
    original = KioskApp.export_screenshot

    def export_screenshot(app: KioskApp, *args, **kwargs) -> str:
        return _wide_runs_fixed(original(app, *args, **kwargs))

    monkeypatch.setattr(KioskApp, "export_screenshot", export_screenshot)


@pytest.fixture(scope="session")
def snapshot_template(tmp_path_factory) -> Path:
    """The demo plant on SQLite seeded at START with fixed ids, made once per run."""
    path = tmp_path_factory.mktemp("snapshots") / "demo.db"
    with _fixed_draws():
        build(f"sqlite:///{path}", "demo")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def snapshot_plant(snapshot_template: Path, tmp_path) -> Iterator[str]:
    """A copy of the fixed demo plant for one test, bound; the draws fixed while it runs."""
    path = tmp_path / "kiosk.db"
    shutil.copyfile(snapshot_template, path)
    url = f"sqlite:///{path}"
    database_service.open_database(url)
    with _fixed_draws():
        yield url
    db.close_all()


def _app(url: str, screen: str, language: str) -> KioskApp:
    clock = FrozenClock(START)
    if screen.startswith("board"):
        settings = Settings(database_url=url, terminal_id="BOARD", language=language)
        return KioskApp(settings, clock=clock, board_only=True)
    if screen == "start_problem":
        return make_app(NO_DATABASE, clock, language)
    if screen.startswith("locked"):  # a locked kiosk (kiosk run --locked)
        settings = Settings(database_url=url, terminal_id="TEST-1", language=language, locked=True)
        return KioskApp(settings, clock=clock)
    return make_app(url, clock, language)


async def _until_still(pilot) -> None:
    """Wait until two pictures in a row are the same: a busy machine can otherwise catch a
    table before its columns are sized, or the status bar before it shows the station."""
    previous = None
    for _ in range(40):
        for bar in pilot.app.screen.query(StatusBar):
            bar.refresh_status()  # at once, not on its next one-second tick
        for table in pilot.app.screen.query(DataTable):
            # a header drawn before the rows came is cached split into other runs of text
            # (the same look); drawn again it is the same in every picture
            table.notify_style_update()
            table.refresh()
        await settle(pilot)
        await pilot.pause(0.05)
        picture = pilot.app.export_screenshot()
        if picture == previous:
            return
        previous = picture
    raise AssertionError("the screen never stopped changing")


@pytest.mark.slow  # an app run a picture: minutes on two cores; run it when a screen changes
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen(
    snap_compare, snapshot_plant, tmp_path, monkeypatch, screen: str, size: str, language: str
):
    """The screen as the demo plant shows it at START (SQLite only: a test of layout)."""
    who, keys = SCREENS[screen]
    if screen == "start_problem":
        monkeypatch.chdir(tmp_path)  # NO_DATABASE is relative: the same text every run
        assert not (tmp_path / "data").exists()

    async def go_there(pilot) -> None:
        await settle(pilot)
        if who is not None:
            await sign_in(pilot, *who)
        for key in keys:
            if key.startswith("="):
                await pilot.press(*key[1:], "enter")
            else:
                await pilot.press(key)
            await settle(pilot)
        for widget in pilot.app.screen.query("Input, TextArea"):
            widget.cursor_blink = False  # the cursor shown steadily, never caught mid-blink
        await _until_still(pilot)

    app = _app(snapshot_plant, screen, language)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=go_there)


def test_chinese_runs_take_two_cells_a_character():
    one = '<text class="r1" x="0" y="20" textLength="36.6" clip-path="url(#l)">欢迎，</text>'
    assert 'textLength="73.2"' in _wide_runs_fixed(one)
    latin = '<text class="r1" x="0" y="20" textLength="24.4" clip-path="url(#l)">ab</text>'
    assert _wide_runs_fixed(latin) == latin
