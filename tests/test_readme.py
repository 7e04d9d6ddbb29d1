"""The README opens with the two commands, and CI runs the second one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_starts_with_the_run_and_the_test_command() -> None:
    run, test = _commands()[:2]
    assert "feedback serve --demo" in run
    assert "pytest" in test and "'.[test]'" in test


def test_ci_runs_the_readmes_test_command() -> None:
    assert _commands()[1] in (ROOT / ".ci" / "run").read_text()
