"""The aiohttp service: start a search, stream its events (SSE), poll its result.

`create_app(backend)` is the application factory; the backend is embedded (spiders in this
process, events in memory) or distributed (Redis queues and streams, spider workers apart).
"""
