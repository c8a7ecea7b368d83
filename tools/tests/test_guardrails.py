"""The checks that guard main run where they should: CI runs `make lint`, and the pre-commit hooks
are local (the workspace's pinned tools, nothing fetched) and run what `make lint` runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def _make_recipe(target: str) -> str:
    makefile = (REPO / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert match, f"no {target} target"
    return match.group(1)


def test_ci_runs_lint_before_the_tests() -> None:
    steps = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert steps.index("make lint") < steps.index("make test")


def test_pre_commit_hooks_are_local_and_run_what_make_lint_runs() -> None:
    config_path = REPO / ".pre-commit-config.yaml"
    validated = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(config_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    config = yaml.safe_load(config_path.read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    hooks = {hook["id"]: hook for hook in config["repos"][0]["hooks"]}
    assert {hook["language"] for hook in hooks.values()} == {"system"}
    lint = _make_recipe("lint")
    mypy_targets = re.search(r"mypy (.+)", lint)
    assert mypy_targets and hooks["mypy"]["entry"].endswith(mypy_targets.group(1).strip())
    assert "lint-imports" in lint and hooks["import-rules"]["entry"].endswith("lint-imports")
    assert {"ruff", "ruff-format"} <= hooks.keys()
