"""The overhead and throughput run against the code from before the speed work, for before/after.

    python -m bench.before [--rev b15c7ff] [bench.overhead arguments...]

`--rev` (default: the commit where the benchmarks first ran whole, before any profiling-led
change) is taken with `git archive` into a temporary directory, and bench.overhead runs its
workers and API from there (`--code`), distributed mode, with this harness and this sandbox.
One patch is applied to that old code, so the same load can be offered: it had no setting to
stop identical searches sharing a task (FLIGHTCRAWL_DEDUPE_TTL came later), so its DEDUPE_TTL
is read from that variable, at least 1 s (the load's pool of 72 searches repeats every ~2 s at
the old code's rate, so searches are not shared).
"""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import tempfile

BEFORE = "b15c7ff"
REPO = pathlib.Path(__file__).resolve().parent.parent
DEDUPE_LINE = "DEDUPE_TTL = 300 "
DEDUPE_PATCHED = 'DEDUPE_TTL = max(1, int(__import__("os").environ.get("FLIGHTCRAWL_DEDUPE_TTL", "300"))) '


def checkout(rev: str, into: pathlib.Path) -> None:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "flightcrawl"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    defaults = into / "flightcrawl" / "distributed" / "defaults.py"
    text = defaults.read_text()
    if DEDUPE_LINE in text:
        defaults.write_text(text.replace(DEDUPE_LINE, DEDUPE_PATCHED, 1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rev", default=BEFORE)
    args, rest = parser.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="flightcrawl-before-") as tmp:
        checkout(args.rev, pathlib.Path(tmp))
        result = subprocess.run([sys.executable, "-m", "bench.overhead", "--mode", "distributed",
                                 "--code", tmp, *rest], capture_output=True, text=True, cwd=REPO)
    sys.stderr.write(result.stderr[-3000:] if result.returncode else "")
    print(f"Code at {args.rev} (`git archive`, DEDUPE_TTL patch: see bench/before.py).\n")
    print(result.stdout.replace(f"workers and API from {tmp}", f"workers and API from {args.rev}"))
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
