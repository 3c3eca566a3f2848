"""Kiosk start to first screen, and resident memory, each against a minimal Textual app."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import REPO, Result

MINIMAL = """
import resource, sys, time
from textual.app import App
from textual.widgets import Static
class Minimal(App):
    def compose(self):
        yield Static("Scan your badge")
    def on_mount(self):
        self.call_after_refresh(self.exit)
Minimal().run(headless=True, size=(100, 40))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

KIOSK = """
import resource, sys
from kiosk.config import Settings
from kiosk.services import database
from kiosk.app import KioskApp
from screens.signin import SignInScreen
database.open_database(sys.argv[1])
app = KioskApp(Settings(database_url=sys.argv[1], terminal_id="bench"))
def ready():
    if isinstance(app.screen, SignInScreen):
        app.exit()
    else:
        app.set_timer(0.01, ready)
app.call_later(lambda: app.call_after_refresh(ready))
app.run(headless=True, size=(100, 40))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _run(code: str, *args: str) -> tuple[float, int]:
    import time

    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return elapsed, int(result.stdout.strip().splitlines()[-1])


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'start.db'}"
        subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "demo", "--no-run", "--db", url],
            check=True,
            capture_output=True,
            cwd=REPO,
        )
        minimal = [_run(MINIMAL) for _ in range(5)]
        kiosk = [_run(KIOSK, url) for _ in range(5)]
    t_min = statistics.median(t for t, _ in minimal)
    t_kiosk = statistics.median(t for t, _ in kiosk)
    m_min = statistics.median(m for _, m in minimal)
    m_kiosk = statistics.median(m for _, m in kiosk)
    return [
        Result(
            "start to first screen",
            f"kiosk {t_kiosk:.2f} s, minimal Textual app {t_min:.2f} s (process start included)",
            t_kiosk / t_min,
            1.3,
        ),
        Result(
            "resident memory",
            f"kiosk {m_kiosk / 1024:.0f} MB, minimal Textual app {m_min / 1024:.0f} MB (max RSS)",
            m_kiosk / m_min,
            1.5,
        ),
    ]
