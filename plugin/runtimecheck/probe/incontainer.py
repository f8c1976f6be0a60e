"""Probing the runtime inside a container (a builder node) in one exec round trip.

`probe.sh` runs in the container's `sh`: it resolves the runtime among candidates on the
container's PATH, runs `--version`, every invocation and `features` with a private
`mktemp -d` state dir it removes, reads files and runs extra commands, and answers with
framed records. Any exec transport works: the docker SDK, `docker exec`, `kubectl exec` — it
only has to run an argv and return (exit code, stdout, stderr).

The runtime is not trusted, so the script bounds every call. Each call runs in a session of
its own (`setsid`) and has its whole process group killed when it returns or its time is up;
its processes carry a mark in their environment, by which one that left the group is killed
too, so nothing of the probe is left in the container. A call gets `call_timeout` seconds
(rounded up, plus at most one second: the script's timer ticks once a second); once three
quarters of `timeout` are spent the running call is ended and no further call is started, so
the script finishes before the exec is abandoned. stdout, stderr and the `--log` file are
named pipes read by `head -c`, which cuts them at OUTPUT_CAP bytes where they are written (a
runtime printing more dies of SIGPIPE).
"""

from __future__ import annotations

import json
import math
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Callable, Optional

from runtimecheck.facts import UNKNOWN, ProbeOutcome, RuntimeFacts, RuntimeIdentity
from runtimecheck.knowledge import Runtime
from runtimecheck.probe import observe
from runtimecheck.probe.environment import Seen, from_record
from runtimecheck.probe.identify import parse_version_output
from runtimecheck.probe.placeholders import new_container_id, with_private_root
from runtimecheck.run import run

# Runs argv in the container: (exit code, or None when it did not end within the timeout;
# stdout; stderr). May raise when the exec cannot be started at all.
ExecArgv = Callable[[list[str], float], tuple[Optional[int], bytes, bytes]]

FORMAT = "2"
HEADER = b"RUNTIMECHECK-PROBE 1\n"
OUTPUT_CAP = 64 * 1024  # bytes kept of each output of a call
# Of the exec's timeout, what the script may spend on calls; the rest is for the exec's round
# trip and the script's timer, which ticks once a second.
BUDGET_SHARE = 0.75


@dataclass
class ContainerProbe:
    runtime: RuntimeFacts
    files: dict[str, Optional[str]] = field(default_factory=dict)  # None: missing / unreadable
    commands: dict[str, tuple[Optional[int], str]] = field(default_factory=dict)
    # What the container's /proc says of /sys/fs/cgroup and the exec's user; None: the
    # script gave no such record.
    environment: Optional[Seen] = None


@dataclass
class _Record:
    tag: str
    status: str
    key: str
    payloads: list[bytes]

    def text(self, i: int = 0) -> str:
        return self.payloads[i].decode("utf-8", "replace") if i < len(self.payloads) else ""

    def exit_code(self) -> Optional[int]:
        """The status as subprocess has it: negative for a death by that signal."""
        return observe.shell_exit_code(self.status)

    def cut(self) -> bool:
        """Whether the call died of SIGPIPE because an output reached the cap: it said more
        than was kept, which is no failure of its own."""
        return self.exit_code() == -signal.SIGPIPE and any(
            len(p) >= OUTPUT_CAP for p in self.payloads
        )


def script() -> str:
    return resources.files(__package__).joinpath("probe.sh").read_text(encoding="utf-8")


def script_argv(
    *,
    candidates: Sequence[str],
    invocations: Sequence[Any],
    read_files: Sequence[str] = (),
    commands: Mapping[str, Sequence[str]] = {},
    call_timeout: float = 5.0,
    timeout: float = 20.0,
    deep: bool = False,
) -> list[str]:
    """The argv that runs the probe script: `sh -c SCRIPT sh DATA…`, data as parameters;
    with `deep`, deep.sh in front of it and its data after the probes'."""
    seconds = max(1, math.ceil(call_timeout))
    budget = max(1, math.floor(timeout * BUDGET_SHARE))
    probe_id = new_container_id()
    data = [FORMAT, str(seconds), str(budget), str(OUTPUT_CAP), probe_id]
    data += [str(len(candidates)), *map(_key, candidates)]
    data += [str(len(read_files)), *map(_key, read_files)]
    data.append(str(len(commands)))
    for name, argv in commands.items():
        data += [_key(name), str(len(argv)), *argv]
    data.append(str(len(invocations)))
    for invocation in invocations:
        template = with_private_root(invocation.probe)
        data += [_key(invocation.id), str(len(template)), *template]
    if not deep:
        return ["sh", "-c", script(), "sh", *data]
    from runtimecheck.probe import deep as behaviour_probe

    data += behaviour_probe.script_data(probe_id, seconds)
    return ["sh", "-c", behaviour_probe.script() + script(), "sh", *data]


def run_in_container(
    exec_argv: ExecArgv,
    *,
    candidates: Sequence[str],
    invocations: Sequence[Any],
    read_files: Sequence[str] = (),
    commands: Mapping[str, Sequence[str]] = {},
    timeout: float = 20.0,
    where: str = "container",
    call_timeout: float = 5.0,
    runtimes: Optional[Sequence[Runtime]] = None,
    deep: bool = False,
) -> ContainerProbe:
    """Probe the first of `candidates` found in the container, in one `exec_argv` call.

    `timeout` bounds the whole exec; `call_timeout` each runtime call inside it (see the
    module's docstring for how). With `deep`, the same exec then runs BuildKit's call sequence
    for real (probe.deep): `runtime.behaviour`. Never raises: what could not be learnt is in
    `runtime.error` / unknown statuses.
    """
    result = ContainerProbe(RuntimeFacts(None, RuntimeIdentity(None, None), where=where))
    argv = script_argv(
        candidates=candidates,
        invocations=invocations,
        read_files=read_files,
        commands=commands,
        call_timeout=call_timeout,
        timeout=timeout,
        deep=deep,
    )
    try:
        code, out, err = exec_argv(argv, timeout)
    except Exception as e:  # any transport failure is a finding about this node
        # The SDK's APIError carries the daemon's own sentence in `explanation`.
        detail = getattr(e, "explanation", None) or e
        result.runtime.error = f"exec in the container failed: {detail}"
        return result
    records, complete = _parse(out or b"")
    _apply(result, records, invocations, runtimes)
    if deep:
        from runtimecheck.probe import deep as behaviour_probe

        result.runtime.behaviour = behaviour_probe.from_records(records, complete)
    if not complete:
        why = f"did not finish within {timeout:g}s" if code is None else f"exit {code}"
        # An exec that never got to run the script (no sh, runtime error) may say why on
        # either stream.
        said = err if (err or b"").strip() or records else out
        detail = (said or b"").decode("utf-8", "replace").strip().splitlines()
        problem = f"probe script {why}" + (f": {detail[0]}" if detail else "")
        result.runtime.error = result.runtime.error or problem
    return result


def command_transport(prefix: Sequence[str]) -> ExecArgv:
    """A transport running `prefix + argv` on this machine, e.g. ["docker", "exec", NAME]
    or ["kubectl", "exec", "-n", NS, POD, "--"]."""

    def exec_argv(argv: list[str], timeout: float) -> tuple[Optional[int], bytes, bytes]:
        done = run([*prefix, *argv], timeout=timeout)
        if done.error:
            raise OSError(done.error)
        return (None if done.timed_out else done.returncode), done.stdout, done.stderr

    return exec_argv


def docker_exec_transport(container: Any) -> ExecArgv:
    """A transport through the docker SDK for a `docker.models.containers.Container`.

    The SDK's exec has no timeout: the exec runs in a thread that is abandoned when the
    time is up (the script's own per-call limits end the process in the container).
    """

    def exec_argv(argv: list[str], timeout: float) -> tuple[Optional[int], bytes, bytes]:
        import threading

        api = container.client.api
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                exec_id = api.exec_create(container.id, list(argv), stdout=True, stderr=True)["Id"]
                out, err = api.exec_start(exec_id, demux=True)
                box["value"] = (api.exec_inspect(exec_id).get("ExitCode"), out or b"", err or b"")
            except Exception as e:
                box["error"] = e

        worker = threading.Thread(target=work, name="runtimecheck-exec", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            return None, b"", b""
        if "error" in box:
            raise box["error"]
        return box["value"]

    return exec_argv


def _apply(
    result: ContainerProbe,
    records: list[_Record],
    invocations: Sequence[Any],
    runtimes: Optional[Sequence[Runtime]],
) -> None:
    facts = result.runtime
    by_id = {str(i.id): i for i in invocations}
    notes = []
    for r in records:
        if r.tag == "path":
            facts.path = r.text() if r.status == "found" else None
        elif r.tag == "file":
            result.files[r.key] = r.text() if r.status == "ok" else None
        elif r.tag == "cgroup":
            result.environment = from_record(r.status, r.text(0), r.text(1), r.text(2))
        elif r.tag == "command":
            result.commands[r.key] = (r.exit_code(), r.text(0) + r.text(1))
        elif r.tag == "version":
            code = r.exit_code()
            if r.status == "timeout":
                facts.error = "no answer to --version within the time limit"
            elif code is None:
                facts.error = f"--version was not run: {_NOT_RUN.get(r.status, r.status)}"
            elif code < 0 and not r.cut():
                facts.error = f"killed by {observe.signal_name(-code)} while answering --version"
            else:
                out = r.payloads[0] if r.payloads and r.payloads[0].strip() else b""
                text = (out or (r.payloads[1] if len(r.payloads) > 1 else b"")).decode(
                    "utf-8", "replace"
                )
                facts.identity = parse_version_output(text[:4096], runtimes)
                facts.verified = True
        elif r.tag == "probe" and r.key in by_id:
            facts.probes[r.key] = _outcome(r, by_id[r.key])
        elif r.tag == "features" and r.exit_code() == 0:
            facts.features = _json_object(r.payloads[0] if r.payloads else b"")
        elif r.tag == "note" and r.status == "error":
            notes.append(r.text())
    if notes:
        facts.error = "; ".join(notes)
    elif facts.path is None and any(r.tag == "path" for r in records):
        facts.error = "no runtime binary found among the candidates on the container's PATH"


_NOT_RUN = {
    "skipped": "an earlier call got no answer in time",
    "budget": "the time for the whole probe was spent",
}


def _outcome(r: _Record, invocation: Any) -> ProbeOutcome:
    # The paths are filled in inside the container; the template is what can be shown.
    argv = tuple(invocation.probe)
    if r.status in _NOT_RUN:
        return ProbeOutcome(str(invocation.id), UNKNOWN, f"not run: {_NOT_RUN[r.status]}")
    if r.cut():
        evidence = f"printed more than {OUTPUT_CAP // 1024} KiB: cut there, no exit status"
        return ProbeOutcome(str(invocation.id), UNKNOWN, evidence, r.exit_code(), argv)
    output = "\n".join(r.text(i) for i in range(len(r.payloads)))
    return observe.classify(r.exit_code(), output, r.status == "timeout", invocation.id, argv=argv)


def _parse(out: bytes) -> tuple[list[_Record], bool]:
    """Records of the script's answer, and whether it got to the end."""
    start = out.find(HEADER)
    if start < 0:
        return [], False
    pos = start + len(HEADER)
    records: list[_Record] = []
    while pos < len(out):
        eol = out.find(b"\n", pos)
        if eol < 0:
            break
        fields = out[pos:eol].decode("utf-8", "replace").split("\t", 3)
        if len(fields) != 4:
            break
        tag, status, lengths, key = fields
        try:
            sizes = [int(n) for n in lengths.split()]
        except ValueError:
            break
        pos = eol + 1
        payloads = []
        for size in sizes:
            payloads.append(out[pos : pos + size])
            pos += size
        if out[pos : pos + 1] != b"\n":
            break  # cut short
        pos += 1
        if tag == "end":
            return records, True
        records.append(_Record(tag, status, key, payloads))
    return records, False


def _json_object(data: bytes) -> Optional[dict[str, Any]]:
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _key(value: str) -> str:
    # Keys come back in the record header line, so they must stay on one line.
    if "\n" in value or "\t" in value:
        raise ValueError(f"newline or tab in {value!r}")
    return value
