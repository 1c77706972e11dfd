"""Scrapy's feed export (`scrapy crawl mmt -O out.json`) with one record per option.

The spiders hand each response's options on as one OptionBatch item (items.py says why); a
person debugging a site wants the options themselves in the file, as before.
"""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.extensions.feedexport import FeedExporter

from flightcrawl.items import OptionBatch


class OptionFeedExporter(FeedExporter):
    def item_scraped(self, item: Any, spider: Spider) -> None:
        for option in item.options if isinstance(item, OptionBatch) else [item]:
            super().item_scraped(option, spider)
