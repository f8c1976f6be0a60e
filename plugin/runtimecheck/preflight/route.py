"""Which docker command brought us here: `docker runtimecheck …`, or the `builder` alias.

With `aliases.builder = "runtimecheck"` in config.json, the docker CLI runs this plugin as
`docker-runtimecheck [flags] runtimecheck ARGS…` for `docker build ARGS` (ARGS starting with
`build`), `docker image build`, `docker bake` and every `docker builder SUB` (docker/cli
cmd/docker/builder.go, forwardBuilder): the argv alone cannot tell `docker builder install`
from `docker runtimecheck install`. The CLI (26.1 and later) says which command path it
forwarded in OTEL_RESOURCE_ATTRIBUTES (`docker.cli.cobra.command_path=docker%20builder`);
older CLIs are asked through their command line in /proc, where there is one.

On the build preflight's start-up path: no imports beyond os.
"""

from __future__ import annotations

import os

from runtimecheck.dockercli import PLUGIN_NAME, GlobalOptions, parse_global_flags
from runtimecheck.errors import RuntimecheckError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

DIRECT = "direct"  # `docker runtimecheck …`, or run standalone
BUILDER = "builder"  # `docker builder SUB …` through the alias
TOP_LEVEL = "top-level"  # `docker build`, `docker image build` or `docker bake` through the alias
UNKNOWN = "unknown"  # a CLI that says nothing, without /proc to ask

ATTRIBUTES_ENV = "OTEL_RESOURCE_ATTRIBUTES"
COMMAND_PATH_KEY = "docker.cli.cobra.command_path"


def called_as(opts: GlobalOptions) -> str:
    """How the docker CLI called us: DIRECT unless the `builder` alias names this plugin."""
    if not opts.as_plugin or not alias_active(opts):
        return DIRECT
    return called_through(os.environ, os.getppid())


def alias_active(opts: GlobalOptions) -> bool:
    """With `aliases.builder = "runtimecheck"`, every `docker builder SUB` arrives here."""
    from runtimecheck.dockercli import config_directory, read_config

    try:
        data = read_config(config_directory(opts))
    except RuntimecheckError:
        return False
    aliases = data.get("aliases")
    return isinstance(aliases, dict) and aliases.get("builder") == PLUGIN_NAME


def called_through(env: Mapping[str, str] | None = None, parent: int | None = None) -> str:
    """Which command the builder alias forwarded: from the CLI's telemetry attributes, else
    from its command line."""
    env = os.environ if env is None else env
    path = command_path(env.get(ATTRIBUTES_ENV, ""))
    if path is not None:
        return from_command_path(path)
    return from_parent_argv(parent_argv(os.getppid() if parent is None else parent))


def command_path(attributes: str) -> str | None:
    """The last `docker.cli.cobra.command_path` in OTEL_RESOURCE_ATTRIBUTES, decoded."""
    found = None
    for member in attributes.split(","):
        key, sep, value = member.partition("=")
        if sep and key.strip() == COMMAND_PATH_KEY:
            found = _unquote(value.split(";", 1)[0].strip())
    return found


def from_command_path(path: str) -> str:
    words = path.split()
    if words[1:] == ["builder"]:
        return BUILDER
    if words[1:] in ([], ["image"]):
        return TOP_LEVEL
    return DIRECT


def parent_argv(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0")[:-1]] or None


def from_parent_argv(argv: list[str] | None) -> str:
    """From the docker CLI's own command line: the first word after its global flags."""
    if not argv:
        return UNKNOWN
    try:
        opts, rest = parse_global_flags(argv[1:])
    except UsageError:
        return UNKNOWN
    if opts.as_plugin:  # `docker [flags] runtimecheck …`: the flags end at our name
        return DIRECT
    head = rest[0] if rest else ""
    if head == "builder":
        return BUILDER
    if head in ("build", "bake", "image"):
        return TOP_LEVEL
    return UNKNOWN


def _unquote(text: str) -> str:
    """Percent-decoding, as W3C baggage values are encoded."""
    if "%" not in text:
        return text
    out = bytearray()
    i = 0
    raw = text.encode("utf-8")
    while i < len(raw):
        if raw[i : i + 1] == b"%" and i + 2 < len(raw):
            try:
                out.append(int(raw[i + 1 : i + 3], 16))
                i += 3
                continue
            except ValueError:
                pass
        out.append(raw[i])
        i += 1
    return out.decode("utf-8", "replace")
