"""Docker's global flags, config directory and contexts → the daemon endpoint.

Resolves the endpoint exactly as the docker CLI does, without the docker SDK, so it stays
cheap on the start-up path: flag, DOCKER_HOST, DOCKER_CONTEXT, config.json
`currentContext`, then the context metadata store.
"""

from __future__ import annotations

import os

from . import fastjson
from .errors import UsageError

# Not `typing.TYPE_CHECKING`: importing typing costs more than this whole module is allowed
# on the build preflight's start-up path (mypy is told to treat this name as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any

PLUGIN_NAME = "runtimecheck"
DEFAULT_HOST = "unix:///var/run/docker.sock"
DEFAULT_CONTEXT = "default"

# Global flags the docker CLI accepts before the plugin name (it passes them through).
_VALUE_FLAGS = {
    "--config": "config",
    "--context": "context",
    "-c": "context",
    "--host": "hosts",
    "-H": "hosts",
    "--log-level": "log_level",
    "-l": "log_level",
    "--tlscacert": "tlscacert",
    "--tlscert": "tlscert",
    "--tlskey": "tlskey",
}
_BOOL_FLAGS = {"--debug": "debug", "-D": "debug", "--tls": "tls", "--tlsverify": "tlsverify"}
_LOG_LEVELS = ("debug", "info", "warn", "error", "fatal", "panic")


class GlobalOptions:
    # Plain classes, not dataclasses, here: this module is on the build preflight's start-up
    # path, and `dataclasses` imports `inspect` (over 10 ms).
    def __init__(self, **values: Any) -> None:
        self.config: str | None = None
        self.context: str | None = None
        self.hosts: list[str] = []
        self.log_level: str | None = None
        self.debug = False
        self.tls = False
        self.tlsverify: bool | None = None
        self.tlscacert: str | None = None
        self.tlscert: str | None = None
        self.tlskey: str | None = None
        self.as_plugin = False  # called by the docker CLI (`docker-runtimecheck … runtimecheck …`)
        self.raw: list[str] = []  # the global flags as given, to pass on to docker
        for name, value in values.items():
            if not hasattr(self, name):
                raise TypeError(f"unknown option {name}")
            setattr(self, name, value)

    def endpoint_flags(self) -> list[str]:
        """The flags that choose the daemon and config (not the ones that only change logging)."""
        values = (self.config, self.context, *self.hosts, self.tlscacert, self.tlscert, self.tlskey)
        return [str(v) for v in (*values, self.tls, self.tlsverify)]


def parse_global_flags(
    argv: list[str], *, plugin_env: bool = False
) -> tuple[GlobalOptions, list[str]]:
    """Split `[global flags] [runtimecheck] ARGS…` into the options and ARGS.

    Called by the CLI, everything before `runtimecheck` is a docker global flag and an unknown
    one is a usage error. Standalone, leading global flags are taken and the first other
    argument starts the command's own arguments.
    """
    opts = GlobalOptions()
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == PLUGIN_NAME:
            opts.as_plugin = True
            opts.raw = argv[:i]
            return opts, argv[i + 1 :]
        if not arg.startswith("-") or arg in ("-", "--"):
            break
        name, eq, value = arg.partition("=")
        if name not in _VALUE_FLAGS and name not in _BOOL_FLAGS and _is_glued_short(arg):
            name, eq, value = arg[:2], "=", arg[2:]
        if name in _VALUE_FLAGS:
            if not eq:
                if i + 1 >= len(argv):
                    raise UsageError(f"flag needs an argument: {name}")
                i += 1
                value = argv[i]
            _set_value(opts, _VALUE_FLAGS[name], name, value)
        elif name in _BOOL_FLAGS:
            setattr(opts, _BOOL_FLAGS[name], _parse_bool(name, value) if eq else True)
        elif plugin_env and PLUGIN_NAME in argv[i:]:
            raise UsageError(f"unknown docker global flag: {name}")
        else:
            break
        i += 1
    opts.raw = argv[:i]
    return opts, argv[i:]


def _is_glued_short(arg: str) -> bool:
    return len(arg) > 2 and arg[1] != "-" and arg[:2] in _VALUE_FLAGS


def _set_value(opts: GlobalOptions, attr: str, name: str, value: str) -> None:
    if attr == "hosts":
        opts.hosts.append(value)
    elif attr == "log_level":
        if value not in _LOG_LEVELS:
            raise UsageError(
                f"invalid value {value!r} for {name}: use one of {', '.join(_LOG_LEVELS)}"
            )
        opts.log_level = value
    else:
        setattr(opts, attr, value)


def _parse_bool(name: str, value: str) -> bool:
    from .truth import go_bool

    parsed = go_bool(value)
    if parsed is None:
        raise UsageError(f"invalid boolean {value!r} for {name}")
    return parsed


# Set by the docker CLI for its plugins: the docker binary, for running docker again.
REEXEC_ENV = "DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND"


def docker_command(opts: GlobalOptions, env: Mapping[str, str] | None = None) -> str:
    """The docker CLI to run docker again: the one that ran us as a plugin, else `docker`."""
    env = os.environ if env is None else env
    original = env.get(REEXEC_ENV)
    if opts.as_plugin and original:
        return original
    return "docker"


# --- config directory and config.json -------------------------------------------------------
# The str-based functions serve the build preflight's warm path (no pathlib); the Path-based
# ones are the API for everything else.


def config_directory(opts: GlobalOptions, env: Mapping[str, str] | None = None) -> str:
    """Docker's config directory: --config, else DOCKER_CONFIG, else ~/.docker."""
    env = os.environ if env is None else env
    if opts.config:
        path = os.path.expanduser(opts.config)
        if not os.path.isdir(path):
            raise UsageError(
                f"docker config directory {path} does not exist",
                hint="pass an existing directory to --config, or drop the flag",
            )
        return path
    if env.get("DOCKER_CONFIG"):
        return os.path.expanduser(env["DOCKER_CONFIG"])
    return os.path.join(os.path.expanduser("~"), ".docker")


def read_config(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """config.json as a dict; {} when absent. Unreadable or malformed is a usage error."""
    path = os.path.join(os.fspath(directory), "config.json")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text", hint="fix or move the file") from None
    if not text.strip():
        return {}
    try:
        data = fastjson.loads(text)
    except ValueError as e:
        raise UsageError(f"{path} is not valid JSON ({e})", hint="fix or move the file") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} is not a JSON object")
    return data


# --- contexts and the endpoint ---------------------------------------------------------------


class Endpoint:
    def __init__(
        self,
        context: str,
        host: str,
        tls: bool = False,
        tls_verify: bool = False,
        ca_cert: str | None = None,
        cert: str | None = None,
        key: str | None = None,
        skip_tls_verify: bool = False,
    ) -> None:
        self.context = context  # the docker context in effect ("default" when none)
        self.host = host  # daemon address: unix:///var/run/docker.sock, tcp://h:2376, ssh://u@h
        self.tls = tls
        self.tls_verify = tls_verify
        self.ca_cert = ca_cert
        self.cert = cert
        self.key = key
        self.skip_tls_verify = skip_tls_verify

    def __repr__(self) -> str:
        return f"Endpoint(context={self.context!r}, host={self.host!r}, tls={self.tls})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Endpoint) and vars(self) == vars(other)

    @property
    def buildx_key(self) -> str:
        """The key buildx's store uses for this endpoint (`current` file's Key, defaults/).

        docker/buildx util/dockerutil/context.go GetCurrentEndpoint: the context's name, or
        for the `default` context its docker endpoint's Host, which docker/cli has already
        normalised (`self.host` is: see `parse_host`).
        """
        return self.host if self.context == DEFAULT_CONTEXT else self.context


class DockerConfig:
    """What a command needs from docker's configuration, resolved once."""

    def __init__(
        self, options: GlobalOptions, directory: Path, data: dict[str, Any], endpoint: Endpoint
    ) -> None:
        self.options = options
        self.directory = directory
        self.data = data
        self.endpoint = endpoint


def context_dir_name(name: str) -> str:
    import hashlib

    return hashlib.sha256(name.encode()).hexdigest()


def current_context_name(
    opts: GlobalOptions, data: Mapping[str, Any], env: Mapping[str, str]
) -> str:
    if opts.context and opts.hosts:
        raise UsageError("conflicting options: either specify --host or --context, not both")
    if opts.context:
        return opts.context
    if opts.hosts or env.get("DOCKER_HOST"):
        return DEFAULT_CONTEXT
    if env.get("DOCKER_CONTEXT"):
        return env["DOCKER_CONTEXT"]
    current = data.get("currentContext")
    return current if isinstance(current, str) and current else DEFAULT_CONTEXT


def resolve_light(
    opts: GlobalOptions, env: Mapping[str, str] | None = None
) -> tuple[str, dict[str, Any], Endpoint]:
    """(config directory, config.json, endpoint), without pathlib: the preflight's warm path."""
    env = os.environ if env is None else env
    directory = config_directory(opts, env)
    data = read_config(directory)
    name = current_context_name(opts, data, env)
    if name == DEFAULT_CONTEXT:
        endpoint = _default_endpoint(opts, env)
    else:
        endpoint = _context_endpoint(directory, name)
    return directory, data, endpoint


def resolve(opts: GlobalOptions, env: Mapping[str, str] | None = None) -> DockerConfig:
    from pathlib import Path

    directory, data, endpoint = resolve_light(opts, env)
    return DockerConfig(opts, Path(directory), data, endpoint)


def _default_endpoint(opts: GlobalOptions, env: Mapping[str, str]) -> Endpoint:
    if len(opts.hosts) > 1:
        raise UsageError("specify only one -H")
    verify = opts.tlsverify if opts.tlsverify is not None else bool(env.get("DOCKER_TLS_VERIFY"))
    # docker/cli cli/flags/options.go: TLS is on with --tls or DOCKER_TLS, and whenever
    # --tlsverify is given (true or false) or DOCKER_TLS_VERIFY is set.
    default_to_tls = (
        opts.tls
        or bool(env.get("DOCKER_TLS"))
        or opts.tlsverify is not None
        or bool(env.get("DOCKER_TLS_VERIFY"))
    )
    given = opts.hosts[0] if opts.hosts else env.get("DOCKER_HOST", "")
    host = parse_host(given, default_to_tls=default_to_tls)
    cert_path = env.get("DOCKER_CERT_PATH")
    tls = opts.tls or verify or bool(opts.tlscacert or opts.tlscert or opts.tlskey)

    def material(flag: str | None, filename: str) -> str | None:
        if flag:
            return flag
        if cert_path and tls:
            return os.path.join(cert_path, filename)
        return None

    return Endpoint(
        context=DEFAULT_CONTEXT,
        host=host,
        tls=tls,
        tls_verify=verify,
        ca_cert=material(opts.tlscacert, "ca.pem"),
        cert=material(opts.tlscert, "cert.pem"),
        key=material(opts.tlskey, "key.pem"),
    )


# docker/cli opts/hosts.go (v29.6.2, the version docker/buildx v0.36.1 builds with).
_DEFAULT_HTTP_PORT = "2375"
_DEFAULT_TLS_HOST = "tcp://localhost:2376"
# The ASCII punctuation Go's url.Parse accepts in a host (net/url shouldEscape, encodeHost);
# "%" starts an escape.
_HOST_PUNCTUATION = frozenset("-_.~!$&'()*+,;=:[]<>\"%")


def parse_host(value: str, *, default_to_tls: bool = False) -> str:
    """The daemon address as docker/cli's ParseHost makes it of -H / DOCKER_HOST.

    An empty value is the local socket (tcp://localhost:2376 when TLS is on); a value without
    a scheme is a tcp address; a tcp address gets port 2375 when it has none, with TLS too
    (ParseTCPAddr is always given the non-TLS default): `tcp://buildhost` is
    `tcp://buildhost:2375`. That normalised address is what buildx keys its `current` by.
    """
    host = value.strip()
    if not host:
        return _DEFAULT_TLS_HOST if default_to_tls else DEFAULT_HOST
    proto, sep, rest = host.partition("://")
    if not sep:
        proto, rest = "tcp", host
    if proto == "tcp":
        return _parse_tcp_addr(rest, value)
    if proto in ("unix", "npipe"):
        if "://" in rest:
            raise UsageError(f"invalid proto, expected {proto}: {rest}")
        default = "/var/run/docker.sock" if proto == "unix" else "//./pipe/docker_engine"
        return f"{proto}://{rest or default}"
    if proto in ("fd", "ssh"):
        return host
    raise UsageError(f"invalid bind address format: {value}")


def _parse_tcp_addr(addr: str, given: str) -> str:
    """opts.ParseTCPAddr with the default tcp://localhost:2375."""
    if not addr:
        return f"tcp://localhost:{_DEFAULT_HTTP_PORT}"
    if "://" in addr:
        raise UsageError(f"invalid proto, expected tcp: {given}")
    if addr.endswith("]:"):
        addr += _DEFAULT_HTTP_PORT
    # url.Parse("tcp://" + addr): the authority ends at the first "/", "?" or "#".
    cut = min((i for i in (addr.find(c) for c in "/?#") if i >= 0), default=len(addr))
    authority, path = addr[:cut], addr[cut:]
    path = path.split("#", 1)[0].split("?", 1)[0]
    authority = authority.rpartition("@")[2]
    if any(c < "\x80" and not c.isalnum() and c not in _HOST_PUNCTUATION for c in authority):
        raise UsageError(f"invalid bind address format: {given}")  # url.Parse: invalid character
    split = _split_host_port(authority)
    if split is None:
        split = _split_host_port(_join_host_port(authority, _DEFAULT_HTTP_PORT))
    if split is None:
        raise UsageError(f"invalid bind address format: {given}")
    host, port = split
    host = host or "localhost"
    port = port or _DEFAULT_HTTP_PORT
    if not port.isdigit():
        raise UsageError(f"invalid bind address format: {given}")
    return f"tcp://{_join_host_port(host, port)}{path}"


def _split_host_port(hostport: str) -> tuple[str, str] | None:
    """net.SplitHostPort: None where Go returns an error."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or hostport[end + 1 : end + 2] != ":":
            return None
        host, port = hostport[1:end], hostport[end + 2 :]
        if "[" in host or "]" in port or "[" in port:
            return None
        return host, port
    host, colon, port = hostport.rpartition(":")
    if not colon or ":" in host or "[" in hostport or "]" in hostport:
        return None
    return host, port


def _join_host_port(host: str, port: str) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _normalise_host(host: str) -> str:
    if "://" not in host:
        return f"tcp://{host}" if host and not host.startswith("/") else f"unix://{host}"
    return host


def _context_endpoint(directory: str, name: str) -> Endpoint:
    digest = context_dir_name(name)
    meta_path = os.path.join(directory, "contexts", "meta", digest, "meta.json")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = fastjson.loads(f.read())
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        raise UsageError(
            f"context {name!r} does not exist",
            hint="list contexts with `docker context ls`; select one with `docker context use NAME`",
        ) from None
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read context {name!r} ({meta_path}): {e}") from None
    docker = (meta.get("Endpoints") or {}).get("docker") or {}
    host = docker.get("Host")
    if not isinstance(host, str) or not host:
        raise UsageError(f"context {name!r} has no docker endpoint ({meta_path})")
    tls_dir = os.path.join(directory, "contexts", "tls", digest, "docker")
    files = {
        f: os.path.join(tls_dir, f)
        for f in ("ca.pem", "cert.pem", "key.pem")
        if os.path.isfile(os.path.join(tls_dir, f))
    }
    skip = bool(docker.get("SkipTLSVerify"))
    return Endpoint(
        context=name,
        host=_normalise_host(host),
        tls=bool(files) or skip,
        tls_verify=bool(files.get("ca.pem")) and not skip,
        ca_cert=files.get("ca.pem"),
        cert=files.get("cert.pem"),
        key=files.get("key.pem"),
        skip_tls_verify=skip,
    )


def list_contexts(directory: str | os.PathLike[str]) -> list[tuple[str, str]]:
    """(name, host) of every stored context ("default" is implicit and not listed)."""
    found: list[tuple[str, str]] = []
    meta_root = os.path.join(os.fspath(directory), "contexts", "meta")
    try:
        entries = sorted(os.listdir(meta_root))
    except OSError:
        return found
    for entry in entries:
        try:
            with open(os.path.join(meta_root, entry, "meta.json"), encoding="utf-8") as f:
                meta = fastjson.loads(f.read())
            host = meta["Endpoints"]["docker"]["Host"]  # type: ignore[index]
            found.append((str(meta["Name"]), str(host)))  # type: ignore[index]
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found
