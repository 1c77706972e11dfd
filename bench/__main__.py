"""Run every benchmark and write bench/RESULTS.md:  python -m bench [--quick]

Each part is also runnable alone (python -m bench.pickup | bench.pipeline | bench.overhead | bench.before |
bench.fanout; bench.before is bench.overhead's distributed run against the code before the speed work);
bench.soak is the long reliability run (200 searches x 2,000 SSE clients, rounds).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import platform
import subprocess
import sys

PARTS = {
    "pickup": (["--jobs", "200", "--stock-jobs", "40", "--searches", "50"],
               ["--jobs", "50", "--stock-jobs", "10", "--searches", "10"]),
    "pipeline": (["--rounds", "20"], ["--rounds", "5"]),
    # 48 clients: with the slowest site at 500 ms, fewer could not offer 50 searches/s.
    "overhead": (["--sequential", "50", "--seconds", "30", "--concurrency", "48"],
                 ["--sequential", "10", "--seconds", "8", "--concurrency", "48"]),
    "before": (["--sequential", "50", "--seconds", "30", "--concurrency", "48"],
               ["--sequential", "10", "--seconds", "8", "--concurrency", "48"]),
    "fanout": (["--clients", "10000", "--procs", "4", "--live", "200"],
               ["--clients", "1000", "--procs", "2", "--live", "20"]),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    parser.add_argument("--only", nargs="*", choices=list(PARTS))
    args = parser.parse_args()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    load = os.getloadavg()
    sections = [
        "# flightcrawl benchmarks",
        "",
        f"Run {dt.datetime.now().isoformat(timespec='minutes')} with `{' '.join(['python -m bench', *sys.argv[1:]])}` "
        f"on {platform.node()}: {os.cpu_count()} cores ({cpu}), "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, Python "
        f"{platform.python_version()}, load average at start {load[0]:.1f}. Everything runs on this one machine "
        "(sandbox, Redis, workers, API and the clients), over loopback.",
        "",
    ]
    for name in args.only or PARTS:
        full, quick = PARTS[name]
        command = [sys.executable, "-m", f"bench.{name}", *(quick if args.quick else full)]
        print("running", " ".join(command[1:]), flush=True)
        result = subprocess.run(command, capture_output=True, text=True)
        output = result.stdout.strip() or f"(failed: {result.stderr.strip()[-2000:]})"
        sections += [f"<!-- {' '.join(command[1:])} -->", output, ""]
    path = pathlib.Path(__file__).with_name("RESULTS.md")
    path.write_text("\n".join(sections) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
