"""How serious a check's finding is, in the words of the formats that annotate findings."""

from __future__ import annotations

from runtimecheck.facts import BLOCK, Check

ERROR, WARNING, NOTICE = "error", "warning", "notice"


def level_of(check: Check) -> str:
    """error: a blocking check; warning: a warning or an unknown; notice: ignored."""
    if check.ignored:
        return NOTICE
    return ERROR if check.verdict == BLOCK else WARNING
