"""GitHub Actions workflow commands: one annotation per finding, then a summary line.

Escaping follows the runner's rules (actions/toolkit command.ts): in the message `%`, CR
and LF; in property values also `:` and `,`.
"""

from __future__ import annotations

from runtimecheck import behaviour
from runtimecheck.facts import BLOCK, PASS, UNKNOWN, Check, NodeResult, Result
from runtimecheck.safe import escaped

from .levels import level_of
from .style import Style
from .text import fix_steps, summary_line

PLAIN = Style(color=False, unicode=True)
TITLE = "docker-runtimecheck"  # what each annotation's title starts with


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(level: str, title: str, message: str) -> str:
    return f"::{level} title={escape_property(title)}::{escape_data(message)}"


# With --buildkit / --engine every builder's annotation says so: a title is all a reader of
# the checks page sees.
HYPOTHETICAL_TITLE = f"{TITLE} (hypothetical)"


def render_github(result: Result) -> str:
    result = escaped(result)
    lines: list[str] = []
    head = TITLE
    if result.what_if:
        head = HYPOTHETICAL_TITLE
        lines.append(command("notice", head, result.what_if))
    for builder in result.builders:
        if builder.error:
            lines.append(
                command(
                    "warning",
                    f"{head}: builder {builder.name} not read",
                    f"Builder {builder.name} ({builder.driver}) could not be read: {builder.error}",
                )
            )
        for node in builder.nodes:
            lines.extend(node_commands(f"{builder.name}/{node.name}", node, head=head))
    for advisory in result.advisory:
        for node in advisory.nodes:
            failing = [c.invocation for c in node.checks if c.verdict != PASS and not c.ignored]
            said = f"; not passing: {', '.join(failing)}" if failing else ""
            lines.append(
                command(
                    "notice",
                    f"{TITLE}: this host's runtime {node.name} (advisory)",
                    f"Not a builder's verdict: {node.name} would be {node.verdict} with the "
                    f"newest BuildKit{said}.",
                )
            )
    lines.append(f"{TITLE}: " + summary_line(result, PLAIN))
    return "\n".join(lines) + "\n"


def node_commands(where: str, node: NodeResult, *, head: str = TITLE) -> list[str]:
    if node.error:
        return [
            command(
                "warning",
                f"{head}: {where} not inspected",
                f"Builder node {where} could not be inspected: {node.error}",
            )
        ]
    lines = [
        command(
            level_of(check),
            f"{head}: {where}: {_what(check)}",
            check_message(check),
        )
        for check in node.checks
        if check.verdict != PASS
    ]
    if not lines and node.verdict != PASS:
        # The node fails for reasons beyond any one invocation (an unknown BuildKit version).
        level = "error" if node.verdict == BLOCK else "warning"
        notes = "\n".join(node.notes) or f"verdict {node.verdict}"
        lines.append(command(level, f"{head}: {where}: {node.verdict}", notes))
    lines.extend(
        command("notice", f"{head}: {where}: ahead: {item.invocation}", item.text)
        for item in node.foresight
    )
    return lines


def _what(check: Check) -> str:
    if check.id == behaviour.CHECK_ID:  # --deep: what the runtime did, not what it parsed
        said = "could not be completed" if check.status == UNKNOWN else "differs"
        return f"{behaviour.NAME} {said} ({check.id})"
    return f"{check.invocation} {check.status}"


def check_message(check: Check) -> str:
    parts = [check.reason or f"`{check.invocation}`: {check.status}", f"Evidence: {check.evidence}"]
    if check.ignored:
        parts.append(f"In the ignore list ({check.id}): reported, not counted.")
    if check.fix:
        parts.append("Fix:")
        parts.extend(fix_steps(check.fix))
    return "\n".join(parts)
