"""The behaviour probe (`--deep`): BuildKit's call sequence run once for real, and its judgement.

Parse probes learn whether a runtime *parses* each command line; this runs what BuildKit's
runc executor runs for a RUN step (moby/buildkit executor/runcexecutor, through go-runc, from
v0.12.0): `run --bundle B --keep ID` on a container whose process exits at once, then the
kept, stopped container must show in `state ID`, `delete ID` must remove it and `state ID`
then fail; and a RUN step cancelled: `kill ID 9` on a running one. Every call gets the global
options go-runc sends (`--log FILE --log-format json`) after a private `--root`.

`deep.sh` does it inside the same `sh` as `probe.sh` (the same exec in a builder container; a
local `sh` for a runtime on this host), in the probe's private directory, and removes what it
made whatever happens. This module gives it what it needs as data (the container configs and
two tiny static programs), reads its records and judges them into a `behaviour.Behaviour`.
The judgement is pure; `on_host` runs the script.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Optional

from runtimecheck.behaviour import (
    BEHAVES,
    DIFFERS,
    INCONCLUSIVE,
    NOT_RUN,
    OUTCOME_DIFFERS,
    OUTCOME_NO_ANSWER,
    OUTCOME_OK,
    Behaviour,
    Step,
)
from runtimecheck.facts import REJECTED
from runtimecheck.probe import observe

# How long the sleeping container's process sleeps at most: it must outlive the polls and
# the kill (a few calls' time limits), and end by itself if nobody can kill it.
SLEEP_MAX_S = 120

# The calls of the sequence as BuildKit makes them (go-runc adds --log FILE --log-format json in
# front, the probe --root DIR before that).
CALLS = {
    "run-keep": "run --bundle <bundle> --keep <id>",
    "run-plain": "run --bundle <bundle> <id>",
    "state-kept": "state <id>",
    "delete": "delete <id>",
    "state-deleted": "state <id>",
    "kill-started": "state <id>",
    "kill": "kill <id> 9",
    "kill-run": "run --bundle <bundle> --keep <id>",
    "kill-state": "state <id>",
    "kill-delete": "delete <id>",
}
GLOBAL_OPTIONS = "--root <private dir> --log <file> --log-format json"


def script() -> str:
    return resources.files(__package__).joinpath("deep.sh").read_text(encoding="utf-8")


# --- the minimal programs ------------------------------------------------------------------
#
# A container needs a program to run, and nothing from the machine may be mounted into it: the
# rootfs holds one static ELF executable of a few dozen instructions (one PT_LOAD segment, no
# libraries, no interpreter), written by the script from these bytes.

_X86_64 = 62  # e_machine EM_X86_64
_AARCH64 = 183  # e_machine EM_AARCH64
_LOAD_AT = 0x400000


def _elf(machine: int, code: bytes) -> bytes:
    """A static little-endian ELF64 executable whose code starts right after its headers."""
    header_size, ph_size = 64, 56
    size = header_size + ph_size + len(code)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # 64-bit, little-endian, SysV
    header = ident + struct.pack(
        "<HHIQQQIHHHHHH",
        2,  # ET_EXEC
        machine,
        1,  # EV_CURRENT
        _LOAD_AT + header_size + ph_size,  # entry
        header_size,  # program headers right after this one
        0,  # no section headers
        0,
        header_size,
        ph_size,
        1,  # one program header
        0,
        0,
        0,
    )
    # PT_LOAD of the whole file, read + execute, page-aligned for 4 KiB and 64 KiB pages.
    load = struct.pack("<IIQQQQQQ", 1, 5, 0, _LOAD_AT, _LOAD_AT, size, size, 0x10000)
    return header + load + code


def _x86_64(sleep: Optional[int]) -> bytes:
    code = b""
    if sleep is not None:
        code += bytes([0x6A, 0x00])  # push 0            tv_nsec
        code += bytes([0x6A, sleep])  # push SLEEP        tv_sec (imm8: at most 127)
        code += bytes.fromhex("4889e7")  # mov rdi, rsp
        code += bytes.fromhex("31f6")  # xor esi, esi
        code += bytes.fromhex("b823000000")  # mov eax, 35     nanosleep
        code += bytes.fromhex("0f05")  # syscall
    code += bytes.fromhex("31ff")  # xor edi, edi
    code += bytes.fromhex("b83c000000")  # mov eax, 60         exit(0)
    code += bytes.fromhex("0f05")  # syscall
    return _elf(_X86_64, code)


def _aarch64(sleep: Optional[int]) -> bytes:
    words = []
    if sleep is not None:
        words += [
            0xD2800000 | (sleep << 5),  # mov x0, #SLEEP
            0xA9BF7FE0,  # stp x0, xzr, [sp, #-16]!   {tv_sec, tv_nsec = 0}
            0x910003E0,  # mov x0, sp
            0xD2800001,  # mov x1, #0
            0xD2800CA8,  # mov x8, #101               nanosleep
            0xD4000001,  # svc #0
        ]
    words += [
        0xD2800000,  # mov x0, #0
        0xD2800BA8,  # mov x8, #93                    exit(0)
        0xD4000001,  # svc #0
    ]
    return _elf(_AARCH64, b"".join(struct.pack("<I", w) for w in words))


def programs(sleep: int) -> list[tuple[str, bytes, bytes]]:
    """(machine as `uname -m` names it, the program that exits at once, the one that sleeps
    `sleep` seconds), for every machine the behaviour probe can run on."""
    sleep = max(1, min(sleep, SLEEP_MAX_S))
    return [
        ("x86_64", _x86_64(None), _x86_64(sleep)),
        ("aarch64", _aarch64(None), _aarch64(sleep)),
    ]


def printf_format(data: bytes) -> str:
    """`data` as a printf(1) format that prints exactly it: every byte an octal escape."""
    return "".join(f"\\{b:03o}" for b in data)


# --- the containers ------------------------------------------------------------------------


def container_config(container_id: str, mark: str) -> dict[str, Any]:
    """config.json of one probe container: `/probe` as root without capabilities, a read-only
    rootfs of that file alone, fresh pid/net/ipc/uts/mount namespaces (so no network), /proc and
    a tmpfs /dev of its own, and the cgroup `/<container_id>`."""
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": ["/probe"],
            "env": ["PATH=/", mark],
            "cwd": "/",
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "runtimecheck",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {
                "destination": "/dev",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "noexec", "strictatime", "mode=755", "size=64k"],
            },
        ],
        "linux": {
            "cgroupsPath": "/" + container_id,
            "namespaces": [
                {"type": "pid"},
                {"type": "network"},
                {"type": "ipc"},
                {"type": "uts"},
                {"type": "mount"},
            ],
        },
    }


MARK_VARIABLE = "RUNTIMECHECK_PROBE"  # probe.sh's mark, here with .deep / .kill after the id


def script_data(probe_id: str, call_seconds: int) -> list[str]:
    """The data deep.sh takes after probe.sh's: `NPROG (MACHINE EXIT SLEEP)… KEEP KILL PLAIN`."""
    found = programs(3 * call_seconds + 10)
    data = [str(len(found))]
    for machine, exits, sleeps in found:
        data += [machine, printf_format(exits), printf_format(sleeps)]
    for name, mark in (("keep", "deep"), ("kill", "kill"), ("plain", "deep")):
        config = container_config(f"{probe_id}-{name}", f"{MARK_VARIABLE}={probe_id}.{mark}")
        data.append(json.dumps(config, separators=(",", ":")))
    return data


# --- reading the records -------------------------------------------------------------------


@dataclass
class Call:
    """What one call of the sequence did, from its record."""

    name: str
    status: str  # exit status, "timeout" or "budget"
    out: str
    err: str
    log: str

    @property
    def exit_code(self) -> Optional[int]:
        return observe.shell_exit_code(self.status)

    @property
    def said(self) -> list[str]:
        return observe.message_lines("\n".join((self.err, self.log, self.out)))


def from_records(records: Sequence[Any], complete: bool) -> Behaviour:
    """The behaviour from probe.sh's records (`incontainer._Record`: tag, status, key,
    payloads); `complete`: whether the script got to its end record."""
    calls: dict[str, Call] = {}
    not_run: Optional[str] = None
    left: Optional[str] = None
    for r in records:
        if r.tag != "deep":
            continue
        text = [p.decode("utf-8", "replace") for p in r.payloads] + ["", "", ""]
        if r.status == "not-run":
            not_run = text[0]
        elif r.status == "left":
            left = observe.one_line(text[0])
        else:
            calls[r.key] = Call(r.key, r.status, text[0], text[1], text[2])
    if not_run is not None:
        found = Behaviour(NOT_RUN, reason=observe.one_line(not_run))
    elif not calls:
        why = "the probe script ended before it" if not complete else "it left no record"
        found = Behaviour(NOT_RUN, reason=f"BuildKit's call sequence was not run: {why}")
    else:
        found = judge(calls, complete)
    found.left = left
    return found


def judge(calls: dict[str, Call], complete: bool = True) -> Behaviour:
    """What the sequence shows: behaves, the step that differed, or why it cannot tell."""
    return _Judgement(calls, complete).sequence()


class _Judgement:
    """The steps of one sequence, judged in BuildKit's order; each check returns the
    Behaviour that ends the judgement, or None to go on."""

    def __init__(self, calls: dict[str, Call], complete: bool) -> None:
        self.calls = calls
        self.complete = complete
        self.steps: list[Step] = []

    def step(self, name: str, outcome: str, evidence: str) -> Step:
        call = self.calls[name]
        code = call.exit_code
        if name == "kill-run" and call.status.isdigit():
            code = int(call.status)  # the runtime's own 128+N for its container's signal
        done = Step(name, CALLS[name], outcome, code, call.status, evidence)
        self.steps.append(done)
        return done

    def result(self, kind: str, at: str, reason: str) -> Behaviour:
        return Behaviour(kind, step=at, reason=reason, steps=self.steps)

    def answered(self, name: str) -> Optional[Behaviour]:
        """None when the call was made and answered in time, whatever it answered."""
        what = f"`{CALLS[name]}`"
        if name not in self.calls:
            why = "the probe script ended" if not self.complete else "it was not run"
            return self.result(INCONCLUSIVE, name, f"{what} has no answer: {why}")
        call = self.calls[name]
        if call.status == "budget":
            self.step(name, OUTCOME_NO_ANSWER, "not run: the time for the whole probe was spent")
            return self.result(INCONCLUSIVE, name, f"the time for the probe ran out before {what}")
        if call.status == "timeout":
            self.step(name, OUTCOME_NO_ANSWER, "no answer within the time limit")
            return self.result(INCONCLUSIVE, name, f"{what} got no answer within the time limit")
        code = call.exit_code
        if code is not None and code < 0 and name != "kill-run":
            killed = f"killed by {observe.signal_name(-code)}"
            self.step(name, OUTCOME_NO_ANSWER, killed)
            return self.result(INCONCLUSIVE, name, f"{what} was {killed}")
        return None

    def succeeds(self, name: str, failed: str) -> Optional[Behaviour]:
        """The call must exit 0; `failed` says what its failure means."""
        found = self.answered(name)
        if found:
            return found
        call = self.calls[name]
        if call.exit_code != 0:
            self.step(name, OUTCOME_DIFFERS, _evidence(call))
            return self.result(DIFFERS, name, f"{failed} ({_evidence(call)})")
        self.step(name, OUTCOME_OK, "exit 0")
        return None

    def stopped(self, name: str) -> Optional[Behaviour]:
        """`state` must show the container stopped."""
        found = self.answered(name)
        if found:
            return found
        call = self.calls[name]
        if call.exit_code != 0:
            self.step(name, OUTCOME_DIFFERS, _evidence(call))
            return self.result(
                DIFFERS, name, f"`state <id>` found no container ({_evidence(call)})"
            )
        status = _state(call)
        if status != "stopped":
            shown = f"status {status!r}" if status else "no status"
            self.step(name, OUTCOME_DIFFERS, f"exit 0, {shown}")
            return self.result(
                DIFFERS,
                name,
                f"`state <id>` shows {shown} where BuildKit needs the container stopped",
            )
        self.step(name, OUTCOME_OK, "stopped")
        return None

    def sequence(self) -> Behaviour:
        return (
            self.run_keep()
            or self.kept()
            or self.succeeds("delete", "`delete <id>` of the kept, stopped container failed")
            or self.deleted()
            or self.cancelled()
            or Behaviour(BEHAVES, steps=self.steps)
        )

    def run_keep(self) -> Optional[Behaviour]:
        """run --bundle B --keep ID: the process exits 0 at once, so must the run."""
        found = self.answered("run-keep")
        if found:
            return found
        keep = self.calls["run-keep"]
        if keep.exit_code == 0:
            self.step("run-keep", OUTCOME_OK, "exit 0: the container's process exited at once")
            return None
        evidence = _evidence(keep)
        parsed = observe.classify(keep.exit_code, "\n".join(keep.said), False, "run-keep")
        if parsed.status == REJECTED:
            self.step("run-keep", OUTCOME_DIFFERS, evidence)
            return self.result(
                DIFFERS, "run-keep", f"`run --keep` was refused as an option ({evidence})"
            )
        plain = self.calls.get("run-plain")
        if plain is not None and plain.exit_code == 0:
            self.step("run-keep", OUTCOME_DIFFERS, evidence)
            self.step("run-plain", OUTCOME_OK, "exit 0: ran the same container without --keep")
            return self.result(
                DIFFERS,
                "run-keep",
                f"`run --keep` failed ({evidence}) where a plain `run` of the same container works",
            )
        self.step("run-keep", OUTCOME_NO_ANSWER, evidence)
        if plain is not None and plain.status.isdigit():
            self.step("run-plain", OUTCOME_NO_ANSWER, _evidence(plain))
            return self.result(
                NOT_RUN,
                "run-keep",
                "the runtime could not run a minimal container here, with or without "
                f"--keep ({_evidence(plain)})",
            )
        return self.result(INCONCLUSIVE, "run-keep", f"`run --keep` failed ({evidence})")

    def kept(self) -> Optional[Behaviour]:
        """state ID: the kept container, stopped."""
        found = self.stopped("state-kept")
        if found and found.result == DIFFERS and self.calls["state-kept"].exit_code != 0:
            found.reason = (
                "after `run --keep` returned, `state <id>` found no container: the runtime "
                f"removed it when its process exited ({_evidence(self.calls['state-kept'])})"
            )
        return found

    def deleted(self) -> Optional[Behaviour]:
        """After delete ID, state ID fails."""
        found = self.answered("state-deleted")
        if found:
            return found
        call = self.calls["state-deleted"]
        if call.exit_code == 0:
            self.step("state-deleted", OUTCOME_DIFFERS, _evidence(call))
            return self.result(
                DIFFERS,
                "state-deleted",
                "`delete <id>` returned 0, but `state <id>` still finds the container "
                f"({_evidence(call)})",
            )
        self.step("state-deleted", OUTCOME_OK, f"no container any more ({_evidence(call)})")
        return None

    def cancelled(self) -> Optional[Behaviour]:
        """kill ID 9 on a running one: BuildKit cancelling a RUN step."""
        return (
            self.running()
            or self.succeeds("kill", "`kill <id> 9` of a running container failed")
            or self.ended()
            or self.stopped("kill-state")
            or self.succeeds("kill-delete", "`delete <id>` of the killed container failed")
        )

    def running(self) -> Optional[Behaviour]:
        found = self.answered("kill-started")
        if found:
            return found
        started = self.calls["kill-started"]
        if started.exit_code != 0 or _state(started) != "running":
            self.step("kill-started", OUTCOME_NO_ANSWER, _evidence(started))
            run = self.calls.get("kill-run")
            why = f"; the run: {_evidence(run)}" if run is not None else ""
            return self.result(
                INCONCLUSIVE,
                "kill-started",
                "the container whose process sleeps never showed as running "
                f"({_evidence(started)}{why})",
            )
        self.step("kill-started", OUTCOME_OK, "running")
        return None

    def ended(self) -> Optional[Behaviour]:
        """The killed container's `run` returns."""
        run = self.calls.get("kill-run")
        if run is None:
            return self.answered("kill-run")
        if run.status == "timeout" or run.exit_code is None:
            self.step(
                "kill-run", OUTCOME_DIFFERS, "still running after `kill <id> 9`: ended by the probe"
            )
            return self.result(
                DIFFERS,
                "kill-run",
                "after `kill <id> 9` returned 0, the container's `run` did not end within the "
                "time limit",
            )
        self.step("kill-run", OUTCOME_OK, f"ended: exit {run.status}")
        return None


def _state(call: Call) -> Optional[str]:
    try:
        doc = json.loads(call.out)
    except ValueError:
        return None
    status = doc.get("status") if isinstance(doc, dict) else None
    return status if isinstance(status, str) else None


def _exit_text(code: Optional[int]) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        return f"killed by {observe.signal_name(-code)}"
    return f"exit {code}"


def _evidence(call: Call) -> str:
    said = call.said
    text = (
        f"{_exit_text(call.exit_code)}: {said[0]}"
        if said
        else f"{_exit_text(call.exit_code)}, no output"
    )
    return observe.one_line(text)


# --- on this machine -----------------------------------------------------------------------


def on_host(path: str, *, call_timeout: float = 5.0, timeout: Optional[float] = None) -> Behaviour:
    """The sequence run with the binary at `path` on this machine, by the same script in a
    local `sh` (as root; otherwise it says why it was not run)."""
    from runtimecheck.probe import incontainer

    whole = timeout if timeout is not None else max(20.0, 8 * call_timeout)
    probe = incontainer.run_in_container(
        incontainer.command_transport([]),
        candidates=[path],
        invocations=[],
        timeout=whole,
        call_timeout=call_timeout,
        where="host",
        deep=True,
    )
    found = probe.runtime.behaviour
    if found is None:
        return Behaviour(NOT_RUN, reason=probe.runtime.error or "the probe script did not run")
    if found.result == NOT_RUN and found.reason.startswith("not root"):
        found.reason += (
            " (run the check as root, e.g. with sudo, for BuildKit's calls on this host)"
        )
    return found
