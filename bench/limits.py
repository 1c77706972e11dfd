"""What the benchmarks lift, and why, in one place.

The benchmarks measure flightcrawl, not its politeness or its abuse limits: every client runs on
this one machine (one address), and the sandbox has no rate limit here.
"""

# The API's per-client limits (30 starts a minute, 20 streams) would refuse a load generator.
# Identical searches are not shared (dedupe off): the load cycles a pool of searches whose
# answers the sandbox has built once, as a real site answers from its own caches, so the
# replica's CPU (on this machine, unlike a real site's) stays out of flightcrawl's figures.
API_ENV = {"FLIGHTCRAWL_START_RATE": "1000000/1", "FLIGHTCRAWL_MAX_STREAMS": "1000000",
           "FLIGHTCRAWL_DEDUPE_TTL": "0"}

# The spiders' per-site politeness (ixigo 1 request/s, AutoThrottle): `-s` for workers and embedded serve.
UNTHROTTLED = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=32")


def scrapy_args(settings: tuple[str, ...] = UNTHROTTLED) -> list[str]:
    return [arg for setting in settings for arg in ("-s", setting)]
