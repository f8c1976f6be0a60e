"""argv → the command that handles it, with docker's global flags peeled off first.

Cheap routes (`--version`, `build`, hooks, forwarding under the `builder` alias) never import
typer; everything else goes to the typer application in `cli.py`.
"""

from __future__ import annotations

import os
import sys

from . import __version__, alias, log
from .dockercli import PLUGIN_NAME, GlobalOptions, parse_global_flags
from .errors import EXIT_USAGE, RuntimecheckError
from .parent import watch_parent_cli

OWN_COMMANDS = frozenset({"build", "probe", "rules", "install", "uninstall", "check", "help"})
HOOKS_COMMAND = "docker-cli-plugin-hooks"


def dispatch(args: list[str]) -> int:
    try:
        return _dispatch(args)
    except RuntimecheckError as e:
        if e.exit_code == EXIT_USAGE:
            # A usage error is one line, like any docker command's.
            log.error(f"{e.message}; {e.hint}" if e.hint else e.message)
        else:
            log.error(e.message)
            if e.hint:
                print(f"  {e.hint}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout closed early (`… | head`): nothing left to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _dispatch(args: list[str]) -> int:
    as_plugin_env = bool(os.environ.get("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND"))
    opts, rest = parse_global_flags(args, plugin_env=as_plugin_env)
    if opts.log_level:
        log.set_level(opts.log_level)
    if opts.debug:
        log.set_level("debug")
    watch_parent_cli()

    head = rest[0] if rest else ""
    route = _alias_route(opts, head)
    if (route == alias.BUILDER and head != "build") or (
        route == alias.TOP_LEVEL and head == "bake"
    ):
        from .preflight import forward_to_buildx

        return forward_to_buildx(opts, rest)
    if head in ("--version", "-v"):
        print(f"docker-runtimecheck version {__version__}")
        return 0
    if head == "build":
        from .preflight import preflight_and_build

        return preflight_and_build(opts, rest[1:], docker_build=route == alias.TOP_LEVEL)
    if head == HOOKS_COMMAND:
        from .hooks import answer_hook

        return answer_hook(opts, rest[1:])
    if route == alias.UNKNOWN and head and not head.startswith("-") and head not in OWN_COMMANDS:
        # A CLI that does not say how it called us: a word that is not ours is buildx's.
        from .preflight import forward_to_buildx

        return forward_to_buildx(opts, rest)

    from .cli import run_cli

    return run_cli(opts, rest)


def _alias_route(opts: GlobalOptions, head: str) -> str:
    """How the docker CLI called us (alias.DIRECT unless the builder alias is in effect)."""
    if not opts.as_plugin or not _builder_alias_active(opts):
        return alias.DIRECT
    return alias.called_as()


def _builder_alias_active(opts: GlobalOptions) -> bool:
    """With `aliases.builder = "runtimecheck"`, every `docker builder SUB` arrives here."""
    from .dockercli import config_path, read_config

    try:
        data = read_config(config_path(opts))
    except RuntimecheckError:
        return False
    aliases = data.get("aliases")
    return isinstance(aliases, dict) and aliases.get("builder") == PLUGIN_NAME
