"""The report for people: one block per builder and node, readable at a glance.

A passing node takes a few lines; a failing check shows its reason, evidence and the fix,
with every command on its own indented line so that it can be copied as it is.
"""

from __future__ import annotations

from typing import Optional

from runtimecheck.behaviour import CHECK_ID as BEHAVIOUR
from runtimecheck.behaviour import NAME as BEHAVIOUR_NAME
from runtimecheck.facts import (
    ACCEPTED,
    BLOCK,
    PASS,
    UNKNOWN,
    VERDICT_UNKNOWN,
    WARN,
    BuilderResult,
    BuildKitFacts,
    Check,
    NodeResult,
    Result,
    RuntimeFacts,
)
from runtimecheck.safe import escaped

from .style import Style

# A fix names its command after its last ": " when what follows starts with one of these.
COMMAND_WORDS = ("docker ", "sudo ", "buildkitd ", "kubectl ", "systemctl ", "buildctl ")

_VERDICT_WORDS = {
    PASS: "pass",
    WARN: "warn",
    BLOCK: "block",
    VERDICT_UNKNOWN: "unknown",
}


def render_text(result: Result, style: Style) -> str:
    result = escaped(result)
    lines: list[str] = []
    if result.what_if:
        lines += [style.paint(result.what_if, "bold"), ""]
    for builder in result.builders:
        lines.extend(builder_lines(builder, style))
        lines.append("")
    for advisory in result.advisory:
        lines.extend(advisory_lines(advisory, style))
        lines.append("")
    for note in result.notes:
        lines.append(f"note: {note}")
    lines.append(summary_line(result, style))
    return style.text("\n".join(lines) + "\n")


ADVISORY_HEAD = (
    "advisory, not a builder's verdict: this host's runtimes, judged against the newest "
    "BuildKit this data knows"
)


def advisory_lines(advisory: BuilderResult, style: Style) -> list[str]:
    lines = [style.paint(ADVISORY_HEAD, "bold")]
    if advisory.error:
        lines.append(f"  {advisory.error}")
    for node in advisory.nodes:
        lines.extend(node_lines(node, style, indent="  "))
    return lines


def render_node_text(node: NodeResult, style: Style) -> str:
    node = escaped(node)
    lines = node_lines(node, style, indent="")
    lines.append(f"verdict: {style.mark(node.verdict)} {_word(node.verdict, style)}")
    return style.text("\n".join(lines) + "\n")


def builder_lines(builder: BuilderResult, style: Style) -> list[str]:
    head = f"builder {style.paint(builder.name, 'bold')} ({builder.driver})"
    lines = [head]
    if builder.error:
        lines.append(f"  {style.mark(VERDICT_UNKNOWN)} could not be read: {builder.error}")
    if builder.selection:
        lines.append(f"  {builder.selection}")
    for node in builder.nodes:
        lines.extend(node_lines(node, style, indent="  "))
    return lines


def node_lines(node: NodeResult, style: Style, *, indent: str) -> list[str]:
    sub = indent + "  "
    state = f" ({node.status})" if node.status not in ("running", "unknown") else ""
    if node.used is False:
        state += " (not used by this build)"
    lines = [
        f"{indent}node {style.paint(node.name, 'bold')}{state}  "
        f"{style.mark(node.verdict)} {_word(node.verdict, style)}"
    ]
    if node.error:
        lines.append(f"{sub}not inspected: {node.error}")
        if node.endpoint:
            lines.append(f"{sub}endpoint  {node.endpoint}")
    else:
        lines.append(f"{sub}BuildKit  {buildkit_text(node.buildkit)}")
        lines.append(f"{sub}runtime   {runtime_text(node.runtime)}")
        if node.runtime is not None and node.runtime.error is None:
            # Without a runtime, every check is "could not tell" for that one reason.
            lines.extend(checks_lines(node.checks, style, indent=sub))
        lines.extend(fix_lines(node.checks, style, indent=sub))
        lines.extend(foresight_lines(node, style, indent=sub))
    lines.extend(f"{sub}note: {note}" for note in dict.fromkeys(node.notes))
    return lines


def foresight_lines(node: NodeResult, style: Style, *, indent: str) -> list[str]:
    """A verdict that holds only while the BuildKit is older than what breaks it."""
    return [
        f"{indent}{style.mark(WARN)} {style.paint('ahead:', 'bold')} {item.text}"
        for item in node.foresight
    ]


def buildkit_text(buildkit: BuildKitFacts) -> str:
    parts = []
    if buildkit.hypothetical:
        parts.append(buildkit.source or "hypothetical")
        parts.append(f"the node runs {buildkit.actual or 'an unknown version'}")
    elif buildkit.source:
        parts.append(f"from {buildkit.source}")
    parts.append(f"{buildkit.worker} worker" if buildkit.worker else "worker unknown")
    if buildkit.no_pivot:
        parts.append("no-pivot")
    elif buildkit.no_pivot is None:
        parts.append("no-pivot unknown")
    if buildkit.cgroup:
        parts.append(f"cgroup {buildkit.cgroup}")
    if buildkit.rootless:
        parts.append("rootless")
    if buildkit.judged_as:
        parts.append(f"judged as {buildkit.judged_as}")
    return f"{buildkit.version or 'version unknown'} ({', '.join(parts)})"


def runtime_text(runtime: Optional[RuntimeFacts]) -> str:
    if runtime is None:
        return "not determined"
    identity = runtime.identity
    who = identity.name or "unidentified"
    if identity.version:
        who += f" {identity.version}"
    if identity.wrapper:
        who += f" (via {identity.wrapper})"
    path = f" at {runtime.path}" if runtime.path else ""
    if runtime.error and not runtime.verified and identity.name is None:
        return f"not known until it runs ({runtime.error})"
    where = runtime.where + (", verified" if runtime.verified else ", not verified")
    if runtime.version_source:
        where += f"; version from {runtime.version_source}"
    text = f"{who}{path} ({where})"
    if runtime.error:
        text += f": not inspected: {runtime.error}"
    return text


def checks_lines(checks: list[Check], style: Style, *, indent: str) -> list[str]:
    """Accepted and unknown invocations on one line each; every other one with its reason;
    then the behaviour check (--deep) on its own."""
    counted = [c for c in checks if not c.ignored and c.id != BEHAVIOUR]
    accepted = [c for c in counted if c.status == ACCEPTED]
    unknown = [c for c in counted if c.status == UNKNOWN]
    lines = []
    if accepted:
        names = ", ".join(c.invocation for c in accepted)
        lines.append(f"{indent}{style.mark(PASS)} accepted: {names}")
    for check in counted:
        if check.status in (ACCEPTED, UNKNOWN):
            continue
        mark = style.mark(check.verdict)  # what it costs: a rejected debug option only warns
        what = style.paint(check.invocation, "bold")
        lines.append(f"{indent}{mark} {what} ({check.id}): {check.status}")
        if check.reason:
            lines.append(f"{indent}    {check.reason}")
        lines.append(f"{indent}    {_evidence(check.evidence, style)}")
    if unknown:
        names = ", ".join(f"{c.invocation} ({c.id})" for c in unknown)
        lines.append(f"{indent}{style.mark(VERDICT_UNKNOWN)} could not tell: {names}")
        evidence = list(dict.fromkeys(c.evidence for c in unknown))
        lines.extend(f"{indent}    {_evidence(e, style)}" for e in evidence)
    for check in checks:
        if check.id == BEHAVIOUR and not check.ignored:
            lines.extend(behaviour_lines(check, style, indent=indent))
    for check in checks:
        if check.ignored:
            lines.append(
                f"{indent}{style.paint('-', 'dim')} {check.invocation} ({check.id}): "
                f"{check.status}; in the ignore list, not counted"
            )
    return lines


def behaviour_lines(check: Check, style: Style, *, indent: str) -> list[str]:
    """The behaviour check: BuildKit's call sequence run for real (--deep)."""
    if check.verdict == PASS:
        return [f"{indent}{style.mark(PASS)} behaves as BuildKit needs: {check.invocation}"]
    said = "could not tell" if check.status == UNKNOWN else "differs"
    what = style.paint(BEHAVIOUR_NAME, "bold")
    lines = [f"{indent}{style.mark(check.verdict)} {what} ({check.id}): {said}"]
    if check.reason:
        lines.append(f"{indent}    {check.reason}")
    lines.append(f"{indent}    {_evidence(check.evidence, style)}")
    return lines


def _evidence(evidence: str, style: Style) -> str:
    return style.paint(f"evidence: {evidence}", "dim")


def fix_lines(checks: list[Check], style: Style, *, indent: str) -> list[str]:
    """The fixes of the counted failing checks, commands on their own lines; a command that two
    checks share (one recreate mends both) is said once, and a note that two checks share is
    said where it applies to the last of them."""
    fixes: list[str] = []
    commands: set[str] = set()
    for check in checks:
        if check.ignored or check.verdict == PASS:
            continue
        for fix in check.fix:
            command = split_fix(fix)[1]
            if command is not None:
                if command not in commands:
                    commands.add(command)
                    fixes.append(fix)
            else:
                if fix in fixes:
                    fixes.remove(fix)
                fixes.append(fix)
    if not fixes:
        return []
    lines = [f"{indent}{style.paint('fix:', 'bold')}"]
    lines.extend(f"{indent}  {line}" for line in fix_steps(fixes))
    return lines


def fix_steps(fixes: list[str]) -> list[str]:
    """Each fix as lines: what to do, then its command indented by four, as it is."""
    lines = []
    for fix in fixes:
        prose, command = split_fix(fix)
        if prose:
            lines.append(prose)
        if command:
            lines.append(f"    {command}")
    return lines


def split_fix(fix: str) -> tuple[str, Optional[str]]:
    """('what to do:', 'the command') when the fix ends in a command, else (fix, None)."""
    if fix.startswith(COMMAND_WORDS):
        return "", fix
    at = len(fix)
    while True:
        at = fix.rfind(": ", 0, at)
        if at < 0:
            return fix, None
        if fix[at + 2 :].startswith(COMMAND_WORDS):
            return fix[: at + 1], fix[at + 2 :]


def summary_line(result: Result, style: Style) -> str:
    verdict = result.verdict
    counts = node_counts(result)
    said = ", ".join(f"{n} {word}" for word, n in counts if n) or "no builder node found"
    head = "verdict (hypothetical)" if result.what_if else "verdict"
    return f"{head}: {style.mark(verdict)} {_word(verdict, style)} ({said})"


def node_counts(result: Result) -> list[tuple[str, int]]:
    every = [n for b in result.builders for n in b.nodes]
    nodes = [n for n in every if n.used is not False]
    unread = sum(1 for b in result.builders if b.error and not b.nodes)
    return [
        ("blocked", sum(1 for n in nodes if n.verdict == BLOCK)),
        ("with warnings", sum(1 for n in nodes if n.verdict == WARN)),
        ("unknown", sum(1 for n in nodes if n.verdict == VERDICT_UNKNOWN and not n.error)),
        ("not inspected", sum(1 for n in nodes if n.error) + unread),
        ("passed", sum(1 for n in nodes if n.verdict == PASS)),
        ("not used by this build", len(every) - len(nodes)),
    ]


def _word(verdict: str, style: Style) -> str:
    return style.paint(_VERDICT_WORDS.get(verdict, verdict), verdict)
