"""Distributed mode: spider workers fed from Redis queues, events in Redis Streams.

One small module per role, in the manner of scrapy-redis: `defaults`, `connection`, `keys`,
`queue` (jobs and leases), `events` (the per-search log), `tasks` (creation, statuses,
TOTAL exactly once), `spiders` (the worker mixin on scrapy-redis's RedisMixin).
"""
