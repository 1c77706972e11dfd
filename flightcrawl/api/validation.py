"""Checking API input at the edge: every problem is a 400 naming the field."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flightcrawl.query import QueryError, SearchQuery
from flightcrawl.sites import SITES

# Accepted spellings of each parameter (the seed's names first).
ALIASES = {
    "origin": ("from", "origin"),
    "destination": ("to", "destination"),
    "date": ("travel_date", "date"),
}


class InvalidInput(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason

    def body(self) -> dict[str, str]:
        return {"error": "invalid_parameter", "field": self.field, "message": self.reason}


def _first(params: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if name in params and params[name] not in (None, ""):
            return params[name]
    return None


def parse_sources(value: Any) -> list[str]:
    if value in (None, "", "all"):
        return list(SITES)
    names = value if isinstance(value, list) else str(value).split(",")
    if not all(isinstance(n, str) for n in names):
        raise InvalidInput("sources", "must be site names")
    names = [n.strip().lower() for n in names if n.strip()]
    unknown = [n for n in names if n not in SITES]
    if unknown or not names:
        raise InvalidInput("sources", f"unknown site {', '.join(unknown) or '(none)'}; known: {', '.join(SITES)}")
    return list(dict.fromkeys(names))


def parse_start(params: Mapping[str, Any]) -> tuple[SearchQuery, list[str]]:
    """(query, sources) from query-string or JSON parameters."""
    values = {field: _first(params, names) for field, names in ALIASES.items()}
    for field, names in ALIASES.items():
        if values[field] is None:
            raise InvalidInput(names[0], "is required")
        if not isinstance(values[field], str):
            raise InvalidInput(names[0], "must be a string")
    extra = {}
    for name in ("adults", "children", "infants", "cabin"):
        if params.get(name) not in (None, ""):
            extra[name] = params[name] if isinstance(params[name], str | int) and not isinstance(params[name], bool) \
                else "invalid"
    try:
        query = SearchQuery.parse(values["origin"], values["destination"], values["date"], **extra)
    except QueryError as exc:
        public = {"origin": "from", "destination": "to", "date": "travel_date"}.get(exc.field, exc.field)
        raise InvalidInput(public, exc.reason) from None
    return query, parse_sources(params.get("sources"))


def parse_task_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput("task_id", "is not a task id (a UUID)") from None


MAX_AIRPORT_QUERY = 60
MAX_AIRPORT_RESULTS = 20


def parse_airport_query(params: Mapping[str, Any]) -> tuple[str, int]:
    """(text, limit) for the airport search: bounded, printable text; at most 20 results."""
    text = " ".join(str(params.get("q") or "").split())
    if not text:
        raise InvalidInput("q", "is required (an IATA code, city or airport name)")
    if len(text) > MAX_AIRPORT_QUERY:
        raise InvalidInput("q", f"must be at most {MAX_AIRPORT_QUERY} characters")
    if not all(c.isalnum() or c in " .,'()-/" for c in text):
        raise InvalidInput("q", "may hold letters, digits, spaces and . , ' ( ) - / only")
    raw_limit = params.get("limit") or "8"
    try:
        limit = int(raw_limit)
    except ValueError:
        raise InvalidInput("limit", f"{raw_limit!r} is not a whole number") from None
    if not 1 <= limit <= MAX_AIRPORT_RESULTS:
        raise InvalidInput("limit", f"must be between 1 and {MAX_AIRPORT_RESULTS}, got {limit}")
    return text, limit
