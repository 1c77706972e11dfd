"""One spider per site. Each builds its site's real requests (from `flightcrawl.sites`) and
hands response bytes to that site's pure parser (`flightcrawl.parsers`)."""
