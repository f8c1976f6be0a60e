"""What BuildKit's call sequence, run for real (`--deep`), showed of a runtime, and what that
means for a node: the third level of evidence, after the data and the parse probes.

`probe.deep` runs the sequence and judges its records into a `Behaviour`; `check` turns it
into the node's `behaviour` check, which `verdict.decide` counts like any other. It sees what
the others cannot: a runtime that parses `run --keep` and still deletes the container when its
process exits is caught by what it does, whatever its name, version or the data say. Where the
sequence could not be run at all (not root, an unprivileged container, no cgroups) the node
gets a note and no check: that is never a pass, nor a block. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Optional

from .facts import (
    ACCEPTED,
    BLOCK,
    IGNORED,
    PASS,
    REJECTED,
    SEVERITY_BLOCK,
    SEVERITY_WARN,
    UNKNOWN,
    WARN,
    Check,
    FixContext,
    NodeFacts,
    NodeResult,
)

if TYPE_CHECKING:
    from .knowledge import Knowledge

# What the sequence showed.
BEHAVES = "behaves"  # every call did what BuildKit needs
DIFFERS = "differs"  # one call did not: `step`
INCONCLUSIVE = "inconclusive"  # a call got no answer (time limit, signal): cannot tell
NOT_RUN = "not-run"  # this environment cannot run a container (or the probe could not start)

# One step's outcome.
OUTCOME_OK = "as needed"
OUTCOME_DIFFERS = "differs"
OUTCOME_NO_ANSWER = "no answer"

CHECK_ID = "behaviour"
# The invocations (metadata/buildkit.toml ids) the sequence makes, as BuildKit v0.12+ does:
# a runtime put in place of one that failed it must accept them all.
INVOCATIONS = ("run-bundle", "run-keep", "state", "delete", "kill")
DISPLAY = "run --keep, state, delete, kill (run for real)"
NAME = "BuildKit's call sequence"
RULE_SHORT = "The OCI runtime must do what BuildKit's calls ask, run for real (--deep)"
RULE_HELP = (
    "With --deep, BuildKit's call sequence is run once with the runtime, where BuildKit runs "
    "it: `run --keep` on a minimal container, then `state`, `delete`, and `kill` on a running "
    "one, as BuildKit's runc executor calls them. A runtime that parses the options but does "
    "something else (removes the container when its process exits, does not delete or kill "
    "it) makes builds fail midway; the result names the step that differed, with the "
    "runtime's own answer, and the fix for that builder. Ignore this check with "
    f'`--ignore {CHECK_ID}` or `ignore = ["{CHECK_ID}"]` in .runtimecheck.toml.'
)
SOURCE = (
    "moby/buildkit executor/runcexecutor/executor.go and executor_linux.go (v0.12.0 on): "
    "run --keep, then Delete (releaseContainer), Kill(9) on cancellation; go-runc v1.1.0 "
    "runc.go: --log FILE --log-format json on every call"
)

# What a step that differs costs: what a failing invocation of BuildKit's costs where BuildKit
# runs (the knowledge's [[consequence]] rows: a failing `delete` fails every RUN step on a cgroup
# v1 or hybrid host and with rootless BuildKit, and is dropped on cgroup v2). None: BuildKit
# never sees it fail (a `delete` that leaves the container), costed here.
COSTS_AS = {
    "run-keep": "run-keep",
    "state-kept": "delete",  # BuildKit's own `delete <id>` after the step then fails
    "delete": "delete",
    "state-deleted": None,
    "kill": "kill",
    "kill-run": "kill",
    "kill-state": None,
    "kill-delete": None,
}
# Why the step that differed amounts to that invocation failing.
_AMOUNTS_TO = {"state-kept": "BuildKit's own `delete <id>` after the step then finds no container"}
# What BuildKit never sees fail: the container stays behind.
_LEAKS = {
    "state-deleted": "every RUN step leaks its container (BuildKit does not check that it is gone)",
    "kill-state": "a cancelled RUN step leaks its container",
    "kill-delete": "a cancelled RUN step leaks its container",
}


def costs(step: str, cost: Callable[[str], tuple[str, str]]) -> tuple[str, str]:
    """(severity, what fails) when `step` differs; `cost(invocation_id)` gives what a failing
    invocation costs where BuildKit runs (verdict's, from the knowledge)."""
    invocation = COSTS_AS.get(step, "delete")
    if invocation is None:
        return SEVERITY_WARN, _LEAKS[step]
    severity, fails = cost(invocation)
    if step in _AMOUNTS_TO:
        fails = f"{_AMOUNTS_TO[step]}: {fails}"
    return severity, fails


# What the runtime fails to do, for the fix.
_DUTY = {
    "run-keep": "run a container with `run --keep`",
    "state-kept": "keep the container after `run --keep`",
    "delete": "remove a kept container on `delete <id>`",
    "state-deleted": "remove a kept container on `delete <id>`",
}
_KILL_DUTY = "stop a running container on `kill <id> 9`"


@dataclass
class Step:
    """One call of the sequence and how it went."""

    name: str  # "run-keep", "state-kept", "delete", "state-deleted", "kill-started", "kill", …
    call: str  # as BuildKit makes it, e.g. "run --bundle <bundle> --keep <id>"
    outcome: str  # OUTCOME_OK / OUTCOME_DIFFERS / OUTCOME_NO_ANSWER
    exit_code: Optional[int]  # negative: killed by that signal; None: no exit status
    status: str  # as the probe recorded it: the exit status, "timeout" or "budget"
    evidence: str  # one line, escaped and bounded


@dataclass
class Behaviour:
    """The result of the behaviour probe on one runtime binary."""

    result: str  # BEHAVES / DIFFERS / INCONCLUSIVE / NOT_RUN
    step: Optional[str] = None  # the step that differed (or got no answer)
    reason: str = ""  # what differed, or why it was not run; empty when it behaves
    steps: list[Step] = field(default_factory=list)  # the calls made, in order
    left: Optional[str] = None  # what cleanup could not remove afterwards

    @property
    def kill_part(self) -> bool:
        """Whether what differed is the cancellation (`kill`), which only costs a warning."""
        return bool(self.step and self.step.startswith("kill"))


def amend(
    kb: Knowledge,
    result: NodeResult,
    facts: NodeFacts,
    *,
    who: str,
    sends_keep: bool,
    runc_min: Optional[str],
    cost: Callable[[str], tuple[str, str]],
    ignore: frozenset[str] = frozenset(),
) -> None:
    """Add the `behaviour` check to a node's result, or a note where it was not run.

    `who`: how the runtime is named in sentences; `sends_keep`: the node's BuildKit sends
    `run --keep` (v0.12.0 on); `runc_min`: the oldest runc that takes all it sends; `cost`:
    what a failing invocation costs where BuildKit runs (see `costs`)."""
    runtime = facts.runtime
    behaviour = runtime.behaviour if runtime is not None else None
    if runtime is None or behaviour is None:
        return
    if behaviour.left:
        result.notes.append(f"The behaviour probe (--deep) could not remove: {behaviour.left}")
    if behaviour.result == NOT_RUN:
        result.notes.append(f"Behaviour probe (--deep) not run: {behaviour.reason}.")
        return
    settings = kb.fix_settings
    fixes = fix_texts(
        behaviour,
        facts.fix_context,
        path=runtime.path,
        runc_min=runc_min,
        stock_image=settings.stock_image,
        pin_image=settings.pin_image,
    )
    if behaviour.step == "run-keep" and any(
        c.id == "run-keep" and c.verdict != PASS and c.fix for c in result.checks
    ):
        fixes = []  # the run-keep check's fixes say it already
    made = check(behaviour, who=who, sends_keep=sends_keep, fixes=fixes, cost=cost)
    made.ignored = made.id in ignore
    result.checks.append(made)


def check(
    behaviour: Behaviour,
    *,
    who: str,
    cost: Callable[[str], tuple[str, str]],
    sends_keep: bool = True,
    fixes: Optional[list[str]] = None,
) -> Check:
    """The `behaviour` check of a sequence that was run (not NOT_RUN); `cost` as `costs`."""
    evidence = "behaviour: " + "; ".join(f"{s.call}: {s.evidence}" for s in behaviour.steps)
    made = Check(
        id=CHECK_ID,
        invocation=DISPLAY,
        status=ACCEPTED,
        severity=SEVERITY_BLOCK,
        verdict=PASS,
        evidence=evidence,
        source=SOURCE,
    )
    if behaviour.result == BEHAVES:
        return made
    step = behaviour.step or ""
    if behaviour.result == INCONCLUSIVE:
        made.status, made.verdict = UNKNOWN, WARN
        made.reason = (
            f"BuildKit's call sequence could not be completed with {who}: {behaviour.reason}. "
            "What the parse probes found still stands."
        )
        return made
    made.status = REJECTED if step == "run-keep" else IGNORED
    severity, consequence = costs(step, cost)
    gone = step == "state-kept" and any(
        st.name == step and st.exit_code not in (0, None) for st in behaviour.steps
    )
    if step == "state-kept" and not gone:
        consequence = consequence.replace("finds no container", "fails on a container not stopped")
    made.severity = severity
    if severity != SEVERITY_BLOCK:
        made.verdict = WARN
    elif sends_keep:
        made.verdict = BLOCK
    else:
        made.verdict = WARN
        consequence += " (this BuildKit does not send `run --keep` yet; from v0.12.0 on it would)"
    made.reason = (
        f"{who} does not do what BuildKit needs: {behaviour.reason}. "
        f"{consequence[0].upper()}{consequence[1:]}."
    )
    made.fix = list(fixes or [])
    return made


def fix_texts(
    behaviour: Behaviour,
    context: FixContext,
    *,
    path: Optional[str],
    runc_min: Optional[str],
    stock_image: str,
    pin_image: str,
) -> list[str]:
    """What to do about a runtime that differs, for the node's driver."""
    if behaviour.result != DIFFERS:
        return []
    duty = _KILL_DUTY if behaviour.kill_part else _DUTY.get(behaviour.step or "", "behave")
    binary = path or "the runtime"
    runc = f"runc {runc_min} or later" if runc_min else "a current runc"
    driver = context.driver
    if driver == "docker":
        return [
            f"Install {runc} as `runc` on dockerd's PATH in place of {binary}, which does not "
            f"{duty} (the built-in BuildKit runs whatever `runc` dockerd finds there), then "
            "restart dockerd: sudo systemctl restart docker"
        ]
    if driver == "remote":
        return [
            f"Start buildkitd with {runc} as its OCI worker in place of {binary}, which does "
            f"not {duty}: buildkitd --oci-worker-binary=/path/to/runc (or in buildkitd.toml: "
            '[worker.oci] binary = "/path/to/runc"), then restart it'
        ]
    if driver in ("docker-container", "kubernetes") and context.stored is not None:
        from .fixcommands import cache_note, recreate
        from .knowledge import is_stock_image

        fixes = []
        stock = bool(context.image) and is_stock_image(context.image)
        if stock and context.binary_override:
            change = {"oci_worker_binary": "buildkit-runc"}
            fixes.append(
                f"Let BuildKit run the runc its image bundles instead of {binary}, which does "
                f"not {duty}: {recreate(context.stored, change)}"
            )
        elif not stock:
            change = {"image": stock_image, "oci_worker_binary": "buildkit-runc"}
            fixes.append(
                f"Let BuildKit run the runc bundled in the stock image instead of {binary}, "
                f"which does not {duty}: {recreate(context.stored, change)}"
            )
        if not behaviour.kill_part:
            fixes.append(
                "Or keep this runtime and pin a BuildKit that does not send `run --keep`: "
                f"{recreate(context.stored, {'image': pin_image})}"
            )
        if fixes:
            fixes.append(cache_note(context.stored))
            return fixes
    return [f"Build with {runc} in place of {binary}, which does not {duty}."]
