"""docs/api.md lists exactly the public operations of the committed OpenAPI documents, each under
its service and with every status the document declares; the ADR index lists every record; every
``*.md`` a tracked file names exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import PurePosixPath

from crowdify_tools.openapi import REPO_ROOT, committed_operations

SECTION = re.compile(r"^## .*\((?P<service>[a-z]+-svc)\)\s*$")
# | method | path | who | answers |
ROW = re.compile(
    r"^\|\s*(?P<method>GET|POST|PUT|PATCH|DELETE)\s*\|\s*(?P<path>/api/\S+)\s*\|"
    r"[^|]*\|\s*(?P<answers>[0-9, ]+)\|\s*$"
)


def documented_routes() -> dict[tuple[str, str], tuple[str, tuple[str, ...]]]:
    """(method, path) -> (service of its section, statuses) for every route row of docs/api.md."""
    routes: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
    service = ""
    for line in (REPO_ROOT / "docs" / "api.md").read_text().splitlines():
        if line.startswith("## "):
            match = SECTION.match(line)
            service = match.group("service") if match else ""
        row = ROW.match(line)
        if row:
            key = (row.group("method"), row.group("path"))
            assert key not in routes, f"{key} is listed twice"
            statuses = tuple(sorted(code.strip() for code in row.group("answers").split(",")))
            routes[key] = (service, statuses)
    return routes


def test_api_md_lists_every_public_operation_with_its_service_and_statuses() -> None:
    published = {(op.method, op.path): (op.service, op.statuses) for op in committed_operations()}
    documented = documented_routes()
    assert sorted(documented.keys() - published.keys()) == [], "documented but not in any OpenAPI document"
    assert sorted(published.keys() - documented.keys()) == [], "published but missing from docs/api.md"
    assert {key: documented[key] for key in published} == published


def test_the_adr_index_lists_every_record() -> None:
    index = (REPO_ROOT / "docs" / "adr" / "README.md").read_text()
    linked = set(re.findall(r"\]\((\d{4}-[a-z0-9-]+\.md)\)", index))
    records = {path.name for path in (REPO_ROOT / "docs" / "adr").glob("[0-9][0-9][0-9][0-9]-*.md")}
    assert linked == records


# A document name: a path of word characters, dots and dashes ending in ".md".
MARKDOWN_NAME = re.compile(r"(?<![\w./-])((?:\.{1,2}/)*[\w][\w.-]*(?:/[\w.-]+)*\.md)\b")
NOT_SOURCE = (".png", ".pdf", ".svg", ".jpg", ".lock", ".y4m")


def _tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return [
        name
        for name in listed.stdout.splitlines()
        if not name.startswith("bench/results/") and not name.endswith(NOT_SOURCE)
    ]


def test_every_markdown_file_named_in_sources_and_docs_exists() -> None:
    """A reader following a reference finds the document: every ``*.md`` that a tracked file names
    exists, relative to that file or to the repository root (a bare name anywhere in it)."""
    tracked = _tracked_files()
    markdown_names = {PurePosixPath(name).name for name in tracked if name.endswith(".md")}
    missing: dict[str, set[str]] = {}
    for name in tracked:
        try:
            text = (REPO_ROOT / name).read_text()
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        for match in MARKDOWN_NAME.finditer(text):
            reference = match.group(1)
            if re.search(r"https?://\S*$", text[max(0, match.start(1) - 300) : match.start(1)]):
                continue  # part of a web address
            here = REPO_ROOT / PurePosixPath(name).parent
            if "/" in reference:
                found = (here / reference).is_file() or (REPO_ROOT / reference).is_file()
            else:
                found = reference in markdown_names
            if not found:
                missing.setdefault(name, set()).add(reference)
    assert missing == {}
