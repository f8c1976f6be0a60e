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
    result: Result,
    fmt: str,
    *,
    color: Optional[bool] = None,
    stream: Optional[IO[Any]] = None,
    sarif_location: Optional[str] = None,
) -> str:
    """The report in `fmt`. For text, `stream` (stdout by default) decides marks and colour
    unless `color` is given; SARIF results are anchored to `sarif_location`."""
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

        return render_sarif(result, artifact_uri=sarif_location)
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
    if fmt in FORMATS:  # github, sarif: neither is coloured nor written for a stream
        alone = BuilderResult(name=builder or node.driver, driver=node.driver, nodes=[node])
        return render(Result(builders=[alone]), fmt)
    raise _unknown_format(fmt)


def exit_status(result: Result, fail_on: str = "block") -> int:
    """The exit status of the headline verdict (docs/json-format.md, "Exit status").

    - block: 1, unless `fail_on` is "never";
    - unknown (something could not be told, or nothing was inspected at all): 3, whatever
      `fail_on` (nothing was found out, which is not the same as nothing being wrong);
    - warn: 1 with `fail_on` "warn", else 0;
    - pass: 0.

    The advisory results (this host's runtimes) never count.
    """
    if fail_on not in FAIL_ON:
        raise UsageError(
            f"unknown fail-on value {fail_on!r}", hint=f"use one of: {', '.join(FAIL_ON)}"
        )
    verdict = result.verdict
    if verdict == BLOCK:
        return EXIT_PASS if fail_on == "never" else EXIT_BLOCK
    if verdict == VERDICT_UNKNOWN:
        return EXIT_UNINSPECTED
    if verdict == WARN and fail_on == "warn":
        return EXIT_BLOCK
    return EXIT_PASS


def _unknown_format(fmt: str) -> UsageError:
    return UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
