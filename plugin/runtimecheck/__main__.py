"""Entry point: argv → the command that handles it.

`docker-cli-plugin-metadata` is answered with JSON alone, before anything else is imported
(the docker CLI asks on every `docker --help`). Then docker's global flags are taken off, and
the cheap routes (`--version`, `build` and everything the `builder` alias forwards, the CLI's
hook) are taken without the CLI framework; the rest goes to the typer application (`cli`).
"""

from __future__ import annotations

import sys

from . import __version__

METADATA = {
    "SchemaVersion": "0.1.0",
    "Vendor": "docker-runtimecheck",
    "Version": __version__,
    "ShortDescription": "Check that a builder's OCI runtime accepts what its BuildKit sends",
    "URL": "https://github.com/docker-runtimecheck/docker-runtimecheck",
}
HOOKS_COMMAND = "docker-cli-plugin-hooks"
# Our own command words: with a CLI that does not say how it called us, any other word that
# arrives under the `builder` alias is a `docker builder` subcommand for buildx.
OWN_COMMANDS = frozenset({"build", "probe", "rules", "install", "uninstall", "check", "help"})


def metadata_json() -> str:
    import json

    return json.dumps(METADATA, separators=(",", ":"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["docker-cli-plugin-metadata"]:
        sys.stdout.write(metadata_json() + "\n")
        return 0
    import os

    from . import log
    from .errors import EXIT_USAGE, RuntimecheckError

    try:
        return _route(args)
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


def _route(args: list[str]) -> int:
    import os

    from . import log
    from .commands import Context
    from .dockercli import parse_global_flags
    from .parent import watch_parent_cli
    from .preflight import route

    as_plugin_env = bool(os.environ.get("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND"))
    opts, rest = parse_global_flags(args, plugin_env=as_plugin_env)
    log.set_program(opts.as_plugin)
    if opts.log_level:
        log.set_level(opts.log_level)
    if opts.debug:
        log.set_level("debug")
    watch_parent_cli()
    ctx = Context(opts)

    head = rest[0] if rest else ""
    via = route.called_as(opts)
    if (via == route.BUILDER and head != "build") or (via == route.TOP_LEVEL and head == "bake"):
        from .preflight.handover import forward_to_buildx

        return forward_to_buildx(opts, rest)
    if head in ("--version", "-v"):
        from . import metadata_date

        print(f"docker-runtimecheck version {__version__} (knowledge of {metadata_date()})")
        return 0
    if head == "build":
        from .commands import build

        return build.run(ctx, rest[1:], docker_build=via == route.TOP_LEVEL)
    if head == HOOKS_COMMAND:
        from .commands import hooks

        return hooks.run(ctx, rest[1:])
    if via == route.UNKNOWN and head and not head.startswith("-") and head not in OWN_COMMANDS:
        from .preflight.handover import forward_to_buildx

        return forward_to_buildx(opts, rest)

    from . import cli

    return cli.run(opts, rest)


if __name__ == "__main__":
    sys.exit(main())
