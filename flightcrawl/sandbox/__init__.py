"""The sandbox: each real site reproduced on loopback (URLs, parameters, header gates, rate
limits, challenge pages, response formats), serving one deterministic flight catalog in
which the same physical flight appears on several sites, each in its own spelling.

Spiders run unchanged against it; only FLIGHTCRAWL_HOST_MAP differs.
"""
