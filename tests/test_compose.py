"""docker-compose.yml and the Dockerfile, checked with what runs here (no Docker engine):
the services run the very commands the tests start, every site has its worker, and every
service but the demo sandbox has a health check that is a real flightcrawl command."""

import json

import yaml

from flightcrawl.cli import build_parser
from flightcrawl.sites import SITES
from tests.conftest import REPO


def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_a_worker_service_per_site_running_flightcrawl_worker():
    services = compose()["services"]
    for site in SITES:
        assert services[site]["command"] == ["flightcrawl", "worker", site]
        assert services[site]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert services[site]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_commands_and_health_checks_parse_as_flightcrawl_commands():
    parser = build_parser()
    for name, service in compose()["services"].items():
        if name == "redis":
            continue
        command = service["command"]
        assert command[0] == "flightcrawl"
        parser.parse_args(command[1:])  # raises SystemExit on a command the CLI does not take
        if name != "sandbox":
            check = service["healthcheck"]["test"]
            assert check[0] == "CMD" and check[1] == "flightcrawl"
            parser.parse_args(check[2:])


def test_api_serves_in_distributed_mode_on_all_interfaces():
    api = compose()["services"]["api"]
    assert api["command"] == ["flightcrawl", "serve", "--host", "0.0.0.0", "--port", "8080"]
    assert "REDIS_URL" in api["environment"]


def test_dockerfile_installs_the_project_and_chromium():
    text = (REPO / "Dockerfile").read_text()
    assert "apt-get install" in text and "chromium" in text
    assert "pip install --no-cache-dir -r requirements.txt" in text
    cmd = json.loads(next(line for line in text.splitlines() if line.startswith("CMD"))[3:])
    assert cmd[:3] == ["flightcrawl", "serve", "--host"]
