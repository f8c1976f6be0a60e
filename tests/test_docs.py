"""The documentation that is derived from the data stays derived: one page per check id."""

from __future__ import annotations

import subprocess
import sys

from runtimecheck import behaviour, knowledge
from runtimecheck.report.sarif import _NODE_RULES
from support.paths import REPO


def test_every_check_has_its_page_and_every_page_a_check() -> None:
    pages = {p.stem for p in (REPO / "docs" / "checks").glob("*.md")}
    ids = {i.id for i in knowledge.load().invocations()} | set(_NODE_RULES) | {behaviour.CHECK_ID}
    assert pages == ids


def test_the_pages_are_what_the_data_says() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "check-pages"), "--check"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
