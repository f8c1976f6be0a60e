"""Build platforms, and which node of a builder a build runs on, as buildx decides. Pure.

Platforms follow containerd/platforms v1.0.0-rc.4 (vendored by docker/buildx v0.36.1):
`parse` is Parse (`local` and a bare OS mean this machine, as for buildx running here),
`normalize` is Normalize, `only` / `only_strict` are Only / OnlyStrict with their
platformVector (amd64/vN runs vN-1 … v1 and 386; arm64 runs arm/v8 … v5; arm/vN runs
vN-1 … v5), matched on os/arch/variant and OS features. Windows OS-version matching is not
modelled (no BuildKit worker this tool checks is a Windows one).

`choose` is docker/buildx v0.36.1 build/resolver/driver.go (since v0.13.0): with no platform
the first node; else for each platform the node whose stored platforms match it strictly;
when one of them has no such node, every node is booted and matched on its stored and
detected (its BuildKit workers') platforms with `only`, a platform that still matches none
going to the first node. buildx before v0.13 (build/build.go resolveDriversBase) matched
formatted platforms exactly, the last node with a stored platform winning; both choices are
counted, so that no buildx version builds on a node this check did not count.
"""

from __future__ import annotations

import platform as _host
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable, Optional

_KNOWN_OS = frozenset(
    [
        "aix",
        "android",
        "darwin",
        "dragonfly",
        "freebsd",
        "hurd",
        "illumos",
        "ios",
        "js",
        "linux",
        "nacl",
        "netbsd",
        "openbsd",
        "plan9",
        "solaris",
        "windows",
        "zos",
    ]
)
_KNOWN_ARCH = frozenset(
    [
        "386",
        "amd64",
        "amd64p32",
        "arm",
        "armbe",
        "arm64",
        "arm64be",
        "ppc64",
        "ppc64le",
        "loong64",
        "mips",
        "mipsle",
        "mips64",
        "mips64le",
        "mips64p32",
        "mips64p32le",
        "ppc",
        "riscv",
        "riscv64",
        "s390",
        "s390x",
        "sparc",
        "sparc64",
        "wasm",
    ]
)


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""
    features: tuple[str, ...] = ()

    def __str__(self) -> str:
        """containerd's Format: os/arch[/variant]."""
        if not self.os:
            return "unknown"
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


def _normalize_arch(arch: str, variant: str) -> tuple[str, str]:
    arch, variant = arch.lower(), variant.lower()
    if arch == "i386":
        return "386", ""
    if arch in ("x86_64", "x86-64", "amd64"):
        return "amd64", "" if variant == "v1" else variant
    if arch in ("aarch64", "arm64"):
        if variant in ("8", "v8", "v8.0"):
            variant = ""
        elif variant in ("9", "9.0", "v9.0"):
            variant = "v9"
        return "arm64", variant
    if arch == "armhf":
        return "arm", "v7"
    if arch == "armel":
        return "arm", "v6"
    if arch == "arm":
        if variant in ("", "7"):
            variant = "v7"
        elif variant in ("5", "6", "8"):
            variant = "v" + variant
    return arch, variant


def _normalize_os(name: str) -> str:
    if not name:
        return "linux"  # runtime.GOOS of buildx on the Linux machines this tool runs on
    name = name.lower()
    return "darwin" if name == "macos" else name


def normalize(p: Platform) -> Platform:
    arch, variant = _normalize_arch(p.architecture, p.variant)
    return Platform(_normalize_os(p.os), arch, variant, tuple(sorted(set(p.features))))


def host() -> Platform:
    """platforms.DefaultSpec() of a buildx running on this machine (GOOS/GOARCH/cpu variant)."""
    machine = _host.machine().lower()
    arch, variant = _normalize_arch(machine, "")
    if machine.startswith("armv") and len(machine) >= 5:
        arch, variant = "arm", "v" + machine[4]
    elif arch == "arm64":
        variant = "v8"
    return Platform("linux", arch, variant)


def parse(specifier: str, this_machine: Optional[Platform] = None) -> Platform:
    """platformutil's parse then Normalize: `local`, or containerd's Parse. ValueError."""
    here = this_machine or host()
    if specifier.lower() == "local":
        return normalize(here)
    if "*" in specifier:
        raise ValueError(f"{specifier!r}: wildcards not yet supported")
    parts = specifier.split("/", 3)
    os_part = parts[0]
    features: tuple[str, ...] = ()
    name, paren, options = os_part.partition("(")
    if paren:
        if not options.endswith(")"):
            raise ValueError(f"{os_part!r} is an invalid OS component of {specifier!r}")
        _, plus, feats = options[:-1].partition("+")
        features = tuple(f for f in feats.split("+") if f) if plus else ()
    if not name or not all(c.isalnum() or c in "_-" for c in name):
        raise ValueError(f"{os_part!r} is an invalid OS component of {specifier!r}")
    for part in parts[1:]:
        if not part or not all(c.isalnum() or c in "_.-" for c in part):
            raise ValueError(f"{part!r} is an invalid component of {specifier!r}")
    os_name = _normalize_os(name)
    if len(parts) == 1:
        if os_name in _KNOWN_OS:
            variant = here.variant if here.architecture == "arm" and here.variant != "v7" else ""
            return normalize(Platform(os_name, here.architecture, variant, features))
        arch, variant = _normalize_arch(parts[0], "")
        if arch in _KNOWN_ARCH:
            return normalize(Platform("linux", arch, "" if variant == "v7" else variant))
        raise ValueError(f"{specifier!r}: unknown operating system or architecture")
    if len(parts) == 2:
        arch, variant = _normalize_arch(parts[1], "")
        return normalize(Platform(os_name, arch, variant, features))
    if len(parts) == 3:
        arch, variant = _normalize_arch(parts[1], parts[2])
        return normalize(Platform(os_name, arch, variant or ("v8" if arch == "arm64" else "")))
    raise ValueError(f"{specifier!r}: cannot parse platform specifier")


def parse_all(values: Sequence[str], this_machine: Optional[Platform] = None) -> list[Platform]:
    """platformutil.Parse: each value may hold several, comma-separated. ValueError."""
    found = []
    for value in values:
        for one in value.split(",") if "," in value else [value]:
            found.append(parse(one, this_machine))
    return found


def from_store(doc: Any) -> Optional[Platform]:
    """One of a stored node's Platforms (OCI JSON: os, architecture, variant, os.features)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("architecture"), str):
        return None
    feats = doc.get("os.features")
    features = tuple(str(f) for f in feats) if isinstance(feats, list) else ()
    return normalize(
        Platform(str(doc.get("os") or ""), doc["architecture"], str(doc.get("variant") or ""),
                 features)
    )  # fmt: skip


# --- matching ---------------------------------------------------------------------------


def _older_variants(p: Platform, lowest: int) -> list[Platform]:
    """The variants below p's (v3 → v2, v1), newest first, down to `lowest`."""
    level = p.variant[1:] if p.variant.startswith("v") else p.variant
    if not level.isdigit():
        return []
    return [
        Platform(p.os, p.architecture, f"v{n}", p.features)
        for n in range(int(level) - 1, lowest - 1, -1)
    ]


def _vector(p: Platform) -> list[Platform]:
    """containerd's platformVector: the platform, then those it can also run, best first."""
    if p.architecture == "amd64":
        return [p, *_older_variants(p, lowest=1), Platform(p.os, "386", "", p.features)]
    if p.architecture == "arm":
        return [p, *_older_variants(p, lowest=5)]
    if p.architecture == "arm64":
        variant = p.variant or "v8"
        versions = _ARM64.get(variant)
        if not versions:
            return []  # containerd: the vector is reset, and an unknown variant ends it there
        out = []
        if versions:
            for major, top in versions:
                out += [
                    Platform(p.os, "arm64", f"v{major}" if minor == 0 else f"v{major}.{minor}",
                             p.features)
                    for minor in range(top, -1, -1)
                ]  # fmt: skip
        arm = "v8" if variant.startswith(("v8", "v9")) else variant
        return out + _vector(Platform(p.os, "arm", arm, p.features))
    return [p]


_ARM64 = {f"v8.{m}": [(8, m)] for m in range(10)}
_ARM64.update({f"v9.{m}": [(9, m), (8, min(m + 5, 9))] for m in range(8)})
_ARM64["v8"], _ARM64["v9"] = _ARM64["v8.0"], _ARM64["v9.0"]


def _matches(want: Platform, p: Platform) -> bool:
    """containerd's matcher.Match (NewMatcher normalises `want`)."""
    want, got = normalize(want), normalize(p)
    if (want.os, want.architecture, want.variant) != (got.os, got.architecture, got.variant):
        return False
    return set(got.features) <= set(want.features)


@dataclass(frozen=True)
class Matcher:
    """containerd's orderedPlatformComparer."""

    platforms: tuple[Platform, ...]

    def match(self, p: Platform) -> bool:
        return any(_matches(m, p) for m in self.platforms)

    def less(self, p1: Platform, p2: Platform) -> bool:
        for m in self.platforms:
            p1m, p2m = _matches(m, p1), _matches(m, p2)
            if p1m and not p2m:
                return True
            if p1m or p2m:
                if p1m and p2m and len(p1.features) != len(p2.features):
                    return len(p1.features) > len(p2.features)
                return False
        if p1.features or p2.features:
            return self.less(Platform(p1.os, p1.architecture, p1.variant),
                             Platform(p2.os, p2.architecture, p2.variant))  # fmt: skip
        return False


def only(p: Platform) -> Matcher:
    return Matcher(tuple(_vector(normalize(p))))


def only_strict(p: Platform) -> Matcher:
    return Matcher((normalize(p),))


# --- which node a build runs on ---------------------------------------------------------


@dataclass
class Choice:
    nodes: frozenset[int]  # the indexes of the nodes the build may run on
    certain: bool  # False: detected platforms were not known; every node that may match counts
    reason: str


def _get(
    p: Platform, matcher: Callable[[Platform], Matcher], nodes: Sequence[Sequence[Platform]]
) -> int:
    """build/resolver/driver.go nodeResolver.get."""
    best, best_platform = -1, Platform("", "")
    for i, platforms in enumerate(nodes):
        for p2 in platforms:
            m = matcher(p2)
            if not m.match(p):
                continue
            if best == -1 or matcher(p2).less(p, best_platform):
                best, best_platform = i, p2
    return best


def _resolve(
    requested: Sequence[Platform],
    nodes: Sequence[Sequence[Platform]],
    matcher: Callable[[Platform], Matcher],
) -> tuple[list[int], bool]:
    indexes, perfect = [], True
    for p in requested:
        index = _get(p, matcher, nodes)
        if index == -1:
            index, perfect = 0, False
        indexes.append(index)
    return indexes or [0], perfect


def choose(
    stored: Sequence[Sequence[Platform]],
    requested: Sequence[Platform],
    detected: Optional[Sequence[Optional[Sequence[Platform]]]] = None,
    names: Optional[Sequence[str]] = None,
) -> Choice:
    """The nodes a build for `requested` runs on (indexes into the builder's nodes).

    `stored`: each node's platforms in the store; `detected`: each node's worker platforms
    as buildx lists them (None, or None for a node: not known).
    """
    count = len(stored)
    names = list(names or [f"#{i}" for i in range(count)])
    if count <= 1 or not requested:
        why = "a build without --platform runs on the first node" if not requested else (
            "the builder has one node")  # fmt: skip
        return Choice(frozenset([0]) if count else frozenset(), True, why)
    wanted = ", ".join(map(str, requested))
    strict, perfect = _resolve(requested, stored, only_strict)
    legacy = _legacy(stored, requested, detected)
    if perfect:
        chosen = frozenset(strict)
        why = f"a build for {wanted} runs on the node whose platforms match exactly"
        return _with_legacy(Choice(chosen, True, why), legacy, names)
    known: list[Optional[list[Platform]]] = [None] * count
    for i, seen in enumerate((detected or [])[:count]):
        known[i] = None if seen is None else list(seen)
    unknown = [i for i, d in enumerate(known) if d is None]
    full = [[*stored[i], *(known[i] or [])] for i in range(count)]
    if not unknown:
        chosen = frozenset(_resolve(requested, full, only)[0])
        why = (
            f"a build for {wanted} runs on the node whose platforms (stored and detected by "
            "buildx) match best, else on the first node"
        )
        return _with_legacy(Choice(chosen, True, why), legacy, names)
    # Conservative: any node whose detected platforms are not known may be the best match.
    matched = [i for i in range(count) if i not in unknown]
    maybe = set(unknown)
    for p in requested:
        best = _get(p, only, [full[i] if i in matched else [] for i in range(count)])
        maybe.add(best if best != -1 else 0)
    why = (
        f"no node stores a platform matching {wanted} exactly, so buildx picks by the "
        "platforms each node's BuildKit detects, which could not be learnt here "
        "(`docker buildx inspect` lists them): every node that may be picked counts"
    )
    return _with_legacy(Choice(frozenset(maybe), False, why), legacy, names)


def _legacy(
    stored: Sequence[Sequence[Platform]],
    requested: Sequence[Platform],
    detected: Optional[Sequence[Optional[Sequence[Platform]]]],
) -> frozenset[int]:
    """buildx v0.10–v0.12 build/build.go resolveDriversBase: exact formatted matches, the
    last node with a stored platform winning, then the first node detecting it, else 0."""
    available: dict[str, int] = {}
    for i, platforms in enumerate(stored):
        for p in platforms:
            available[str(normalize(p))] = i
    keys = [str(normalize(p)) for p in requested]
    if all(k in available for k in keys):
        return frozenset(available[k] for k in keys)
    maybe: set[int] = set()
    seen: Sequence[Optional[Sequence[Platform]]] = detected or [None] * len(stored)
    for i, found in enumerate(seen):
        if found is None:
            maybe.add(i)
            continue
        for p in found:
            available.setdefault(str(normalize(p)), i)
    return frozenset(maybe | {available.get(k, 0) for k in keys})


def _with_legacy(choice: Choice, legacy: frozenset[int], names: Sequence[str]) -> Choice:
    extra = legacy - choice.nodes
    if not extra:
        return choice
    said = ", ".join(names[i] for i in sorted(extra))
    return Choice(
        choice.nodes | extra,
        choice.certain,
        f"{choice.reason}; buildx before v0.13 (exact matches, the last node wins) would "
        f"pick {said}, so that counts too",
    )
