"""The README's first two commands are the ones that work: CI runs the test command verbatim."""

import re

from tests.conftest import REPO


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    return re.findall(r"```(?:bash|sh)\n(.+?)\n```", text, re.DOTALL)[:2]


def test_readme_starts_with_run_and_test_commands():
    run, test = readme_commands()
    assert "flightcrawl search" in run and "--sandbox" in run
    assert "pytest" in test


def test_ci_runs_the_readme_test_command():
    _, test = readme_commands()
    assert test in (REPO / ".ci" / "run").read_text().splitlines()
