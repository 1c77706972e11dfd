"""Parser fixture cases, in the manner of web-poet: tests/fixtures/<site>/<case>/ holds the
response body (body.sse or body.html), meta.json (the search query, content type) and
expected.json (what the pure parser reads off it, and what normalization makes of that).

After a deliberate parser change, rewrite the expectations and review the diff:
    python -m tests.fixture_cases
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import pathlib
import sys

from flightcrawl.pipelines.normalize import normalize_option
from flightcrawl.query import SearchQuery
from flightcrawl.sites import SITES
from flightcrawl.status import SiteError

ROOT = pathlib.Path(__file__).parent / "fixtures"
PARSERS = {name: importlib.import_module(f"flightcrawl.parsers.{name}").parse for name in SITES}
FETCHED_AT = "2026-12-01T00:00:00+00:00"
# Fixture queries are judged as of this day, so their dates never become "in the past".
QUERY_TODAY = dt.date(2026, 1, 1)


def cases() -> list[pathlib.Path]:
    return sorted(p for site in PARSERS if (ROOT / site).is_dir() for p in (ROOT / site).iterdir() if p.is_dir())


def run_case(case: pathlib.Path) -> dict:
    """What the parser (and then normalization) makes of a case, as JSON-ready data."""
    meta = json.loads((case / "meta.json").read_text())
    body_file = next(case.glob("body.*"))
    # Fixtures are pinned to dates that will pass; validation of "past" is not under test here.
    query = SearchQuery.parse(**meta["query"], now=QUERY_TODAY)
    try:
        page = PARSERS[case.parent.name](body_file.read_bytes(), query, content_type=meta["content_type"],
                                         fetched_at=FETCHED_AT)
    except SiteError as exc:
        return {"error": str(exc.status), "reason": exc.reason}
    normalized = []
    for option in page.options:
        try:
            normalized.append(_without_task(normalize_option(option, query).to_dict()))
        except ValueError as exc:
            normalized.append({"dropped": str(exc)})
    return {
        "complete": page.complete,
        "note": page.note,
        "rejected": page.rejected,
        "options": [_without_task(dataclasses.asdict(o)) for o in page.options],
        "normalized": normalized,
    }


def _without_task(data: dict) -> dict:
    # The search an option answers is the crawler's business, not the site's format.
    data.pop("task_id", None)
    return data


def main() -> None:
    for case in cases():
        result = run_case(case)
        (case / "expected.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {case.relative_to(ROOT)}/expected.json", file=sys.stderr)


if __name__ == "__main__":
    main()
