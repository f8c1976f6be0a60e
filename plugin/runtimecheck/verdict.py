"""The decision: from what was learnt about one builder node to pass / warn / block / unknown.

A pure function of its inputs (`NodeFacts` and the knowledge base); it runs nothing.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from typing import Callable, Optional

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
    Foresight,
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
    PROBLEM_UNSUPPORTED,
    RUNC_FROM_IMAGE,
    Invocation,
    Knowledge,
    Support,
    describe_match,
    image_tag,
    in_range,
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
    place = _place(facts, running, result.notes)
    invocations = kb.invocations(buildkit_version, no_pivot=place.no_pivot)
    runtime = _resolve_runtime(kb, facts.runtime, result.notes, floors, running=running)
    runc_min = _runc_min(kb, [i.id for i in invocations])
    for invocation in invocations:
        check = _check(kb, invocation, runtime, facts.fix_context, runc_min, place)
        check.ignored = check.id in ignore
        result.checks.append(check)
    sends_keep = any(i.id == "run-keep" for i in invocations)
    sequence_runc_min = _runc_min(kb, [*(i.id for i in invocations), *behaviour.INVOCATIONS])
    behaviour.amend(kb, result, facts, who=runtime.who, sends_keep=sends_keep,
                    runc_min=sequence_runc_min, ignore=ignore, cost=_costs(kb, place))  # fmt: skip
    result.notes.extend(n for n in place.notes if n not in result.notes)

    counted = [c.verdict for c in result.checks if not c.ignored]
    result.verdict = worst(counted + floors) if counted or floors else PASS
    if result.verdict in (PASS, WARN) and buildkit_version == facts.buildkit.version:
        result.foresight = _foresight(
            kb, facts, invocations, runtime, place, ignore, result.verdict
        )
    return result


def _foresight(
    kb: Knowledge,
    facts: NodeFacts,
    sent: list[Invocation],
    runtime: _Runtime,
    place: _Place,
    ignore: frozenset[str],
    now: str,
) -> list[Foresight]:
    """What a later BuildKit sends that this runtime fails: the verdict holds only until
    then. Judged as the node's own checks are (probe, data, where BuildKit runs)."""
    sent_ids = {i.id for i in sent}
    later = [
        i
        for i in kb.invocations(kb.newest_buildkit(), no_pivot=place.no_pivot)
        if i.id not in sent_ids and i.id not in ignore
    ]
    found = []
    for invocation in later:
        aside = replace(place, notes=[])  # what it says of the future is no note on today
        check = _check(kb, invocation, runtime, facts.fix_context, None, aside)
        first = kb.first_sent(invocation)
        if check.status not in (REJECTED, IGNORED) or first is None:
            continue
        # As if dockerd asks for --no-pivot: run --no-pivot is only here when it may.
        engine = kb.first_engine(invocation)
        found.append(
            Foresight(
                id=invocation.id,
                invocation=invocation.display,
                status=check.status,
                verdict=check.verdict,
                buildkit=first,
                engine=engine,
                text=_foresight_text(facts, now, check, first, engine),
            )
        )
    return sorted(found, key=lambda f: Version(f.buildkit))


def _foresight_text(
    facts: NodeFacts, now: str, check: Check, first: str, engine: Optional[str]
) -> str:
    """`passes with BuildKit v0.11.6; breaks from BuildKit v0.12.0 (Docker Engine 25.0):
    `run --keep` rejected`; for the docker driver the Engine leads."""
    holds = "passes" if now == PASS else "only warns"
    then = "breaks" if check.verdict == BLOCK else "warns"
    what = "rejected" if check.status == REJECTED else "accepted but not honoured"
    version = facts.buildkit.version
    engine_now = facts.fix_context.engine_version
    if facts.driver == "docker" and engine_now and engine:
        return (
            f"{holds} with Docker Engine {engine_now} (BuildKit {version}); {then} from Docker "
            f"Engine {_release_name(engine)} (BuildKit {first} and later): "
            f"`{check.invocation}` {what}"
        )
    engine_said = f" (Docker Engine {_release_name(engine)})" if engine else ""
    return (
        f"{holds} with BuildKit {version}; {then} from BuildKit {first}{engine_said}: "
        f"`{check.invocation}` {what}"
    )


def _release_name(version: str) -> str:
    """`25.0` for the first release of a minor, `25.0.2` otherwise."""
    parts = version.split(".")
    return ".".join(parts[:2]) if len(parts) == 3 and parts[2] == "0" else version


@dataclass
class _Place:
    """Where BuildKit runs, as far as what an invocation's failure costs depends on it."""

    known: dict[str, object]  # condition -> value; None: not learnt
    environment: str  # how it was learnt, or why not
    no_pivot: bool  # judged as if the embedder sends --no-pivot
    notes: list[str]  # said once per node, whatever the checks


def _place(facts: NodeFacts, running: bool, notes: list[str]) -> _Place:
    buildkit = facts.buildkit
    no_pivot = buildkit.no_pivot is not False
    if buildkit.no_pivot is None and running:
        notes.append(
            "Whether the embedder sends `run --no-pivot` (Docker Engine does when dockerd runs "
            "with DOCKER_RAMDISK set) could not be learnt: judged as if it did."
        )
    return _Place(
        known={"cgroup": buildkit.cgroup, "rootless": buildkit.rootless},
        environment=buildkit.environment,
        no_pivot=no_pivot,
        notes=[],
    )


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
    running: bool,
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


def _runc_min(kb: Knowledge, invocation_ids: list[str]) -> Optional[str]:
    """The oldest runc that accepts everything these invocations need."""
    bounds: list[Version] = []
    for invocation_id in invocation_ids:
        row = kb.fixed_in("runc", invocation_id)
        bound = row.lower_bound() if row else None
        if bound is not None:
            bounds.append(bound)
    return _release(max(bounds)) if bounds else None


def _release(bound: Version) -> str:
    """A bound as the release to install: a range that starts at a release candidate
    (runc's `>=1.1.0rc1`) names the release it led to (1.1.0)."""
    return bound.base_version if bound.is_prerelease else str(bound)


def _data_row(kb: Knowledge, runtime: _Runtime, invocation_id: str) -> Optional[Support]:
    if not runtime.name:  # a runtime the data does not know has no rows
        return None
    row = kb.support(runtime.name, invocation_id, runtime.version)
    if row is not None:
        return row
    # Without a usable version, only a row covering every version still applies.
    rows = kb.support_for(runtime.name, invocation_id)
    return rows[0] if len(rows) == 1 and not rows[0].versions else None


def _never_honoured(kb: Knowledge, runtime: _Runtime, invocation_id: str) -> Optional[Support]:
    """The 'ignored' row when no release of this runtime is known to honour the option."""
    rows = kb.support_for(runtime.name, invocation_id) if runtime.name else []
    if any(r.status == ACCEPTED for r in rows):
        return None
    return next((r for r in rows if r.status == IGNORED), None)


def _data_evidence(runtime: _Runtime, row: Support) -> str:
    # Without a version only a row for every version applies (`_data_row`).
    match = describe_match(runtime.version, row.versions_text) if runtime.version else None
    said = f"{runtime.name} {match}" if match else f"{runtime.name}, every version"
    return f"from version data: {said}: {row.status} ({row.source})"


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
            return (
                IGNORED,
                f"{evidence}; but {runtime.name} is known not to honour it: {ignored_row.note} "
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


@dataclass(frozen=True)
class _Cost:
    """What a failure of one invocation costs where BuildKit runs."""

    severity: str
    fails: str
    source: Optional[str]  # the [[consequence]] row's, when one holds


def _cost(
    kb: Knowledge, invocation: Invocation, row: Optional[Support], place: _Place
) -> tuple[_Cost, Optional[str]]:
    """The cost, and a note when it is the stricter outcome for want of a condition.

    An option accepted but not honoured may amount to another invocation failing
    (`fails_as`: youki's ignored --keep is BuildKit's delete finding nothing)."""
    costing = invocation
    if row is not None and row.status == IGNORED and row.fails_as:
        costing = kb.invocation(row.fails_as) or invocation
    held, maybe = kb.consequence(costing.id, place.known)
    if held is not None:
        return _Cost(held.severity, held.fails, held.source), None
    note = None
    if maybe:
        missing = sorted(
            {key for c in maybe for key, _ in c.conditions if place.known.get(key) is None}
        )
        named = " and ".join(_CONDITION_WORDS[k] for k in missing)
        why = f" ({place.environment})" if place.environment else ""
        note = (
            f"What a failing `{costing.display}` costs depends on {named}, which could not be "
            f"learnt{why}: judged by the stricter outcome, {costing.fails}."
        )
    return _Cost(costing.severity, costing.fails, None), note


def _costs(kb: Knowledge, place: _Place) -> Callable[[str], tuple[str, str]]:
    """(severity, what fails) of an invocation failing where BuildKit runs, by its id, for the
    behaviour check; the stricter outcome is noted once where a condition is not known."""

    by_id = {i.id: i for i in kb.invocations()}  # every id behaviour asks about (tested)

    def cost(invocation_id: str) -> tuple[str, str]:
        found, stricter = _cost(kb, by_id[invocation_id], None, place)
        if stricter and stricter not in place.notes:
            place.notes.append(stricter)
        return found.severity, found.fails

    return cost


_CONDITION_WORDS = {
    "cgroup": "the host's cgroup version",
    "rootless": "whether BuildKit runs rootless",
}


def _check(
    kb: Knowledge,
    invocation: Invocation,
    runtime: _Runtime,
    context: FixContext,
    runc_min: Optional[str],
    place: _Place,
) -> Check:
    status, evidence, row, confirmed = _status_and_evidence(kb, invocation, runtime)
    cost, stricter = _cost(kb, invocation, row, place)
    # Said where it decides the verdict: a failure the evidence shows (a "could not tell"
    # stays that whatever it would cost).
    if stricter and status in (REJECTED, IGNORED) and stricter not in place.notes:
        place.notes.append(stricter)
    blocks = cost.severity == SEVERITY_BLOCK
    if status == ACCEPTED and confirmed:
        verdict, reason = PASS, ""
    elif status == ACCEPTED:
        verdict = WARN
        reason = (
            f"`{invocation.display}` is accepted by version data, not confirmed: the probe "
            f"of {runtime.who} ended without an answer; if it fails, {cost.fails}."
        )
    elif status == UNKNOWN:
        verdict = VERDICT_UNKNOWN if blocks else WARN
        reason = (
            f"Could not tell whether {runtime.who} accepts `{invocation.display}`; "
            f"if it does not, {cost.fails}."
        )
    else:
        verdict = BLOCK if blocks else WARN
        if status == IGNORED:
            why = f" ({row.note})" if row is not None else ""  # an ignored option's row
            reason = (
                f"{runtime.who} accepts `{invocation.display}` but does not honour it{why}: "
                f"{cost.fails}."
            )
        else:
            reason = f"{runtime.who} rejects `{invocation.display}`: {cost.fails}."
    # A fix only where the evidence says what is wrong: never for a pass, an unknown, or an
    # acceptance the probe could not confirm.
    justified = status in (REJECTED, IGNORED)
    fixes = _fixes(kb, invocation, runtime, status, context, runc_min) if justified else []
    sources = [invocation.source] + ([row.source] if row is not None else [])
    if cost.source:
        sources.append(cost.source)
    return Check(
        id=invocation.id,
        invocation=invocation.display,
        status=status,
        severity=cost.severity,
        verdict=verdict,
        evidence=evidence,
        reason=reason,
        fix=fixes,
        source="; ".join(sources),
    )


def _problem(kb: Knowledge, invocation: Invocation, runtime: _Runtime) -> tuple[str, Optional[str]]:
    """The kind of problem, and the release that fixes it (accepts, or honours what this one
    ignores) when an upgrade would."""
    if not runtime.name:
        return PROBLEM_UNSUPPORTED, None
    fixed = kb.fixed_in(runtime.name, invocation.id)
    bound = fixed.lower_bound() if fixed else None
    current = parse_version(runtime.version)
    if bound is not None and (current is None or current < bound):
        return PROBLEM_TOO_OLD, _release(bound)
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
    problem, fixed_in = _problem(kb, invocation, runtime)
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
        "accepts": "honours" if status == IGNORED else "accepts",
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
        said = ""
        text_values, change_values = filled, raw
        extra: dict[str, str] = {}
        if template.runc_from is not None:
            own = template.runc_from == RUNC_FROM_IMAGE
            origin = (context.image or DEFAULT_BUILDER_IMAGE) if own else settings.stock_image
            said, image = _nested(kb, context, origin, runc_min)
            if image is None and said:
                fixes.append(said)  # no image known to run there: nothing to paste
                continue
            if image is not None:
                text_values = _Blanks({**filled, "stock_image": image})
                change_values = _Blanks({**raw, "stock_image": image})
                if own:
                    extra = {"image": image}  # its own runc fails there: another image's
        if template.recreate:
            change = {key: value.format_map(change_values) for key, value in template.recreate}
            command = recreate(stored, {**change, **extra})
            fixes.append(said + template.text.format_map({**text_values, "recreate": command}))
        else:
            fixes.append(said + template.text.format_map(text_values))
    if any(t.recreate for t in templates):
        fixes.append(cache_note(stored))
    return fixes


# What buildx runs when a docker-container builder names no image (driver/bkimage).
DEFAULT_BUILDER_IMAGE = "moby/buildkit:buildx-stable-1"
# Tags that follow the newest release: their runc is the newest release's.
FOLLOWING_TAGS = ("buildx-stable-1", "latest")


def _bundled_runc(kb: Knowledge, image: str) -> Optional[str]:
    """The runc a moby/buildkit image bundles, when the data knows it (never a derived
    image's: it may bring its own)."""
    if not is_stock_image(image):
        return None
    found = kb.image_runc(image)
    if found is not None:
        return found[0]
    return kb.stock_runc() if (image_tag(image) or "latest") in FOLLOWING_TAGS else None


def _nested(
    kb: Knowledge, context: FixContext, image: str, runc_min: Optional[str]
) -> tuple[str, Optional[str]]:
    """For a fix bringing in the runc `image` bundles, where the builder container runs under
    a runtime that may not host it ([[nested]] in fixes.toml: runc 1.2+ inside sysbox before
    0.6.6, 1.3.3+ before 0.7.0): what to say first ("" when that runc runs there, or is not
    known), and the image to offer instead (None: no known image's runc runs there)."""
    rows = kb.nested_rows(context.container_runtime, context.container_runtime_version)
    if not rows:
        return "", None
    inner = _bundled_runc(kb, image)
    parsed = parse_version(inner)
    failing = [r for r in rows if parsed is not None and in_range(parsed, r.runc)]
    if not failing:
        return "", None
    outer = context.container_runtime
    version = context.container_runtime_version
    fixes = [v for v in (parse_version(r.fixed_in) for r in failing) if v is not None]
    fixed = str(max(fixes)) if fixes else None
    if version:
        who, fails = f"{outer} {version}", "fails there"
    else:
        who, fails = f"{outer} (its version is not known)", "fails there if it is an older one"
    why = "; ".join(dict.fromkeys(f"{r.note} ({r.source})" for r in failing))
    said = f"The builder container runs under {who}: the runc {inner} of {image} {fails}: {why}."
    upgrade = f" With {outer} {fixed} or later it runs." if fixed else ""
    other = kb.image_avoiding(rows, runc_min)
    if other is None:
        nothing = " No moby/buildkit release known bundles a runc that runs there."
        return f"{said}{upgrade}{nothing}", None
    tag, runc = other
    return f"{said}{upgrade} moby/buildkit:{tag} bundles runc {runc}, which runs there. ", (
        f"moby/buildkit:{tag}"
    )


def _unquoted(context: FixContext) -> dict[str, Optional[str]]:
    """The values a recreate change may name, as they are (the command quotes them)."""
    return {"image": context.image, "binary_override": context.binary_override}


def _stored_from(context: FixContext) -> StoredBuilder:
    """What little is known of a builder whose stored settings did not reach the facts."""
    options = {"image": context.image} if context.image else {}
    flags = [f"--oci-worker-binary={context.binary_override}"] if context.binary_override else []
    builder = context.builder or "<builder>"
    node = StoredNode(name=context.node or f"{builder}0", endpoint=None,
                      driver_opts=options, flags=flags)  # fmt: skip
    return StoredBuilder(name=builder, driver=context.driver, nodes=[node])


def _word(value: Optional[str]) -> Optional[str]:
    return None if value is None else shlex.quote(value)


def _quoted(value: str) -> str:
    """Single-quoted even when it need not be (it reads as one argument)."""
    return "'" + value.replace("'", "'\"'\"'") + "'"
