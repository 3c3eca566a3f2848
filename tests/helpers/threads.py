"""Running the same work on several threads at once (concurrent kiosks in one test)."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_workers(work: Callable[[int], None], workers: int) -> None:
    """Run `work(0)` .. `work(workers - 1)` each on a thread of its own; wait for all."""
    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
