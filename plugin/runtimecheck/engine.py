"""Docker SDK clients for an `Endpoint`: bounded, counted, and with errors a user can act on.

The SDK is imported inside functions only: this module is loaded on paths that must stay
fast. Every HTTP round trip is counted (`round_trips()`) and logged at debug level.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

from . import log
from .dockercli import Endpoint
from .errors import EXIT_UNINSPECTED, RuntimecheckError

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


@dataclass
class Engine:
    """A connected client and, when it was asked for, what the daemon said about itself."""

    endpoint: Endpoint
    client: Any  # docker.DockerClient
    version: dict[str, Any] = field(default_factory=dict)  # the /version answer
    api_version_known: bool = True

    @property
    def api(self) -> Any:
        return self.client.api

    def inspect_container(self, name: str) -> Optional[dict[str, Any]]:
        """`GET /containers/<name>/json`; None when there is no such container.

        While the API version is unknown the request carries no version prefix, so the daemon
        answers in its own version, named in the `Api-Version` header; that version is then
        used for the calls that follow. A driver that needs nothing else from `/version`
        saves that round trip.
        """
        import docker.errors

        api = self.api
        try:
            if self.api_version_known:
                return api.inspect_container(name)
            response = api._get(api._url("/containers/{0}/json", name, versioned_api=False))
            self._adopt(response.headers.get("Api-Version"))
            return api._result(response, json=True)
        except docker.errors.NotFound:
            return None

    def _adopt(self, api_version: Optional[str]) -> None:
        if api_version:
            self.api._version = api_version
        self.api_version_known = True

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()


def connect(
    endpoint: Endpoint, *, timeout: float = DEFAULT_TIMEOUT, ask_version: bool = True
) -> Engine:
    """Open a client; with `ask_version`, ask `/version`, which also fixes the API version.

    One round trip with `ask_version`, none without (then `Engine.inspect_container` must be
    the first call: an unreachable daemon is only found out there). Raises RuntimecheckError
    with the next step when the daemon cannot be reached.
    """
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
            return Engine(endpoint=endpoint, client=client, api_version_known=False)
        try:
            version = client.api.version(api_version=False)
        except BaseException:
            client.close()
            raise
    engine = Engine(endpoint=endpoint, client=client, version=version or {})
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
