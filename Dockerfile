# One image for every role: the API (`flightcrawl serve`), a site worker (`flightcrawl worker <site>`)
# and the sandbox (`flightcrawl sandbox`). Debian's Chromium serves the browser-path sites.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt pyproject.toml README.md scrapy.cfg ./
COPY flightcrawl ./flightcrawl
RUN pip install --no-cache-dir -r requirements.txt && pip install --no-cache-dir --no-deps .

ENV PYTHONUNBUFFERED=1 \
    SCRAPY_SETTINGS_MODULE=flightcrawl.settings \
    FLIGHTCRAWL_CHROMIUM=/usr/lib/chromium/chromium
RUN useradd --create-home flightcrawl
USER flightcrawl
CMD ["flightcrawl", "serve", "--host", "0.0.0.0", "--port", "8080"]
