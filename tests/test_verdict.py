"""The decision on known cases, pure: no engine, no binaries."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

import pytest

from runtimecheck import knowledge
from runtimecheck.facts import (
    ACCEPTED,
    IGNORED,
    REJECTED,
    UNKNOWN,
    NodeFacts,
    ProbeOutcome,
)
from runtimecheck.verdict import decide
from support.nodes import all_accepted, check, node


def knowledge_with(tmp_path: Path, **appended: str) -> knowledge.Knowledge:
    """The packaged knowledge with text appended to some of its files (by name: fixes=…)."""
    data = tmp_path / "metadata"
    shutil.copytree(knowledge.default_directory(), data)
    for name, text in appended.items():
        with (data / f"{name}.toml").open("a") as f:
            f.write(text)
    return knowledge.load(data)


def test_crun_1_14_4_with_buildkit_0_12_blocks(kb):
    result = decide(kb, node("crun", "1.14.4", "v0.12.0"))
    assert result.verdict == "block"
    keep = check(result, "run-keep")
    assert (keep.status, keep.verdict) == (REJECTED, "block")
    assert keep.evidence.startswith("from version data: crun 1.14.4 < 1.15")
    assert "PR #1429" in keep.evidence
    assert any("crun" in f and "1.15 or later" in f for f in keep.fix)


def test_crun_1_15_passes(kb):
    result = decide(kb, node("crun", "1.15", "v0.12.0"))
    assert result.verdict == "pass"
    assert all(c.verdict == "pass" for c in result.checks)


def test_runc_1_0_3_blocks_with_buildkit_0_12_and_passes_with_0_11_6(kb):
    assert decide(kb, node("runc", "1.0.3", "v0.12.0")).verdict == "block"
    older = decide(kb, node("runc", "1.0.3", "v0.11.6"))
    assert older.verdict == "pass"
    assert "run-keep" not in {c.id for c in older.checks}


def test_runc_release_candidate_is_judged_not_unknown(kb):
    """1.0.0-rc93 matched no row before; it rejects --keep like every 1.0.x."""
    result = decide(kb, node("runc", "1.0.0-rc93", "v0.12.5"))
    assert result.verdict == "block"
    keep = check(result, "run-keep")
    assert keep.status == REJECTED
    assert keep.evidence.startswith("from version data: runc 1.0.0-rc93 < 1.1.0rc1")
    # The upgrade names the release, not the candidate.
    assert any("to 1.1.0 or later" in f for f in keep.fix)
    assert decide(kb, node("runc", "1.0.0-rc93", "v0.11.6")).verdict == "pass"
    assert decide(kb, node("runc", "1.1.0-rc.1", "v0.12.5")).verdict == "pass"


def test_youki_before_0_2_rejects_keep(kb):
    result = decide(kb, node("youki", "0.1.0", "v0.12.5"))
    assert check(result, "run-keep").status == REJECTED
    assert result.verdict == "block"


def test_youki_0_4_does_not_honour_no_pivot(kb):
    result = decide(kb, node("youki", "0.4.1", "v0.11.6", no_pivot=True))
    pivot = check(result, "run-no-pivot")
    assert (pivot.status, pivot.verdict) == (IGNORED, "block")
    fixed = decide(kb, node("youki", "0.5.0", "v0.11.6", no_pivot=True))
    assert check(fixed, "run-no-pivot").status == ACCEPTED


def test_youki_blocks_although_it_accepts_keep(kb):
    result = decide(kb, node("youki", "0.5.2", "v0.13.2", probes=all_accepted(kb, "v0.13.2")))
    keep = check(result, "run-keep")
    assert keep.status == IGNORED
    assert keep.verdict == "block"
    assert "probe: accepted" in keep.evidence and "not to honour" in keep.evidence
    assert result.verdict == "block"


def test_youki_of_unknown_version_still_counts_as_ignoring_keep(kb):
    result = decide(kb, node("youki", None, "v0.13.2", probes=all_accepted(kb, "v0.13.2")))
    assert check(result, "run-keep").status == IGNORED
    assert result.verdict == "block"


def test_runsc_blocks(kb):
    result = decide(kb, node("runsc", "release-20240513.0", "v0.12.5"))
    assert check(result, "run-keep").status == REJECTED
    assert result.verdict == "block"
    fixes = " ".join(check(result, "run-keep").fix)
    assert "--oci-worker-binary=buildkit-runc" in fixes
    assert "Upgrade" not in fixes


def test_runsc_with_an_unparsable_version_still_blocks(kb):
    assert decide(kb, node("runsc", "weird", "v0.12.5")).verdict == "block"


def test_engine_24_with_crun_as_runc_passes_and_engine_25_blocks(kb):
    for engine, expected in (("24.0.7", "pass"), ("25.0.3", "block")):
        found = kb.engine_buildkit(engine)
        assert found is not None
        facts = node("crun", "1.8.1", found[0], driver="docker", engine_version=engine)
        assert decide(kb, facts).verdict == expected, engine


def test_docker_driver_fixes_name_the_runc_command_only_from_engine_26(kb):
    def fixes(engine):
        facts = node("crun", "1.8.1", "v0.12.5", driver="docker", engine_version=engine)
        return " ".join(check(decide(kb, facts), "run-keep").fix)

    assert "DOCKER_BUILDKIT_RUNC_COMMAND" not in fixes("25.0.3")
    assert "DOCKER_BUILDKIT_RUNC_COMMAND" in fixes("26.1.1")
    assert "runc 1.1.0 or later as `runc` on dockerd's PATH" in fixes("25.0.3")
    # The templates after the one that does not apply are all still offered.
    assert "Or build with a docker-container builder" in fixes("25.0.3")


def test_docker_container_fixes_are_commands_for_this_builder(kb):
    facts = node("crun", "1.8.1", "v0.12.5", binary_override="crun")
    fixes = check(decide(kb, facts), "run-keep").fix
    pin = next(f for f in fixes if "moby/buildkit:v0.11.6" in f)
    rm, create = pin.split(": ", 1)[1].split(" && ")
    assert rm == "docker buildx rm --keep-state ci"
    assert create == (
        "docker buildx create --name ci --driver docker-container --node ci0 "
        "--driver-opt image=moby/buildkit:v0.11.6 --buildkitd-flags=--oci-worker-binary=crun"
    )
    assert not any("{" in f or "<builder>" in f for f in fixes)
    assert "keeps its build cache only because of `--keep-state`" in fixes[-1]


def test_pinning_buildkit_is_not_offered_for_what_old_buildkit_also_sends(kb):
    facts = node("crun", "1.8.1", "v0.12.5", probes={"run-bundle": REJECTED})
    bundle = check(decide(kb, facts), "run-bundle")
    assert bundle.verdict == "block"
    assert not any("v0.11.6" in f for f in bundle.fix)
    assert [f.split(":", 1)[0] for f in bundle.fix] == [
        "Let BuildKit run the runc bundled in moby/buildkit",
        "Recreating the builder keeps its build cache only because of `--keep-state` (the new "
        "nodes have the same names, so they find their state volumes).",
    ]


@pytest.mark.parametrize("probed", [False, True])
def test_unknown_runtime_is_never_a_pass(kb, probed):
    probes = all_accepted(kb, "v0.12.5") if probed else None
    result = decide(kb, node(None, None, "v0.12.5", probes=probes))
    assert result.verdict == "unknown"


def test_runtime_missing_from_the_data_is_not_a_pass(kb):
    probes = all_accepted(kb, "v0.12.5")
    assert decide(kb, node("brand-new-rt", "1.0", "v0.12.5", probes=probes)).verdict == "unknown"


def test_unknown_runtime_that_rejects_keep_blocks(kb):
    result = decide(kb, node(None, None, "v0.12.5", probes={"run-keep": REJECTED}))
    assert result.verdict == "block"


def test_probe_wins_over_version_data_and_evidence_mentions_both(kb):
    result = decide(kb, node("crun", "1.8.1", "v0.12.5", probes=all_accepted(kb, "v0.12.5")))
    keep = check(result, "run-keep")
    assert keep.status == ACCEPTED
    assert "probe: accepted" in keep.evidence and "version data says otherwise" in keep.evidence
    assert result.verdict == "pass"


def test_inconclusive_probe_falls_back_to_version_data(kb):
    result = decide(kb, node("crun", "1.8.1", "v0.12.5", probes={"run-keep": UNKNOWN}))
    keep = check(result, "run-keep")
    assert keep.status == REJECTED and "probe inconclusive" in keep.evidence


def test_wrapped_runtime_is_judged_by_what_it_wraps(kb):
    result = decide(kb, node("crun", "1.14.4", "v0.12.5", wrapper="nvidia-container-runtime"))
    assert result.verdict == "block"
    assert "via nvidia-container-runtime" in check(result, "run-keep").reason


def test_wrapper_whose_runtime_is_unknown_is_unknown(kb):
    facts = node("nvidia-container-runtime", "1.17.0", "v0.12.5")
    assert decide(kb, facts).verdict == "unknown"


def test_unknown_buildkit_version_is_evaluated_against_the_newest_and_does_not_pass(kb):
    good = decide(kb, node("runc", "1.1.12", "unknown"))
    assert good.verdict == "warn"
    assert any(kb.newest_buildkit() in n for n in good.notes)
    assert "run-keep" in {c.id for c in good.checks}
    assert decide(kb, node("crun", "1.8.1", None)).verdict == "block"


def test_buildkit_prerelease_counts_as_that_release(kb):
    assert decide(kb, node("crun", "1.8.1", "v0.13.0-beta3")).verdict == "block"


def test_containerd_worker_passes_with_a_note(kb):
    result = decide(kb, node("crun", "1.8.1", "v0.12.5", worker="containerd"))
    assert result.verdict == "pass"
    assert result.checks == []
    assert any("containerd" in n for n in result.notes)


def test_node_that_could_not_be_inspected_is_unknown_without_checks(kb):
    result = decide(kb, node("runc", "1.1.12", "v0.12.5", error="builder unreachable"))
    assert result.verdict == "unknown"
    assert result.checks == []
    assert result.error == "builder unreachable"


def test_runtime_that_could_not_be_inspected_is_unknown(kb):
    facts = node("runc", "1.1.12", "v0.12.5")
    assert facts.runtime is not None
    facts.runtime.error = "binary not found"
    assert decide(kb, facts).verdict == "unknown"
    facts.runtime = None
    assert decide(kb, facts).verdict == "unknown"


def test_ignored_checks_are_reported_but_not_counted(kb):
    result = decide(kb, node("crun", "1.8.1", "v0.12.5"), ignore=frozenset({"run-keep"}))
    keep = check(result, "run-keep")
    assert keep.ignored and keep.verdict == "block"
    assert result.verdict == "pass"


def test_warn_only_invocation_gives_warn(kb):
    facts = node("runc", "1.1.12", "v0.12.5", probes={"exec-pid-file": REJECTED})
    result = decide(kb, facts)
    assert check(result, "exec-pid-file").verdict == "warn"
    assert result.verdict == "warn"


def test_no_pivot_is_checked_when_the_embedder_sets_it(kb):
    result = decide(kb, node("runsc", "release-20240513.0", "v0.11.6", no_pivot=True))
    assert check(result, "run-no-pivot").status == REJECTED
    assert result.verdict == "block"


def test_a_new_buildkit_release_needs_only_a_data_edit(kb, tmp_path: Path):
    facts = node("crun", "1.15", "v0.40.0")
    assert decide(kb, facts).verdict == "pass"

    edited = knowledge_with(
        tmp_path,
        buildkit=(
            '\n[[invocation]]\nid = "run-future"\ndisplay = "run --future"\n'
            'buildkit = ">=0.40.0"\nwhen = "always"\nseverity = "block"\n'
            'fails = "every RUN step fails"\n'
            'probe = ["--root", "{root}", "run", "--bundle", "{bundle}", "--future", "{id}"]\n'
            'source = "moby/buildkit v0.40.0 (hypothetical)"\n'
            '\n[[release]]\nversion = "v0.40.0"\nsource = "moby/buildkit v0.40.0 (hypothetical)"\n'
        ),
        runtimes=(
            '\n[[support]]\nruntime = "crun"\ninvocations = ["run-future"]\n'
            'versions = "<9.0"\nstatus = "rejected"\nsource = "containers/crun (hypothetical)"\n'
        ),
    )
    assert edited.newest_buildkit() == "v0.40.0"
    result = decide(edited, facts)
    assert result.verdict == "block"
    assert check(result, "run-future").status == REJECTED
    assert "run-future" not in {
        c.id for c in decide(edited, node("crun", "1.15", "v0.39.0")).checks
    }
    # No Docker Engine bundles it yet: the foresight names the BuildKit release alone.
    for driver in ("docker-container", "docker"):
        now = node("crun", "1.15", "v0.32.2", driver=driver, engine_version="29.7.2")
        assert [f.text for f in decide(edited, now).foresight] == [
            "passes with BuildKit v0.32.2; breaks from BuildKit v0.40.0: `run --future` rejected"
        ]


# --- a pass is confirmed ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "evidence", ["exit 139: no output", "killed by SIGSEGV", "no answer within the time limit"]
)
def test_a_probe_that_ended_otherwise_leaves_data_acceptance_a_warning(kb, evidence) -> None:
    facts = node("runc", "1.1.12", "v0.12.5", probes=all_accepted(kb, "v0.12.5"))
    facts.runtime.probes["run-keep"] = ProbeOutcome("run-keep", UNKNOWN, evidence)
    result = decide(kb, facts)
    keep = check(result, "run-keep")
    assert (keep.status, keep.verdict) == (ACCEPTED, "warn")
    assert keep.evidence.startswith(f"accepted by version data, not confirmed: probe: {evidence}")
    assert "not confirmed" in keep.reason
    assert keep.fix == []
    assert result.verdict == "warn"


def test_data_alone_passes_when_the_probe_could_not_run_at_all(kb) -> None:
    # A builder that is not running, judged from the runc its image is known to bundle.
    result = decide(kb, node("runc", "1.1.12", "v0.12.5", probes=None))
    assert result.verdict == "pass"
    assert check(result, "run-keep").evidence.startswith("from version data")


def test_no_fix_for_a_check_that_could_not_be_told(kb) -> None:
    result = decide(kb, node("brand-new-rt", "1.0", "v0.12.5", probes={"run-keep": UNKNOWN}))
    assert result.verdict == "unknown"
    assert all(c.fix == [] for c in result.checks)


# What a failing `delete` costs depends on where BuildKit runs (moby/buildkit
# executor/resources/monitor.go, v0.12.0 … v0.32.2): on cgroup v2 it runs in the background
# and its error is dropped; on cgroup v1 (or hybrid), and rootless, it fails the step.


def refusing_delete(kb, **kw):
    probes = all_accepted(kb, "v0.12.5")
    probes["delete"] = REJECTED
    return node("crun", "1.15", "v0.12.5", probes=probes, **kw)


def test_a_rejected_delete_only_warns_on_cgroup_v2(kb):
    result = decide(kb, refusing_delete(kb, cgroup="v2", rootless=False))
    delete = check(result, "delete")
    assert (delete.status, delete.severity, delete.verdict) == (REJECTED, "warn", "warn")
    assert "cgroup v2 host BuildKit runs `delete` in the background" in delete.reason
    assert "executor/resources/monitor.go" in delete.source
    assert result.verdict == "warn"
    assert not any("stricter" in n for n in result.notes)


@pytest.mark.parametrize(
    ("cgroup", "rootless"), [("v1", False), ("v1", True), ("v2", True), ("v1", None)]
)
def test_a_rejected_delete_blocks_on_cgroup_v1_and_rootless(kb, cgroup, rootless):
    result = decide(kb, refusing_delete(kb, cgroup=cgroup, rootless=rootless))
    delete = check(result, "delete")
    assert (delete.severity, delete.verdict) == ("block", "block")
    assert "delete's error becomes the step's" in delete.reason
    assert not any("stricter" in n for n in result.notes)  # nothing unknown changes that


@pytest.mark.parametrize(("cgroup", "rootless"), [(None, False), ("v2", None), (None, None)])
def test_where_the_cgroup_version_is_unknown_the_stricter_outcome_is_reported(kb, cgroup, rootless):
    facts = refusing_delete(kb, cgroup=cgroup, rootless=rootless)
    facts.buildkit.environment = "no /proc/self/mountinfo in the container"
    result = decide(kb, facts)
    assert check(result, "delete").verdict == "block"
    [note] = [n for n in result.notes if "stricter outcome" in n]
    assert "(no /proc/self/mountinfo in the container)" in note
    named = {"cgroup version": cgroup is None, "whether BuildKit runs rootless": rootless is None}
    for words, missing in named.items():
        assert (words in note) is missing, note


def test_youki_on_cgroup_v2_warns_for_its_ignored_keep(kb):
    facts = node(
        "youki", "0.5.2", "v0.13.2", probes=all_accepted(kb, "v0.13.2"), cgroup="v2",
        rootless=False,
    )  # fmt: skip
    result = decide(kb, facts)
    keep = check(result, "run-keep")
    assert (keep.status, keep.verdict) == (IGNORED, "warn")
    assert "deletes the container when it exits" in keep.reason
    assert "cgroup v2 host" in keep.reason
    assert check(result, "delete").verdict == "pass"
    assert result.verdict == "warn"


def test_youki_on_cgroup_v1_blocks_for_its_ignored_keep(kb):
    facts = node(
        "youki", "0.5.2", "v0.13.2", probes=all_accepted(kb, "v0.13.2"), cgroup="v1",
        rootless=False,
    )  # fmt: skip
    keep = check(decide(kb, facts), "run-keep")
    assert (keep.status, keep.verdict) == (IGNORED, "block")
    assert "delete's error becomes the step's" in keep.reason


def test_an_unknown_no_pivot_is_judged_as_sent(kb):
    facts = node("runsc", "release-20240513.0", "v0.11.6", no_pivot=None)
    result = decide(kb, facts)
    assert check(result, "run-no-pivot").verdict == "block"
    assert any("DOCKER_RAMDISK" in n and "as if it did" in n for n in result.notes)


# Foresight: a pass (or warn) that holds only while the BuildKit is older.


def test_a_pass_that_buildkit_0_12_breaks_says_so(kb):
    result = decide(kb, node("crun", "1.8.1", "v0.11.6"))
    assert result.verdict == "pass"
    [item] = result.foresight
    assert (item.id, item.status, item.verdict) == ("run-keep", REJECTED, "block")
    assert (item.buildkit, item.engine) == ("v0.12.0", "25.0.0")
    assert item.text == (
        "passes with BuildKit v0.11.6; breaks from BuildKit v0.12.0 (Docker Engine 25.0): "
        "`run --keep` rejected"
    )


def test_the_docker_driver_names_the_engine_first(kb):
    found = kb.engine_buildkit("24.0.7")
    assert found is not None
    facts = node("crun", "1.8.1", found[0], driver="docker", engine_version="24.0.7")
    [item] = decide(kb, facts).foresight
    assert item.text == (
        f"passes with Docker Engine 24.0.7 (BuildKit {found[0]}); breaks from Docker Engine "
        "25.0 (BuildKit v0.12.0 and later): `run --keep` rejected"
    )


def test_nothing_ahead_for_a_runtime_that_takes_everything(kb):
    assert decide(kb, node("crun", "1.15", "v0.11.6")).foresight == []
    assert decide(kb, node("runc", "1.1.5", "v0.8.0")).foresight == []


def test_no_foresight_for_a_block_or_an_unknown_buildkit(kb):
    assert decide(kb, node("crun", "1.8.1", "v0.12.5")).foresight == []  # already blocked
    assert decide(kb, node("crun", "1.8.1", None)).foresight == []  # judged at the newest


def test_foresight_is_judged_where_buildkit_runs(kb):
    facts = node(
        "youki", "0.4.1", "v0.11.6", probes=all_accepted(kb, "v0.32.2"), cgroup="v2",
        rootless=False,
    )  # fmt: skip
    [item] = decide(kb, facts).foresight
    assert (item.status, item.verdict) == (IGNORED, "warn")
    assert item.text.startswith("passes with BuildKit v0.11.6; warns from BuildKit v0.12.0")


def test_an_ignored_check_is_not_foreseen(kb):
    assert decide(kb, node("crun", "1.8.1", "v0.11.6"), frozenset({"run-keep"})).foresight == []


# Under sysbox, the runc a fix brings in must be one that runs there (fixes.toml [[nested]]:
# nestybox/sysbox #879 and opencontainers/runc #4542, fixed in sysbox 0.6.6; sysbox #973,
# fixed in 0.7.0).


def bundled_runc_fix(kb, runtime: Optional[str], version: Optional[str]) -> str:
    facts = node("crun", "1.8.1", "v0.12.5")
    facts.fix_context.container_runtime = runtime
    facts.fix_context.container_runtime_version = version
    fixes = check(decide(kb, facts), "run-keep").fix
    [fix] = [f for f in fixes if "--oci-worker-binary=buildkit-runc" in f]
    return fix


def test_the_stock_runc_is_offered_where_it_runs(kb):
    assert kb.stock_runc() == "1.4.3"
    for runtime, version in (("runc", None), (None, None), ("sysbox-runc", "0.7.0")):
        fix = bundled_runc_fix(kb, runtime, version)
        assert fix.startswith(
            "Let BuildKit run the runc bundled in moby/buildkit:buildx-stable-1: "
            "docker buildx rm --keep-state ci && docker buildx create --name ci "
        )
        assert "--driver-opt image=moby/buildkit:buildx-stable-1 " in fix


@pytest.mark.parametrize(
    ("version", "image", "runc", "fails"),
    [
        (None, "v0.17.3", "1.1.15", "fails there if it is an older one"),
        ("0.6.4", "v0.17.3", "1.1.15", "fails there"),
        ("0.6.6", "v0.25.1", "1.3.1", "fails there"),
    ],
)
def test_under_sysbox_the_fix_names_an_image_whose_runc_runs_there(kb, version, image, runc, fails):
    fix = bundled_runc_fix(kb, "sysbox-runc", version)
    who = f"sysbox-runc {version}" if version else "sysbox-runc (its version is not known)"
    assert fix.startswith(
        f"The builder container runs under {who}: the runc 1.4.3 of "
        f"moby/buildkit:buildx-stable-1 {fails}: "
    )
    assert "nestybox/sysbox issue #973" in fix
    assert ("nestybox/sysbox issue #879" in fix) is (version != "0.6.6")
    assert "With sysbox-runc 0.7.0 or later it runs." in fix
    assert f"moby/buildkit:{image} bundles runc {runc}, which runs there." in fix
    assert fix.endswith(
        f"Let BuildKit run the runc bundled in moby/buildkit:{image}: docker buildx rm "
        "--keep-state ci && docker buildx create --name ci --driver docker-container --node ci0 "
        f"--driver-opt image=moby/buildkit:{image} "
        "--buildkitd-flags=--oci-worker-binary=buildkit-runc"
    )


def worker_binary_fix(kb, image: str, runtime: Optional[str], version: Optional[str]) -> str:
    # A stock image whose worker is pointed at crun: the fix points it back at the runc the
    # image itself bundles, which must run under the builder container's runtime too.
    facts = node("crun", "1.8.1", "v0.20.0", binary_override="crun")
    facts.fix_context.image = image
    facts.fix_context.container_runtime = runtime
    facts.fix_context.container_runtime_version = version
    [fix] = [f for f in check(decide(kb, facts), "run-keep").fix if "buildkit-runc" in f]
    return fix


def test_the_images_own_runc_is_offered_where_it_runs(kb):
    for image, runtime, version in (
        ("moby/buildkit:v0.20.0", "sysbox-runc", "0.6.6"),  # runc 1.2.5: runs under 0.6.6
        ("moby/buildkit:v0.17.3", "sysbox-runc", None),  # runc 1.1.15: runs under any
        ("moby/buildkit:v0.20.0", None, None),
    ):
        fix = worker_binary_fix(kb, image, runtime, version)
        assert fix.startswith("Let BuildKit run the runc its image bundles instead of crun: ")
        assert f"--driver-opt image={image} " in fix


def test_under_sysbox_the_images_own_runc_that_fails_there_is_not_offered_blindly(kb):
    assert kb.image_runc("v0.20.0") is not None and kb.image_runc("v0.20.0")[0] == "1.2.5"
    fix = worker_binary_fix(kb, "moby/buildkit:v0.20.0", "sysbox-runc", "0.6.5")
    assert fix.startswith(
        "The builder container runs under sysbox-runc 0.6.5: the runc 1.2.5 of "
        "moby/buildkit:v0.20.0 fails there: runc 1.2 and later fail inside sysbox before 0.6.6"
    )
    assert "With sysbox-runc 0.7.0 or later it runs." not in fix  # 1.2.5 predates #973
    assert "With sysbox-runc 0.6.6 or later it runs." in fix
    assert "moby/buildkit:v0.17.3 bundles runc 1.1.15, which runs there." in fix
    # The recreate command changes the image to that one as well as the worker binary.
    assert fix.endswith(
        "--driver-opt image=moby/buildkit:v0.17.3 "
        "--buildkitd-flags=--oci-worker-binary=buildkit-runc"
    )
    assert "moby/buildkit:v0.20.0 --buildkitd" not in fix


@pytest.mark.parametrize("image", ["moby/buildkit:buildx-stable-1", "moby/buildkit"])
def test_a_tag_that_follows_the_newest_release_bundles_the_newest_runc(kb, image):
    fix = worker_binary_fix(kb, image, "sysbox-runc", "0.6.9")
    assert fix.startswith(
        f"The builder container runs under sysbox-runc 0.6.9: the runc 1.4.3 of "
        f"{image} fails there: runc 1.3.3 and later fail"
    )
    assert "moby/buildkit:v0.25.1 bundles runc 1.3.1, which runs there." in fix


@pytest.mark.parametrize(
    ("image", "runc"),
    [
        ("moby/buildkit:v0.20.0", "1.2.5"),
        ("docker.io/moby/buildkit:v0.20.0-rootless", "1.2.5"),
        ("moby/buildkit", "1.4.3"),  # no tag: latest, which follows the newest release
        ("moby/buildkit:latest", "1.4.3"),
        ("moby/buildkit:buildx-stable-1", "1.4.3"),
        ("moby/buildkit:master", None),  # not a release: its runc is not known
        ("example/buildkit:v0.20.0", None),  # derived: may bring its own runc
        ("example/buildkit:latest", None),
    ],
)
def test_the_runc_an_image_bundles(kb, image, runc):
    from runtimecheck.verdict import _bundled_runc

    assert kb.stock_runc() == "1.4.3"
    assert _bundled_runc(kb, image) == runc


# --- every fix, word for word ---------------------------------------------------------------------


def test_every_fix_for_a_docker_container_builder_whose_override_is_crun(kb):
    facts = node("crun", "1.8.1", "v0.12.5")
    facts.fix_context.node = "ci0"
    facts.fix_context.image = "moby/buildkit:v0.12.5"
    facts.fix_context.binary_override = "crun it"  # names from outside are quoted as one word
    assert check(decide(kb, facts), "run-keep").fix == [
        "Upgrade crun 1.8.1 at /usr/bin/runc to 1.15 or later: it is the first release that "
        "accepts `run --keep`.",
        "Let BuildKit run the runc its image bundles instead of 'crun it': docker buildx rm "
        "--keep-state ci && docker buildx create --name ci --driver docker-container --node ci0 "
        "--driver-opt image=moby/buildkit:v0.12.5 --buildkitd-flags=--oci-worker-binary=buildkit-runc",
        "Or keep this runtime and pin a BuildKit that does not send `run --keep`: docker buildx rm "
        "--keep-state ci && docker buildx create --name ci --driver docker-container --node ci0 "
        "--driver-opt image=moby/buildkit:v0.11.6 "
        "'--buildkitd-flags='\"'\"'--oci-worker-binary=crun it'\"'\"''",
        "Recreating the builder keeps its build cache only because of `--keep-state` (the new "
        "nodes have the same names, so they find their state volumes).",
    ]


def test_every_fix_for_the_docker_driver_of_engine_26(kb):
    facts = node("crun", "1.8.1", "v0.12.5", driver="docker", engine_version="26.1.1")
    assert check(decide(kb, facts), "run-keep").fix == [
        "Upgrade crun 1.8.1 at /usr/bin/runc to 1.15 or later: it is the first release that "
        "accepts `run --keep`.",
        "Install runc 1.1.0 or later as `runc` on dockerd's PATH (the built-in BuildKit runs "
        "whatever `runc` dockerd finds there; daemon.json runtimes are not used for builds), "
        "then restart dockerd: sudo systemctl restart docker",
        "Or point the built-in BuildKit at a runc 1.1.0+ binary without touching `runc`: run "
        "`sudo systemctl edit docker`, add `[Service]` and "
        "`Environment=DOCKER_BUILDKIT_RUNC_COMMAND=/path/to/runc`, then: sudo systemctl restart "
        "docker",
        "Or build with a docker-container builder, which runs the runc bundled in its image: "
        "docker buildx create --name runtimecheck --driver docker-container --driver-opt "
        "image=moby/buildkit:buildx-stable-1 --use",
    ]


def test_foresight_of_a_node_that_only_warns_and_of_an_option_accepted_but_ignored(kb):
    probes = {**all_accepted(kb, "v0.11.6"), "state": REJECTED}
    warns = decide(kb, node("crun", "1.8.1", "v0.11.6", probes=probes))
    assert warns.verdict == "warn"
    assert [i.text for i in warns.foresight] == [
        "only warns with BuildKit v0.11.6; breaks from BuildKit v0.12.0 (Docker Engine 25.0): "
        "`run --keep` rejected"
    ]
    ignored = node("youki", "0.4.1", "v0.11.6", probes=all_accepted(kb, "v0.32.2"), cgroup="v2",
                   rootless=False)  # fmt: skip
    assert [i.text for i in decide(kb, ignored).foresight] == [
        "passes with BuildKit v0.11.6; warns from BuildKit v0.12.0 (Docker Engine 25.0): "
        "`run --keep` accepted but not honoured"
    ]


def test_the_docker_driver_without_its_engine_version_names_buildkit_first(kb):
    [item] = decide(kb, node("crun", "1.8.1", "v0.11.6", driver="docker")).foresight
    assert item.text == (
        "passes with BuildKit v0.11.6; breaks from BuildKit v0.12.0 (Docker Engine 25.0): "
        "`run --keep` rejected"
    )


def test_every_foreseen_failure_is_listed(kb):
    probes = {**all_accepted(kb, "v0.11.6"), "exec-pid-file": REJECTED}
    result = decide(kb, node("crun", "1.8.1", "v0.11.6", probes=probes))
    assert [(i.id, i.invocation, i.verdict) for i in result.foresight] == [
        ("run-keep", "run --keep", "block"),
        ("exec-pid-file", "exec --pid-file <file>", "warn"),
    ]


def test_a_name_in_a_command_is_one_single_quoted_shell_word():
    from runtimecheck.verdict import _quoted

    assert _quoted("crun") == "'crun'"
    assert _quoted("it's") == "'it'\"'\"'s'"


def test_version_data_that_holds_for_any_version_says_so(kb):
    keep = check(decide(kb, node("runsc", None, "v0.12.5")), "run-keep")
    assert keep.evidence == (
        "from version data: runsc, every version: rejected "
        "(google/gvisor runsc/cmd/run.go: run has no --keep and no --no-pivot)"
    )


def _without_runtime(facts: NodeFacts) -> NodeFacts:
    facts.runtime = None
    return facts


def _runtime_error(facts: NodeFacts) -> NodeFacts:
    assert facts.runtime is not None
    facts.runtime.error = "exec failed"
    return facts


def _embedder_unknown(facts: NodeFacts) -> NodeFacts:
    facts.buildkit.no_pivot = None
    return facts


NEWEST = knowledge.load().newest_buildkit()


@pytest.mark.parametrize(
    ("facts", "verdict", "notes"),
    [
        (node("runc", "1.1.5", None), "warn", [
            f"BuildKit version unknown: evaluated against the newest BuildKit this data knows "
            f"({NEWEST}); a newer one may send more, so this node cannot pass."]),
        (node("runc", "1.1.5", "weird"), "warn", [
            f"BuildKit version 'weird': evaluated against the newest BuildKit this data knows "
            f"({NEWEST}); a newer one may send more, so this node cannot pass."]),
        (node("runc", "1.1.5", "v9.0.0"), "pass", [
            f"BuildKit v9.0.0 is newer than the newest this data knows ({NEWEST}): checked "
            f"against what {NEWEST} sends."]),
        (node("runc", "1.1.5", NEWEST), "pass", []),
        (node("mystery", "1.0", "v0.12.5"), "unknown", [
            "Runtime 'mystery' is not in the knowledge base: even options it accepts may be "
            "ignored, so it cannot pass."]),
        (node(None, None, "v0.12.5"), "unknown", [
            "Runtime not identified: even options it accepts may be ignored, so it cannot pass."]),
        (_without_runtime(node("runc", "1.1.5", "v0.12.5")), "unknown", [
            "Runtime not inspected: no runtime could be determined."]),
        (_runtime_error(node("runc", "1.1.5", "v0.12.5")), "unknown", [
            "Runtime not inspected: exec failed."]),
        (_embedder_unknown(node("runc", "1.1.5", "v0.12.5")), "pass", [
            "Whether the embedder sends `run --no-pivot` (Docker Engine does when dockerd runs "
            "with DOCKER_RAMDISK set) could not be learnt: judged as if it did."]),
    ],
)  # fmt: skip
def test_what_a_node_s_notes_say(kb, facts: NodeFacts, verdict: str, notes: list[str]):
    result = decide(kb, facts)
    assert (result.verdict, result.notes) == (verdict, notes)


def test_a_builder_known_by_no_name_gets_a_placeholder_to_fill_in_everywhere(kb):
    facts = node("crun", "1.8.1", "v0.12.5")
    facts.fix_context.builder = None
    fixes = check(decide(kb, facts), "run-keep").fix
    assert fixes[2] == (
        "Or keep this runtime and pin a BuildKit that does not send `run --keep`: docker buildx "
        "rm --keep-state '<builder>' && docker buildx create --name '<builder>' --driver "
        "docker-container --node '<builder>0' --driver-opt image=moby/buildkit:v0.11.6"
    )
    assert not any("None" in f for f in fixes)


def test_engine_releases_are_named_as_docker_names_them():
    from runtimecheck.verdict import _release_name

    assert [_release_name(v) for v in ("25.0.0", "20.10.0", "26.1.1", "25.0")] == [
        "25.0", "20.10", "26.1.1", "25.0",
    ]  # fmt: skip


def test_the_result_carries_the_node_as_the_driver_saw_it(kb):
    facts = node("runc", "1.1.5", "v0.12.5")
    facts.status, facts.endpoint, facts.notes = "stopped", "unix:///x", ["from the driver"]
    result = decide(kb, facts)
    assert (result.name, result.driver, result.endpoint, result.status) == (
        "ci0", "docker-container", "unix:///x", "stopped",
    )  # fmt: skip
    assert result.runtime is facts.runtime
    assert result.notes == ["from the driver"]
    assert facts.notes == ["from the driver"]  # the facts are not written to


@pytest.mark.parametrize(
    ("worker", "status", "notes"),
    [
        ("containerd", "running", [
            "containerd worker: BuildKit runs containers through containerd shims and never "
            "calls `run`, so the OCI runtime's command line does not matter here."]),
        (None, "running", [
            "BuildKit worker unknown: evaluated as the OCI worker, BuildKit's default when runc "
            "is on its PATH."]),
        (None, "stopped", []),  # a builder that is not running has no worker yet
        ("oci", "running", []),
    ],
)  # fmt: skip
def test_what_is_said_of_the_worker(kb, worker: str | None, status: str, notes: list[str]):
    facts = node("runc", "1.1.5", "v0.12.5", worker=worker)
    facts.status = status
    result = decide(kb, facts)
    assert (result.verdict, result.notes) == ("pass", notes)
    assert (result.checks == []) is (worker == "containerd")


def test_whether_the_embedder_asks_for_no_pivot_is_only_a_question_for_a_running_builder(kb):
    facts = node("runc", "1.1.5", "v0.12.5")
    facts.buildkit.no_pivot, facts.status = None, "stopped"
    assert decide(kb, facts).notes == []


def test_what_a_check_says_and_where_its_rule_comes_from(kb):
    result = decide(kb, node("crun", "1.8.1", "v0.12.5"))
    keep, pid_file = check(result, "run-keep"), check(result, "exec-pid-file")
    assert keep.reason == (
        "crun 1.8.1 rejects `run --keep`: every RUN step fails (BuildKit keeps the container to "
        "read its final resource usage, then deletes it)."
    )
    assert keep.source == (
        "moby/buildkit PR #3860 (commit 6e87e4b, v0.12.0): resource usage monitoring; "
        "containers/crun issue #1428, PR #1429 (1.15)"
    )
    assert (pid_file.verdict, pid_file.reason) == ("pass", "")


def test_what_cannot_be_told_costs_as_much_as_a_failure_would(kb):
    result = decide(kb, node("runc", "weird", "v0.12.5"))
    keep, pid_file = check(result, "run-keep"), check(result, "exec-pid-file")
    assert (keep.status, keep.verdict, pid_file.verdict) == ("unknown", "unknown", "warn")
    assert keep.reason == (
        "Could not tell whether runc weird accepts `run --keep`; if it does not, every RUN step "
        "fails (BuildKit keeps the container to read its final resource usage, then deletes it)."
    )
    assert (
        keep.source == "moby/buildkit PR #3860 (commit 6e87e4b, v0.12.0): resource usage monitoring"
    )
    assert keep.fix == []


def test_every_placeholder_a_fix_may_name_is_filled(kb, tmp_path: Path):
    # metadata/fixes.toml documents these placeholders; a fix written with any of them gets
    # this node's value, quoted as one shell word where it comes from outside.
    names = ("builder node image binary_override engine_version runtime runtime_version path "
             "invocation accepts fixed_in runc_min stock_image pin_image pin_buildkit "
             "override_flags")  # fmt: skip
    text = "|".join(f"{n}={{{n}}}" for n in names.split())
    with_placeholders = knowledge_with(tmp_path, fixes=(
        f'\n[[fix]]\nid = "every-placeholder"\nproblems = ["too-old"]\n'
        f'drivers = ["docker-container"]\ntext = "{text}"\nsource = "a test"\n'
    ))  # fmt: skip
    facts = node("crun", "1.8.1", "v0.12.5", binary_override="crun it", engine_version="24.0.7")
    facts.fix_context.node = "ci0"
    facts.fix_context.image = "moby/buildkit:v0.12.5"
    [filled] = [f for f in check(decide(with_placeholders, facts), "run-keep").fix
                if f.startswith("builder=")]  # fmt: skip
    assert dict(part.split("=", 1) for part in filled.split("|")) == {
        "builder": "ci",
        "node": "ci0",
        "image": "moby/buildkit:v0.12.5",
        "binary_override": "'crun it'",
        "engine_version": "24.0.7",
        "runtime": "crun",
        "runtime_version": "1.8.1",
        "path": "/usr/bin/runc",
        "invocation": "run --keep",
        "accepts": "accepts",
        "fixed_in": "1.15",
        "runc_min": "1.1.0",
        "stock_image": "moby/buildkit:buildx-stable-1",
        "pin_image": "moby/buildkit:v0.11.6",
        "pin_buildkit": "v0.11.6",
        "override_flags": " --buildkitd-flags '--oci-worker-binary=crun it'",
    }
    # What this node does not have reads as the placeholder's name, to fill in by hand.
    facts.fix_context.node = facts.fix_context.image = facts.fix_context.binary_override = None
    facts.fix_context.builder = facts.fix_context.engine_version = None
    [blank] = [f for f in check(decide(with_placeholders, facts), "run-keep").fix
               if f.startswith("builder=")]  # fmt: skip
    said = dict(part.split("=", 1) for part in blank.split("|"))
    names = ("builder", "node", "image", "binary_override", "engine_version", "override_flags")
    assert {k: said[k] for k in names} == {
        "builder": "<builder>",
        "node": "<node>",
        "image": "<image>",
        "binary_override": "<binary_override>",
        "engine_version": "<engine_version>",
        "override_flags": "",
    }


# --- foresight, fixes and the data they rest on ------------------------------------------------

RUNSC = "release-20240513.0"


def test_foresight_follows_whether_the_embedder_sends_no_pivot(kb):
    # Without --no-pivot, runsc breaks only where run --keep is sent; with it, first where
    # run --no-pivot is (BuildKit v0.5.1), and that comes first.
    plain = decide(kb, node("runsc", RUNSC, "v0.5.0"))
    assert [(f.id, f.buildkit, f.engine) for f in plain.foresight] == [
        ("run-keep", "v0.12.0", "25.0.0")
    ]
    embedded = decide(kb, node("runsc", RUNSC, "v0.5.0", no_pivot=True))
    assert [f.text for f in embedded.foresight] == [
        "passes with BuildKit v0.5.0; breaks from BuildKit v0.5.1 (Docker Engine 20.10): "
        "`run --no-pivot` rejected",
        "passes with BuildKit v0.5.0; breaks from BuildKit v0.12.0 (Docker Engine 25.0): "
        "`run --keep` rejected",
    ]


def test_foresight_names_only_what_fails(kb):
    # runc 1.0.3 accepts everything v0.12.0 adds but run --keep.
    result = decide(kb, node("runc", "1.0.3", "v0.11.6"))
    assert [f.id for f in result.foresight] == ["run-keep"]


def test_a_probe_that_sees_an_option_no_release_is_known_to_accept_wins(kb):
    result = decide(kb, node("runsc", RUNSC, "v0.12.5", probes=all_accepted(kb, "v0.12.5")))
    keep = check(result, "run-keep")
    assert (keep.status, keep.verdict, result.verdict) == (ACCEPTED, "pass", "pass")
    assert keep.evidence.endswith("): the probe wins")


def test_a_release_the_data_says_accepts_but_that_rejects_is_not_told_to_upgrade_to_itself(kb):
    probes = {**all_accepted(kb, "v0.12.5"), "run-keep": REJECTED}
    keep = check(decide(kb, node("crun", "1.15", "v0.12.5", probes=probes)), "run-keep")
    assert keep.verdict == "block"
    assert keep.fix and not any(f.startswith("Upgrade") for f in keep.fix)


def test_pinning_a_buildkit_that_sends_the_failing_invocation_is_not_offered(kb):
    # v0.11.6 sends run --no-pivot where the embedder asks for it: the pin would not help.
    result = decide(kb, node("runsc", RUNSC, "v0.11.6", no_pivot=True))
    no_pivot = check(result, "run-no-pivot")
    assert no_pivot.verdict == "block"
    assert not any("pin a BuildKit" in f for f in no_pivot.fix)
    assert any(f.startswith("Let BuildKit run the runc bundled in") for f in no_pivot.fix)


def test_a_builder_whose_image_is_not_known_gets_both_runc_fixes(kb):
    # Without an image option the node may run a stock image or not: each fix is offered.
    keep = check(decide(kb, node("crun", "1.8.1", "v0.12.5", binary_override="crun")), "run-keep")
    assert [f.split(":")[0] for f in keep.fix] == [
        "Upgrade crun 1.8.1 at /usr/bin/runc to 1.15 or later",
        "Let BuildKit run the runc its image bundles instead of crun",
        "Let BuildKit run the runc bundled in moby/buildkit",
        "Or keep this runtime and pin a BuildKit that does not send `run --keep`",
        "Recreating the builder keeps its build cache only because of `--keep-state` (the new "
        "nodes have the same names, so they find their state volumes).",
    ]
    assert keep.fix[1].endswith(
        "docker buildx create --name ci --driver docker-container --node ci0 "
        "--buildkitd-flags=--oci-worker-binary=buildkit-runc"
    )


def test_where_no_known_image_s_runc_runs_under_the_outer_runtime_it_is_said_alone(tmp_path):
    # An outer runtime under which every runc that takes --keep fails, and no release fixes.
    kb = knowledge_with(tmp_path, fixes=(
        '\n[[nested]]\nouter = "strict-runc"\nouter_versions = ">=1.0"\nrunc = ">=1.1.0"\n'
        'note = "every runc since 1.1 fails"\nsource = "a test"\n'
    ))  # fmt: skip
    facts = node("crun", "1.8.1", "v0.12.5")
    facts.fix_context.container_runtime = "strict-runc"
    facts.fix_context.container_runtime_version = "1.0"
    keep = check(decide(kb, facts), "run-keep")
    assert keep.fix[:2] == [
        "Upgrade crun 1.8.1 at /usr/bin/runc to 1.15 or later: it is the first release that "
        "accepts `run --keep`.",
        "The builder container runs under strict-runc 1.0: the runc 1.4.3 of "
        "moby/buildkit:buildx-stable-1 fails there: every runc since 1.1 fails (a test). "
        "No moby/buildkit release known bundles a runc that runs there.",
    ]
    assert keep.fix[2].startswith("Or keep this runtime and pin a BuildKit")


def test_a_template_after_one_that_does_not_apply_is_still_offered(tmp_path):
    kb = knowledge_with(tmp_path, fixes=(
        '\n[[fix]]\nid = "last"\nproblems = ["too-old", "unsupported"]\n'
        'drivers = ["docker-container"]\ntext = "the last fix"\nsource = "a test"\n'
    ))  # fmt: skip
    # The pin does not help with run --no-pivot; the fix after it still applies.
    result = decide(kb, node("runsc", RUNSC, "v0.11.6", no_pivot=True))
    assert "the last fix" in check(result, "run-no-pivot").fix


def test_a_recreate_change_names_the_node_s_own_values_unquoted_for_the_command_to_quote(
    tmp_path,
):
    kb = knowledge_with(tmp_path, fixes=(
        '\n[[fix]]\nid = "same-again"\nproblems = ["too-old"]\ndrivers = ["docker-container"]\n'
        'recreate = { image = "{image}", oci_worker_binary = "{binary_override}" }\n'
        'text = "again: {recreate}"\nsource = "a test"\n'
    ))  # fmt: skip
    facts = node("crun", "1.8.1", "v0.12.5", binary_override="crun it")
    facts.fix_context.image = "registry:5000/my buildkit"
    [again] = [f for f in check(decide(kb, facts), "run-keep").fix if f.startswith("again: ")]
    # buildx splits --buildkitd-flags as a shell would: the flag is quoted inside it, and the
    # whole once more for the shell the command is pasted into.
    assert again.endswith(
        "docker buildx create --name ci --driver docker-container --node ci0 "
        "--driver-opt 'image=registry:5000/my buildkit' "
        """'--buildkitd-flags='"'"'--oci-worker-binary=crun it'"'"''"""
    )


def test_a_release_that_ignores_an_option_a_later_one_honours_is_told_to_upgrade(kb):
    # youki reads --no-pivot from v0.5.0 (PR #2923); 0.2 … 0.4 parse it and pivot anyway.
    result = decide(kb, node("youki", "0.4.1", "v0.11.6", no_pivot=True))
    no_pivot = check(result, "run-no-pivot")
    assert (no_pivot.status, no_pivot.verdict) == (IGNORED, "block")
    assert no_pivot.reason == (
        "youki 0.4.1 accepts `run --no-pivot` but does not honour it (youki parses --no-pivot "
        "but pivots the root anyway): every RUN step fails (the rootfs sits on a ramdisk, where "
        "pivot_root cannot work)."
    )
    assert no_pivot.fix[0] == (
        "Upgrade youki 0.4.1 at /usr/bin/runc to 0.5.0 or later: it is the first release that "
        "honours `run --no-pivot`."
    )
    # run --keep: no youki release honours it, so no upgrade.
    keep = check(decide(kb, node("youki", "0.4.1", "v0.12.5")), "run-keep")
    assert keep.status == IGNORED and not any(f.startswith("Upgrade") for f in keep.fix)


def test_a_buildkit_older_than_any_invocation_the_data_knows_passes_with_no_checks(kb):
    result = decide(kb, node("runc", "1.1.5", "v0.2.0"))
    assert (result.verdict, result.checks, result.foresight) == ("pass", [], [])


def test_a_blocked_node_has_no_foresight(kb):
    # runsc fails run --no-pivot now and run --keep later: only today's failure is said.
    result = decide(kb, node("runsc", RUNSC, "v0.5.1", no_pivot=True))
    assert (result.verdict, result.foresight) == ("block", [])


def test_a_future_failure_s_uncertain_cost_is_no_note_on_today(kb):
    # youki's ignored --keep costs what a failing delete does, which depends on the cgroup
    # version, unknown here: said when it decides a verdict, not in a foresight.
    result = decide(kb, node("youki", "0.4.1", "v0.11.6", probes=all_accepted(kb, "v0.11.6")))
    assert (result.verdict, result.notes) == ("pass", [])
    assert [(f.id, f.verdict) for f in result.foresight] == [("run-keep", "block")]


def test_a_derived_image_under_sysbox_is_offered_the_stock_image_s_runc_with_its_warning(kb):
    facts = node("crun", "1.8.1", "v0.12.5")
    facts.fix_context.image = "example/buildkit:custom"
    facts.fix_context.container_runtime = "sysbox-runc"
    facts.fix_context.container_runtime_version = "0.6.9"
    fix = check(decide(kb, facts), "run-keep").fix[1]
    assert fix.startswith(
        "The builder container runs under sysbox-runc 0.6.9: the runc 1.4.3 of "
        "moby/buildkit:buildx-stable-1 fails there: "
    )


@pytest.mark.parametrize(
    ("bound", "release"),
    [("1.1.0rc1", "1.1.0"), ("1.15", "1.15"), ("1.2.post1", "1.2.post1"), ("2!1.0", "2!1.0")],
)
def test_a_lower_bound_names_the_release_to_install(bound, release):
    from packaging.version import Version

    from runtimecheck.verdict import _release

    assert _release(Version(bound)) == release
