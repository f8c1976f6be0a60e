"""Rendering a `Result` for people (text) and pipelines (json, github, sarif); exit statuses.

Renderers are imported when asked for: the build preflight only ever needs the text one.
"""

from __future__ import annotations

import sys
from typing import IO, Any, Optional

from runtimecheck.errors import EXIT_BLOCK, EXIT_PASS, EXIT_UNINSPECTED, UsageError
from runtimecheck.facts import BLOCK, VERDICT_UNKNOWN, WARN, BuilderResult, NodeResult, Result

FORMATS = ("text", "json", "github", "sarif")
FAIL_ON = ("block", "warn", "never")


def render(
    result: Result, fmt: str, *, color: Optional[bool] = None, stream: Optional[IO[Any]] = None
) -> str:
    """The report in `fmt`. For text, `stream` (stdout by default) decides marks and colour
    unless `color` is given."""
    if fmt == "text":
        from .style import style_for
        from .text import render_text

        return render_text(result, style_for(stream or sys.stdout, color=color))
    if fmt == "json":
        from .json_report import render_json

        return render_json(result)
    if fmt == "github":
        from .github import render_github

        return render_github(result)
    if fmt == "sarif":
        from .sarif import render_sarif

        return render_sarif(result)
    raise _unknown_format(fmt)


def render_node(
    node: NodeResult,
    fmt: str,
    *,
    color: Optional[bool] = None,
    stream: Optional[IO[Any]] = None,
    builder: Optional[str] = None,
) -> str:
    """One node alone (`docker runtimecheck probe PATH`); `builder` names it in github/sarif."""
    if fmt == "text":
        from .style import style_for
        from .text import render_node_text

        return render_node_text(node, style_for(stream or sys.stdout, color=color))
    if fmt == "json":
        from .json_report import render_node_json

        return render_node_json(node)
    if fmt in FORMATS:
        alone = BuilderResult(name=builder or node.driver, driver=node.driver, nodes=[node])
        return render(Result(builders=[alone]), fmt, color=color, stream=stream)
    raise _unknown_format(fmt)


def exit_status(result: Result, fail_on: str = "block") -> int:
    """0 pass, 1 blocked, 3 could not tell; see docs/json-format.md, "Exit status".

    - No node could be inspected, or every inspected node is unknown: 3, whatever `fail_on`
      (nothing was found out, which is not the same as nothing being wrong).
    - Any node blocked: 1, unless `fail_on` is "never".
    - `fail_on` "warn": a warning or an unknown anywhere (including a node or builder that
      could not be inspected) is 1.
    - Otherwise 0: warnings and unknown nodes are reported, not failed.
    """
    if fail_on not in FAIL_ON:
        raise UsageError(
            f"unknown fail-on value {fail_on!r}", hint=f"use one of: {', '.join(FAIL_ON)}"
        )
    if result.inspected_nothing:
        return EXIT_UNINSPECTED
    verdicts = [n.verdict for b in result.builders for n in b.nodes if n.error is None]
    if BLOCK in verdicts:
        return EXIT_PASS if fail_on == "never" else EXIT_BLOCK
    if all(v == VERDICT_UNKNOWN for v in verdicts):
        return EXIT_UNINSPECTED
    if fail_on == "warn" and result.verdict in (WARN, VERDICT_UNKNOWN):
        return EXIT_BLOCK
    return EXIT_PASS


def _unknown_format(fmt: str) -> UsageError:
    return UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
