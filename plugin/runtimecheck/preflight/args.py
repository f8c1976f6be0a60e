"""The `docker buildx build` arguments, as far as the preflight needs them: the builder they
name, the platforms they build for, our own `--skip-runtimecheck` (taken out), and whether
they ask for help."""

from __future__ import annotations

from runtimecheck.truth import is_false

SKIP_FLAG = "--skip-runtimecheck"

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
        self.forwarded: list[str] = []  # the arguments for buildx, ours taken out


def parse_build_args(args: list[str]) -> BuildArgs:
    parsed = BuildArgs()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            parsed.forwarded.extend(args[i:])
            break
        if arg in ("--help", "-h"):
            parsed.help = True
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg[2:].partition("=")
            if "--" + name == SKIP_FLAG:
                parsed.skip = not is_false(value) if eq else True
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
                if letter in VALUE_SHORTHANDS and pos == len(arg) - 1 and i < len(args):
                    parsed.forwarded.append(args[i])
                    i += 1
                break
            continue
        parsed.forwarded.append(arg)
        i += 1
    return parsed
