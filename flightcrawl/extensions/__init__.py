"""Scrapy extensions, each enabled in settings.EXTENSIONS."""
