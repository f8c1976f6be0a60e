"""`docker runtimecheck probe PATH`: one runtime binary on this machine, judged on its own.

Its exit status is the check's: 0 pass (or warn), 1 blocked, 3 could not tell.
"""

from __future__ import annotations

import shutil
import sys
from typing import Optional

from runtimecheck.errors import UsageError

from . import Context


def run(
    ctx: Context,
    path: str,
    *,
    buildkit: Optional[str],
    fmt: str,
    timeout: float,
    deep: bool = False,
) -> int:
    from runtimecheck import knowledge, local_runtimes, report
    from runtimecheck.facts import BuilderResult, Result

    kb = knowledge.load()
    if buildkit is not None and knowledge.parse_version(buildkit) is None:
        raise UsageError(
            f"--buildkit {buildkit!r} is not a BuildKit version",
            hint=f"e.g. --buildkit v0.12.5; the newest known is {kb.newest_buildkit()}",
        )
    resolved = path if "/" in path else (shutil.which(path) or path)
    version = buildkit or kb.newest_buildkit()
    source = "--buildkit" if buildkit else "newest known"
    node, _ = local_runtimes.judge(kb, resolved, version, source, timeout=timeout, deep=deep)
    sys.stdout.write(report.render_node(node, fmt))
    alone = Result([BuilderResult(local_runtimes.HOST_BUILDER, node.driver, nodes=[node])])
    return report.exit_status(alone)
