"""What buildkitd's flags and buildkitd.toml say about its worker and runtime binary. Pure.

Rules from moby/buildkit `cmd/buildkitd` (main_oci_worker.go, config): flags override the
toml; `--oci-worker`/`--containerd-worker` take true/false/auto; on auto the OCI worker is on
only when `buildkit-runc` or `runc` is on PATH (whatever binary is configured); the OCI worker
is registered first, so it is the default when both are on. `--oci-worker-binary` or
`[worker.oci] binary` replaces the default candidates `buildkit-runc`, `runc`. `--rootless`,
then `--oci-worker-rootless`, then `[worker.oci] rootless` say whether the OCI worker runs
rootless; without them buildkitd is rootless when it runs in a user namespace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from runtimecheck.truth import go_bool

DEFAULT_CANDIDATES = ("buildkit-runc", "runc")
DEFAULT_CONFIG_PATH = "/etc/buildkit/buildkitd.toml"
CONTAINERD_SOCKET = "/run/containerd/containerd.sock"

OCI = "oci"
CONTAINERD = "containerd"

_VALUE_FLAGS = (
    "config",
    "oci-worker",
    "containerd-worker",
    "oci-worker-binary",
    "containerd-worker-addr",
)
# Go bool flags: `--name` is true, `--name=false` false (a separate word is not their value).
_BOOL_FLAGS = ("rootless", "oci-worker-rootless")


@dataclass
class DaemonFlags:
    config: Optional[str] = None
    oci_worker: Optional[bool] = None  # None: auto (or not given)
    containerd_worker: Optional[bool] = None
    oci_binary: Optional[str] = None
    containerd_address: Optional[str] = None
    rootless: Optional[bool] = None  # None: not given
    rootless_from: str = ""
    problems: list[str] = field(default_factory=list)


def parse_flags(argv: list[str]) -> DaemonFlags:
    """buildkitd's command line (the builder container's Cmd / the pod's Args)."""
    found: dict[str, str] = {}
    booleans: dict[str, bool] = {}
    problems: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            break  # Go's flag package stops there
        if not arg.startswith("-") or arg == "-":
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        if name in _BOOL_FLAGS:
            parsed = go_bool(value) if eq else True
            if parsed is None:
                problems.append(f"--{name}={value} is neither true nor false")
            else:
                booleans[name] = parsed
            continue
        if name not in _VALUE_FLAGS:
            continue
        if not eq:
            if i >= len(argv):
                problems.append(f"flag --{name} has no value")
                continue
            value = argv[i]
            i += 1
        found[name] = value  # the last one wins, as with Go's flag parsing
    flags = DaemonFlags(
        config=found.get("config"),
        oci_binary=found.get("oci-worker-binary") or None,
        containerd_address=found.get("containerd-worker-addr") or None,
        problems=problems,
    )
    flags.oci_worker = _tristate("oci-worker", found.get("oci-worker"), problems)
    flags.containerd_worker = _tristate(
        "containerd-worker", found.get("containerd-worker"), problems
    )
    # buildkitd applies --rootless, then --oci-worker-rootless (cmd/buildkitd).
    for name in _BOOL_FLAGS:
        if name in booleans:
            flags.rootless, flags.rootless_from = booleans[name], f"--{name}"
    return flags


def _tristate(name: str, value: Optional[str], problems: list[str]) -> Optional[bool]:
    if value is None or value == "auto":
        return None
    parsed = go_bool(value)
    if parsed is not None:
        return parsed
    problems.append(f"--{name}={value} is neither true, false nor auto")
    return None


@dataclass
class TomlSettings:
    oci_enabled: Optional[bool] = None
    oci_binary: Optional[str] = None
    containerd_enabled: Optional[bool] = None
    containerd_address: Optional[str] = None
    rootless: Optional[bool] = None
    error: Optional[str] = None  # the file is not valid TOML: buildkitd would not start


def parse_toml(text: Optional[str]) -> TomlSettings:
    if not text:
        return TomlSettings()
    from runtimecheck import tomlfile

    try:
        doc = tomlfile.loads(text)
    except (tomlfile.TOMLDecodeError, ValueError) as e:
        return TomlSettings(error=f"buildkitd.toml is not valid TOML ({e})")
    worker = _table(doc, "worker")
    oci = _table(worker, "oci")
    containerd = _table(worker, "containerd")
    return TomlSettings(
        oci_enabled=_bool(oci.get("enabled")),
        oci_binary=oci.get("binary")
        if isinstance(oci.get("binary"), str) and oci.get("binary")
        else None,
        containerd_enabled=_bool(containerd.get("enabled")),
        containerd_address=containerd.get("address")
        if isinstance(containerd.get("address"), str)
        else None,
        rootless=_bool(oci.get("rootless")),
    )


def _table(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def _bool(value: Any) -> Optional[bool]:
    return value if isinstance(value, bool) else None


@dataclass
class Settings:
    """What buildkitd makes of its flags and config together."""

    oci_enabled: Optional[bool]  # None: auto
    containerd_enabled: Optional[bool]
    binary_override: Optional[str]  # None: the default candidates
    binary_from: str = ""  # "--oci-worker-binary", "[worker.oci] binary", ""
    containerd_address: str = CONTAINERD_SOCKET
    rootless: Optional[bool] = None  # None: not configured (then: in a user namespace?)
    rootless_from: str = ""

    @property
    def candidates(self) -> list[str]:
        return [self.binary_override] if self.binary_override else list(DEFAULT_CANDIDATES)


def effective(flags: DaemonFlags, toml: TomlSettings) -> Settings:
    if flags.oci_binary:
        override, source = flags.oci_binary, "--oci-worker-binary"
    elif toml.oci_binary:
        override, source = toml.oci_binary, "[worker.oci] binary"
    else:
        override, source = None, ""
    address = flags.containerd_address or toml.containerd_address or CONTAINERD_SOCKET
    if flags.rootless is not None:
        rootless, rootless_from = flags.rootless, flags.rootless_from
    elif toml.rootless is not None:
        rootless, rootless_from = toml.rootless, "[worker.oci] rootless"
    else:
        rootless, rootless_from = None, ""
    return Settings(
        oci_enabled=flags.oci_worker if flags.oci_worker is not None else toml.oci_enabled,
        containerd_enabled=flags.containerd_worker
        if flags.containerd_worker is not None
        else toml.containerd_enabled,
        binary_override=override,
        binary_from=source,
        containerd_address=address.removeprefix("unix://"),
        rootless=rootless,
        rootless_from=rootless_from,
    )


def decide_worker(
    settings: Settings,
    default_runtime_on_path: Optional[bool],
    containerd_socket: Optional[bool] = None,
) -> tuple[Optional[str], Optional[str]]:
    """(the worker RUN steps go to, a note) — None when it cannot be told."""
    oci = settings.oci_enabled
    if oci is None:
        oci = default_runtime_on_path
    if oci:
        return OCI, None
    containerd = settings.containerd_enabled
    if containerd is None:
        containerd = containerd_socket
    if oci is False and containerd:
        return CONTAINERD, "the containerd worker runs RUN steps through containerd shims"
    if oci is False and containerd is False:
        return None, "no worker is enabled: buildkitd would refuse to start"
    if oci is None:
        return None, "could not tell whether buildkit-runc or runc is on PATH (OCI worker on auto)"
    return None, "could not tell whether the containerd worker is enabled"


_VERSION_LINE = re.compile(r"^\S+\s+\S+\s+(v?\d+\.\d+\S*)\s+\S+$")


def parse_version_output(text: str) -> Optional[str]:
    """`buildkitd github.com/moby/buildkit v0.12.5 bac3f2b…` → `v0.12.5` (4 fields, as buildx)."""
    for line in text.splitlines():
        match = _VERSION_LINE.match(line.strip())
        if match:
            return match.group(1)
    return None


_TAG_VERSION = re.compile(r"^v?(\d+\.\d+(?:\.\d+)?(?:-rc\d+)?)$")


def image_tag_version(image: Optional[str]) -> Optional[str]:
    """`v0.12.5` from `moby/buildkit:v0.12.5-rootless`; None for `buildx-stable-1`, `latest`, …"""
    # Imported here: knowledge loads `packaging`, and the build preflight imports this module.
    from runtimecheck.knowledge import image_tag

    match = _TAG_VERSION.match(image_tag(image) or "")
    return f"v{match.group(1)}" if match else None


def user_config_dir(env: Mapping[str, str]) -> str:
    """util/appdefaults UserConfigDir: $XDG_CONFIG_HOME/buildkit, $HOME/.config/buildkit."""
    if env.get("XDG_CONFIG_HOME"):
        return env["XDG_CONFIG_HOME"].rstrip("/") + "/buildkit"
    if env.get("HOME"):
        return env["HOME"].rstrip("/") + "/.config/buildkit"
    return "/etc/buildkit"


def default_config_path(
    in_user_namespace: bool, env: Mapping[str, str], version: Optional[str] = None
) -> str:
    """The buildkitd.toml buildkitd reads without --config (cmd/buildkitd/main.go
    defaultConfigPath): /etc/buildkit/buildkitd.toml, except in a user namespace (rootless,
    under rootlesskit), where it reads the user's one; from v0.13.0 only when $USER is set and
    not root (isRootlessConfig, commit bb8f9f7ff)."""
    if not in_user_namespace:
        return DEFAULT_CONFIG_PATH
    numbers = re.match(r"^v?(\d+)\.(\d+)", version or "")
    before_0_13 = numbers is not None and (int(numbers[1]), int(numbers[2])) < (0, 13)
    user = env.get("USER", "")
    if not before_0_13 and (not user or user == "root"):
        return DEFAULT_CONFIG_PATH
    return user_config_dir(env) + "/buildkitd.toml"


def is_stock_image(image: Optional[str]) -> bool:
    from runtimecheck.knowledge import is_stock_image as stock

    return stock(image)
