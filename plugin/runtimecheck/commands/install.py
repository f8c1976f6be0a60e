"""`docker runtimecheck install` and `uninstall`: see runtimecheck.install for what they do."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from . import Context


def install(
    ctx: Context, *, alias_build: bool, hooks: bool, source: Optional[Path], force: bool
) -> int:
    from runtimecheck import install as installer
    from runtimecheck.dockercli import resolve

    lines = installer.install(
        resolve(ctx.options),
        alias_build=alias_build,
        hooks=hooks,
        source=source,
        force=force,
        docker=installer.docker_cli(),
    )
    for line in lines:
        print(line)
    return 0


def uninstall(ctx: Context) -> int:
    from runtimecheck import install as installer
    from runtimecheck.dockercli import resolve

    for line in installer.uninstall(resolve(ctx.options)):
        print(line)
    return 0
