"""The typer application: it parses each command's own options and calls `commands.*`.

Docker's global options have been taken off the command line before (`__main__`); they reach
the commands in the click context's `obj`, a `commands.Context`.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from . import __version__, commands
from .commands import Context
from .dockercli import GlobalOptions
from .errors import EXIT_USAGE, RuntimecheckError, UsageError


class Format(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


class ProbeFormat(str, Enum):
    text = "text"
    json = "json"


class FailOn(str, Enum):
    block = "block"
    warn = "warn"
    never = "never"


HELP = """Check that a buildx builder's OCI runtime accepts what its BuildKit sends.

BuildKit v0.12 and later (Docker Engine 25.0+) run every RUN step with `runc run --keep`.
crun before 1.15, runc before 1.1, gVisor's runsc and others reject it, and the build fails
midway with "unrecognized option '--keep'". Run without a command, this checks the builder
that `docker buildx build` would use.

Exit status: 0 pass (or warn), 1 blocked, 2 usage error, 3 could not tell.
"""

app = typer.Typer(
    help=HELP,
    add_completion=False,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Options more than one command takes, defined once.
PROBE_FORMAT = typer.Option(ProbeFormat.text, "-f", "--format", help="Output format")
DEEP_HELP = (
    "Also run BuildKit's call sequence once for real where the runtime runs (run --keep, "
    "state, delete, kill on a minimal container, in a private state directory; needs root "
    "there, and a privileged builder container)"
)


def _context(ctx: typer.Context) -> Context:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Context) else Context(GlobalOptions())


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


def _version(value: bool) -> None:
    if value:
        from . import metadata_date

        typer.echo(f"docker-runtimecheck version {__version__} (knowledge of {metadata_date()})")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def check(
    ctx: typer.Context,
    builder: Optional[str] = typer.Option(
        None, "--builder", help="Builder to check (default: the one a build would use)"
    ),
    all_builders: bool = typer.Option(
        False, "--all", help="Check every stored builder and every context's default builder"
    ),
    fmt: Optional[Format] = typer.Option(
        None, "-f", "--format", help="Output format", show_default="text, or from the settings"
    ),
    output: list[str] = typer.Option(
        [],
        "-o",
        "--output",
        metavar="[FORMAT=]FILE",
        help="Write the report to FILE instead of stdout; FORMAT=FILE writes one more report "
        "in that format (repeatable: text on stdout, sarif and json to files in one run)",
    ),
    quiet: bool = typer.Option(
        False, "-q", "--quiet", help="Print nothing but errors; only the exit status tells"
    ),
    color: Color = typer.Option(
        Color.auto,
        "--color",
        help="Colour the text report (auto: on a terminal; NO_COLOR, FORCE_COLOR)",
    ),
    fail_on: Optional[FailOn] = typer.Option(
        None,
        "--fail-on",
        help="Lowest verdict that makes the exit status non-zero",
        show_default="block, or from the settings",
    ),
    ignore: list[str] = typer.Option([], "--ignore", help="Check id to ignore (repeatable)"),
    assume_runtime: Optional[str] = typer.Option(
        None,
        "--assume-runtime",
        metavar="NAME=VERSION",
        help="Runtime a remote builder runs, when it cannot be inspected (e.g. crun=1.14.4)",
    ),
    sarif_location: Optional[str] = typer.Option(
        None,
        "--sarif-location",
        metavar="PATH",
        help="File the SARIF results point at, relative to the repository root (default: the "
        "project's .runtimecheck.toml, else ./Dockerfile)",
    ),
    bootstrap: bool = typer.Option(
        False, "--bootstrap", help="Boot a builder that is not running (as a build would) first"
    ),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds allowed per builder"),
    buildkit: Optional[str] = typer.Option(
        None, "--buildkit", help="Judge against this BuildKit release instead (hypothetical)"
    ),
    engine: Optional[str] = typer.Option(
        None, "--engine", help="Judge against the BuildKit a Docker Engine bundles (hypothetical)"
    ),
    deep: bool = typer.Option(False, "--deep", help=DEEP_HELP),
    version: bool = typer.Option(
        False,
        "--version",
        "-v",
        callback=_version,
        is_eager=True,
        help="Print the version and the date of the newest fact in the knowledge base",
    ),
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    if builder and all_builders:
        raise UsageError("--builder and --all cannot be used together")
    from .commands import check as command

    request = command.CheckRequest(
        builder=builder,
        all=all_builders,
        format=fmt.value if fmt else None,
        outputs=output,
        quiet=quiet,
        color=color.value,
        fail_on=fail_on.value if fail_on else None,
        ignore=ignore,
        assume_runtime=assume_runtime,
        sarif_location=sarif_location,
        bootstrap=bootstrap,
        timeout=timeout,
        buildkit=buildkit,
        engine=engine,
        deep=deep,
    )
    raise typer.Exit(command.run(_context(ctx), request))


@app.command(short_help="Probe a runtime binary: identity, what it accepts, verdict")
def probe(
    ctx: typer.Context,
    path: str = typer.Argument(..., help="Runtime binary to probe (path or name on PATH)"),
    buildkit: Optional[str] = typer.Option(
        None, "--buildkit", help="BuildKit version to judge against (default: the newest known)"
    ),
    fmt: ProbeFormat = PROBE_FORMAT,
    timeout: float = typer.Option(5.0, "--timeout", help="Seconds allowed per runtime call"),
    deep: bool = typer.Option(False, "--deep", help=DEEP_HELP),
) -> None:
    """Probe a runtime binary on this host: identity, each invocation BuildKit makes, verdict."""
    from .commands import probe as command

    code = command.run(
        _context(ctx), path, buildkit=buildkit, fmt=fmt.value, timeout=timeout, deep=deep
    )
    raise typer.Exit(code)


@app.command(short_help="Show what each BuildKit sends and which runtimes accept it")
def rules(ctx: typer.Context, fmt: ProbeFormat = PROBE_FORMAT) -> None:
    """Show what each BuildKit sends and which runtime versions accept it."""
    from .commands import rules as command

    raise typer.Exit(command.run(_context(ctx), fmt.value))


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
    short_help="Check the builder, then run `docker buildx build` unchanged",
)
def build(ctx: typer.Context) -> None:
    """Check the builder, then run `docker buildx build` with the same arguments.

    Blocked builds stop before anything reaches buildx. Bypass with --skip-runtimecheck or
    RUNTIMECHECK_SKIP=1.
    """
    from .commands import build as command

    raise typer.Exit(command.run(_context(ctx), list(ctx.args)))


@app.command(short_help="Install the plugin (optionally as `docker build`'s preflight)")
def install(
    ctx: typer.Context,
    alias_build: bool = typer.Option(
        False, "--alias-build", help="Route plain `docker build` through the preflight"
    ),
    hooks: bool = typer.Option(False, "--hooks", help="Show a hint after `docker build`"),
    source: Optional[Path] = typer.Option(None, "--source", help="Plugin file to install"),
    force: bool = typer.Option(False, "--force", help="Replace another plugin's `builder` alias"),
) -> None:
    """Install this plugin into docker's CLI plugins directory."""
    from .commands import install as command

    code = command.install(
        _context(ctx), alias_build=alias_build, hooks=hooks, source=source, force=force
    )
    raise typer.Exit(code)


@app.command(short_help="Undo exactly what `install` changed")
def uninstall(ctx: typer.Context) -> None:
    """Remove the plugin and undo exactly what `install` changed."""
    from .commands import install as command

    raise typer.Exit(command.uninstall(_context(ctx)))


def run(options: GlobalOptions, args: list[str]) -> int:
    """Parse `args` (docker's global options already taken) and run the command they name."""
    prog = "docker runtimecheck" if options.as_plugin else "docker-runtimecheck"
    command = typer.main.get_command(app)
    try:
        rv = command.main(
            args=args, prog_name=prog, standalone_mode=False, obj=commands.Context(options)
        )
    except typer.Exit as e:
        return int(e.exit_code)
    except typer.Abort:
        raise KeyboardInterrupt from None
    except Exception as e:
        problem = _framework_error(e)
        if problem is None:
            raise
        message, code = problem
        if code == EXIT_USAGE:
            raise UsageError(f"{message} (see '{prog} --help')") from None
        raise RuntimecheckError(message, exit_code=EXIT_USAGE) from None
    return rv if isinstance(rv, int) else 0


def _framework_error(e: Exception) -> tuple[str, int] | None:
    """(message, exit status) of an error the CLI framework raised about the command line.

    click's exceptions (which typer raises, vendored or not) carry `format_message()` and
    `exit_code`; that public interface is relied on, not where a typer release keeps them.
    """
    format_message = getattr(e, "format_message", None)
    code = getattr(e, "exit_code", None)
    if not callable(format_message) or not isinstance(code, int):
        return None
    return str(format_message()), code
