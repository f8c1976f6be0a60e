"""The `docker buildx build` arguments, as far as the preflight needs them: the builder they
name, the platforms they build for, the build's context and Dockerfile, our own
`--skip-runtimecheck` and `--runtimecheck-output` (taken out), and whether they ask for help."""

from __future__ import annotations

import os

from runtimecheck.truth import is_false

SKIP_FLAG = "--skip-runtimecheck"
OUTPUT_FLAG = "--runtimecheck-output"

# `docker buildx build` flags that take a value (buildx commands/build.go, including the
# hidden ones kept for `docker build` compatibility, and buildx's persistent `--builder`).
VALUE_FLAGS = frozenset(
    {
        "add-host", "allow", "annotation", "attest", "build-arg", "build-context", "builder",
        "cache-from", "cache-to", "call", "cgroup-parent", "cpu-period", "cpu-quota",
        "cpu-shares", "cpuset-cpus", "cpuset-mems", "file", "iidfile", "invoke", "isolation",
        "label", "memory", "memory-swap", "metadata-file", "network", "no-cache-filter", "on",
        "output", "platform", "policy", "progress", "provenance", "root", "sbom", "secret",
        "security-opt", "server-config", "shm-size", "ssh", "tag", "target", "ulimit",
    }
)  # fmt: skip
BOOL_FLAGS = frozenset(
    {
        "check", "compress", "debug", "detach", "force-rm", "load", "no-cache", "print", "pull",
        "push", "quiet", "rm", "squash",
    }
)  # fmt: skip
VALUE_SHORTHANDS = frozenset("tfocm")
BOOL_SHORTHANDS = frozenset("qD")


class BuildArgs:
    def __init__(self) -> None:
        self.builder: str | None = None  # the last `--builder` value ("" too); None: absent
        # Every `--platform` value (a StringArray: given once, it replaces buildx's default,
        # DOCKER_DEFAULT_PLATFORM); None: absent.
        self.platforms: list[str] | None = None
        self.skip = False  # `--skip-runtimecheck` was given
        self.help = False  # `--help` / `-h`: buildx prints its help and builds nothing
        self.outputs: list[str] = []  # `--runtimecheck-output [FORMAT=]FILE`, in order
        self.file: str | None = None  # `-f/--file`, as given ("-": the Dockerfile is on stdin)
        self.context: str | None = None  # the positional PATH | URL | -
        self.target: str | None = None  # `--target`
        self.build_args: dict[str, str] = {}  # `--build-arg K=V` (`K` alone: from the env)
        self.forwarded: list[str] = []  # the arguments for buildx, ours taken out

    def dockerfile(self) -> str | None:
        """The local Dockerfile the build reads, as buildx finds it (build/opt.go): `-f` as
        given (relative to the working directory, not the context), else the context's
        Dockerfile; None when it is not a local file (stdin, inline, a remote context)."""
        if self.file == "-" or (self.file and _remote(self.file)):
            return None
        if self.context is None or self.context == "-" or _remote(self.context):
            return self.file if self.file and os.path.isabs(self.file) else None
        return self.file or os.path.join(self.context, "Dockerfile")


def _remote(ref: str) -> bool:
    """A URL or git reference (buildx's urlutil.IsRemoteURL, as far as a path can tell)."""
    return "://" in ref or ref.startswith("git@") or ref.startswith("github.com/")


def parse_build_args(args: list[str]) -> BuildArgs:
    parsed = BuildArgs()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            parsed.forwarded.extend(args[i:])
            if parsed.context is None and i + 1 < len(args):
                parsed.context = args[i + 1]
            break
        if arg in ("--help", "-h"):
            parsed.help = True
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg[2:].partition("=")
            if "--" + name == SKIP_FLAG:
                parsed.skip = not is_false(value) if eq else True
                i += 1
                continue
            if "--" + name == OUTPUT_FLAG:
                if not eq and i + 1 < len(args):
                    value = args[i + 1]
                    i += 1
                parsed.outputs.append(value)
                i += 1
                continue
            takes_value = name in VALUE_FLAGS or (
                name not in BOOL_FLAGS and i + 1 < len(args) and not args[i + 1].startswith("-")
            )
            if not eq and takes_value and i + 1 < len(args):
                value = args[i + 1]
                parsed.forwarded.extend(args[i : i + 2])
                i += 2
            else:
                parsed.forwarded.append(arg)
                i += 1
            if name == "builder":
                parsed.builder = value
            elif name == "file":
                parsed.file = value
            elif name == "target":
                parsed.target = value
            elif name == "build-arg":
                key, has_value, given = value.partition("=")
                if has_value or key in os.environ:  # buildx drops `K` when K is unset
                    parsed.build_args[key] = given if has_value else os.environ[key]
            elif name == "platform" and (eq or takes_value):
                parsed.platforms = [*(parsed.platforms or []), value]
            continue
        if arg.startswith("-") and len(arg) > 1:
            # A shorthand cluster (`-qt name`, `-tname`): a value letter takes the rest of
            # the word, or the next argument.
            parsed.forwarded.append(arg)
            i += 1
            for pos, letter in enumerate(arg[1:], start=1):
                if letter in BOOL_SHORTHANDS:
                    continue
                value = arg[pos + 1 :]
                if letter in VALUE_SHORTHANDS and not value and i < len(args):
                    value = args[i]
                    parsed.forwarded.append(value)
                    i += 1
                if letter == "f":
                    parsed.file = value
                break
            continue
        if parsed.context is None:
            parsed.context = arg
        parsed.forwarded.append(arg)
        i += 1
    return parsed
