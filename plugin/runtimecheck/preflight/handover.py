"""Handing over to the docker CLI: `docker buildx build` after the check (this process
becomes it), `docker buildx SUB` for what the builder alias forwards, buildx's own help.

What buildx gets is exactly what was given: argv, stdin (`-f -`), the terminal, signals;
the exit status is buildx's."""

from __future__ import annotations

import os
import sys

from runtimecheck import log
from runtimecheck.errors import RuntimecheckError

from .args import OUTPUT_FLAG, SKIP_FLAG

TYPE_CHECKING = False
if TYPE_CHECKING:
    from runtimecheck.dockercli import GlobalOptions

# The parent CLI's socket is ours, not the re-run docker's: it makes its own for buildx.
PLUGIN_SOCKET_ENV = "DOCKER_CLI_PLUGIN_SOCKET"
EXIT_CANNOT_RUN = 127
SKIP_ENV = "RUNTIMECHECK_SKIP"
OUR_HELP = (
    f"      {SKIP_FLAG}       Skip the builder's runtime check"
    f" (docker runtimecheck; also {SKIP_ENV}=1)\n"
    f"      {OUTPUT_FLAG} FORMAT=FILE\n"
    "                               Also write the runtime check's report (json, sarif, github,\n"
    "                               text) to FILE; repeatable"
)


def name_the_context_builder(opts: GlobalOptions) -> None:
    """BUILDX_BUILDER=<current context>, as the docker CLI sets it for `docker build`."""
    from runtimecheck.dockercli import config_directory, current_context_name, read_config

    try:
        context = current_context_name(opts, read_config(config_directory(opts)), os.environ)
    except RuntimecheckError as e:
        log.debug(f"no context for BUILDX_BUILDER: {e.message}")
        return
    os.environ["BUILDX_BUILDER"] = context


def buildx_help(opts: GlobalOptions, tail: list[str]) -> int:
    """buildx's help for the build command, then the flags this preflight adds."""
    import subprocess

    from runtimecheck.dockercli import docker_command

    argv = [docker_command(opts), *opts.raw, *tail]
    env = {k: v for k, v in os.environ.items() if k != PLUGIN_SOCKET_ENV}
    sys.stdout.flush()
    try:
        code = subprocess.call(argv, env=env)
    except OSError as e:
        raise RuntimecheckError(
            f"cannot run {argv[0]}: {e.strerror or e}",
            exit_code=EXIT_CANNOT_RUN,
            hint="is the docker CLI installed and on PATH?",
        ) from None
    if code == 0:
        print(OUR_HELP, flush=True)
    return code


def forward_to_buildx(opts: GlobalOptions, rest: list[str]) -> int:
    """`docker builder SUB …` under the `builder` alias: run `docker buildx SUB …` as given.

    Never `docker build` or `docker builder`: with the alias in place they come back here.
    """
    return exec_docker(opts, ["buildx", *rest])


def exec_docker(opts: GlobalOptions, tail: list[str]) -> int:
    """Replace this process with `docker [global flags] TAIL…`; returns only on failure."""
    from runtimecheck.dockercli import docker_command

    docker = docker_command(opts)
    argv = [docker, *opts.raw, *tail]
    env = {k: v for k, v in os.environ.items() if k != PLUGIN_SOCKET_ENV}
    log.debug(f"running {argv}")
    sys.stdout.flush()
    sys.stderr.flush()
    _restore_default_signals()
    try:
        os.execvpe(docker, argv, env)
    except OSError as e:
        raise RuntimecheckError(
            f"cannot run {docker}: {e.strerror or e}",
            exit_code=EXIT_CANNOT_RUN,
            hint="is the docker CLI installed and on PATH?",
        ) from None
    return EXIT_CANNOT_RUN  # not reached: execvpe returns only by raising


def _restore_default_signals() -> None:
    # Python ignores SIGPIPE and SIGXFSZ, and an exec keeps what is ignored: buildx must get
    # them with their default action, as it would from a shell. `_signal`, not `signal`: the
    # wrapper imports enum, which costs more than the whole warm path may spend.
    import _signal

    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(_signal, name):
            _signal.signal(getattr(_signal, name), _signal.SIG_DFL)
