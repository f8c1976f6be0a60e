"""The verdict's words, exactly as users read them: notes, evidence, reasons and fixes.

The other verdict tests say what is decided; these say how it is told. A change of wording
is a change of this file.
"""

from __future__ import annotations

from dataclasses import replace

from runtimecheck.facts import (
    ACCEPTED,
    REJECTED,
    UNKNOWN,
    RuntimeFacts,
    RuntimeIdentity,
)
from runtimecheck.verdict import decide
from support.nodes import all_accepted, check, node

KEEP_FAILS = (
    "every RUN step fails (BuildKit keeps the container to read its final resource usage, "
    "then deletes it)"
)
DELETE_FAILS = (
    "every RUN step fails (on a cgroup v1 or hybrid host, and with rootless BuildKit, "
    "delete's error becomes the step's)"
)
CRUN_KEEP = "containers/crun issue #1428, PR #1429 (1.15)"
PIN = "docker buildx rm --keep-state ci && docker buildx create --name ci --driver docker-container"
CACHE = (
    "Recreating the builder keeps its build cache only because of `--keep-state` (the new "
    "nodes have the same names, so they find their state volumes)."
)
# For a docker-container builder "ci" whose runtime fails `run --keep`, after any upgrade.
OTHER_RUNTIME_OR_PIN = [
    "Let BuildKit run the runc bundled in moby/buildkit:buildx-stable-1: "
    f"{PIN} --node ci0 --driver-opt image=moby/buildkit:buildx-stable-1 "
    "--buildkitd-flags=--oci-worker-binary=buildkit-runc",
    "Or keep this runtime and pin a BuildKit that does not send `run --keep`: "
    f"{PIN} --node ci0 --driver-opt image=moby/buildkit:v0.11.6",
    CACHE,
]


def test_the_containerd_worker_note(kb):
    result = decide(kb, node("crun", "1.8.1", "v0.12.0", worker="containerd"))
    assert result.notes == [
        "containerd worker: BuildKit runs containers through containerd shims and never calls "
        "`run`, so the OCI runtime's command line does not matter here."
    ]


def test_an_unknown_worker_note(kb):
    result = decide(kb, node("runc", "1.1.5", "v0.12.0", worker=None))
    assert result.notes == [
        "BuildKit worker unknown: evaluated as the OCI worker, BuildKit's default when runc is "
        "on its PATH."
    ]


def test_the_no_pivot_note(kb):
    result = decide(kb, node("runc", "1.1.5", "v0.12.0", no_pivot=None))
    assert result.notes == [
        "Whether the embedder sends `run --no-pivot` (Docker Engine does when dockerd runs with "
        "DOCKER_RAMDISK set) could not be learnt: judged as if it did."
    ]


def test_buildkit_version_notes(kb):
    newest = kb.newest_buildkit()
    unknown = decide(kb, node("runc", "1.1.5", None))
    assert unknown.notes == [
        f"BuildKit version unknown: evaluated against the newest BuildKit this data knows "
        f"({newest}); a newer one may send more, so this node cannot pass."
    ]
    unreadable = decide(kb, node("runc", "1.1.5", "weird"))
    assert unreadable.notes == [
        f"BuildKit version 'weird': evaluated against the newest BuildKit this data knows "
        f"({newest}); a newer one may send more, so this node cannot pass."
    ]
    newer = decide(kb, node("runc", "1.1.5", "v9.0.0"))
    assert newer.notes == [
        f"BuildKit v9.0.0 is newer than the newest this data knows ({newest}): checked against "
        f"what {newest} sends."
    ]


def test_runtime_notes(kb):
    wrapper = decide(kb, node("nvidia-container-runtime", None, "v0.12.0"))
    assert wrapper.notes == [
        "nvidia-container-runtime wraps another runtime that could not be identified; what "
        "counts is the wrapped runtime."
    ]
    stranger = decide(kb, node("brand-new-rt", "1.0", "v0.12.0"))
    assert stranger.notes == [
        "Runtime 'brand-new-rt' is not in the knowledge base: even options it accepts may be "
        "ignored, so it cannot pass."
    ]
    nameless = decide(kb, node(None, None, "v0.12.0"))
    assert nameless.notes == [
        "Runtime not identified: even options it accepts may be ignored, so it cannot pass."
    ]


def test_a_runtime_not_inspected(kb):
    facts = node("runc", "1.1.5", "v0.12.0")
    facts.runtime = RuntimeFacts(path=None, identity=RuntimeIdentity(None, None),
                                 error="runc: not found on PATH")  # fmt: skip
    result = decide(kb, facts)
    assert result.notes == ["Runtime not inspected: runc: not found on PATH."]
    keep = check(result, "run-keep")
    assert keep.evidence == "runtime not inspected: runc: not found on PATH"
    assert keep.reason == (
        f"Could not tell whether the runtime accepts `run --keep`; if it does not, {KEEP_FAILS}."
    )
    facts.runtime = None
    result = decide(kb, facts)
    assert result.notes == ["Runtime not inspected: no runtime could be determined."]
    assert check(result, "run-keep").evidence == (
        "runtime not inspected: no runtime could be determined"
    )


def test_who_the_runtime_is(kb):
    assert check(decide(kb, node("brand-new-rt", None, "v0.12.0")), "run-keep").reason == (
        "Could not tell whether brand-new-rt (version unknown) accepts `run --keep`; if it "
        f"does not, {KEEP_FAILS}."
    )
    wrapped = node("crun", "1.8.1", "v0.12.0", wrapper="nvidia-container-runtime")
    assert check(decide(kb, wrapped), "run-keep").reason == (
        f"crun 1.8.1 (via nvidia-container-runtime) rejects `run --keep`: {KEEP_FAILS}."
    )


def test_evidence_of_the_data_and_of_the_probe(kb):
    data = check(decide(kb, node("crun", "1.8.1", "v0.12.0")), "run-keep")
    assert data.evidence == f"from version data: crun 1.8.1 < 1.15: rejected ({CRUN_KEEP})"
    assert data.reason == f"crun 1.8.1 rejects `run --keep`: {KEEP_FAILS}."

    probes = {**all_accepted(kb), "run-keep": ACCEPTED}
    overruled = check(decide(kb, node("crun", "1.8.1", "v0.12.0", probes=probes)), "run-keep")
    assert overruled.evidence == (
        "probe: accepted: exit 1: probe says accepted; version data says otherwise (from "
        f"version data: crun 1.8.1 < 1.15: rejected ({CRUN_KEEP})): the probe wins"
    )
    assert overruled.reason == ""


def test_evidence_of_a_row_for_every_version(kb):
    [row] = kb.support_for("runsc", "run-keep")
    versioned = check(decide(kb, node("runsc", "1.0", "v0.12.0")), "run-keep")
    assert versioned.evidence == (
        f"from version data: runsc 1.0 (every version): rejected ({row.source})"
    )
    unversioned = check(decide(kb, node("runsc", None, "v0.12.0")), "run-keep")
    assert unversioned.reason == f"runsc (version unknown) rejects `run --keep`: {KEEP_FAILS}."


def test_an_inconclusive_probe(kb):
    probes = {**all_accepted(kb), "run-keep": UNKNOWN}
    rejected = check(decide(kb, node("crun", "1.8.1", "v0.12.0", probes=probes)), "run-keep")
    assert rejected.evidence == (
        f"from version data: crun 1.8.1 < 1.15: rejected ({CRUN_KEEP}); probe inconclusive: "
        "exit 1: probe says unknown"
    )
    unconfirmed = check(decide(kb, node("crun", "1.15", "v0.12.0", probes=probes)), "run-keep")
    assert unconfirmed.evidence == (
        "accepted by version data, not confirmed: probe: exit 1: probe says unknown (from "
        "version data: crun 1.15 >= 1.15: accepted (containers/crun PR #1429 (1.15)))"
    )
    assert unconfirmed.reason == (
        "`run --keep` is accepted by version data, not confirmed: the probe of crun 1.15 ended "
        f"without an answer; if it fails, {KEEP_FAILS}."
    )
    assert unconfirmed.fix == []
    stranger = decide(kb, node("brand-new-rt", "1.0", "v0.12.0", probes=probes))
    assert check(stranger, "run-keep").evidence == (
        "brand-new-rt 1.0 is not probed and not in the version data; probe inconclusive: "
        "exit 1: probe says unknown"
    )


def test_a_known_runtime_without_data_for_its_version(kb):
    result = decide(kb, node("runc", "0.1.1", "v0.12.0"))
    log = check(result, "global-log")
    assert log.evidence == "no version data for runc 0.1.1 and not probed"
    assert log.reason == (
        "Could not tell whether runc 0.1.1 accepts `--log <file> --log-format json`; if it does "
        "not, every call to the runtime fails, so every RUN step fails."
    )


def test_an_option_accepted_but_not_honoured(kb):
    result = decide(kb, node("youki", "0.4.1", "v0.12.5", probes=all_accepted(kb, "v0.12.5")))
    keep = check(result, "run-keep")
    row = kb.support("youki", "run-keep", "0.4.1")
    assert keep.evidence == (
        "probe: accepted: exit 1: probe says accepted; but youki is known not to honour it: "
        f"{row.note} ({row.source})"
    )
    assert keep.reason == (
        f"youki 0.4.1 accepts `run --keep` but does not honour it ({row.note}): {DELETE_FAILS}."
    )
    assert keep.fix == OTHER_RUNTIME_OR_PIN


def test_the_stricter_outcome_note(kb):
    facts = node("youki", "0.4.1", "v0.12.5", probes=all_accepted(kb, "v0.12.5"))
    facts.buildkit.environment = "no /proc/self/mountinfo in the container"
    assert decide(kb, facts).notes == [
        "What a failing `delete <id>` costs depends on the host's cgroup version and whether "
        "BuildKit runs rootless, which could not be learnt (no /proc/self/mountinfo in the "
        f"container): judged by the stricter outcome, {DELETE_FAILS}."
    ]
    facts.buildkit.rootless = False
    facts.buildkit.environment = ""
    assert decide(kb, facts).notes == [
        "What a failing `delete <id>` costs depends on the host's cgroup version, which could "
        f"not be learnt: judged by the stricter outcome, {DELETE_FAILS}."
    ]


def test_the_fixes_for_a_rejected_keep(kb):
    keep = check(decide(kb, node("crun", "1.8.1", "v0.12.0")), "run-keep")
    assert keep.fix == [
        "Upgrade crun 1.8.1 at /usr/bin/runc to 1.15 or later: it is the first release that "
        "accepts `run --keep`.",
        *OTHER_RUNTIME_OR_PIN,
    ]


def test_a_builder_without_stored_settings_is_recreated_from_what_is_known(kb):
    facts = node("crun", "1.8.1", "v0.12.0", binary_override="crun")
    facts.fix_context = replace(facts.fix_context, node=None, image="moby/buildkit:v0.12.5")
    keep = check(decide(kb, facts), "run-keep")
    assert f"{PIN} --node ci0 --driver-opt image=moby/buildkit:v0.11.6" in "\n".join(keep.fix)
    nameless = replace(facts.fix_context, builder=None)
    facts.fix_context = nameless
    fixes = "\n".join(check(decide(kb, facts), "run-keep").fix)
    assert "docker buildx create --name '<builder>' " in fixes
    assert "--node '<builder>0' " in fixes


def test_foresight_texts(kb):
    docker = decide(kb, node("runc", "1.0.3", "v0.11.6", driver="docker", engine_version="24.0.7"))
    assert [f.text for f in docker.foresight] == [
        "passes with Docker Engine 24.0.7 (BuildKit v0.11.6); breaks from Docker Engine 25.0 "
        "(BuildKit v0.12.0 and later): `run --keep` rejected"
    ]
    container = decide(kb, node("runc", "1.0.3", "v0.11.6"))
    assert [f.text for f in container.foresight] == [
        "passes with BuildKit v0.11.6; breaks from BuildKit v0.12.0 (Docker Engine 25.0): "
        "`run --keep` rejected"
    ]
    youki = node("youki", "0.4.1", "v0.11.6", probes=all_accepted(kb, "v0.11.6"))
    youki.buildkit.cgroup, youki.buildkit.rootless = "v2", False
    assert [f.text for f in decide(kb, youki).foresight] == [
        "passes with BuildKit v0.11.6; warns from BuildKit v0.12.0 (Docker Engine 25.0): "
        "`run --keep` accepted but not honoured"
    ]


def test_the_words_for_a_runc_that_may_fail_under_sysbox(kb):
    facts = node("crun", "1.8.1", "v0.12.0")
    facts.fix_context.container_runtime = "sysbox-runc"
    assert check(decide(kb, facts), "run-keep").fix[1] == (
        "The builder container runs under sysbox-runc (its version is not known): the runc "
        "1.4.3 of moby/buildkit:buildx-stable-1 fails there if it is an older one: runc 1.2 and "
        "later fail inside sysbox before 0.6.6 when they mount /proc (/proc/thread-self) "
        "(nestybox/sysbox issue #879, opencontainers/runc issue #4542: fixed in sysbox v0.6.6); "
        "runc 1.3.3 and later fail inside sysbox before 0.7.0 on their procfs hardening (openat2 "
        "across sysbox-fs mounts) (nestybox/sysbox issue #973 (Docker Engine 28.5.2 with runc "
        "1.3.3), fixed in sysbox v0.7.0 (PR #992, openat2 trapped)). With sysbox-runc 0.7.0 or "
        "later it runs. moby/buildkit:v0.17.3 bundles runc 1.1.15, which runs there. Let "
        "BuildKit run the runc bundled in moby/buildkit:v0.17.3: "
        f"{PIN} --node ci0 --driver-opt image=moby/buildkit:v0.17.3 "
        "--buildkitd-flags=--oci-worker-binary=buildkit-runc"
    )


def test_a_check_names_every_source_it_rests_on(kb):
    # The invocation's, the data row's, and the consequence row's where one held.
    probes = {**all_accepted(kb, "v0.12.5"), "delete": REJECTED}
    facts = node("crun", "1.15", "v0.12.5", probes=probes, cgroup="v2", rootless=False)
    delete = check(decide(kb, facts), "delete")
    [consequence] = [c for c in kb.consequences if c.matches({"cgroup": "v2", "rootless": False})]
    assert delete.source == "; ".join([
        kb.invocation("delete").source,
        kb.support("crun", "delete", "1.15").source,
        consequence.source,
    ])  # fmt: skip


def test_the_evidence_for_a_wrapped_runtime_that_was_not_found(kb):
    result = decide(kb, node("nvidia-container-runtime", None, "v0.12.0"))
    assert {c.evidence for c in result.checks} == {
        "the runtime is not probed and not in the version data"
    }
