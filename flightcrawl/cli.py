"""The `flightcrawl` command: search (embedded, no Redis) and the sandbox."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import sys
from typing import Any

from flightcrawl.embedded import EmbeddedSearch, Event
from flightcrawl.query import CABINS, QueryError, SearchQuery
from flightcrawl.sandbox.faults import FAULTS, SandboxConfig
from flightcrawl.sites import SITES, title

EXIT_USAGE = 2


class Usage(Exception):
    """A bad argument: printed as one line, exit status 2."""


def parse_sources(text: str) -> list[str]:
    if text.strip().lower() == "all":
        return list(SITES)
    names = [s.strip().lower() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in SITES]
    if unknown or not names:
        raise Usage(f"--sources: unknown site {', '.join(unknown) or '(none)'}; known: {', '.join(SITES)}, all")
    return list(dict.fromkeys(names))


def parse_faults(pairs: list[str]) -> dict[str, str]:
    faults = {}
    for pair in pairs:
        site, sep, fault = pair.partition("=")
        if not sep or site not in SITES or fault not in FAULTS:
            raise Usage(f"--fault {pair!r}: use SITE=FAULT with a site in {', '.join(SITES)} "
                        f"and a fault in {', '.join(FAULTS)}")
        faults[site] = fault
    return faults


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flightcrawl", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    search = commands.add_parser("search", help="search every site for one route and date")
    search.add_argument("origin", help="IATA code, e.g. DEL")
    search.add_argument("destination", help="IATA code, e.g. BOM")
    search.add_argument("date", help="YYYY-MM-DD, or +N for N days from today")
    search.add_argument("--sources", default="all", help="comma-separated sites, or all (default)")
    search.add_argument("--adults", default="1")
    search.add_argument("--children", default="0")
    search.add_argument("--infants", default="0")
    search.add_argument("--cabin", default="economy", help=f"one of {', '.join(CABINS)}")
    search.add_argument("--deadline", type=float, default=30.0, help="seconds (default 30)")
    search.add_argument("--json", action="store_true", help="print TOTAL as JSON")
    search.add_argument("--sandbox", action="store_true",
                        help="start the sandbox in-process and search it (works offline)")
    search.add_argument("--fault", action="append", default=[], metavar="SITE=FAULT",
                        help="with --sandbox: make a site misbehave (see `flightcrawl sandbox --help`)")
    search.add_argument("-v", "--verbose", action="store_true", help="show Scrapy's log")

    sandbox = commands.add_parser(
        "sandbox", help="serve the replicated sites on loopback",
        epilog="faults: " + "; ".join(f"{k}: {v}" for k, v in FAULTS.items()))
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8901)
    sandbox.add_argument("--fault", action="append", default=[], metavar="SITE=FAULT")
    sandbox.add_argument("--delay", action="append", default=[], metavar="SITE=SECONDS")
    sandbox.add_argument("--density", type=int, default=1, help="flights per route multiplier (benchmarks)")
    sandbox.add_argument("--no-gates", action="store_true",
                         help="serve without the bot gates (Akamai cookie, Cloudflare clearance)")
    doctor = commands.add_parser(
        "doctor", help="try each site's path and say whether it works (the sandbox unless --live)")
    doctor.add_argument("--live", action="store_true", help="the real sites (needs the internet)")
    doctor.add_argument("--sites", default="all", help="comma-separated sites, or all (default)")
    doctor.add_argument("--route", default="DEL-BOM", help="ORIGIN-DESTINATION to search (default DEL-BOM)")
    doctor.add_argument("--date", default="+30", help="YYYY-MM-DD or +N (default +30)")
    doctor.add_argument("--deadline", type=float, default=30.0, help="seconds per site (default 30)")
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    doctor.add_argument("-v", "--verbose", action="store_true")
    serve = commands.add_parser("serve", help="run the API (embedded unless REDIS_URL is set)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--deadline", type=float, default=None, help="seconds per search (default 30)")
    serve.add_argument("--redis-url", default=None, help="distributed mode: Redis URL (default: $REDIS_URL)")
    serve.add_argument("--sandbox", action="store_true",
                       help="embedded mode: start the sandbox in-process and search it")
    serve.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                       help="embedded mode: a Scrapy setting for the in-process spiders, as with scrapy crawl -s")
    serve.add_argument("-v", "--verbose", action="store_true")

    worker = commands.add_parser("worker", help="run a distributed spider worker for one site")
    worker.add_argument("site", help=f"one of {', '.join(SITES)}")
    worker.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting, as with scrapy crawl -s")
    health = commands.add_parser("health", help="container health check (exit 0 when healthy)")
    health.add_argument("role", choices=["api", "worker"])
    health.add_argument("site", nargs="?", help="for worker: the site")
    health.add_argument("--url", default="http://127.0.0.1:8080/healthz")
    return parser


# --- search -------------------------------------------------------------------------------

def _clock(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)


def _minutes(n: int) -> str:
    return f"{n // 60}h {n % 60:02d}m"


def _money(amount: int, currency: str) -> str:
    return f"₹{amount:,}" if currency == "INR" else f"{currency} {amount:,}"


def render_table(total: dict[str, Any], sources: list[str], query: SearchQuery) -> str:
    columns = [title(s) for s in sources]
    header = ["Flight", "Airline", "Route", "Depart", "Arrive", "Time", "Stops", *columns]
    rows = []
    for _key, summary in total["summary"].items():
        departure, arrival = _clock(summary["departure"]), _clock(summary["arrival"])
        days = (arrival.date() - departure.date()).days
        stops = "non-stop" if not summary["stops"] else (
            f"{summary['stops']} via {','.join(summary['layovers'])}" if summary["layovers"]
            else f"{summary['stops']} stop")
        # "~": a site showed no flight number; its offer is placed by airline and times.
        flight = "+".join(summary["flight_numbers"]) or f"{summary['airline_code']} (no number)"
        cells = [
            flight + (" ~" if summary.get("match") == "schedule" else ""),
            summary["airline"][:18],
            f"{summary['origin']}-{summary['destination']}",
            f"{departure:%H:%M}",
            f"{arrival:%H:%M}" + (f"+{days}" if days else ""),
            _minutes(summary["duration_minutes"]),
            stops,
        ]
        cheapest = summary["cheapest"]
        for source in sources:
            price = summary["prices"].get(source)
            if price is None:
                cells.append("-  ")
                continue
            mark = " *" if source == cheapest["source"] and len(summary["prices"]) > 1 else "  "
            cells.append(_money(price["price"], price["currency"]) + mark)
        rows.append(cells)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) if i < 7 else str(c).rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
             for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    counts = total["counts"]
    lines.append("")
    lines.append(f"{counts['flights']} flights, {counts['options']} offers, "
                 f"{counts['on_several_sites']} on more than one site. * = cheapest site for that flight.")
    if any(summary.get("match") == "schedule" for summary in total["summary"].values()):
        lines.append("~ = a site gave no flight number: offer identified and clubbed by airline, airports, times.")
    lines.append("Sources:")
    name_width = max([12, *(len(title(source)) for source in sources)])
    for source in sources:
        status = total["sources"].get(source, {})
        reason = f" - {status['reason']}" if status.get("reason") else ""
        lines.append(f"  {title(source):<{name_width}} {status.get('status', '?'):<13} "
                     f"{status.get('options', 0):>3} options  {status.get('elapsed', 0):.2f} s{reason}")
    return "\n".join(lines)


def _progress_printer(stream: Any) -> Any:
    def show(event: Event) -> None:
        data = event.data
        if event.type == "progress":
            print(f"  {data['status']}", file=stream, flush=True)
        elif event.type == "partial":
            print(f"  {title(data['source'])}: +{len(data['options'])} offers", file=stream, flush=True)
        elif event.type == "source_done":
            reason = f" ({data['reason']})" if data.get("reason") else ""
            print(f"  {title(data['source'])}: {data['status']}, {data['options']} offers in "
                  f"{data['elapsed']:.2f} s{reason}", file=stream, flush=True)
    return show


async def _search(args: argparse.Namespace, query: SearchQuery, sources: list[str],
                  faults: dict[str, str]) -> dict[str, Any]:
    from flightcrawl.sandbox.app import SandboxServer

    show = _progress_printer(sys.stderr)
    sandbox = SandboxServer(SandboxConfig(faults=faults)) if args.sandbox else None
    host_map = None
    if sandbox is not None:
        await sandbox.start()
        host_map = sandbox.host_map
    try:
        search = EmbeddedSearch(query, sources, deadline=args.deadline, host_map=host_map, on_event=show)
        return await search.run()
    finally:
        from flightcrawl import browser

        await browser.shutdown()
        if sandbox is not None:
            await sandbox.stop()


def cmd_search(args: argparse.Namespace) -> int:
    try:
        query = SearchQuery.parse(args.origin, args.destination, args.date, args.adults,
                                  args.children, args.infants, args.cabin)
    except QueryError as exc:
        raise Usage(str(exc)) from None
    sources = parse_sources(args.sources)
    faults = parse_faults(args.fault)
    if faults and not args.sandbox:
        raise Usage("--fault needs --sandbox")
    if not 0 < args.deadline <= 300:
        raise Usage("--deadline: seconds between 0 and 300")
    _quiet_logging(args.verbose)
    where = " (sandbox)" if args.sandbox else ""
    print(f"Searching {query.describe()} on {', '.join(title(s) for s in sources)}{where}",
          file=sys.stderr, flush=True)
    from flightcrawl import reactor

    total = reactor.run(lambda: _search(args, query, sources, faults))
    if args.json:
        json.dump(total, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(render_table(total, sources, query))
    return 0


def _quiet_logging(verbose: bool, level: int = logging.ERROR) -> None:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "flightcrawl.settings")
    level = logging.INFO if verbose else level
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    for name in ("scrapy", "twisted", "flightcrawl", "aiohttp"):
        logging.getLogger(name).setLevel(level)
    if not verbose:
        logging.getLogger("scrapy").setLevel(max(level, logging.WARNING))
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


# --- sandbox ------------------------------------------------------------------------------

def cmd_sandbox(args: argparse.Namespace) -> int:
    from flightcrawl.hostmap import format_host_map
    from flightcrawl.sandbox.app import SandboxServer

    delays = {}
    for pair in args.delay:
        site, _, seconds = pair.partition("=")
        try:
            delays[site] = float(seconds)
        except ValueError:
            raise Usage(f"--delay {pair!r}: use SITE=SECONDS") from None
    if args.density < 1:
        raise Usage("--density: a whole number of at least 1")
    config = SandboxConfig(faults=parse_faults(args.fault), delays=delays, density=args.density,
                           gates=not args.no_gates)

    async def serve() -> None:
        async with SandboxServer(config, host=args.host, port=args.port) as server:
            print(f"sandbox serving {', '.join(SITES)} at {server.base_url}", flush=True)
            print(f"FLIGHTCRAWL_HOST_MAP={format_host_map(server.host_map)}", flush=True)
            await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise Usage(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    return 0


# --- doctor -------------------------------------------------------------------------------

def cmd_doctor(args: argparse.Namespace) -> int:
    from flightcrawl import doctor, reactor

    sites = parse_sources(args.sites)
    origin, _, destination = args.route.upper().partition("-")
    try:
        query = SearchQuery.parse(origin, destination, args.date)
    except QueryError as exc:
        raise Usage(str(exc)) from None
    if not 0 < args.deadline <= 300:
        raise Usage("--deadline: seconds between 0 and 300")
    _quiet_logging(args.verbose)
    where = "the real sites" if args.live else "the sandbox"
    print(f"Trying {', '.join(title(s) for s in sites)} on {where}: {query.describe()}", file=sys.stderr, flush=True)
    rows = reactor.run(lambda: doctor.diagnose(sites, query, live=args.live, deadline=args.deadline))
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(doctor.render(rows))
    return 0 if all(r["verdict"] == "works" for r in rows) else 1


# --- serve and worker ---------------------------------------------------------------------

def cmd_serve(args: argparse.Namespace) -> int:
    from flightcrawl.server import serve

    if args.deadline is not None and not 0 < args.deadline <= 300:
        raise Usage("--deadline: seconds between 0 and 300")
    redis_url = args.redis_url or os.environ.get("REDIS_URL")
    if redis_url and args.sandbox:
        raise Usage("--sandbox is for embedded mode; in distributed mode run `flightcrawl sandbox` and give "
                    "workers its FLIGHTCRAWL_HOST_MAP")
    _quiet_logging(args.verbose, level=logging.INFO)
    from flightcrawl import logs

    logs.install()  # JSON or text, task ids on the lines, secrets masked
    overrides = scrapy_overrides(args.set)
    if redis_url and overrides:
        raise Usage("-s is for embedded mode; in distributed mode give Scrapy settings to the workers")
    return serve(args.host, args.port, redis_url=redis_url, sandbox=args.sandbox, deadline=args.deadline,
                 settings=overrides)


def cmd_worker(args: argparse.Namespace) -> int:
    from flightcrawl.server import run_worker

    if args.site not in SITES:
        raise Usage(f"unknown site {args.site!r}; known: {', '.join(SITES)}")
    return run_worker(args.site, scrapy_overrides(args.set))


def scrapy_overrides(pairs: list[str]) -> dict[str, str]:
    """`-s NAME=VALUE` options as a settings dict."""
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise Usage(f"-s {pair!r}: use NAME=VALUE")
        overrides[name] = value
    return overrides


def cmd_health(args: argparse.Namespace) -> int:
    from flightcrawl import healthcheck

    if args.role == "worker" and args.site not in SITES:
        raise Usage(f"health worker needs a site: one of {', '.join(SITES)}")
    ok, detail = healthcheck.api_ok(args.url) if args.role == "api" else healthcheck.worker_ok(args.site)
    print(("healthy: " if ok else "unhealthy: ") + detail)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {"search": cmd_search, "sandbox": cmd_sandbox, "serve": cmd_serve, "worker": cmd_worker,
                "health": cmd_health, "doctor": cmd_doctor}
    try:
        return commands[args.command](args)
    except Usage as exc:
        print(f"flightcrawl: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
