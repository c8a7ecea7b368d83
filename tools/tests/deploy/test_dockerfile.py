"""The Dockerfile: hadolint (a real Dockerfile linter, from its wheel), the properties the
production shape relies on, and its two uv layers replayed here without an engine."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from .conftest import REPO, venv_binary

DOCKERFILE = REPO / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions():
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, rest))
    return found


def assert_hadolint_finds_nothing(dockerfile: Path) -> None:
    result = subprocess.run(
        [str(venv_binary("hadolint")), "--failure-threshold", "info", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_finds_nothing() -> None:
    assert_hadolint_finds_nothing(DOCKERFILE)


def test_hadolint_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get install curl\n")
    result = subprocess.run(
        [str(venv_binary("hadolint")), str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0


def test_multi_stage_on_a_slim_base_with_a_non_root_runtime() -> None:
    all_stages = stages()
    assert len(all_stages) >= 3
    runtime = all_stages[-1]
    assert "slim" in DOCKERFILE.read_text().split("ARG PYTHON_IMAGE=")[1].split()[0]
    users = [rest for keyword, rest in runtime if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert any(keyword == "HEALTHCHECK" and "CMD" in rest for keyword, rest in runtime)
    # The runtime copies the built environment; it never runs uv or a compiler.
    assert not any(keyword == "RUN" and "uv " in rest for keyword, rest in runtime)
    assert any(keyword == "COPY" and "--from=build" in rest for keyword, rest in runtime)


def test_dependencies_are_installed_before_the_sources_are_copied() -> None:
    build = stages()[1]
    syncs = [i for i, (keyword, rest) in enumerate(build) if keyword == "RUN" and "uv sync" in rest]
    copy_all = next(i for i, (keyword, rest) in enumerate(build) if keyword == "COPY" and rest == ". .")
    assert len(syncs) == 2
    first, second = (build[i][1] for i in syncs)
    assert syncs[0] < copy_all < syncs[1]
    for command in (first, second):
        assert "--frozen" in command and "--no-dev" in command and "--package" in command
    assert "--no-install-workspace" in first


def workspace_members() -> list[str]:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    members: list[str] = pyproject["tool"]["uv"]["workspace"]["members"]
    return members


def test_the_dependency_layer_copies_every_members_pyproject() -> None:
    """uv sync --frozen needs every workspace member's pyproject.toml; a new member must be added."""
    copied = {
        rest.split()[0] for keyword, rest in stages()[1] if keyword == "COPY" and "pyproject.toml" in rest
    }
    assert {f"{member}/pyproject.toml" for member in workspace_members()} <= copied


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    for entry in (".env", ".venv", ".git", ".run", "**/__pycache__", "**/tests"):
        assert entry in ignored


# Two packages: the tools image (seed, emulators) is the one with more than one member.
@pytest.mark.parametrize("packages", ["crowdify-tools crowdify-event-svc"])
def test_the_two_uv_layers_install_from_the_lock_alone_then_the_sources(
    tmp_path: Path, packages: str
) -> None:
    """Replays the build stage's uv commands in a scratch directory holding only what the
    Dockerfile copies at each step (packages come from uv's cache, as in a warm build)."""
    uv = shutil.which("uv")
    assert uv is not None
    context = tmp_path / "app"
    context.mkdir()
    for keyword, rest in stages()[1]:
        if keyword == "COPY" and rest != ". ." and "--from" not in rest:
            *copied, _target = rest.split()
            for source in copied:
                (context / source).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(REPO / source, context / source)
    # uv itself needs the caller's environment (PATH, HOME, its cache); only the target changes.
    inherited = dict(os.environ)  # noqa: TID251
    env = {**inherited, "UV_PROJECT_ENVIRONMENT": str(context / ".venv"), "UV_PYTHON_DOWNLOADS": "never"}
    env["UV_LINK_MODE"] = "symlink"  # a scratch environment: no need to copy out of the cache
    env.pop("VIRTUAL_ENV", None)
    flags = [arg for package in packages.split() for arg in ("--package", package)]
    deps = subprocess.run(
        [uv, "sync", "--frozen", "--no-dev", "--no-install-workspace", "--quiet", *flags],
        cwd=context,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert deps.returncode == 0, deps.stderr
    python = context / ".venv/bin/python"
    assert subprocess.run([python, "-c", "import fastapi, alembic, aio_pika"], check=False).returncode == 0
    # No dev tools in an image.
    assert subprocess.run([python, "-c", "import pytest"], capture_output=True, check=False).returncode != 0

    ignore = shutil.ignore_patterns(".venv", "__pycache__", "tests", "node_modules", ".run", ".git", ".env")
    for member in workspace_members():
        shutil.copytree(REPO / member, context / member, ignore=ignore, dirs_exist_ok=True)
    sources = subprocess.run(
        [uv, "sync", "--frozen", "--no-dev", "--quiet", *flags],
        cwd=context,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert sources.returncode == 0, sources.stderr
    check = subprocess.run(
        [python, "-c", "import event_svc.main, event_svc.worker"],
        cwd=context,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert (context / "event-svc/alembic.ini").exists()


def test_the_web_fronts_dockerfile_passes_hadolint_and_builds_from_the_lock() -> None:
    web = REPO / "web" / "Dockerfile"
    assert_hadolint_finds_nothing(web)
    text = web.read_text()
    # The lock file alone first (the slow layer), then the sources; npm ci never resolves anew.
    assert text.index("COPY package.json package-lock.json") < text.index("COPY . .")
    assert "npm ci" in text and "npm install" not in text
    assert "node_modules" in (REPO / "web" / ".dockerignore").read_text()
