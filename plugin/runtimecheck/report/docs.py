"""Where each check is explained: one page per check id under docs/checks/ of the project.

The base address comes from the project's metadata (its Documentation URL) and can be
overridden with RUNTIMECHECK_DOCS_URL (a fork, an internal mirror).
"""

from __future__ import annotations

import os

DOCS_ENV = "RUNTIMECHECK_DOCS_URL"
DIST_NAME = "docker-runtimecheck"
FALLBACK = "https://github.com/docker-runtimecheck/docker-runtimecheck/blob/main/docs/checks/"


def docs_base() -> str:
    override = os.environ.get(DOCS_ENV)
    if override:
        return override if override.endswith("/") else override + "/"
    try:
        from importlib.metadata import PackageNotFoundError, metadata
    except ImportError:  # pragma: no cover - Python 3.9 has it
        return FALLBACK
    try:
        urls = metadata(DIST_NAME).get_all("Project-URL") or []
    except PackageNotFoundError:
        return FALLBACK
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "documentation" and url.strip():
            base = url.strip()
            return base if base.endswith("/") else base + "/"
    return FALLBACK


def check_page(check_id: str) -> str:
    return f"{docs_base()}{check_id}.md"
