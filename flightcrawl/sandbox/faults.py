"""Sandbox configuration and the faults a test can switch on, per site.

Select a fault with SandboxConfig(faults={"mmt": "http500"}), `flightcrawl sandbox --fault
mmt=http500`, or at run time with `PUT /__sandbox__/config {"faults": {"mmt": "http500"}}`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler

FAULTS = {
    "slow": "stalls after the first bytes for `slow_seconds` (beyond any search deadline)",
    "http500": "HTTP 500 with an error page",
    "gate403": "HTTP 403 from the bot manager (Akamai / Cloudflare)",
    "rate429": "HTTP 429 with Retry-After",
    "challenge": "HTTP 200 with an HTML JavaScript challenge page instead of data",
    "malformed": "the data frame's JSON is broken",
    "cut": "the stream stops mid-frame (connection closed without its last bytes)",
    "empty": "a well-formed answer with zero flights",
    "reset": "the connection is closed before any response",
}


@dataclass
class SandboxConfig:
    faults: dict[str, str] = field(default_factory=dict)  # site -> fault name
    delays: dict[str, float] = field(default_factory=dict)  # site -> seconds before answering
    slow_seconds: float = 120.0
    rate_limit: bool = True  # the sites' own rate limits (ixigo about 1 request/second)
    density: int = 1  # flights per route multiplier (benchmarks: 100+ options per site)
    gates: bool = True  # the bot gates (Akamai cookie, Cloudflare clearance): see sandbox/gates.py
    session_seconds: float = 900.0  # how long a gate's cookie is good for
    gate_generation: int = 0  # change it to revoke every cookie issued so far

    def fault(self, site: str) -> str | None:
        return self.faults.get(site)

    def update(self, data: dict) -> None:
        faults = data.get("faults", self.faults)
        for site, fault in faults.items():
            if fault and fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r} for {site}; known: {', '.join(FAULTS)}")
        self.faults = {s: f for s, f in faults.items() if f}
        self.delays = {s: float(v) for s, v in data.get("delays", self.delays).items()}
        self.slow_seconds = float(data.get("slow_seconds", self.slow_seconds))
        self.rate_limit = bool(data.get("rate_limit", self.rate_limit))
        self.density = int(data.get("density", self.density))
        from flightcrawl.sandbox import catalog

        catalog.set_density(self.density)
        self.gates = bool(data.get("gates", self.gates))
        self.session_seconds = float(data.get("session_seconds", self.session_seconds))
        self.gate_generation = int(data.get("gate_generation", self.gate_generation))

    def to_dict(self) -> dict:
        return {"faults": self.faults, "delays": self.delays, "slow_seconds": self.slow_seconds,
                "rate_limit": self.rate_limit, "density": self.density, "gates": self.gates,
                "session_seconds": self.session_seconds, "gate_generation": self.gate_generation}


AKAMAI_DENIED = (
    "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n"
    "You don't have permission to access \"{path}\" on this server.<P>\n"
    "Reference&#32;&#35;18&#46;5a3c1002&#46;1764750000&#46;2f8b1c</BODY>\n</HTML>\n"
)
CLOUDFLARE_CHALLENGE = (
    "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title>"
    "<meta http-equiv=\"refresh\" content=\"390\"></head><body><div class=\"main-wrapper\">"
    "<h1>www.ixigo.com</h1><p>Verifying you are human. This may take a few seconds.</p>"
    "<script src=\"/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8e1\"></script>"
    "<noscript>Enable JavaScript and cookies to continue</noscript></div></body></html>"
)
AKAMAI_CHALLENGE = (
    "<!DOCTYPE html><html><head><title>{title}</title></head><body>"
    "<div id=\"sec-if-cpt-container\"><p>Please wait while we verify your browser (challenge)</p></div>"
    "<script src=\"/E3ikd27e0/akam/13/pixel_5c2d\" defer></script>"
    "<noscript>Please enable JavaScript to view the page content.</noscript></body></html>"
)
# AWS WAF (EaseMyTrip, sources.md §3.2): a block is a bare 403 from the load balancer; a
# challenge is HTTP 202 with a page that runs challenge.js to mint the aws-waf-token cookie.
AWS_WAF_DENIED = (
    "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n"
    "<center><h1>403 Forbidden</h1></center>\r\n</body>\r\n</html>\r\n"
)
AWS_WAF_CHALLENGE = (
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title></title>"
    "<script type=\"text/javascript\">window.awsWafCookieDomainList = [];"
    "window.gokuProps = {\"key\":\"AQIDAHjcYu/GjX+QlghicBg\",\"iv\":\"D549pgCGBgAAAK7c\",\"context\":\"sandbox\"};"
    "</script><script src=\"https://8c4a1f2b.edge.sdk.awswaf.com/8c4a1f2b/4d9e/challenge.js\"></script>"
    "</head><body><div id=\"challenge-container\"></div><script type=\"text/javascript\">"
    "AwsWafIntegration.saveReferrer();AwsWafIntegration.checkForceRefresh().then((forceRefresh) => {"
    "if (forceRefresh) {AwsWafIntegration.forceRefreshToken().then(() => {window.location.reload(true);});}"
    "else {AwsWafIntegration.getToken().then(() => {window.location.reload(true);});}});</script>"
    "<noscript><h1>JavaScript is disabled</h1>In order to continue, you need to verify that you're not a "
    "robot by solving a CAPTCHA puzzle.</noscript></body></html>"
)
ERROR_500 = (
    "<html><head><title>500 Internal Server Error</title></head>"
    "<body><h1>Internal Server Error</h1></body></html>"
)


ARRIVED = web.RequestKey("arrived", float)


@web.middleware
async def note_arrival(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[ARRIVED] = time.monotonic()
    return await handler(request)


async def answer_delay(config: SandboxConfig, site: str, request: web.Request) -> None:
    """Hold the answer until the site's delay has passed since the request arrived. The delay is
    the site's response time with the replica's own work inside it, so a benchmark's "site took
    300 ms" is 300 ms whatever the replica spent building the body."""
    if delay := config.delays.get(site):
        arrived = request.get(ARRIVED, time.monotonic())
        await asyncio.sleep(max(0.0, arrived + delay - time.monotonic()))


async def generic_fault(request: web.Request, fault: str, vendor: str,
                        title: str = "MakeMyTrip") -> web.StreamResponse | None:
    """The faults that look the same whatever the format; None for format-specific ones.

    `vendor` is the site's bot manager: "akamai", "awswaf", else Cloudflare; `title` is the
    site's name on an Akamai challenge page.
    """
    if fault == "reset":
        if request.transport is not None:
            request.transport.close()
        await asyncio.sleep(0.05)
        raise ConnectionResetError("sandbox: reset fault")
    if fault == "http500":
        return web.Response(status=500, text=ERROR_500, content_type="text/html")
    if fault == "gate403":
        if vendor == "awswaf":
            return web.Response(status=403, text=AWS_WAF_DENIED, content_type="text/html",
                                headers={"Server": "awselb/2.0"})
        if vendor == "akamai":
            return web.Response(status=403, text=AKAMAI_DENIED.format(path=request.path),
                                content_type="text/html", headers={"Server": "AkamaiGHost"})
        return web.Response(status=403, text=CLOUDFLARE_CHALLENGE.replace("Just a moment...",
                            "Attention Required! | Cloudflare"), content_type="text/html",
                            headers={"Server": "cloudflare", "cf-mitigated": "challenge"})
    if fault == "rate429":
        return web.json_response({"errors": [{"message": "Too many requests"}]}, status=429,
                                 headers={"Retry-After": "5"})
    if fault == "challenge":
        if vendor == "awswaf":
            return web.Response(status=202, text=AWS_WAF_CHALLENGE, content_type="text/html",
                                headers={"x-amzn-waf-action": "challenge"})
        page = AKAMAI_CHALLENGE.format(title=title) if vendor == "akamai" else CLOUDFLARE_CHALLENGE
        return web.Response(status=200, text=page, content_type="text/html")
    return None


class RateLimiter:
    """A token bucket per client address: `rate` requests a second, bursts of `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, tuple[float, float]] = {}

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        tokens, last = self.buckets.get(client, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            self.buckets[client] = (tokens, now)
            return False
        self.buckets[client] = (tokens - 1, now)
        return True
