"""flightcrawl's own Scrapy signals."""

# Sent once per job with `status` (a SourceStatus) and `job` when a site's part in a search is final.
source_done = object()

# Sent by a spider whenever one of its jobs may have become settled (`job`: a SearchJob).
job_progress = object()
