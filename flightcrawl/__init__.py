"""flightcrawl: one search, every Indian travel site, clubbed by flight number."""

__version__ = "0.1.0"
