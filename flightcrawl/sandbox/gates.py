"""The sites' bot gates, replicated (on by default: the default path is the realistic one).

Akamai (MakeMyTrip, Goibibo; shared/sources.md §1.2, §6): the home page's script runs a sensor
(it refuses a browser that says `navigator.webdriver`), posts it, and writes the `_abck`
cookie through JavaScript. Without a valid `_abck` the search API answers 403 from
`AkamaiGHost` and a cold listing page is a tiny "200-OK" stub; with it the listing page is
the app, whose own script calls the stream API.

Cloudflare (ixigo, §2.2): without a valid `cf_clearance` every page and the API answer 403
with the "Just a moment..." challenge; the challenge page's script solves a small puzzle,
posts it, writes `cf_clearance` through JavaScript and reloads. The clearance is bound to
the User-Agent that solved it and expires after `session_seconds`.

Cookies are HMAC-signed with a fixed secret, so a cookie one sandbox process issued is good
on another (as a site's cookie is good on all its edges) until it expires; changing
`gate_generation` (PUT /__sandbox__/config) revokes every cookie issued before, as a site
rotating its keys would. The sandbox speaks plain HTTP on loopback, so the TLS fingerprint
Cloudflare also binds the clearance to cannot be checked here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from aiohttp import web

from flightcrawl.sandbox.faults import AKAMAI_DENIED, CLOUDFLARE_CHALLENGE, SandboxConfig

SECRET = b"flightcrawl-sandbox-gates"
AKAMAI_COOKIE = "_abck"
CLOUDFLARE_COOKIE = "cf_clearance"
SENSOR_PATH = "/E3ikd27e0/akam/13/sensor"
CHALLENGE_PATH = "/cdn-cgi/challenge-platform/h/g/flow"


def _mac(config: SandboxConfig, site: str, expiry: int, bound_to: str) -> str:
    message = f"{site}|{expiry}|{config.gate_generation}|{bound_to}".encode()
    return hmac.new(SECRET, message, hashlib.sha256).hexdigest()[:32]


def issue(config: SandboxConfig, site: str, bound_to: str = "") -> str:
    expiry = int((time.time() + config.session_seconds) * 1000)  # epoch milliseconds
    return f"{expiry}~{_mac(config, site, expiry, bound_to)}"


def refusal(config: SandboxConfig, site: str, token: str | None, bound_to: str = "") -> str | None:
    """Why `token` does not pass the gate (None when it does)."""
    if not token:
        return "no cookie"
    expiry_text, _, mac = token.partition("~")
    if not expiry_text.isdigit():
        return "malformed cookie"
    if not hmac.compare_digest(mac, _mac(config, site, int(expiry_text), bound_to)):
        return "cookie not issued to this client (User-Agent) or revoked"
    if int(expiry_text) <= time.time() * 1000:
        return "cookie expired"
    return None


def cookie_of(request: web.Request, name: str) -> str | None:
    return request.cookies.get(name)


# --- Akamai --------------------------------------------------------------------------------

def akamai_refusal(config: SandboxConfig, site: str, request: web.Request) -> str | None:
    if not config.gates:
        return None
    return refusal(config, site, cookie_of(request, AKAMAI_COOKIE))


def akamai_denied(request: web.Request) -> web.Response:
    return web.Response(status=403, text=AKAMAI_DENIED.format(path=request.path), content_type="text/html",
                        headers={"Server": "AkamaiGHost"})


AKAMAI_HOME = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__ - Flights, Hotels, Holidays</title></head>
<body><header><h1>__TITLE__</h1></header><main id="root"><p>Book flights, hotels and holidays</p></main>
<script>
(function () {
  // The bot manager's sensor: what it reads of the browser, posted to a rotating path.
  var sensor = {webdriver: navigator.webdriver === true, ua: navigator.userAgent,
                screen: [screen.width, screen.height], plugins: navigator.plugins.length, t: Date.now()};
  fetch("__SENSOR__", {method: "POST", headers: {"Content-Type": "text/plain"},
                       body: JSON.stringify({sensor_data: btoa(JSON.stringify(sensor))})})
    .then(function (r) { return r.json(); })
    .then(function (answer) {
      if (answer.abck) {
        document.cookie = "_abck=" + answer.abck + "; path=/; max-age=" + answer.maxAge;
      }
    });
})();
</script></body></html>
"""

# The listing page (the app). Its script calls the stream API itself, as the real page does;
# the sandbox fills in the call it makes (__CALL__: URL and headers).
AKAMAI_APP = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__TITLE__ | Flight search</title></head>
<body><div id="root"><div class="loader">Hold on, we are fetching flights</div></div>
<script>
(function () {
  var call = __CALL__;
  fetch(call.url, {headers: call.headers, credentials: "include"})
    .then(function (r) { return r.text().then(function (text) { return [r.status, text]; }); })
    .then(function (answer) {
      document.getElementById("root").innerHTML = answer[0] === 200
        ? '<div class="listing" data-frames="' + (answer[1].match(/\\nevent: response\\n/g) || []).length + '"></div>'
        : '<div class="error">NETWORK PROBLEM</div>';
    })
    .catch(function () { document.getElementById("root").innerHTML = '<div class="error">NETWORK PROBLEM</div>'; });
})();
</script></body></html>
"""


def akamai_home(config: SandboxConfig, site: str, title: str, prefix: str) -> list[web.RouteDef]:
    """The home page (sensor script) and the sensor endpoint of the site served under `prefix`."""

    async def home(request: web.Request) -> web.Response:
        page = AKAMAI_HOME.replace("__TITLE__", title).replace("__SENSOR__", prefix + SENSOR_PATH)
        return web.Response(text=page, content_type="text/html", headers={"Server": "AkamaiGHost"})

    async def sensor(request: web.Request) -> web.Response:
        try:
            data = json.loads(await request.text())
            reading = json.loads(base64.b64decode(data["sensor_data"]))
        except (ValueError, KeyError, TypeError):
            return web.json_response({"success": False}, status=400)
        if reading.get("webdriver"):  # an automated browser that does not hide it
            return web.json_response({"success": False}, headers={"Server": "AkamaiGHost"})
        return web.json_response({"success": True, "abck": issue(config, site),
                                  "maxAge": int(config.session_seconds)}, headers={"Server": "AkamaiGHost"})

    return [web.get(prefix + "/", home), web.post(prefix + SENSOR_PATH, sensor)]


def akamai_app_page(config: SandboxConfig, site: str, title: str, request: web.Request,
                    url: str, headers: dict[str, str]) -> web.Response:
    """The listing page: a cold visit (no valid `_abck`) gets the "200-OK" stub (§1.2)."""
    if akamai_refusal(config, site, request):
        return web.Response(text="200-OK", content_type="text/plain", headers={"Server": "AkamaiGHost"})
    # A browser sets User-Agent, Origin and Referer itself; fetch() may not.
    sent = {k: v for k, v in headers.items() if k.lower() not in ("user-agent", "origin", "referer")}
    call = json.dumps({"url": url, "headers": sent}).replace("</", "<\\/")
    page = AKAMAI_APP.replace("__TITLE__", title).replace("__CALL__", call)
    return web.Response(text=page, content_type="text/html", headers={"Server": "AkamaiGHost",
                                                                      "Cache-Control": "no-store"})


# --- Cloudflare ----------------------------------------------------------------------------

CLOUDFLARE_SOLVER = """<script>
(function () {
  // The managed challenge: a small puzzle only a script solves, then the clearance cookie.
  var seed = __SEED__, answer = 0;
  for (var i = 0; i < 5000; i++) { answer = (answer * 31 + seed + i) % 1000003; }
  fetch("__FLOW__", {method: "POST", headers: {"Content-Type": "application/json"},
                     body: JSON.stringify({seed: seed, answer: answer})})
    .then(function (r) { return r.json(); })
    .then(function (result) {
      if (result.cf_clearance) {
        document.cookie = "cf_clearance=" + result.cf_clearance + "; path=/; max-age=" + result.maxAge;
        location.reload();
      }
    });
})();
</script>"""


def puzzle(seed: int) -> int:
    answer = 0
    for i in range(5000):
        answer = (answer * 31 + seed + i) % 1000003
    return answer


def cloudflare_refusal(config: SandboxConfig, site: str, request: web.Request) -> str | None:
    if not config.gates:
        return None
    return refusal(config, site, cookie_of(request, CLOUDFLARE_COOKIE), request.headers.get("User-Agent", ""))


def cloudflare_challenge(prefix: str) -> web.Response:
    seed = int(time.time() * 1000) % 100000
    solver = CLOUDFLARE_SOLVER.replace("__SEED__", str(seed)).replace("__FLOW__", prefix + CHALLENGE_PATH)
    page = CLOUDFLARE_CHALLENGE.replace("</body>", solver + "</body>")
    return web.Response(status=403, text=page, content_type="text/html",
                        headers={"Server": "cloudflare", "cf-mitigated": "challenge"})


IXIGO_HOME = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ixigo - Flights, Trains, Buses</title></head>
<body><main id="app"><h1>ixigo</h1><p>Search flights</p></main></body></html>
"""


def cloudflare_routes(config: SandboxConfig, site: str, prefix: str) -> list[web.RouteDef]:
    """The home page behind the challenge, and the challenge's answer endpoint."""

    async def home(request: web.Request) -> web.Response:
        if cloudflare_refusal(config, site, request):
            return cloudflare_challenge(prefix)
        return web.Response(text=IXIGO_HOME, content_type="text/html", headers={"Server": "cloudflare"})

    async def flow(request: web.Request) -> web.Response:
        try:
            data = await request.json()
            solved = int(data["answer"]) == puzzle(int(data["seed"]))
        except (ValueError, KeyError, TypeError):
            solved = False
        if not solved:
            return web.json_response({"success": False}, status=403, headers={"Server": "cloudflare"})
        token = issue(config, site, request.headers.get("User-Agent", ""))
        return web.json_response({"success": True, "cf_clearance": token, "maxAge": int(config.session_seconds)},
                                 headers={"Server": "cloudflare"})

    return [web.get(prefix + "/", home), web.post(prefix + CHALLENGE_PATH, flow)]
