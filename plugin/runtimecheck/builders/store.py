"""buildx's builder store, read straight from its files (no buildx, nothing started).

Layout (docker/buildx `store/store.go`, `store/nodegroup.go`): `instances/<name>` holds one
builder as JSON, `current` the `buildx use` choice, `defaults/<sha256(key)[:20]>` the
`buildx use --default` choice per docker endpoint. Only reads: buildx itself rewrites
`current` while resolving, this module never does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from runtimecheck.dockercli import DockerConfig

INSTANCES = "instances"
DEFAULTS = "defaults"
CURRENT = "current"


# store/util.go ValidateName, the same in every release from v0.2.0 to v0.36.1 (only a commit
# before the first release allowed "+"). Matched whole: Go's `$` is the end of the text.
NAME_PATTERN = re.compile(r"[a-zA-Z][a-zA-Z0-9.\-_]*")


class StoreFileError(Exception):
    """An instances/ file that cannot be read or is not a builder."""

    def __init__(self, name: str, path: Path, message: str):
        super().__init__(message)
        self.name = name
        self.path = path
        self.message = message


@dataclass
class Node:
    name: str
    endpoint: Optional[str]
    driver_opts: dict[str, str] = field(default_factory=dict)
    flags: Optional[list[str]] = None  # None: not recorded (differs from "no flags")
    files: dict[str, bytes] = field(default_factory=dict)  # path under /etc/buildkit → bytes
    config_file: Optional[str] = None  # buildx < 0.7: a host path instead of Files
    platforms: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was odd in the stored entry

    @property
    def buildkitd_toml(self) -> Optional[str]:
        data = self.files.get("buildkitd.toml")
        return None if data is None else data.decode("utf-8", "replace")


@dataclass
class Builder:
    name: str
    driver: str
    nodes: list[Node]
    dynamic: bool = False
    from_context: bool = False  # a docker context's own builder, derived, never stored
    path: Optional[Path] = None  # the instances/ file


@dataclass
class BuilderError:
    """A builder that exists but cannot be read: reported as a finding for that builder."""

    name: str
    message: str
    driver: str = "unknown"
    path: Optional[Path] = None


@dataclass
class Current:
    key: str
    name: str
    global_: bool


def environment(env: Optional[Mapping[str, str]]) -> Mapping[str, str]:
    return os.environ if env is None else env


def store_root(cfg: DockerConfig, env: Optional[Mapping[str, str]] = None) -> Path:
    """`$BUILDX_CONFIG`, else `<docker config dir>/buildx` (buildx util/confutil)."""
    env = environment(env)
    explicit = env.get("BUILDX_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return cfg.directory / "buildx"


def key_hash(key: str) -> str:
    """Name of the `defaults/` file for a docker endpoint key."""
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def normalise_name(name: str) -> Optional[str]:
    """The stored form of a builder name (lowercased), or None when buildx would reject it."""
    return name.lower() if NAME_PATTERN.fullmatch(name) else None


def instance_names(root: Path) -> list[str]:
    directory = root / INSTANCES
    try:
        entries = sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError:
        return []
    return entries


def instance_path(root: Path, name: str) -> Optional[Path]:
    stored = normalise_name(name)
    return None if stored is None else root / INSTANCES / stored


def read_instance(root: Path, name: str) -> Optional[Builder]:
    """The stored builder `name`; None when there is none. Raises StoreFileError."""
    path = instance_path(root, name)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise StoreFileError(name, path, f"cannot read {path}: {e.strerror or e}") from None
    return parse_instance(name, path, data)


def parse_instance(name: str, path: Path, data: bytes) -> Builder:
    """One instances/ file → Builder. Pure; raises StoreFileError for what is not a builder."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise StoreFileError(
            name, path, f"builder {name!r}: {path} is not valid JSON ({e})"
        ) from None
    if not isinstance(doc, dict):
        raise StoreFileError(name, path, f"builder {name!r}: {path} is not a JSON object")
    nodes_doc = doc.get("Nodes")
    if nodes_doc is None:
        nodes_doc = []
    if not isinstance(nodes_doc, list) or not all(isinstance(n, dict) for n in nodes_doc):
        raise StoreFileError(name, path, f"builder {name!r}: {path} has no valid Nodes list")
    driver = doc.get("Driver")
    if driver is None:
        driver = ""  # json.Unmarshal leaves it empty: buildx then picks one by priority
    if not isinstance(driver, str):
        raise StoreFileError(name, path, f"builder {name!r}: {path} has a Driver that is not text")
    stored_name = _text(doc.get("Name")) or name
    nodes = [_parse_node(n, index, stored_name) for index, n in enumerate(nodes_doc)]
    return Builder(
        name=stored_name,
        driver=driver,  # "" as stored; registry.resolve_unnamed says what buildx makes of it
        nodes=nodes,
        dynamic=bool(doc.get("Dynamic")),
        path=path,
    )


def _parse_node(doc: dict[str, Any], index: int, builder: str) -> Node:
    notes: list[str] = []
    name = _text(doc.get("Name"))
    if name is None:
        name = f"{builder}{index}"
        notes.append(f"stored node #{index} has no name; buildx would call it {name}")
    endpoint = doc.get("Endpoint") if isinstance(doc.get("Endpoint"), str) else None
    driver_opts = {
        str(k): str(v) for k, v in _mapping(doc, "DriverOpts", notes).items() if v is not None
    }
    # The JSON key stayed "Flags" when the Go field became BuildkitdFlags (buildx 0.13).
    raw_flags = doc.get("Flags", doc.get("BuildkitdFlags"))
    flags = [str(f) for f in raw_flags] if isinstance(raw_flags, list) else None
    files: dict[str, bytes] = {}
    for key, value in _mapping(doc, "Files", notes).items():
        try:
            files[str(key)] = base64.b64decode(value or "", validate=True)
        except (binascii.Error, TypeError, ValueError):
            notes.append(f"stored file {key} is not base64; ignored")
    config_file = doc.get("ConfigFile") if isinstance(doc.get("ConfigFile"), str) else None
    if config_file and "buildkitd.toml" not in files:
        # buildx < 0.7 kept a host path and read it when creating the builder.
        try:
            files["buildkitd.toml"] = Path(config_file).expanduser().read_bytes()
        except OSError as e:
            notes.append(f"config file {config_file} named by the store: {e.strerror or e}")
    platforms = doc.get("Platforms")
    return Node(
        name=name,
        endpoint=endpoint,
        driver_opts=driver_opts,
        flags=flags,
        files=files,
        config_file=config_file or None,
        platforms=list(platforms) if isinstance(platforms, list) else [],
        notes=notes,
    )


def _mapping(doc: dict[str, Any], key: str, notes: list[str]) -> dict[str, Any]:
    value = doc.get(key)
    if value is None or isinstance(value, dict):
        return value or {}
    notes.append(f"stored {key} is not a JSON object; ignored")
    return {}


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def read_current(root: Path) -> Optional[Current]:
    """The `current` file; None when there is none.

    buildx fails when it exists but cannot be read or decoded (store/store.go Txn.Current:
    every error but "does not exist" is returned, and so is json.Unmarshal's), so that
    raises StoreFileError, as buildx would stop.
    """
    path = root / CURRENT
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise StoreFileError(CURRENT, path, f"cannot read {path}: {e.strerror or e}") from None
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise StoreFileError(CURRENT, path, f"{path} is not valid JSON ({e})") from None
    if doc is None:
        return Current(key="", name="", global_=False)  # json.Unmarshal of null: all zero
    if not isinstance(doc, dict):
        raise StoreFileError(CURRENT, path, f"{path} is not a JSON object")
    # encoding/json matches field names case-insensitively.
    fields = {str(k).lower(): v for k, v in doc.items()}
    key, name, global_ = fields.get("key"), fields.get("name"), fields.get("global")
    if any(v is not None and not isinstance(v, str) for v in (key, name)) or (
        global_ is not None and not isinstance(global_, bool)
    ):
        raise StoreFileError(CURRENT, path, f"{path} has a field of the wrong type")
    return Current(key=key or "", name=name or "", global_=bool(global_))


def read_default(root: Path, key: str) -> Optional[str]:
    """The `defaults/` entry for an endpoint key, as buildx reads it (the bytes as they are,
    not trimmed); None when there is none. Unreadable raises StoreFileError, as in buildx."""
    path = root / DEFAULTS / key_hash(key)
    try:
        name = path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return None
    except OSError as e:
        raise StoreFileError(DEFAULTS, path, f"cannot read {path}: {e.strerror or e}") from None
    return name or None
