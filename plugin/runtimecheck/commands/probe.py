"""`docker runtimecheck probe PATH`: one runtime binary on this machine, judged on its own."""

from __future__ import annotations

import shutil
import sys
from typing import Optional

from runtimecheck.errors import EXIT_BLOCK, EXIT_PASS, EXIT_UNINSPECTED

from . import Context


def run(ctx: Context, path: str, *, buildkit: Optional[str], fmt: str, timeout: float) -> int:
    from runtimecheck import knowledge, local_runtimes, report
    from runtimecheck.facts import BLOCK

    kb = knowledge.load()
    resolved = path if "/" in path else (shutil.which(path) or path)
    version = buildkit or kb.newest_buildkit()
    source = "--buildkit" if buildkit else "newest known"
    node, facts = local_runtimes.judge(kb, resolved, version, source, timeout=timeout)
    sys.stdout.write(report.render_node(node, fmt))
    if facts.error is not None:
        return EXIT_UNINSPECTED
    return EXIT_BLOCK if node.verdict == BLOCK else EXIT_PASS
