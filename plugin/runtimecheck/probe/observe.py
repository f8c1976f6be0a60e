"""What one probe call answered: did the runtime take the command line, refuse it, or neither?

The probe calls the runtime with a bundle and a container that do not exist. A runtime that
parsed the command line goes on and fails on the missing bundle or container (accepted); one
that does not know an option stops at argument parsing with a usage error (rejected).
The shapes below are those of the argument parsers runtimes are built on, not of one runtime:
glibc argp/getopt (crun), Go flag and urfave/cli (runc, runsc, sysbox-runc), clap (youki),
cobra/pflag, Python argparse. Pure: no processes, no files.
"""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Sequence
from typing import Optional

from runtimecheck.facts import ACCEPTED, REJECTED, UNKNOWN, ProbeOutcome

UNKNOWN_OPTION = re.compile(
    r"unrecognized option"  # argp / getopt_long
    r"|invalid option"  # getopt, short options
    r"|unknown option"
    r"|flag provided but not defined"  # Go flag, urfave/cli
    r"|unknown (?:shorthand )?flag"  # cobra / pflag
    r"|unexpected argument"  # clap 4
    r"|found argument .* which wasn't expected"  # clap 2/3
    r"|unrecognized arguments"  # argparse
    r"|failed to parse flags",  # runsc
    re.IGNORECASE,
)
_UNKNOWN_COMMAND = re.compile(
    r"unknown command|unrecognized subcommand|unknown subcommand|no help topic for",
    re.IGNORECASE,
)
_USAGE_ERROR = re.compile(
    r"incorrect usage"  # urfave/cli
    r"|try [`'\"]?\S+ --help"  # argp: Try `run --help' …
    r"|for more information,? try",  # clap
    re.IGNORECASE,
)
# The runtime went past argument parsing and looked for the bundle or the container.
_REACHED_STATE = re.compile(
    r"no such file or directory|does not exist|not exist|no such container|not found"
    r"|cannot open directory|error opening file|chdir",
    re.IGNORECASE,
)
# The option named in an "unknown option" message: '--keep', -keep, "--x".
_OPTION_WORD = re.compile(r"(?:^|[\s'\"`:=])-{1,2}([A-Za-z][\w-]*)")

_LOGFMT_MSG = re.compile(r'\blevel=\w+ msg="((?:[^"\\]|\\.)*)"')

EVIDENCE_MAX = 240

# Options every probe carries for safety (a private state dir) that BuildKit never sends: a
# runtime refusing one of these says nothing about BuildKit's command line.
SCAFFOLDING_OPTIONS = frozenset({"root"})


def classify(
    exit_code: Optional[int],
    output: str,
    timed_out: bool,
    invocation_id: str,
    *,
    argv: Sequence[str] = (),
) -> ProbeOutcome:
    """Classify one call. `output` is everything the call wrote (stdout, stderr, log file);
    `argv` is what was executed after the binary, recorded as evidence."""

    def outcome(status: str, evidence: str) -> ProbeOutcome:
        return ProbeOutcome(
            invocation_id=invocation_id,
            status=status,
            evidence=one_line(evidence),
            exit_code=exit_code,
            argv=tuple(argv),
        )

    lines = message_lines(output)
    if timed_out:
        return outcome(UNKNOWN, "no answer within the time limit")
    if exit_code is None:
        return outcome(UNKNOWN, "not run: " + (lines[0] if lines else "no reason given"))
    if exit_code < 0:
        return outcome(UNKNOWN, f"killed by {signal_name(-exit_code)}")

    refusal = _first(lines, UNKNOWN_OPTION) or _first(lines, _UNKNOWN_COMMAND)
    if refusal is None and exit_code != 0:
        refusal = _first(lines, _USAGE_ERROR)
    if refusal is not None:
        option = _named_option(refusal)
        if option in SCAFFOLDING_OPTIONS:
            return outcome(
                UNKNOWN,
                f"exit {exit_code}: {refusal} (an option the probe adds, not one BuildKit sends)",
            )
        return outcome(REJECTED, f"exit {exit_code}: {refusal}")

    if exit_code != 0:
        reached = _first(lines, _REACHED_STATE)
        if reached is not None:
            return outcome(ACCEPTED, f"exit {exit_code}: {reached}")
        return outcome(UNKNOWN, f"exit {exit_code}: " + (lines[0] if lines else "no output"))
    # Nothing to run exists, so a real runtime cannot succeed here.
    return outcome(UNKNOWN, "exit 0 although the bundle and the container do not exist")


def _named_option(line: str) -> Optional[str]:
    m = _OPTION_WORD.search(line)
    return m.group(1) if m else None


def message_lines(output: str) -> list[str]:
    """Non-empty lines; a JSON log line (runc/crun --log-format json) becomes its msg."""
    lines = []
    for raw in output.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                doc = json.loads(line)
            except ValueError:
                doc = None
            if isinstance(doc, dict) and isinstance(doc.get("msg"), str):
                line = doc["msg"]
        else:
            m = _LOGFMT_MSG.search(line)  # logrus text: time="…" level=error msg="…"
            if m:
                line = m.group(1).replace('\\"', '"')
        lines.append(line)
    return lines


def _first(lines: list[str], pattern: re.Pattern[str]) -> Optional[str]:
    return next((line for line in lines if pattern.search(line)), None)


def one_line(text: str) -> str:
    printable = "".join(c if c.isprintable() else "?" for c in " ".join(text.split()))
    if len(printable) > EVIDENCE_MAX:
        return printable[: EVIDENCE_MAX - 1] + "…"
    return printable


def shell_exit_code(status: str) -> Optional[int]:
    """A status the probe scripts record (`$?`) as subprocess has it: a shell reports a death
    by signal N as 128 + N, here -N; None for one that is no number ("timeout", "budget")."""
    if not status.isdigit():
        return None
    code = int(status)
    return 128 - code if 128 < code < 128 + signal.NSIG else code


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
