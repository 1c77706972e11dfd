"""Browser memory over many searches: does the shared Chromium stay flat?

Runs N searches one after another in ONE process (as the API server or a worker does), each
through the browser path: the session store is off, so MakeMyTrip opens its home page, lets
the sensor write `_abck`, opens the listing and reads the stream the page receives, every
time; Yatra renders its listing every time. The browser is kept between searches
(FLIGHTCRAWL_BROWSER_LINGER), as in the servers. Every `--every` searches it samples, from
/proc/<pid>/smaps_rollup, the PSS (proportional set size: shared pages split between the
processes sharing them, so the sum is what the tree really holds) and RSS of: the Chromium
processes, Playwright's Node driver, and this Python process.

    python bench/browser_memory.py --searches 1000 --every 25 --out bench/browser_memory.json

Prints one line per sample and a summary (first vs last vs max of each), and writes all
samples as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

SITES = ["mmt", "yatra"]


def _children(pid: int) -> list[int]:
    found = []
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


def memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) in kB, (0, 0) when the process is gone."""
    pss = rss = 0
    try:
        for line in pathlib.Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def sample() -> dict[str, float]:
    me = os.getpid()
    groups = {"chromium": [0, 0, 0], "driver": [0, 0, 0], "python": [0, 0, 1]}
    groups["python"][:2] = memory_kb(me)
    for pid in descendants(me):
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            continue
        group = "chromium" if "chromium" in exe else "driver" if "node" in exe else None
        if group is None:
            continue
        pss, rss = memory_kb(pid)
        groups[group][0] += pss
        groups[group][1] += rss
        groups[group][2] += 1
    return {f"{g}_{k}": (v[i] / 1024 if k != "procs" else v[i])
            for g, v in groups.items() for i, k in enumerate(("pss_mb", "rss_mb", "procs"))}


async def run(searches: int, every: int, out: pathlib.Path) -> None:
    from flightcrawl import browser
    from flightcrawl.embedded import EmbeddedSearch
    from flightcrawl.query import SearchQuery
    from flightcrawl.sandbox.app import SandboxServer

    routes = [("DEL", "BOM"), ("BLR", "GOI"), ("BOM", "CCU"), ("HYD", "DEL"), ("MAA", "BLR")]
    samples = []
    statuses: dict[str, int] = {}
    async with SandboxServer() as sandbox:
        started = time.monotonic()
        for n in range(1, searches + 1):
            origin, destination = routes[n % len(routes)]
            query = SearchQuery.parse(origin, destination, f"+{20 + n % 40}")
            search = EmbeddedSearch(query, SITES, deadline=30, host_map=sandbox.host_map,
                                    settings={"FLIGHTCRAWL_SESSION_STORE": "off", "FLIGHTCRAWL_BROWSER_LINGER": 600,
                                              "LOG_LEVEL": "ERROR"})
            total = await search.run()
            for site, status in total["sources"].items():
                key = f"{site}:{status['status']}"
                statuses[key] = statuses.get(key, 0) + 1
            if n == 1 or n % every == 0 or n == searches:
                row = {"search": n, "seconds": round(time.monotonic() - started, 1),
                       "browser_launches": browser.launches(), **sample()}
                samples.append(row)
                print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()}),
                      flush=True)
                out.write_text(json.dumps({"sites": SITES, "statuses": statuses, "samples": samples}, indent=1))
        await browser.shutdown()
    first, last = samples[0], samples[-1]
    print(f"\n{searches} searches ({', '.join(SITES)}, browser path every time) in {last['seconds']:.0f} s; "
          f"statuses {statuses}; browser launched {last['browser_launches']} time(s)")
    for key in ("chromium_pss_mb", "driver_pss_mb", "python_pss_mb", "chromium_rss_mb"):
        print(f"  {key:<16} first {first[key]:7.1f}  last {last[key]:7.1f}  max {max(s[key] for s in samples):7.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--every", type=int, default=25)
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("bench/browser_memory.json"))
    args = parser.parse_args()
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "flightcrawl.settings")
    import logging

    logging.basicConfig(level=logging.ERROR)
    for name in ("scrapy", "flightcrawl", "scrapy-playwright", "py.warnings"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from flightcrawl import reactor

    reactor.run(lambda: run(args.searches, args.every, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
