"""Plain data passed between the edges (probes, drivers) and the pure core (verdict).

Everything here is a value: no I/O, no imports beyond the standard library. The edges
produce `RuntimeFacts` / `NodeFacts`; `verdict.decide` turns them into `NodeResult`;
`report/*` renders a `Result`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from .behaviour import Behaviour

# Per-invocation status of a runtime: did it take the option BuildKit sends?
ACCEPTED = "accepted"  # the runtime parsed it and got as far as the (missing) bundle
REJECTED = "rejected"  # "unrecognized option", "flag provided but not defined", …
IGNORED = "ignored"  # parsed, but the knowledge base says it is not honoured (youki --keep)
UNKNOWN = "unknown"  # could not tell

# Verdicts, ordered from best to worst for aggregation.
PASS = "pass"
WARN = "warn"
BLOCK = "block"
VERDICT_UNKNOWN = "unknown"
VERDICT_ORDER = {PASS: 0, WARN: 1, VERDICT_UNKNOWN: 2, BLOCK: 3}

# Severity of an invocation in the knowledge base: what happens when the runtime lacks it.
SEVERITY_BLOCK = "block"  # every RUN step needs it
SEVERITY_WARN = "warn"  # only debug / interactive containers use it


def worst(verdicts: list[str]) -> str:
    """The aggregate of several verdicts: block > unknown > warn > pass; empty is unknown."""
    if not verdicts:
        return VERDICT_UNKNOWN
    return max(verdicts, key=lambda v: VERDICT_ORDER[v])


@dataclass
class ProbeOutcome:
    """What one invocation of the runtime binary answered (or why it could not be asked)."""

    invocation_id: str  # stable id from metadata, e.g. "run-keep"
    status: str  # ACCEPTED / REJECTED / UNKNOWN (IGNORED is only assigned by the verdict)
    evidence: str  # one line, e.g. "exit 64: run: unrecognized option '--keep'"
    exit_code: Optional[int] = None
    argv: tuple[str, ...] = ()  # exactly what was executed (after the binary path)


@dataclass
class RuntimeIdentity:
    """Who a runtime binary says it is, from its `--version` output."""

    name: Optional[str]  # "runc", "crun", "youki", "runsc", "sysbox-runc", "krun"; None: unknown
    version: Optional[str]  # as printed, e.g. "1.8.1", "1.1.5+ds1", "1.4.5.0.0.0.25-7077"
    raw: str = ""  # the whole --version output, kept as evidence
    wrapper: Optional[str] = None  # e.g. "nvidia-container-runtime" when this one is wrapped
    features_tags: tuple[str, ...] = ()  # crun's "+SYSTEMD +LIBKRUN …"


@dataclass
class RuntimeFacts:
    """Everything learnt about one runtime binary at one place (host or container)."""

    path: Optional[str]  # resolved path of the binary that will be executed
    identity: RuntimeIdentity
    probes: dict[str, ProbeOutcome] = field(default_factory=dict)  # by invocation id
    features: Optional[dict[str, Any]] = None  # `features` JSON when the runtime has it
    verified: bool = False  # True when the binary itself was executed and probed
    error: Optional[str] = None  # why it could not be inspected (missing, hung, not executable)
    where: str = "host"  # "host", "container <name>", "pod <ns>/<name>", "declared"
    # Where identity.version came from when the binary does not print it (e.g. runc built
    # without a version stamp in a moby/buildkit image: "image moby/buildkit:v0.18.0").
    version_source: str = ""
    behaviour: Optional[Behaviour] = None  # BuildKit's call sequence run for real (--deep)


# Whether /sys/fs/cgroup where BuildKit runs is a cgroup v2 mount (BuildKit's own test).
CGROUP_V1 = "v1"  # cgroup v1 or hybrid (or nothing mounted there): not cgroup v2
CGROUP_V2 = "v2"


@dataclass
class BuildKitFacts:
    # As precisely as it is known: "v0.12.5", or "v0.25.x" when only the minor release is
    # (an Engine whose patch releases bundle several); None when unknown.
    version: Optional[str]
    source: str = ""  # how it was learnt: "buildkitd --version", "image tag", "Engine 25.0.3"
    worker: Optional[str] = "oci"  # "oci", "containerd", or None when unknown
    # The embedder sets NoPivot (Docker Engine with DOCKER_RAMDISK); None: not known, judged
    # as if it did (the stricter outcome).
    no_pivot: Optional[bool] = False
    cgroup: Optional[str] = None  # CGROUP_V1 / CGROUP_V2 where BuildKit runs; None: unknown
    rootless: Optional[bool] = None  # BuildKit runs rootless; None: unknown
    # How the two were learnt ("/proc/self/mountinfo in container X: cgroup2 at /sys/fs/cgroup")
    # or why not.
    environment: str = ""
    # Judged against a version this node does not run (--buildkit / --engine): `actual` is
    # the one it runs, with where that was learnt.
    hypothetical: bool = False
    actual: Optional[str] = None
    # The release judged against when `version` is a range: the lowest it stands for (every
    # release of a minor sends what its first does, as far as this data goes).
    judged_as: Optional[str] = None

    @property
    def to_judge(self) -> Optional[str]:
        return self.judged_as or self.version


@dataclass
class StoredNode:
    """One node as buildx stored it: what recreating the builder must keep."""

    name: str
    endpoint: Optional[str]
    platforms: list[str] = field(default_factory=list)  # "linux/amd64", …
    driver_opts: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)  # buildkitd flags as given to buildx
    has_config: bool = False  # created with a buildkitd.toml


@dataclass
class StoredBuilder:
    name: str
    driver: str
    nodes: list[StoredNode] = field(default_factory=list)


@dataclass
class FixContext:
    """What the fix texts need to name exact commands for this node."""

    driver: str  # "docker-container", "docker", "kubernetes", "remote", "host"
    builder: Optional[str] = None
    node: Optional[str] = None
    image: Optional[str] = None  # docker-container / kubernetes driver image
    binary_override: Optional[str] = None  # --oci-worker-binary / [worker.oci] binary
    engine_version: Optional[str] = None  # docker driver
    # The runtime the builder container itself runs under (dockerd's HostConfig.Runtime,
    # e.g. "sysbox-runc"), and its version when known.
    container_runtime: Optional[str] = None
    container_runtime_version: Optional[str] = None
    stored: Optional[StoredBuilder] = None  # the builder's stored settings, to recreate it


@dataclass
class NodeFacts:
    """Input of the decision for one builder node, gathered by a driver."""

    builder: str
    node: str
    driver: str
    endpoint: Optional[str]
    buildkit: BuildKitFacts
    runtime: Optional[RuntimeFacts]  # None when no runtime could be determined
    fix_context: FixContext
    status: str = "unknown"  # "running", "stopped", "inactive", "unreachable", "unknown"
    notes: list[str] = field(default_factory=list)  # what could not be verified, and why
    error: Optional[str] = None  # the node could not be inspected at all
    index: int = 0  # the position of its node in the builder (several facts for k8s replicas)


@dataclass
class Check:
    """One line of the report: one thing BuildKit does, and whether the runtime survives it."""

    id: str  # stable; usable in ignore lists
    invocation: str  # e.g. "run --keep"
    status: str  # ACCEPTED / REJECTED / IGNORED / UNKNOWN
    severity: str  # SEVERITY_BLOCK / SEVERITY_WARN: what a failure costs
    verdict: str  # PASS / WARN / BLOCK / VERDICT_UNKNOWN for this check alone
    evidence: str
    reason: str = ""  # why this is not a pass, in words
    fix: list[str] = field(default_factory=list)  # exact commands / steps
    source: str = ""  # upstream reference of the rule
    ignored: bool = False  # listed in an ignore list: reported, not counted


@dataclass
class Foresight:
    """A later BuildKit release sends something this runtime fails: the verdict holds only
    while the node's BuildKit is older."""

    id: str  # the invocation id
    invocation: str  # e.g. "run --keep"
    status: str  # REJECTED / IGNORED, as the probe or the data says
    verdict: str  # BLOCK / WARN: what the node would get from that release on
    buildkit: str  # the first BuildKit release that sends it, e.g. "v0.12.0"
    engine: Optional[str]  # the first Docker Engine release bundling such a BuildKit
    text: str  # the sentence, e.g. "passes with BuildKit v0.11.6; breaks from …"


@dataclass
class NodeResult:
    name: str
    driver: str
    verdict: str
    buildkit: BuildKitFacts
    runtime: Optional[RuntimeFacts]
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: Optional[str] = None
    endpoint: Optional[str] = None
    status: str = "unknown"
    foresight: list[Foresight] = field(default_factory=list)
    # Whether the build being checked runs on this node; None: not asked (every node counts).
    used: Optional[bool] = None


@dataclass
class BuilderResult:
    name: str
    driver: str
    nodes: list[NodeResult] = field(default_factory=list)
    error: Optional[str] = None  # the builder itself could not be read
    selection: Optional[str] = None  # which node a build uses, and why (several nodes)
    # The node was chosen by what the nodes' BuildKit detects (asked of buildx, or not
    # known): nothing cheap witnesses that, so such a verdict is not cached.
    selection_detected: bool = False

    @property
    def verdict(self) -> str:
        if self.error and not self.nodes:
            return VERDICT_UNKNOWN
        return worst([n.verdict for n in self.nodes if n.used is not False])


@dataclass
class Result:
    builders: list[BuilderResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Checked for information only, never a builder's verdict: this host's runtimes when no
    # builder could be inspected.
    advisory: list[BuilderResult] = field(default_factory=list)
    # Set when every node was judged against a hypothetical release (--buildkit / --engine):
    # what was assumed, in words.
    what_if: Optional[str] = None

    @property
    def verdict(self) -> str:
        return worst([b.verdict for b in self.builders])

    @property
    def inspected_nothing(self) -> bool:
        """True when no node could be inspected at all (exit status 3)."""
        nodes = [n for b in self.builders for n in b.nodes]
        return not nodes or all(n.error is not None for n in nodes)
