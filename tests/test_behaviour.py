"""What the behaviour probe's result (`--deep`) does to a node's verdict: the pure part."""

from __future__ import annotations

from typing import Optional

import pytest

from runtimecheck import behaviour, knowledge, verdict
from runtimecheck.behaviour import (
    BEHAVES,
    CHECK_ID,
    DIFFERS,
    INCONCLUSIVE,
    NOT_RUN,
    OUTCOME_DIFFERS,
    OUTCOME_NO_ANSWER,
    OUTCOME_OK,
    Behaviour,
    Step,
)
from runtimecheck.facts import (
    BLOCK,
    PASS,
    VERDICT_UNKNOWN,
    WARN,
    BuildKitFacts,
    FixContext,
    NodeFacts,
    NodeResult,
    RuntimeFacts,
    RuntimeIdentity,
    StoredBuilder,
    StoredNode,
)
from runtimecheck.probe.deep import CALLS

KB = knowledge.load()


def steps_until(last: str, outcome: str = OUTCOME_DIFFERS, exit_code: int = 1) -> list[Step]:
    found = []
    for name in CALLS:
        if name == "run-plain":
            continue
        if name == last:
            found.append(Step(name, CALLS[name], outcome, exit_code, str(exit_code), "evidence"))
            break
        found.append(Step(name, CALLS[name], OUTCOME_OK, 0, "0", "ok"))
    return found


def differs(step: str, reason: str = "it differed") -> Behaviour:
    return Behaviour(DIFFERS, step=step, reason=reason, steps=steps_until(step))


def node(
    behaviour: Optional[Behaviour],
    *,
    name: Optional[str] = "runc",
    version: Optional[str] = "1.1.12",
    buildkit: str = "v0.13.2",
    driver: str = "docker-container",
    image: Optional[str] = "example.com/buildkit:custom",
    override: Optional[str] = None,
) -> NodeFacts:
    runtime = RuntimeFacts(
        path="/usr/bin/buildkit-runc",
        identity=RuntimeIdentity(name=name, version=version),
        verified=True,
        behaviour=behaviour,
    )
    stored = StoredBuilder(
        "ci", driver, [StoredNode("ci0", None, driver_opts={"image": image or ""})]
    )
    return NodeFacts(
        builder="ci",
        node="ci0",
        driver=driver,
        endpoint=None,
        buildkit=BuildKitFacts(version=buildkit, source="buildkitd --version"),
        runtime=runtime,
        fix_context=FixContext(
            driver=driver,
            builder="ci",
            node="ci0",
            image=image,
            binary_override=override,
            stored=stored,
        ),
        status="running",
    )


def decide(facts: NodeFacts, ignore: frozenset[str] = frozenset()) -> NodeResult:
    return verdict.decide(KB, facts, ignore)


def behaviour_check(result: NodeResult):
    found = [c for c in result.checks if c.id == CHECK_ID]
    return found[0] if found else None


def test_without_deep_there_is_no_behaviour_check():
    result = decide(node(None))
    assert behaviour_check(result) is None
    assert result.verdict == PASS


def test_behaving_is_a_pass():
    result = decide(node(Behaviour(BEHAVES, steps=steps_until("kill-delete", OUTCOME_OK, 0))))
    check = behaviour_check(result)
    assert (check.status, check.verdict, check.reason, check.fix) == ("accepted", PASS, "", [])
    assert check.evidence.startswith("behaviour: run --bundle <bundle> --keep <id>: ok; ")
    assert result.verdict == PASS


GONE = "BuildKit's own `delete <id>` after the step then finds no container: "


def test_a_container_gone_after_run_keep_blocks_whatever_the_data_says():
    # runc 1.1.12 accepts run --keep by the data: behaviour alone decides. Where BuildKit runs
    # is not known here: judged by the stricter outcome, and said so.
    result = decide(node(differs("state-kept", "after `run --keep` returned, it was gone")))
    check = behaviour_check(result)
    assert (check.status, check.severity, check.verdict) == ("ignored", "block", BLOCK)
    delete = KB.invocation("delete")
    assert check.reason == (
        "runc 1.1.12 does not do what BuildKit needs: after `run --keep` returned, it was gone. "
        f"{GONE}{delete.fails}."
    )
    assert result.verdict == BLOCK
    assert [c.id for c in result.checks if c.verdict != PASS] == [CHECK_ID]
    assert any("judged by the stricter outcome" in n for n in result.notes)


@pytest.mark.parametrize(
    ("cgroup", "rootless", "verdict"),
    [("v1", False, BLOCK), ("v1", True, BLOCK), ("v2", True, BLOCK), ("v2", False, WARN)],
)
def test_what_a_gone_container_costs_depends_on_where_buildkit_runs(cgroup, rootless, verdict):
    facts = node(differs("state-kept"))
    facts.buildkit.cgroup, facts.buildkit.rootless = cgroup, rootless
    result = decide(facts)
    check = behaviour_check(result)
    assert (check.verdict, result.verdict) == (verdict, verdict)
    held, _ = KB.consequence("delete", {"cgroup": cgroup, "rootless": rootless})
    fails = held.fails if held is not None else KB.invocation("delete").fails
    assert check.reason.endswith(f"{GONE}{fails}.")
    assert not any("stricter outcome" in n for n in result.notes)  # all was known


def test_an_unknown_runtime_that_differs_blocks_not_just_unknown():
    result = decide(node(differs("delete"), name="mystery-rt", version="2.0"))
    assert behaviour_check(result).verdict == BLOCK
    assert result.verdict == BLOCK  # block outranks the unknown the data leaves


def test_an_unknown_runtime_that_behaves_stays_unknown():
    good = Behaviour(BEHAVES, steps=steps_until("kill-delete", OUTCOME_OK, 0))
    result = decide(node(good, name="mystery-rt", version="2.0"))
    assert behaviour_check(result).verdict == PASS
    assert result.verdict == VERDICT_UNKNOWN  # exec and the rest are still unknown


@pytest.mark.parametrize("step", ["kill", "kill-run", "kill-state", "kill-delete"])
def test_a_failing_cancellation_is_a_warning(step):
    result = decide(node(differs(step)))
    check = behaviour_check(result)
    assert (check.verdict, result.verdict) == (WARN, WARN)
    assert "cancel" in check.reason.lower()
    assert check.severity == "warn"


def test_a_buildkit_that_does_not_send_keep_yet_only_warns():
    result = decide(node(differs("state-kept"), buildkit="v0.11.6"))
    check = behaviour_check(result)
    assert check.verdict == WARN
    assert "this BuildKit does not send `run --keep` yet; from v0.12.0 on it would" in check.reason


def test_no_answer_is_a_warning_and_says_the_parse_probes_stand():
    stuck = Behaviour(
        INCONCLUSIVE,
        step="state-kept",
        reason="`state <id>` got no answer within the time limit",
        steps=steps_until("state-kept", OUTCOME_NO_ANSWER),
    )
    result = decide(node(stuck))
    check = behaviour_check(result)
    assert (check.status, check.verdict, check.fix) == ("unknown", WARN, [])
    assert check.reason.endswith("What the parse probes found still stands.")


def test_not_run_is_a_note_never_a_pass_or_a_block():
    reason = "no CAP_SYS_ADMIN (CapEff 00000000a80425fb): an unprivileged container cannot create containers"
    result = decide(node(Behaviour(NOT_RUN, reason=reason)))
    assert behaviour_check(result) is None
    assert result.verdict == PASS  # what the data and the probes say, unchanged
    assert f"Behaviour probe (--deep) not run: {reason}." in result.notes


def test_what_could_not_be_removed_is_noted():
    left = Behaviour(BEHAVES, steps=steps_until("kill-delete", OUTCOME_OK, 0), left="cgroup /x;")
    assert "The behaviour probe (--deep) could not remove: cgroup /x;" in decide(node(left)).notes


def test_in_the_ignore_list_it_is_reported_not_counted():
    result = decide(node(differs("state-kept")), frozenset({CHECK_ID}))
    check = behaviour_check(result)
    assert check.ignored and check.verdict == BLOCK
    assert result.verdict == PASS


def test_containerd_worker_never_calls_the_runtime():
    facts = node(differs("state-kept"))
    facts.buildkit.worker = "containerd"
    result = decide(facts)
    assert result.verdict == PASS and behaviour_check(result) is None


# --- fixes ------------------------------------------------------------------------------------


def fixes(**kw) -> list[str]:
    return behaviour_check(decide(node(differs("state-kept"), **kw))).fix


def test_a_custom_image_is_pointed_at_the_stock_runc_or_an_older_buildkit():
    found = fixes()
    assert found[0].startswith(
        "Let BuildKit run the runc bundled in the stock image instead of /usr/bin/buildkit-runc, "
        "which does not keep the container after `run --keep`: docker buildx rm --keep-state ci "
    )
    assert "--driver-opt image=moby/buildkit:buildx-stable-1" in found[0]
    assert "--buildkitd-flags=--oci-worker-binary=buildkit-runc" in found[0]
    assert found[1].startswith("Or keep this runtime and pin a BuildKit that does not send")
    assert "image=moby/buildkit:v0.11.6" in found[1]
    assert found[2].startswith("Recreating the builder keeps its build cache")


def test_a_stock_image_with_another_binary_goes_back_to_its_own_runc():
    found = fixes(image="moby/buildkit:v0.13.2", override="/usr/local/bin/odd-runc")
    assert found[0].startswith("Let BuildKit run the runc its image bundles instead of ")
    assert "--oci-worker-binary=buildkit-runc" in found[0]


def test_the_docker_driver_gets_a_runc_on_dockerds_path():
    [found] = fixes(driver="docker", image=None)
    assert found.startswith(
        "Install runc 1.1.0 or later as `runc` on dockerd's PATH in place of /usr/bin/buildkit-runc"
    )
    assert found.endswith("sudo systemctl restart docker")


@pytest.mark.parametrize(
    ("driver", "words"), [("remote", "--oci-worker-binary"), ("host", "Build with runc 1.1.0")]
)
def test_other_drivers(driver, words):
    [found] = fixes(driver=driver, image=None)
    assert words in found and "/usr/bin/buildkit-runc" in found


@pytest.mark.parametrize("buildkit", ["v0.11.6", "v0.13.2"])
def test_the_runc_offered_takes_keep_even_before_buildkit_sends_it(buildkit):
    # The sequence that differed is v0.12's: a runc 1.0 would fail it the same way.
    [found] = fixes(driver="host", image=None, buildkit=buildkit)
    assert found.startswith("Build with runc 1.1.0 or later in place of /usr/bin/buildkit-runc")


def test_a_refused_keep_is_not_fixed_twice():
    refused = Behaviour(
        DIFFERS,
        step="run-keep",
        reason="`run --keep` was refused as an option",
        steps=steps_until("run-keep", exit_code=64),
    )
    facts = node(refused, name="crun", version="1.8.1")
    result = decide(facts)
    keep = next(c for c in result.checks if c.id == "run-keep")
    assert keep.verdict == BLOCK and keep.fix  # the data's own fix
    check = behaviour_check(result)
    assert (check.status, check.verdict, check.fix) == ("rejected", BLOCK, [])


def test_the_sequence_names_invocations_the_knowledge_has():
    # A misspelt id would drop out of the runc offered to replace a runtime that failed it.
    known = {i.id for i in KB.invocation_list}
    assert set(behaviour.INVOCATIONS) <= known
    assert KB.fixed_in("runc", "run-keep") is not None
