"""The API's OpenAPI 3.1 description, served at GET /api/openapi.json (tests fuzz the API from it)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from flightcrawl.query import CABINS
from flightcrawl.sites import SITES

_IATA = {"type": "string", "pattern": "^[A-Za-z]{3}$", "description": "an airport's IATA code, e.g. DEL"}
_DATE = {"type": "string", "description": "YYYY-MM-DD, or +N for N days from today (today to 365 days ahead)",
         "examples": ["2026-12-20", "+30"]}
_COUNT = {"type": "integer", "minimum": 0, "maximum": 9}
_SOURCES = {"type": "string", "description": f"comma-separated sites, or all; known: {', '.join(SITES)}",
            "examples": ["mmt,ixigo", "all"]}
_TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}

START_FIELDS: dict[str, dict[str, Any]] = {
    "from": _IATA, "to": _IATA, "travel_date": _DATE,
    "adults": {**_COUNT, "minimum": 1, "default": 1}, "children": {**_COUNT, "default": 0},
    "infants": {**_COUNT, "default": 0},
    "cabin": {"type": "string", "enum": list(CABINS), "default": "economy"},
    "sources": _SOURCES,
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


ERRORS = {
    "400": _error("a parameter is invalid: `field` names it"),
    "413": _error("the body is larger than 16 KB"),
    "429": _error("a per-client limit: searches started, or open streams"),
    "503": _error("the search backend (Redis) is unavailable"),
}


def spec() -> dict[str, Any]:
    start_params = [{"name": name, "in": "query", "required": name in ("from", "to", "travel_date"),
                     "schema": schema} for name, schema in START_FIELDS.items()]
    started = {"description": "the search's task id (`new` is false when an identical search is shared)",
               "content": {"application/json": {"schema": {
                   "type": "object", "required": ["task_id", "new"],
                   "properties": {"task_id": {"type": "string", "format": "uuid"}, "new": {"type": "boolean"}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "flightcrawl", "version": "0.1.0",
                 "description": "Start a flight search over Indian travel sites, stream its events, read its result."},
        "paths": {
            "/api/flight/start": {
                "get": {"operationId": "startSearchGet", "parameters": start_params,
                        "responses": {"200": started, **ERRORS}},
                "post": {"operationId": "startSearchPost",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "required": ["from", "to", "travel_date"],
                             "properties": {**START_FIELDS, "sources": {"oneOf": [
                                 _SOURCES, {"type": "array", "items": {"type": "string", "enum": list(SITES)}}]}},
                         }}}},
                         "responses": {"200": started, **ERRORS}},
            },
            "/api/flight/stream/{task_id}": {"get": {
                "operationId": "streamSearch",
                "parameters": [_TASK_ID, {"name": "Last-Event-ID", "in": "header", "required": False,
                                          "schema": {"type": "string"}},
                               {"name": "last_event_id", "in": "query", "required": False,
                                "schema": {"type": "string"}}],
                "responses": {"200": {"description": "Server-sent events: progress, partial, source_done, then "
                                                     "one TOTAL; the stream then closes",
                                      "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                              "404": _error("no such search"), **ERRORS}}},
            "/api/flight/result/{task_id}": {"get": {
                "operationId": "searchResult", "parameters": [_TASK_ID],
                "responses": {"200": {"description": "statuses, options so far, TOTAL once done",
                                      "content": {"application/json": {"schema": {"type": "object"}}}},
                              "404": _error("no such search"), **ERRORS}}},
            "/api/sources": {"get": {"operationId": "sources", "responses": {
                "200": {"description": "per site: live workers, queue, recent success rate and latency",
                        "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/healthz": {"get": {"operationId": "health", "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}},
                "503": ERRORS["503"]}}},
            "/metrics": {"get": {"operationId": "metrics", "responses": {
                "200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {
                    "type": "string"}}}}}}},
            "/api/openapi.json": {"get": {"operationId": "openapi", "responses": {
                "200": {"description": "this document",
                        "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        },
        "components": {"schemas": {"Error": {
            "type": "object", "required": ["error", "message"],
            "properties": {"error": {"type": "string", "description": "a code, e.g. invalid_parameter"},
                           "field": {"type": "string", "description": "the parameter at fault (400s)"},
                           "message": {"type": "string"}}}}},
    }


async def openapi_handler(request: web.Request) -> web.Response:
    return web.json_response(spec())
