"""The decision: from what was learnt about one builder node to pass / warn / block / unknown.

A pure function of its inputs (`NodeFacts` and the knowledge base); it runs nothing.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Optional

from packaging.version import Version

from . import behaviour
from .facts import (
    ACCEPTED,
    BLOCK,
    IGNORED,
    PASS,
    REJECTED,
    SEVERITY_BLOCK,
    UNKNOWN,
    VERDICT_UNKNOWN,
    WARN,
    Check,
    FixContext,
    NodeFacts,
    NodeResult,
    ProbeOutcome,
    RuntimeFacts,
    StoredBuilder,
    StoredNode,
    worst,
)
from .fixcommands import cache_note, recreate
from .knowledge import (
    PROBLEM_TOO_OLD,
    PROBLEM_UNKNOWN,
    PROBLEM_UNSUPPORTED,
    Invocation,
    Knowledge,
    Support,
    describe_match,
    is_stock_image,
    parse_version,
)

CONTAINERD_WORKER = "containerd"
# Node statuses in which nothing in the builder could be run.
NOT_RUNNING = ("inactive", "stopped")


@dataclass(frozen=True)
class _Runtime:
    """The runtime as the decision sees it: who it is, and whether the data knows it."""

    facts: Optional[RuntimeFacts]
    name: Optional[str]  # None: unknown, or a wrapper whose wrapped runtime is unknown
    version: Optional[str]
    known: bool  # the knowledge base has rows for it

    @property
    def who(self) -> str:
        if not self.name:
            return "the runtime"
        label = f"{self.name} {self.version}" if self.version else f"{self.name} (version unknown)"
        wrapper = self.facts.identity.wrapper if self.facts else None
        return f"{label} (via {wrapper})" if wrapper else label


def decide(kb: Knowledge, facts: NodeFacts, ignore: frozenset[str] = frozenset()) -> NodeResult:
    """The verdict on one node, with one check per invocation its BuildKit sends.

    - A node that could not be inspected (`error`) is unknown, with no checks.
    - The containerd worker never calls `run` (it goes through containerd shims): pass.
    - An unknown runtime (no name, or one the data does not know) is unknown at best, never
      pass: accepting an option is not the same as honouring it (youki and `run --keep`),
      and only the data knows which runtimes do that.
    - An unknown BuildKit version is evaluated against the newest BuildKit in the data; since
      BuildKit only ever added invocations, what fails there fails with any older release.
      But a pass is only worth a warn: a BuildKit newer than the data may send more, and
      a build that fails halfway is what this check exists to prevent.
    - Checks listed in `ignore` are reported with `ignored=True` and do not count.
    """
    result = NodeResult(
        name=facts.node,
        driver=facts.driver,
        verdict=VERDICT_UNKNOWN,
        buildkit=facts.buildkit,
        runtime=facts.runtime,
        notes=list(facts.notes),
        error=facts.error,
        endpoint=facts.endpoint,
        status=facts.status,
    )
    if facts.error:
        return result
    if facts.buildkit.worker == CONTAINERD_WORKER:
        result.verdict = PASS
        result.notes.append(
            "containerd worker: BuildKit runs containers through containerd shims and never "
            "calls `run`, so the OCI runtime's command line does not matter here."
        )
        return result
    running = facts.status not in NOT_RUNNING
    if facts.buildkit.worker is None and running:
        result.notes.append(
            "BuildKit worker unknown: evaluated as the OCI worker, BuildKit's default when "
            "runc is on its PATH."
        )

    floors: list[str] = []
    buildkit_version = _buildkit_to_evaluate(kb, facts, result.notes, floors)
    invocations = kb.invocations(buildkit_version, no_pivot=facts.buildkit.no_pivot)
    runtime = _resolve_runtime(kb, facts.runtime, result.notes, floors, running=running)
    runc_min = _runc_min(kb, invocations)
    for invocation in invocations:
        check = _check(kb, invocation, runtime, facts.fix_context, runc_min)
        check.ignored = check.id in ignore
        result.checks.append(check)
    sends_keep = any(i.id == "run-keep" for i in invocations)
    behaviour.amend(kb, result, facts, who=runtime.who, sends_keep=sends_keep,
                    runc_min=runc_min, ignore=ignore)  # fmt: skip

    counted = [c.verdict for c in result.checks if not c.ignored]
    result.verdict = worst(counted + floors) if counted or floors else PASS
    return result


def _buildkit_to_evaluate(
    kb: Knowledge, facts: NodeFacts, notes: list[str], floors: list[str]
) -> str:
    newest = kb.newest_buildkit()
    version = facts.buildkit.to_judge
    parsed = parse_version(version)
    if parsed is None:
        shown = f"'{version}'" if version else "unknown"
        notes.append(
            f"BuildKit version {shown}: evaluated against the newest BuildKit this data "
            f"knows ({newest}); a newer one may send more, so this node cannot pass."
        )
        floors.append(WARN)
        return newest
    newest_parsed = parse_version(newest)
    if newest_parsed is not None and parsed > newest_parsed:
        notes.append(
            f"BuildKit {version} is newer than the newest this data knows ({newest}): "
            f"checked against what {newest} sends."
        )
    return version or newest


def _resolve_runtime(
    kb: Knowledge,
    facts: Optional[RuntimeFacts],
    notes: list[str],
    floors: list[str],
    *,
    running: bool = True,
) -> _Runtime:
    if facts is None or facts.error:
        why = facts.error if facts is not None else "no runtime could be determined"
        if running:
            notes.append(f"Runtime not inspected: {why}.")
        floors.append(VERDICT_UNKNOWN)
        return _Runtime(facts, None, None, known=False)
    identity = facts.identity
    entry = kb.runtime(identity.name)
    if entry is not None and entry.wrapper:
        notes.append(
            f"{entry.name} wraps another runtime that could not be identified; "
            "what counts is the wrapped runtime."
        )
        floors.append(VERDICT_UNKNOWN)
        return _Runtime(facts, None, None, known=False)
    if entry is None:
        what = (
            f"Runtime '{identity.name}' is not in the knowledge base"
            if identity.name
            else "Runtime not identified"
        )
        notes.append(f"{what}: even options it accepts may be ignored, so it cannot pass.")
        floors.append(VERDICT_UNKNOWN)
        return _Runtime(facts, identity.name, identity.version, known=False)
    return _Runtime(facts, identity.name, identity.version, known=True)


def _runc_min(kb: Knowledge, invocations: list[Invocation]) -> Optional[str]:
    """The oldest runc that accepts everything these invocations need."""
    bounds: list[Version] = []
    for invocation in invocations:
        row = kb.fixed_in("runc", invocation.id)
        bound = row.lower_bound() if row else None
        if bound is not None:
            bounds.append(bound)
    return str(max(bounds)) if bounds else None


def _data_row(kb: Knowledge, runtime: _Runtime, invocation_id: str) -> Optional[Support]:
    if not runtime.known or not runtime.name:
        return None
    row = kb.support(runtime.name, invocation_id, runtime.version)
    if row is not None:
        return row
    rows = kb.support_for(runtime.name, invocation_id)
    # Without a usable version, only a row covering every version still applies.
    if parse_version(runtime.version) is None and len(rows) == 1 and not rows[0].versions:
        return rows[0]
    return None


def _never_honoured(kb: Knowledge, runtime: _Runtime, invocation_id: str) -> Optional[Support]:
    """The 'ignored' row when no release of this runtime is known to honour the option."""
    if not runtime.known or not runtime.name:
        return None
    rows = kb.support_for(runtime.name, invocation_id)
    if any(r.status == ACCEPTED for r in rows):
        return None
    return next((r for r in rows if r.status == IGNORED), None)


def _data_evidence(runtime: _Runtime, row: Support) -> str:
    version = runtime.version or "(any version)"
    match = describe_match(version, row.versions_text)
    return f"from version data: {runtime.name} {match}: {row.status} ({row.source})"


def _status_and_evidence(
    kb: Knowledge, invocation: Invocation, runtime: _Runtime
) -> tuple[str, str, Optional[Support], bool]:
    """(status, evidence, the data row used, whether an ACCEPTED is confirmed).

    An acceptance is confirmed when the probe saw it, or when the probe could not be run at
    all and the version data says so. A probe that ran and ended otherwise (a signal, a
    timeout, an unexplained error) leaves a data acceptance unconfirmed.
    """
    row = _data_row(kb, runtime, invocation.id)
    probe: Optional[ProbeOutcome] = None
    if runtime.facts is not None and runtime.facts.verified:
        probe = runtime.facts.probes.get(invocation.id)
    conclusive = probe is not None and probe.status in (ACCEPTED, REJECTED, IGNORED)

    if probe is not None and conclusive:
        status = probe.status
        evidence = f"probe: {probe.status}: {probe.evidence}"
        ignored_row = (
            row if row is not None and row.status == IGNORED else None
        ) or _never_honoured(kb, runtime, invocation.id)
        if status == ACCEPTED and ignored_row is not None:
            note = f": {ignored_row.note}" if ignored_row.note else ""
            return (
                IGNORED,
                f"{evidence}; but {runtime.name} is known not to honour it{note} "
                f"({ignored_row.source})",
                ignored_row,
                True,
            )
        if row is not None and row.status != status:
            evidence += (
                f"; version data says otherwise ({_data_evidence(runtime, row)}): the probe wins"
            )
        return status, evidence, row, True

    inconclusive = f"; probe inconclusive: {probe.evidence}" if probe is not None else ""
    if row is not None:
        if probe is not None and row.status == ACCEPTED:
            return (
                row.status,
                f"accepted by version data, not confirmed: probe: {probe.evidence} "
                f"({_data_evidence(runtime, row)})",
                row,
                False,
            )
        return row.status, _data_evidence(runtime, row) + inconclusive, row, True
    if runtime.facts is None or runtime.facts.error:
        why = runtime.facts.error if runtime.facts is not None else "no runtime could be determined"
        return UNKNOWN, f"runtime not inspected: {why}", None, True
    if not runtime.known:
        return (
            UNKNOWN,
            f"{runtime.who} is not probed and not in the version data{inconclusive}",
            None,
            True,
        )
    return UNKNOWN, f"no version data for {runtime.who} and not probed{inconclusive}", None, True


def _check(
    kb: Knowledge,
    invocation: Invocation,
    runtime: _Runtime,
    context: FixContext,
    runc_min: Optional[str],
) -> Check:
    status, evidence, row, confirmed = _status_and_evidence(kb, invocation, runtime)
    blocks = invocation.severity == SEVERITY_BLOCK
    if status == ACCEPTED and confirmed:
        verdict, reason = PASS, ""
    elif status == ACCEPTED:
        verdict = WARN
        reason = (
            f"`{invocation.display}` is accepted by version data, not confirmed: the probe "
            f"of {runtime.who} ended without an answer; if it fails, {invocation.fails}."
        )
    elif status == UNKNOWN:
        verdict = VERDICT_UNKNOWN if blocks else WARN
        reason = (
            f"Could not tell whether {runtime.who} accepts `{invocation.display}`; "
            f"if it does not, {invocation.fails}."
        )
    else:
        verdict = BLOCK if blocks else WARN
        if status == IGNORED:
            reason = (
                f"{runtime.who} accepts `{invocation.display}` but does not honour it: "
                f"{invocation.fails}."
            )
        else:
            reason = f"{runtime.who} rejects `{invocation.display}`: {invocation.fails}."
    # A fix only where the evidence says what is wrong: never for a pass, an unknown, or an
    # acceptance the probe could not confirm.
    justified = status in (REJECTED, IGNORED)
    fixes = _fixes(kb, invocation, runtime, status, context, runc_min) if justified else []
    sources = [invocation.source] + ([row.source] if row is not None else [])
    return Check(
        id=invocation.id,
        invocation=invocation.display,
        status=status,
        severity=invocation.severity,
        verdict=verdict,
        evidence=evidence,
        reason=reason,
        fix=fixes,
        source="; ".join(sources),
    )


def _problem(
    kb: Knowledge, invocation: Invocation, runtime: _Runtime, status: str
) -> tuple[str, Optional[str]]:
    """The kind of problem, and the release that fixes it when an upgrade would."""
    if status == UNKNOWN:
        return PROBLEM_UNKNOWN, None
    if status == IGNORED or not runtime.known or not runtime.name:
        return PROBLEM_UNSUPPORTED, None
    fixed = kb.fixed_in(runtime.name, invocation.id)
    bound = fixed.lower_bound() if fixed else None
    current = parse_version(runtime.version)
    if bound is not None and (current is None or current < bound):
        return PROBLEM_TOO_OLD, str(bound)
    return PROBLEM_UNSUPPORTED, None


class _Blanks(dict[str, str]):
    """Placeholders without a value read as `<name>`, so a fix stays readable."""

    def __missing__(self, key: str) -> str:
        return f"<{key}>"


def _fixes(
    kb: Knowledge,
    invocation: Invocation,
    runtime: _Runtime,
    status: str,
    context: FixContext,
    runc_min: Optional[str],
) -> list[str]:
    problem, fixed_in = _problem(kb, invocation, runtime, status)
    settings = kb.fix_settings
    pinned = {i.id for i in kb.invocations(settings.pin_buildkit, no_pivot=True)}
    templates = kb.fixes_for(
        problem,
        context.driver,
        override_set=bool(context.binary_override),
        engine_version=context.engine_version,
        pin_helps=invocation.id not in pinned,
        stock_image=is_stock_image(context.image) if context.image else None,
    )
    override_flags = (
        " --buildkitd-flags " + _quoted(f"--oci-worker-binary={context.binary_override}")
        if context.binary_override
        else ""
    )
    # Names from outside go into commands to paste: each is one shell word, whatever it holds.
    values = {
        "builder": _word(context.builder),
        "node": _word(context.node),
        "image": _word(context.image),
        "binary_override": _word(context.binary_override),
        "engine_version": context.engine_version,
        "runtime": runtime.name,
        "runtime_version": runtime.version,
        "path": _word(runtime.facts.path if runtime.facts else None),
        "invocation": invocation.display,
        "fixed_in": fixed_in,
        "runc_min": runc_min,
        "stock_image": settings.stock_image,
        "pin_image": settings.pin_image,
        "pin_buildkit": settings.pin_buildkit,
        "override_flags": override_flags,
    }
    filled = _Blanks({k: v for k, v in values.items() if v is not None})
    raw = _Blanks({k: v for k, v in {**values, **_unquoted(context)}.items() if v is not None})
    fixes = []
    stored = context.stored or _stored_from(context)
    for template in templates:
        if template.recreate:
            change = {key: value.format_map(raw) for key, value in template.recreate}
            fixes.append(template.text.format_map({**filled, "recreate": recreate(stored, change)}))
        else:
            fixes.append(template.text.format_map(filled))
    if any(t.recreate for t in templates):
        fixes.append(cache_note(stored))
    return fixes


def _unquoted(context: FixContext) -> dict[str, Optional[str]]:
    """The values a recreate change may name, as they are (the command quotes them)."""
    return {"image": context.image, "binary_override": context.binary_override}


def _stored_from(context: FixContext) -> StoredBuilder:
    """What little is known of a builder whose stored settings did not reach the facts."""
    options = {"image": context.image} if context.image else {}
    flags = [f"--oci-worker-binary={context.binary_override}"] if context.binary_override else []
    node = StoredNode(name=context.node or f"{context.builder}0", endpoint=None,
                      driver_opts=options, flags=flags)  # fmt: skip
    return StoredBuilder(name=context.builder or "<builder>", driver=context.driver, nodes=[node])


def _word(value: Optional[str]) -> Optional[str]:
    return None if value is None else shlex.quote(value)


def _quoted(value: str) -> str:
    """Single-quoted even when it need not be (it reads as one argument)."""
    return "'" + value.replace("'", "'\"'\"'") + "'"
