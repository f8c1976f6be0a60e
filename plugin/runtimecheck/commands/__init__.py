"""The commands of `docker runtimecheck`, one module each, each `run(...)` returning the exit
status: `check` (no command), `build`, `probe`, `rules`, `install` (and uninstall),
`hooks`. `cli.py` only wires typer to them; docker's global options reach them in a
`Context`.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from runtimecheck.dockercli import GlobalOptions


class Context:
    """What every command gets from the command line before its own arguments.

    A plain class: `docker build` passes through here on the preflight's start-up path.
    """

    __slots__ = ("options",)

    def __init__(self, options: GlobalOptions) -> None:
        self.options = options  # docker's global flags (--config, --context, -H, …)
