"""`python -m bench [name ...]`: run the benchmarks and print each ratio beside its target."""

from __future__ import annotations

import sys

from bench import Result

NAMES = ("scan", "startup", "board", "live", "board_live", "pooled", "export", "reads")


def main(argv: list[str] | None = None) -> int:
    chosen = argv if argv else list(NAMES)
    unknown = [name for name in chosen if name not in NAMES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(NAMES)}")
        return 2
    results: list[Result] = []
    cluster = None
    server_url = None
    if {"board", "live", "board_live", "pooled", "export", "reads"} & set(chosen):
        from tests.helpers.pg import Cluster

        cluster = Cluster()
        server_url = cluster.start()
    try:
        for name in chosen:
            if name == "scan":
                from bench import scan

                results += scan.run()
            elif name == "startup":
                from bench import startup

                results += startup.run()
            else:
                module = __import__(f"bench.{name}", fromlist=["run"])
                results += module.run("sqlite")
                results += module.run("postgresql", server_url)
            print(f"… {name} done", flush=True)
    finally:
        if cluster is not None:
            cluster.stop()
    print()
    print(f"{'benchmark':<42} {'ratio':>9}   {'target':<10}  result  measured")
    for result in results:
        print(result.line())
    missed = [r for r in results if not r.met]
    print(f"\n{len(results) - len(missed)} of {len(results)} targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
