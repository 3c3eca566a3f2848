"""`python -m bench [name ...] [--db URL] [--both]`: run the benchmarks and print each ratio
beside its target.

Without --db they run on SQLite and on a throwaway PostgreSQL cluster (made in /dev/shm and
removed afterwards). `--db URL` runs them on that engine only: a SQLite URL picks SQLite
(each benchmark makes its own files in a temporary folder), a PostgreSQL URL names a server
on which each benchmark creates and drops its own `qk_bench_*` database (the URL's user
must be allowed to). `--both` with a PostgreSQL URL: SQLite and that server.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import sys
import traceback
from collections.abc import Callable

from bench import Result

NAMES = (
    "scan",
    "startup",
    "board",
    "board_refresh",
    "live",
    "board_live",
    "pooled",
    "export",
    "reads",
)
ENGINE_FREE = ("scan", "startup")  # SQLite files of their own, whatever the engine


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="kiosk bench", description=__doc__.split("\n\n")[0])
    add_arguments(parse)
    return parse


def add_arguments(parse: argparse.ArgumentParser) -> None:
    parse.add_argument("names", nargs="*", metavar="NAME", help=", ".join(NAMES))
    parse.add_argument(
        "--db",
        metavar="URL",
        help="run on this engine only: sqlite:///… (any file name), or postgresql://… (a server "
        "the benchmarks create their own databases on); default: SQLite and a throwaway "
        "PostgreSQL cluster",
    )
    parse.add_argument(
        "--both",
        action="store_true",
        help="with a PostgreSQL --db: SQLite too (without --db both engines run anyway)",
    )


def engines(db_url: str | None, both: bool) -> list[str]:
    if db_url is None or both:
        return ["sqlite", "postgresql"]
    if db_url.startswith("sqlite"):
        return ["sqlite"]
    if db_url.startswith(("postgresql", "postgres")):
        return ["postgresql"]
    raise SystemExit(f"kiosk bench: --db must be a sqlite:/// or postgresql:// URL, not {db_url!r}")


def postgres_server(db_url: str | None) -> contextlib.AbstractContextManager[str]:
    """The server the PostgreSQL benchmarks use: --db if it is one, else a throwaway cluster."""
    from bench.pg import server

    given = db_url if db_url and db_url.startswith(("postgresql", "postgres")) else None
    return server(given)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv if argv is not None else [])
    return run(args.names, args.db, args.both)


def run(names: list[str], db_url: str | None = None, both: bool = False) -> int:
    chosen = names or list(NAMES)
    unknown = [name for name in chosen if name not in NAMES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(NAMES)}")
        return 2
    on = engines(db_url, both)
    needs_server = "postgresql" in on and any(name not in ENGINE_FREE for name in chosen)
    results: list[Result] = []
    with contextlib.ExitStack() as stack:
        server_url = stack.enter_context(postgres_server(db_url)) if needs_server else None
        for name in chosen:
            module = __import__(f"bench.{name}", fromlist=["run"])
            runs = (
                [(name, module.run)]
                if name in ENGINE_FREE
                else [
                    (
                        f"{name} ({engine})",
                        functools.partial(
                            module.run, engine, server_url if engine == "postgresql" else None
                        ),
                    )
                    for engine in on
                ]
            )
            for title, measure in runs:
                got = _measured(title, measure)
                for result in got:  # as they come: a long run shows what it has so far
                    print(result.line(), flush=True)
                results += got
            print(f"… {name} done", flush=True)
    print()
    print(f"{'benchmark':<42} {'ratio':>9}   {'target':<10}  result  measured")
    for result in results:
        print(result.line())
    missed = [r for r in results if not r.met]
    print(f"\n{len(results) - len(missed)} of {len(results)} targets met.")
    return 0


def _measured(title: str, measure: Callable[[], list[Result]]) -> list[Result]:
    """One benchmark's results; one that stops with an error is reported as missed (with
    its traceback above) and the others still run."""
    try:
        return measure()
    except Exception as exc:  # a benchmark's own failure must not lose the other figures
        traceback.print_exc()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [Result(title, f"stopped: {type(exc).__name__}: {reason}", math.inf, 0.0, "")]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
