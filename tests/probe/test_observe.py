from __future__ import annotations

import pytest

from runtimecheck.facts import ACCEPTED, REJECTED, UNKNOWN
from runtimecheck.probe.observe import classify

RUN_KEEP = "run-keep"

# Answers of real runtimes to a probe whose bundle / container does not exist.
ANSWERS = [
    # crun 1.8.1 (Debian 12), recorded here
    (
        64,
        "run: unrecognized option '--keep'\nTry `run --help' or `run --usage' for more information.\n",
        REJECTED,
    ),
    (1, "chdir `/tmp/x/missing-bundle` failed: No such file or directory\n", ACCEPTED),
    (1, "error opening file `/tmp/x/root/id/status`: No such file or directory\n", ACCEPTED),
    (1, "cannot open directory '/tmp/x/root/id': No such file or directory\n", ACCEPTED),
    # crun >= 1.22: argv0 is the binary path
    (64, "/usr/bin/crun: unrecognized option '--keep'\n", REJECTED),
    # runc 1.1.5 (Debian 12), recorded here: text log on stderr, JSON in the --log file
    (
        1,
        'time="2026-11-27T18:48:02Z" level=error msg="runc run failed: chdir /tmp/x/missing-bundle: no such file or directory"\n',
        ACCEPTED,
    ),
    (
        255,
        'time="2026-11-27T18:48:02Z" level=error msg="exec failed: container does not exist"\n',
        ACCEPTED,
    ),
    (
        1,
        '{"level":"error","msg":"container does not exist","time":"2026-11-27T18:43:00Z"}\n',
        ACCEPTED,
    ),
    # runc 1.0.x: urfave/cli, help text on stdout, message last (and in the log file)
    (
        1,
        "Incorrect Usage: flag provided but not defined: -keep\n\nNAME:\n   runc run - create and run a container\n   --no-pivot   do not use pivot root\nflag provided but not defined: -keep\n",
        REJECTED,
    ),
    (
        1,
        '{"level":"error","msg":"flag provided but not defined: -keep","time":"2026-11-27T18:43:00Z"}\n',
        REJECTED,
    ),
    # runsc
    (128, 'failed to parse flags for "run": flag provided but not defined: -keep\n', REJECTED),
    # youki (clap 4)
    (
        2,
        "error: unexpected argument '--keep' found\n\nUsage: youki run [OPTIONS] <CONTAINER_ID>\n\nFor more information, try '--help'.\n",
        REJECTED,
    ),
    # clap 2/3, cobra, a runtime without the subcommand
    (
        1,
        "error: Found argument '--keep' which wasn't expected, or isn't valid in this context\n",
        REJECTED,
    ),
    (1, "Error: unknown flag: --keep\n", REJECTED),
    (3, "No help topic for 'run'\n", REJECTED),
    (1, "unknown command run\n", REJECTED),
]


@pytest.mark.parametrize(("code", "output", "status"), ANSWERS)
def test_real_answers(code, output, status):
    outcome = classify(code, output, False, RUN_KEEP, argv=("run", "--keep"))
    assert outcome.status == status
    assert outcome.invocation_id == "run-keep"
    assert outcome.exit_code == code
    assert outcome.argv == ("run", "--keep")
    assert outcome.evidence.startswith(f"exit {code}: ")
    assert "\n" not in outcome.evidence


def test_evidence_names_the_refusal_not_the_help_text():
    outcome = classify(64, ANSWERS[0][1], False, RUN_KEEP)
    assert outcome.evidence == "exit 64: run: unrecognized option '--keep'"
    runc_old = classify(1, ANSWERS[8][1], False, RUN_KEEP)
    assert runc_old.evidence == "exit 1: Incorrect Usage: flag provided but not defined: -keep"
    json_log = classify(1, ANSWERS[7][1], False, RUN_KEEP)
    assert json_log.evidence == "exit 1: container does not exist"


def test_refusing_the_probe_own_root_option_proves_nothing():
    outcome = classify(1, "flag provided but not defined: -root\n", False, RUN_KEEP)
    assert outcome.status == UNKNOWN
    assert "root" in outcome.evidence


@pytest.mark.parametrize(
    ("code", "output", "timed_out", "words"),
    [
        (None, "", True, "no answer"),
        (None, "Permission denied: /x/runc", False, "Permission denied"),
        (-9, "", False, "SIGKILL"),
        (-11, "partial", False, "SIGSEGV"),
        (0, "", False, "exit 0"),
        (0, "\x00\x01\x02garbage\xff", False, "exit 0"),
        (1, "permission denied\n", False, "permission denied"),
        (1, "", False, "no output"),
        (137, "\x1b[31m\x00\x07", False, "exit 137"),
    ],
)
def test_anything_else_is_unknown_with_evidence(code, output, timed_out, words):
    outcome = classify(code, output, timed_out, RUN_KEEP)
    assert outcome.status == UNKNOWN
    assert words in outcome.evidence
    assert outcome.evidence.isprintable()


def test_evidence_is_bounded():
    outcome = classify(1, "x" * 10_000 + " does not exist", False, RUN_KEEP)
    assert outcome.status == ACCEPTED
    assert len(outcome.evidence) <= 240
