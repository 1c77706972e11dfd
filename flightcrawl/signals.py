"""flightcrawl's own Scrapy signals."""

# Sent once per spider run with `status` (a SourceStatus) when the site's part is final.
source_done = object()
