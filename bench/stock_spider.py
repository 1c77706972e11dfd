"""Stock scrapy-redis, for comparison: a RedisSpider that reads its queue on the engine's idle
heartbeat, exactly as shipped (no flightcrawl code). Run by bench/pickup.py."""

from scrapy_redis.spiders import RedisSpider


class StockSpider(RedisSpider):
    name = "stock"

    def parse(self, response):  # noqa: ANN001, ANN201 - the stock example's shape
        yield {"url": response.url}
