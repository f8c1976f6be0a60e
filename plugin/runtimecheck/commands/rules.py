"""`docker runtimecheck rules`: the knowledge base, for people or as JSON."""

from __future__ import annotations

import sys

from . import Context


def run(ctx: Context, fmt: str) -> int:
    from runtimecheck import knowledge
    from runtimecheck.report.rules import render_rules

    sys.stdout.write(render_rules(knowledge.load(), fmt))
    return 0
