"""Realistic results for the report tests: the situations the report has to say clearly."""

from __future__ import annotations

import io

from runtimecheck.facts import (
    ACCEPTED,
    BLOCK,
    IGNORED,
    PASS,
    REJECTED,
    SEVERITY_BLOCK,
    SEVERITY_WARN,
    UNKNOWN,
    VERDICT_UNKNOWN,
    WARN,
    BuilderResult,
    BuildKitFacts,
    Check,
    Foresight,
    NodeResult,
    Result,
    RuntimeFacts,
    RuntimeIdentity,
)

INVOCATIONS = [
    ("global-log", "--log FILE --log-format json", SEVERITY_BLOCK),
    ("run-bundle", "run --bundle", SEVERITY_BLOCK),
    ("run-keep", "run --keep", SEVERITY_BLOCK),
    ("delete", "delete", SEVERITY_BLOCK),
    ("kill", "kill", SEVERITY_BLOCK),
    ("exec-pid-file", "exec --pid-file", SEVERITY_WARN),
]

RM_AND_CREATE = (
    "docker buildx rm ci && docker buildx create --name ci --driver docker-container "
    "--driver-opt image=moby/buildkit:buildx-stable-1 "
    "--buildkitd-flags '--oci-worker-binary=buildkit-runc'"
)
PIN = (
    "docker buildx rm ci && docker buildx create --name ci --driver docker-container "
    "--driver-opt image=moby/buildkit:v0.11.6"
)
CRUN_FIX = [
    "Upgrade crun 1.8.1 at /usr/bin/crun to 1.15 or later: it is the first release that "
    "accepts `run --keep`.",
    f"Let BuildKit run the runc bundled in its image: {RM_AND_CREATE}",
    f"Or keep this runtime and pin a BuildKit that does not send `run --keep`: {PIN}",
]
CRUN_KEEP_EVIDENCE = "probe: rejected: exit 1: crun: unrecognized option '--keep'"
CRUN_KEEP_REASON = "crun 1.8.1 rejects `run --keep`: every RUN step fails."


def accepted(invocation_id: str, display: str, severity: str) -> Check:
    return Check(
        id=invocation_id,
        invocation=display,
        status=ACCEPTED,
        severity=severity,
        verdict=PASS,
        evidence="probe: accepted: exit 1: bundle not found",
        source="moby/buildkit executor/runcexecutor",
    )


def checks_with(**overrides: Check) -> list[Check]:
    return [overrides.get(i.replace("-", "_")) or accepted(i, d, s) for i, d, s in INVOCATIONS]


def runtime(name, version, path, *, where="host", verified=True, error=None) -> RuntimeFacts:
    return RuntimeFacts(
        path=path,
        identity=RuntimeIdentity(name=name, version=version, raw=f"{name} version {version}"),
        verified=verified,
        where=where,
        error=error,
    )


def crun_keep_check(*, ignored: bool = False) -> Check:
    return Check(
        id="run-keep",
        invocation="run --keep",
        status=REJECTED,
        severity=SEVERITY_BLOCK,
        verdict=BLOCK,
        evidence=CRUN_KEEP_EVIDENCE,
        reason=CRUN_KEEP_REASON,
        fix=list(CRUN_FIX),
        source="moby/buildkit PR #3860; containers/crun 1.15 NEWS",
        ignored=ignored,
    )


def crun_node(*, ignored: bool = False) -> NodeResult:
    return NodeResult(
        name="ci0",
        driver="docker-container",
        verdict=PASS if ignored else BLOCK,
        buildkit=BuildKitFacts(version="v0.13.2", source="buildkitd --version"),
        runtime=runtime("crun", "1.8.1", "/usr/bin/crun", where="container buildx_buildkit_ci0"),
        checks=checks_with(run_keep=crun_keep_check(ignored=ignored)),
        endpoint="unix:///var/run/docker.sock",
        status="running",
    )


def crun_blocked() -> Result:
    return Result([BuilderResult("ci", "docker-container", nodes=[crun_node()])])


def runc_node() -> NodeResult:
    return NodeResult(
        name="default",
        driver="docker",
        verdict=PASS,
        buildkit=BuildKitFacts(version="v0.13.2", source="Engine 26.1.4"),
        runtime=runtime("runc", "1.1.12", "/usr/bin/runc"),
        checks=checks_with(),
        endpoint="default",
        status="running",
    )


def runc_pass() -> Result:
    return Result([BuilderResult("default", "docker", nodes=[runc_node()])])


def youki_ignored() -> Result:
    keep = Check(
        id="run-keep",
        invocation="run --keep",
        status=IGNORED,
        severity=SEVERITY_BLOCK,
        verdict=BLOCK,
        evidence="probe: accepted: exit 1: bundle not found; but youki is known not to honour it",
        reason="youki 0.3.3 accepts `run --keep` but does not honour it: every RUN step fails.",
        fix=["Build with runc 1.1.0 or later instead of youki: no release of youki honours it."],
    )
    node = NodeResult(
        name="remote0",
        driver="remote",
        verdict=BLOCK,
        buildkit=BuildKitFacts(version="v0.14.1", source="buildkitd --version"),
        runtime=runtime("youki", "0.3.3", "/usr/local/bin/youki", where="declared", verified=False),
        checks=checks_with(run_keep=keep),
        endpoint="tcp://buildkitd:1234",
        status="running",
    )
    return Result([BuilderResult("remote", "remote", nodes=[node])])


def debug_option_rejected() -> Result:
    """Only an option of debug containers is rejected: a warning, builds still work."""
    pid_file = Check(
        id="exec-pid-file",
        invocation="exec --pid-file",
        status=REJECTED,
        severity=SEVERITY_WARN,
        verdict=WARN,
        evidence="probe: rejected: exit 2: unknown flag: --pid-file",
        reason="sysbox-runc 0.6.4 rejects `exec --pid-file`: debug containers fail.",
    )
    node = NodeResult(
        name="sb0",
        driver="docker-container",
        verdict=WARN,
        buildkit=BuildKitFacts(version="v0.13.2", source="buildkitd --version"),
        runtime=runtime("sysbox-runc", "0.6.4", "/usr/bin/sysbox-runc"),
        checks=checks_with(exec_pid_file=pid_file),
        status="running",
    )
    return Result([BuilderResult("sb", "docker-container", nodes=[node])])


def unknown_runtime() -> Result:
    checks = [
        Check(
            id=i,
            invocation=d,
            status=UNKNOWN,
            severity=s,
            verdict=VERDICT_UNKNOWN if s == SEVERITY_BLOCK else WARN,
            evidence="mystery-rt 2.0 is not probed and not in the version data",
            reason=f"Could not tell whether mystery-rt 2.0 accepts `{d}`.",
        )
        for i, d, s in INVOCATIONS
    ]
    node = NodeResult(
        name="k8s0",
        driver="kubernetes",
        verdict=VERDICT_UNKNOWN,
        buildkit=BuildKitFacts(version=None, source="", worker=None),
        runtime=runtime("mystery-rt", "2.0", None, where="pod buildkit/k8s0-abc", verified=False),
        checks=checks,
        notes=["Runtime 'mystery-rt' is not in the knowledge base: it cannot pass."],
        status="running",
    )
    return Result([BuilderResult("k8s", "kubernetes", nodes=[node])])


def uninspectable() -> Result:
    node = NodeResult(
        name="far0",
        driver="docker-container",
        verdict=VERDICT_UNKNOWN,
        buildkit=BuildKitFacts(version=None),
        runtime=None,
        error="Cannot connect to the Docker daemon at tcp://10.0.0.9:2376",
        endpoint="tcp://10.0.0.9:2376",
    )
    return Result([BuilderResult("far", "docker-container", nodes=[node])])


def crun_ignored() -> Result:
    return Result([BuilderResult("ci", "docker-container", nodes=[crun_node(ignored=True)])])


FORESIGHT_TEXT = (
    "passes with BuildKit v0.11.6; breaks from BuildKit v0.12.0 (Docker Engine 25.0): "
    "`run --keep` rejected"
)


def crun_until_0_12() -> Result:
    """crun 1.8.1 under BuildKit v0.11.6: a pass that the next BuildKit breaks."""
    node = NodeResult(
        name="old0",
        driver="docker-container",
        verdict=PASS,
        buildkit=BuildKitFacts(version="v0.11.6", source="buildkitd --version", cgroup="v1"),
        runtime=runtime("crun", "1.8.1", "/usr/bin/crun", where="container buildx_buildkit_old0"),
        checks=[c for c in checks_with() if c.id not in ("run-keep", "delete")],
        status="running",
        foresight=[
            Foresight(
                id="run-keep",
                invocation="run --keep",
                status=REJECTED,
                verdict=BLOCK,
                buildkit="v0.12.0",
                engine="25.0.0",
                text=FORESIGHT_TEXT,
            )
        ],
    )
    return Result([BuilderResult("old", "docker-container", nodes=[node])])


def mixed() -> Result:
    """Every situation at once, on several builders."""
    builders = [
        *crun_blocked().builders,
        *runc_pass().builders,
        *youki_ignored().builders,
        *unknown_runtime().builders,
        *uninspectable().builders,
        BuilderResult("gone", "docker-container", error="no builder 'gone' in the buildx store"),
    ]
    return Result(builders, notes=["Nodes were probed concurrently."])


ALL = {
    "crun_blocked": crun_blocked,
    "runc_pass": runc_pass,
    "youki_ignored": youki_ignored,
    "debug_option_rejected": debug_option_rejected,
    "unknown_runtime": unknown_runtime,
    "uninspectable": uninspectable,
    "crun_ignored": crun_ignored,
    "crun_until_0_12": crun_until_0_12,
    "mixed": mixed,
}


class FakeStream(io.StringIO):
    """A stream that says whether it is a terminal and what it can encode."""

    def __init__(self, *, tty: bool, encoding: str = "utf-8"):
        super().__init__()
        self._tty = tty
        self._encoding = encoding

    def isatty(self) -> bool:
        return self._tty

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


# --- the behaviour probe (--deep), decided by the real verdict over the packaged knowledge ---


def _behaviour_steps(last: str, outcome: str, evidence: str):
    from runtimecheck.behaviour import OUTCOME_OK, Step
    from runtimecheck.probe.deep import CALLS

    ok = {"run-keep": "exit 0: the container's process exited at once", "state-kept": "stopped"}
    steps = []
    for name in CALLS:
        if name == "run-plain":
            continue
        if name == last:
            steps.append(Step(name, CALLS[name], outcome, 1, "1", evidence))
            return steps
        steps.append(Step(name, CALLS[name], OUTCOME_OK, 0, "0", ok.get(name, "exit 0")))
    return steps


def deep_node(behaviour, *, name: str = "ci0") -> NodeResult:
    """A docker-container node whose buildkit-runc says it is runc 1.1.12, probed with --deep."""
    from runtimecheck import knowledge, verdict
    from runtimecheck.facts import FixContext, NodeFacts, StoredBuilder, StoredNode

    facts_runtime = runtime(
        "runc", "1.1.12", "/usr/bin/buildkit-runc", where=f"container buildx_buildkit_{name}"
    )
    facts_runtime.probes = {}
    facts_runtime.behaviour = behaviour
    stored = StoredBuilder(
        name="ci",
        driver="docker-container",
        nodes=[
            StoredNode(
                name=name,
                endpoint="unix:///var/run/docker.sock",
                driver_opts={"image": "example.com/buildkit:custom"},
            )
        ],
    )
    facts = NodeFacts(
        builder="ci",
        node=name,
        driver="docker-container",
        endpoint="unix:///var/run/docker.sock",
        buildkit=BuildKitFacts(version="v0.13.2", source="buildkitd --version"),
        runtime=facts_runtime,
        fix_context=FixContext(
            driver="docker-container",
            builder="ci",
            node=name,
            image="example.com/buildkit:custom",
            stored=stored,
        ),
        status="running",
    )
    return verdict.decide(knowledge.load(), facts)


DEEP_GONE_EVIDENCE = "exit 1: container does not exist"


def deep_differs() -> Result:
    """buildkit-runc parses `run --keep` but removes the container when its process exits."""
    from runtimecheck.behaviour import DIFFERS, OUTCOME_DIFFERS, Behaviour

    behaviour = Behaviour(
        DIFFERS,
        step="state-kept",
        reason="after `run --keep` returned, `state <id>` found no container: the runtime "
        f"removed it when its process exited ({DEEP_GONE_EVIDENCE})",
        steps=_behaviour_steps("state-kept", OUTCOME_DIFFERS, DEEP_GONE_EVIDENCE),
    )
    return Result([BuilderResult("ci", "docker-container", nodes=[deep_node(behaviour)])])


def deep_behaves() -> Result:
    from runtimecheck.behaviour import BEHAVES, Behaviour

    behaviour = Behaviour(BEHAVES, steps=_behaviour_steps("", "", ""))
    return Result([BuilderResult("ci", "docker-container", nodes=[deep_node(behaviour)])])


DEEP_NOT_RUN_REASON = (
    "no CAP_SYS_ADMIN (CapEff 00000000a80425fb): an unprivileged container cannot create containers"
)


def deep_not_run() -> Result:
    from runtimecheck.behaviour import NOT_RUN, Behaviour

    behaviour = Behaviour(NOT_RUN, reason=DEEP_NOT_RUN_REASON)
    return Result([BuilderResult("ci", "docker-container", nodes=[deep_node(behaviour)])])


ALL.update(deep_differs=deep_differs, deep_behaves=deep_behaves, deep_not_run=deep_not_run)
