"""Kiosk start to first screen, and resident memory, each against a minimal Textual app.

The kiosk is started the way a plant starts it, `kiosk run --db URL`, on a demo plant;
each child process notes the wall-clock moment its first screen has been drawn, and the
start counts from just before the process is spawned (interpreter start included, for
both). The kiosk also notes when it is ready for a badge: rules loaded, database open
(kiosk/app.py loads those after the first screen is up). Memory is the peak resident
size of each process, the kiosk's taken after it is ready.

Bytecode is compiled first, as `pip install` does: a checkout started with
PYTHONDONTWRITEBYTECODE would otherwise compile every module at every start.
"""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import REPO, Result

RUNS = int(os.environ.get("QK_BENCH_STARTUP_RUNS", "15"))

# the peak resident size of this process image in KiB (VmHWM; ru_maxrss would carry the
# parent's peak over the exec, and the parent is large after the scan benchmark)
PEAK_RSS = """
def PEAK_RSS():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
"""

MINIMAL = (
    PEAK_RSS
    + """
import time
from textual.app import App
from textual.widgets import Static
class Minimal(App):
    def compose(self):
        yield Static("Scan your badge")
    def on_mount(self):
        self.call_after_refresh(self.shown)
    def shown(self):
        print(time.time())
        self.cpu = time.process_time()
        self.exit()
app = Minimal()
app.run(headless=True, size=(100, 40))
print(app.cpu)
print(PEAK_RSS())
"""
)

KIOSK = (
    PEAK_RSS
    + """
import sys, time
import kiosk.app
from screens.signin import SignInScreen
marks = {}
run_app = kiosk.app.KioskApp.run
def run(app, **_options):
    def check():
        if "screen" not in marks and isinstance(app.screen, SignInScreen):
            marks["screen"] = time.time()
            marks["cpu"] = time.process_time()
        if "screen" in marks and app.services_started.is_set():
            marks["ready"] = time.time()
            app.exit()
        else:
            app.set_timer(0.002, check)
    app.call_later(lambda: app.call_after_refresh(check))
    return run_app(app, headless=True, size=(100, 40))
kiosk.app.KioskApp.run = run
import kiosk.cli
kiosk.cli._terminal_missing = lambda _args: False  # headless here, whatever stdin is
from kiosk.cli import main
assert main(["run", "--db", sys.argv[1]]) == 0
print(marks["screen"], marks["ready"])
print(marks["cpu"])
print(PEAK_RSS())
"""
)


def _run(code: str, *args: str, env: dict[str, str]) -> tuple[list[float], float, int]:
    """(the child's marks as seconds after spawning it, the CPU seconds it had used when its
    first screen was up, its peak RSS in KiB)."""
    spawned = time.time()
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    marks_line, cpu_line, rss_line = result.stdout.strip().splitlines()[-3:]
    marks = [float(mark) - spawned for mark in marks_line.split()]
    return marks, float(cpu_line), int(rss_line)


def run() -> list[Result]:
    for package in ("kiosk", "models", "screens"):
        compileall.compile_dir(REPO / package, quiet=1)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'start.db'}"
        env = {
            **os.environ,
            "XDG_DATA_HOME": folder,  # the kiosk's log and outbox: not the user's
            "QK_OUTBOX_PATH": str(Path(folder) / "outbox.db"),
        }
        subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "demo", "--no-run", "--db", url],
            check=True,
            capture_output=True,
            cwd=REPO,
            env=env,
        )
        minimal, kiosk = [], []
        for _ in range(RUNS):  # in turn, so a change in the machine's load hits both alike
            minimal.append(_run(MINIMAL, env=env))
            kiosk.append(_run(KIOSK, url, env=env))
    t_min = statistics.median(marks[0] for marks, _cpu, _rss in minimal)
    t_kiosk = statistics.median(marks[0] for marks, _cpu, _rss in kiosk)
    t_ready = statistics.median(marks[1] for marks, _cpu, _rss in kiosk)
    cpu_min = statistics.median(cpu for _marks, cpu, _rss in minimal)
    cpu_kiosk = statistics.median(cpu for _marks, cpu, _rss in kiosk)
    m_min = statistics.median(rss for _marks, _cpu, rss in minimal)
    m_kiosk = statistics.median(rss for _marks, _cpu, rss in kiosk)
    return [
        Result(
            "start to first screen",
            f"`kiosk run` sign-in screen drawn {t_kiosk:.3f} s after spawning (ready for a "
            f"badge, database open: {t_ready:.3f} s); minimal Textual app {t_min:.3f} s; CPU "
            f"used by then {cpu_kiosk:.3f} s vs {cpu_min:.3f} s ({cpu_kiosk / cpu_min:.2f}x); "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
            t_kiosk / t_min,
            1.3,
        ),
        Result(
            "resident memory",
            f"kiosk {m_kiosk / 1024:.0f} MB (ready), minimal Textual app {m_min / 1024:.0f} MB "
            "(peak RSS)",
            m_kiosk / m_min,
            1.5,
        ),
    ]
