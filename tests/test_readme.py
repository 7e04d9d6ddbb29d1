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


def test_ci_runs_the_readmes_first_command_verbatim_without_test_extras() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    run = _commands()[0]
    assert f"readme_run='{run}'" in ci
    assert 'python3 .ci/smoke.py demo "$smoke" "$readme_run"' in ci
    assert "[test]" not in run
    assert "deptry ." in ci and ci.count("pip\" check") + ci.count("pip check") >= 2


def test_the_guides_screenshots_exist_and_come_from_the_browser_journey() -> None:
    guide = (ROOT / "docs" / "guide.md").read_text()
    shown = re.findall(r"\]\(img/([\w-]+)\.png\)", guide)
    browser_tests = [ROOT / "tests/browser/test_journey_browser.py", ROOT / "tests/browser/test_guide_browser.py"]
    taken = {name for path in browser_tests for name in re.findall(r'_shot\([^,]+, "([\w-]+)"', path.read_text())}
    assert len(shown) >= 10 and set(shown) <= taken, set(shown) - taken
    assert all((ROOT / "docs" / "img" / f"{name}.png").stat().st_size > 10_000 for name in shown)
    assert "(docs/guide.md)" in (ROOT / "README.md").read_text()
