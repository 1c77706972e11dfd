"""Item pipelines: normalize (site spellings -> canonical), validate (drop with a counted
reason). Wired in settings.ITEM_PIPELINES; each reads only the item and its spider's query."""

from __future__ import annotations

from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector


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
