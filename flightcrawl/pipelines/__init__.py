"""Item pipelines: normalize (site spellings -> canonical), validate (drop with a counted
reason), publish. Wired in settings.ITEM_PIPELINES; each reads only the item and its spider's query.

Items are OptionBatch (one site response's options); a pipeline keeps or drops each option of a
batch on its own, counting and logging each drop by reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from flightcrawl.items import OptionBatch

logger = logging.getLogger(__name__)


class Dropped(DropItem):
    """An option removed for a stated reason; counted in the crawl stats by that reason."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason


def count_drop(stats: StatsCollector, stage: str, reason: str) -> None:
    # Keep the stat key short and stable: the field name, not the offending value.
    key = reason.split(":", 1)[0].strip().replace(" ", "_")
    stats.inc_value(f"flightcrawl/dropped/{stage}/{key}")
    stats.inc_value("flightcrawl/dropped")


def keep_valid(batch: OptionBatch, stage: str, stats: StatsCollector, convert: Callable[[object], object]) -> None:
    """Replace each option of the batch by `convert(option)`; an option for which it raises
    Dropped is removed, counted by reason and logged (as Scrapy logs a dropped item)."""
    kept = []
    for option in batch.options:
        try:
            kept.append(convert(option))
        except Dropped as exc:
            count_drop(stats, exc.stage, exc.reason)
            batch.dropped += 1
            logger.warning("Dropped: %s", exc, extra={"task_id": batch.task_id})
    batch.options = kept
