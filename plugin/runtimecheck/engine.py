"""Docker SDK clients for an `Endpoint`: bounded, counted, and with errors a user can act on.

The SDK is imported inside functions only: this module is loaded on paths that must stay
fast. Every HTTP round trip is counted (`round_trips()`) and logged at debug level.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Protocol, cast

from . import log
from .dockercli import Endpoint
from .errors import EXIT_UNINSPECTED, RuntimecheckError

if TYPE_CHECKING:
    from .probe.incontainer import ExecArgv

DEFAULT_TIMEOUT = 10.0

_lock = threading.Lock()
_round_trips = 0


def round_trips() -> int:
    """Engine API requests answered since the process started (for benchmarks)."""
    return _round_trips


def _count_response(response: Any, *args: Any, **kwargs: Any) -> None:
    global _round_trips
    with _lock:
        _round_trips += 1
        count = _round_trips
    request = response.request
    path = request.path_url if request is not None else "?"
    elapsed_ms = int(response.elapsed.total_seconds() * 1000)
    log.debug(
        f"engine API #{count}: {request.method if request else '?'} {path}"
        f" → {response.status_code} ({elapsed_ms} ms)"
    )


class Engine(Protocol):
    """What the drivers ask of a Docker daemon, over whichever client reaches it."""

    endpoint: Endpoint
    version: dict[str, Any]  # the /version answer, when it was asked for

    def inspect_container(self, name: str) -> Optional[dict[str, Any]]:
        """`GET /containers/<name>/json`; None when there is no such container."""
        ...

    def exec_transport(self, attrs: dict[str, Any]) -> ExecArgv:
        """A transport running an argv in the (running) container described by `attrs`."""
        ...

    def archive(self, container: str, path: str, limit: int) -> Optional[bytes]:
        """The tar of `path` in the container (running or not); None when there is none.
        Raises TooLarge past `limit` bytes."""
        ...

    def close(self) -> None: ...


class TooLarge(Exception):
    pass


@dataclass
class SdkEngine:
    """A daemon reached through the docker SDK: TCP with TLS, SSH, and the rest."""

    endpoint: Endpoint
    client: Any  # docker.DockerClient
    timeout: float = DEFAULT_TIMEOUT
    version: dict[str, Any] = field(default_factory=dict)
    api_version_known: bool = True

    @property
    def api(self) -> Any:
        return self.client.api

    def inspect_container(self, name: str) -> Optional[dict[str, Any]]:
        """While the API version is unknown the request carries no version prefix, so the
        daemon answers in its own version, named in the `Api-Version` header; that version is
        then used for the calls that follow. A driver that needs nothing else from `/version`
        saves that round trip."""
        import docker.errors

        api = self.api
        with engine_errors(self.endpoint, self.timeout, f"inspecting {name}"):
            try:
                if self.api_version_known:
                    return cast("dict[str, Any]", api.inspect_container(name))
                response = api._get(api._url("/containers/{0}/json", name, versioned_api=False))
                self._adopt(response.headers.get("Api-Version"))
                return cast("dict[str, Any]", api._result(response, json=True))
            except docker.errors.NotFound:
                return None

    def exec_transport(self, attrs: dict[str, Any]) -> ExecArgv:
        from .probe.incontainer import docker_exec_transport

        return docker_exec_transport(self.client.containers.prepare_model(attrs))

    def archive(self, container: str, path: str, limit: int) -> Optional[bytes]:
        import docker.errors

        with engine_errors(self.endpoint, self.timeout, f"reading {path}"):
            try:
                stream, _ = self.api.get_archive(container, path)
            except docker.errors.NotFound:
                return None
            chunks: list[bytes] = []
            size = 0
            for chunk in stream:
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"it is larger than {limit // 1024} KiB")
                chunks.append(chunk)
            return b"".join(chunks)

    def _adopt(self, api_version: Optional[str]) -> None:
        if api_version:
            self.api._version = api_version
        self.api_version_known = True

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()


@dataclass
class SocketEngine:
    """A daemon on this machine's unix socket, asked directly (runtimecheck.dockerapi): the
    docker SDK, its HTTP stack and their import time are not needed for the few calls made."""

    endpoint: Endpoint
    socket_path: str
    timeout: float = DEFAULT_TIMEOUT
    version: dict[str, Any] = field(default_factory=dict)

    def call(
        self, method: str, path: str, body: Optional[dict[str, Any]] = None, doing: str = ""
    ) -> tuple[int, bytes, bytes]:
        import json

        from . import dockerapi

        data = json.dumps(body).encode() if body is not None else b""
        started = time.monotonic()
        try:
            status, head, answer = dockerapi.call(
                self.socket_path, method, path, data, timeout=self.timeout
            )
        except OSError as e:
            raise translate(e, self.endpoint, self.timeout, doing) from None
        _counted(method, path, status, started)
        if status >= 400 and status != 404:
            raise _answered(status, answer, self.endpoint, doing)
        return status, head, answer

    def json(self, method: str, path: str, body: Any = None, doing: str = "") -> Any:
        import json

        status, _, answer = self.call(method, path, body, doing)
        if status == 404:
            return None
        try:
            return json.loads(answer) if answer.strip() else None
        except ValueError:
            raise RuntimecheckError(
                f"the Docker daemon at {self.endpoint.host} answered {path} with no JSON"
            ) from None

    def inspect_container(self, name: str) -> Optional[dict[str, Any]]:
        from .dockerapi import inspect_path

        doc = self.json("GET", inspect_path(name), doing=f"inspecting {name}")
        return doc if isinstance(doc, dict) else None

    def exec_transport(self, attrs: dict[str, Any]) -> ExecArgv:
        import json

        from . import dockerapi

        container = str(attrs.get("Id"))

        def exec_argv(argv: list[str], timeout: float) -> tuple[Optional[int], bytes, bytes]:
            created = self.json(
                "POST",
                f"/containers/{container}/exec",
                {"AttachStdout": True, "AttachStderr": True, "Cmd": list(argv)},
                doing="starting an exec",
            )
            if not isinstance(created, dict) or "Id" not in created:
                raise RuntimecheckError(f"the exec in container {container[:12]} was not created")
            exec_id = created["Id"]
            start = json.dumps({"Detach": False, "Tty": False}).encode()
            path = f"/exec/{exec_id}/start"
            started = time.monotonic()
            try:
                status, _, raw = dockerapi.call(
                    self.socket_path, "POST", path, start, timeout=timeout
                )
                _counted("POST", path, status, started)
            except TimeoutError:
                return None, b"", b""  # the script in the container ends itself
            except OSError as e:
                raise translate(e, self.endpoint, timeout, "running the exec") from None
            if status >= 400:
                raise _answered(status, raw, self.endpoint, "running the exec")
            out, err = _demultiplex(raw)
            inspected = self.json("GET", f"/exec/{exec_id}/json", doing="reading an exec")
            code = inspected.get("ExitCode") if isinstance(inspected, dict) else None
            return (code if isinstance(code, int) else None), out, err

        return exec_argv

    def archive(self, container: str, path: str, limit: int) -> Optional[bytes]:
        from .dockerapi import archive_path

        status, _, answer = self.call("GET", archive_path(container, path), doing=f"reading {path}")
        if status == 404:
            return None
        if len(answer) > limit:
            raise TooLarge(f"it is larger than {limit // 1024} KiB")
        return answer

    def close(self) -> None:
        pass


def _counted(method: str, path: str, status: int, started: float) -> None:
    global _round_trips
    with _lock:
        _round_trips += 1
        count = _round_trips
    elapsed_ms = int((time.monotonic() - started) * 1000)
    log.debug(f"engine API #{count}: {method} {path} → {status} ({elapsed_ms} ms)")


def _demultiplex(raw: bytes) -> tuple[bytes, bytes]:
    """stdout and stderr of an exec's attach stream (8-byte frame headers, no terminal)."""
    out: list[bytes] = []
    err: list[bytes] = []
    at = 0
    while at + 8 <= len(raw):
        kind, size = raw[at], int.from_bytes(raw[at + 4 : at + 8], "big")
        frame = raw[at + 8 : at + 8 + size]
        (err if kind == 2 else out).append(frame)
        at += 8 + size
    return b"".join(out), b"".join(err)


def _answered(status: int, body: bytes, endpoint: Endpoint, doing: str) -> RuntimecheckError:
    import json

    try:
        message = json.loads(body).get("message")
    except (ValueError, AttributeError):
        message = None
    explanation = message or body.decode("utf-8", "replace").strip() or f"HTTP {status}"
    return refused(_Answer(status, explanation), endpoint, doing)


@dataclass
class _Answer:
    status_code: int
    explanation: str


def connect(
    endpoint: Endpoint, *, timeout: float = DEFAULT_TIMEOUT, ask_version: bool = True
) -> Engine:
    """A client for the daemon; with `ask_version`, ask `/version` first.

    A daemon on a local unix socket is asked directly (`SocketEngine`); any other through the
    docker SDK. One round trip with `ask_version`, none without (an unreachable daemon is then
    found out by the first call). Raises RuntimecheckError with the next step when the daemon
    cannot be reached.
    """
    if endpoint.host.startswith("unix://"):
        engine = SocketEngine(endpoint, endpoint.host[len("unix://") :], timeout)
        if ask_version:
            version = engine.json("GET", "/version", doing="asking its version")
            engine.version = version if isinstance(version, dict) else {}
        return engine
    return _connect_sdk(endpoint, timeout, ask_version)


def _connect_sdk(endpoint: Endpoint, timeout: float, ask_version: bool) -> SdkEngine:
    import docker

    with engine_errors(endpoint, timeout):
        client = docker.DockerClient(
            base_url=endpoint.host,
            # A fixed version skips the SDK's own /version call, which the hook could not count.
            version="1.24",
            timeout=timeout,
            tls=_tls_config(endpoint),
            use_ssh_client=endpoint.host.startswith("ssh://"),
        )
        client.api.hooks["response"].append(_count_response)
        if not ask_version:
            return SdkEngine(endpoint, client, timeout, api_version_known=False)
        try:
            version = client.api.version(api_version=False)
        except BaseException:
            client.close()
            raise
    engine = SdkEngine(endpoint, client, timeout, version=version or {})
    api_version = version.get("ApiVersion") if isinstance(version, dict) else None
    engine._adopt(api_version if isinstance(api_version, str) else None)
    return engine


def _tls_config(endpoint: Endpoint) -> Any:
    if not endpoint.tls or not endpoint.host.startswith("tcp://"):
        return False
    import docker.tls

    cert = (endpoint.cert, endpoint.key) if endpoint.cert and endpoint.key else None
    verify: Any = False
    if endpoint.tls_verify and not endpoint.skip_tls_verify:
        verify = endpoint.ca_cert or True
    try:
        return docker.tls.TLSConfig(client_cert=cert, ca_cert=endpoint.ca_cert, verify=verify)
    except docker.errors.TLSParameterError as e:
        raise RuntimecheckError(
            f"TLS settings for {endpoint.host} are incomplete: {e}",
            hint="check --tlscert/--tlskey/--tlscacert, DOCKER_CERT_PATH or the context's TLS files",
        ) from None


@contextlib.contextmanager
def engine_errors(
    endpoint: Endpoint, timeout: float = DEFAULT_TIMEOUT, doing: str = ""
) -> Iterator[None]:
    """Turn failures raised inside into RuntimecheckError; only NotFound passes through."""
    import docker.errors
    import requests.exceptions

    try:
        yield
    except RuntimecheckError:
        raise
    except docker.errors.NotFound:
        raise
    except docker.errors.APIError as e:
        raise refused(e, endpoint, doing) from None
    except (
        docker.errors.DockerException,
        requests.exceptions.RequestException,
        OSError,
    ) as e:
        raise translate(e, endpoint, timeout, doing) from None


def refused(exc: Any, endpoint: Endpoint, doing: str = "") -> RuntimecheckError:
    """An error answer of the daemon (a docker.errors.APIError) → one sentence. Pure."""
    what = f" ({doing})" if doing else ""
    status = getattr(exc, "status_code", None)
    explanation = getattr(exc, "explanation", None) or str(exc)
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    return RuntimecheckError(
        f"the Docker daemon at {endpoint.host} answered HTTP {status}{what}: "
        f"{str(explanation).strip()}",
        hint="check that `docker version` and `docker info` work with the same settings, "
        "and the daemon's log",
    )


def translate(
    exc: BaseException, endpoint: Endpoint, timeout: float = DEFAULT_TIMEOUT, doing: str = ""
) -> RuntimecheckError:
    """A connection failure → one sentence and the next step. Pure."""
    where = endpoint.host
    socket_path = where[len("unix://") :] if where.startswith("unix://") else None
    what = f" ({doing})" if doing else ""
    causes = list(_causes(exc))
    text = " ".join(str(c) for c in causes)

    def has(kind: type, *errnos: int) -> bool:
        return any(
            isinstance(c, kind) and (not errnos or getattr(c, "errno", None) in errnos)
            for c in causes
        )

    if has(PermissionError) or "Permission denied" in text:
        return RuntimecheckError(
            f"permission denied on the Docker socket {socket_path or where}{what}",
            hint="add your user to the docker group (`sudo usermod -aG docker $USER`, then log in "
            "again), or run with sudo",
            exit_code=EXIT_UNINSPECTED,
        )
    if _is_timeout(causes, text):
        return RuntimecheckError(
            f"the Docker daemon at {where} did not answer within {timeout:g} s{what}",
            hint="check that dockerd is healthy (`docker info`); a busy daemon may need a larger "
            "--timeout",
        )
    if has(FileNotFoundError) or has(ConnectionRefusedError) or "No such file" in text:
        if socket_path:
            message = f"cannot connect to the Docker daemon at {where}: nothing listens on {socket_path}{what}"
        else:
            message = f"cannot connect to the Docker daemon at {where}: connection refused{what}"
        return RuntimecheckError(
            message,
            hint="start dockerd (e.g. `sudo systemctl start docker`), or select the daemon with "
            "`--context`/`-H`/DOCKER_HOST",
        )
    if has(socket.gaierror) or "Name or service not known" in text:
        return RuntimecheckError(
            f"cannot resolve the Docker host in {where}{what}",
            hint="check the host name in DOCKER_HOST, -H or the docker context",
        )
    detail = str(exc).strip() or type(exc).__name__
    return RuntimecheckError(
        f"cannot talk to the Docker daemon at {where}{what}: {detail}",
        hint="check that `docker version` works with the same settings",
    )


def _is_timeout(causes: list[BaseException], text: str) -> bool:
    try:
        import requests.exceptions

        timeout_types: tuple[type, ...] = (
            requests.exceptions.Timeout,
            socket.timeout,
            TimeoutError,
        )
    except ImportError:  # pragma: no cover - requests comes with the SDK
        timeout_types = (socket.timeout, TimeoutError)
    if any(isinstance(c, timeout_types) for c in causes):
        return True
    if any(getattr(c, "errno", None) == errno.ETIMEDOUT for c in causes):
        return True
    return "timed out" in text.lower()


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its chain and the exceptions nested in its args (urllib3 wraps so)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nested in (current.__cause__, current.__context__, *getattr(current, "args", ())):
            if isinstance(nested, BaseException):
                todo.append(nested)
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
