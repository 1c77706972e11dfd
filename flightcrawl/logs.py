"""Structured logs (one JSON object a line, the task id on every line about a search) and redaction.

`FLIGHTCRAWL_LOG_FORMAT=json` (or `text`, the default) picks the format of `flightcrawl serve` and
`flightcrawl worker`. Either way every line passes through `redact()`, so a cookie, a proxy's or
Redis URL's password, or a credential-like setting never reaches a log, whatever logged it.

The task id of a line comes, first found: from `extra={"task_id": ...}`; from the context
variable the API sets while it handles a search's request; from the Scrapy request or response
the line is about (its `meta["flightcrawl_task"]`); from a task id (a UUID) in the message.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import time
from collections import OrderedDict
from typing import Any

URL_TASKS: OrderedDict[str, str] = OrderedDict()  # recent request URLs -> their task id
URL_TASKS_KEPT = 5000
REQUEST_IN_TEXT = re.compile(r"<(?:GET|POST|PUT|HEAD|DELETE|PATCH|OPTIONS|\d{3}) (\S+?)>")
TASK_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("flightcrawl_task_id", default=None)
UUID_RE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
MASK = "***"

# What a secret looks like in text: the password of a URL's userinfo, a cookie or authorization
# header's value, and the value of any NAME=value / "name": value whose name says credential.
_SECRET_PATTERNS = [
    (re.compile(r"(?P<keep>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'\"]*:)[^@\s/'\"]+(?=@)"), r"\g<keep>" + MASK),
    (re.compile(r"(?im)(?P<keep>\b(?:set-)?cookie\b['\"]?\s*[:=]\s*['\"]?)[^\n'\"]+"), r"\g<keep>" + MASK),
    (re.compile(r"(?i)(?P<keep>\b(?:proxy-)?authorization\b['\"]?\s*[:=]\s*['\"]?)[^\n'\",}]+"), r"\g<keep>" + MASK),
    (re.compile(r"(?i)(?P<keep>\b[A-Z0-9_.-]*(?:_PROXY|PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|CREDENTIALS?)\b['\"]?"
                r"\s*[:=]\s*['\"]?)[^\s'\",}]+"), r"\g<keep>" + MASK),
]


def redact(text: str) -> str:
    """`text` with every secret-looking value replaced by ***."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _meta_task(value: Any) -> str | None:
    meta = getattr(value, "meta", None)
    if meta is None:
        return None
    try:
        task = meta.get("flightcrawl_task")
    except AttributeError:  # a response whose request is gone raises on .meta access
        return None
    return task if isinstance(task, str) else None


def task_of(record: logging.LogRecord, message: str) -> str | None:
    """The task id a record is about, if any (see the module docstring)."""
    explicit = getattr(record, "task_id", None) or TASK_ID.get()
    if explicit:
        return explicit
    args = record.args if isinstance(record.args, dict) else {}
    for value in (*args.values(), *(record.args if isinstance(record.args, tuple) else ())):
        if task := _meta_task(value):
            return task
    match = UUID_RE.search(message)
    if match:
        return match.group(0)
    for url in REQUEST_IN_TEXT.findall(message):  # e.g. Scrapy's cookie and retry lines name only the request
        if task := URL_TASKS.get(url):
            return task
    return None


class TaskIdFilter(logging.Filter):
    """Puts `record.task_id` on every record (None when the line is about no search)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not drop the line
            message = str(record.msg)
        record.task_id = task_of(record, message)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, task_id, message (redacted), exception."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        task = getattr(record, "task_id", None) or task_of(record, message)
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname, "logger": record.name, "task_id": task, "message": redact(message)}
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    """The text format, with the task id after the level and every secret masked."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "task_id"):
            TaskIdFilter().filter(record)
        record.task = f" [{record.task_id}]" if record.task_id else ""
        return redact(super().format(record))


TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s%(task)s: %(message)s"


def log_format() -> str:
    return "json" if os.environ.get("FLIGHTCRAWL_LOG_FORMAT", "text").strip().lower() == "json" else "text"


def install(fmt: str | None = None) -> None:
    """Put the chosen formatter and the task-id filter on every root handler (call after Scrapy's setup)."""
    formatter = JsonFormatter() if (fmt or log_format()) == "json" else RedactingFormatter(TEXT_FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
        if not any(isinstance(f, TaskIdFilter) for f in handler.filters):
            handler.addFilter(TaskIdFilter())


def setup(level: str | int = "INFO", filename: str | None = None) -> logging.Handler:
    """The root handler of a process whose logging Scrapy must not set up (so its first lines, the
    settings it was given included, are already structured and redacted)."""
    handler: logging.Handler = logging.FileHandler(filename, encoding="utf-8") if filename \
        else logging.StreamHandler()
    handler.setLevel(level)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    install()
    return handler


class TaskLogMiddleware:
    """Downloader middleware: remembers which task each URL is fetched for, so a log line that
    names only the request (Scrapy's cookie, retry and redirect lines) still gets its task id."""

    def process_request(self, request: Any, spider: Any = None) -> None:
        self._remember(request.url, request.meta.get("flightcrawl_task"))

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        self._remember(response.url, request.meta.get("flightcrawl_task"))
        return response

    @staticmethod
    def _remember(url: str, task: Any) -> None:
        if isinstance(task, str):
            URL_TASKS[url] = task
            URL_TASKS.move_to_end(url)
            while len(URL_TASKS) > URL_TASKS_KEPT:
                URL_TASKS.popitem(last=False)
