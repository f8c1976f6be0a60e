"""Verdicts of earlier build preflights, so that a build on an unchanged builder starts at once.

An entry is found by a key that changes whenever the answer could: the builder's fingerprint
(its stored configuration, its container and start time, its runtime binary), the builder and
endpoint, this plugin's version, the knowledge data it judged with, the ignore list and the
assumed runtimes. Only pass and warn are kept: a blocked builder is checked again on every
build so that a fix is seen at once.

One JSON file under `$XDG_CACHE_HOME/docker-runtimecheck/`, replaced atomically, holding the
most recently used entries. Anything unreadable is treated as empty and replaced; a directory
that cannot be written means no cache, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import __version__, log
from .facts import PASS, WARN

CACHE_DIR_NAME = "docker-runtimecheck"
CACHE_FILE_NAME = "preflight.json"
FORMAT = 1
MAX_ENTRIES = 32
# A safety net for what a fingerprint could miss; a week of builds costs one re-check.
MAX_AGE_S = 7 * 24 * 3600
CACHEABLE = (PASS, WARN)


@dataclass
class Entry:
    verdict: str
    lines: list[str] = field(default_factory=list)  # what to say again on a hit (warnings)


def cache_dir(env: Optional[Mapping[str, str]] = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / CACHE_DIR_NAME


def metadata_dir() -> Optional[Path]:
    """The knowledge data: inside the package when installed, else the repository's."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "metadata", package.parent.parent / "metadata"):
        if candidate.is_dir():
            return candidate
    return None


def knowledge_digest() -> str:
    """sha256 over the names and bytes of the knowledge files, so an update invalidates."""
    digest = hashlib.sha256()
    directory = metadata_dir()
    if directory is None:
        return "no-metadata"
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        digest.update(path.name.encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
        digest.update(b"\0")
    return digest.hexdigest()


def make_key(
    *,
    fingerprint: str,
    builder: str,
    endpoint: str,
    ignore: frozenset[str],
    assume_runtime: Mapping[str, str],
) -> str:
    parts = {
        "fingerprint": fingerprint,
        "builder": builder,
        "endpoint": endpoint,
        "version": __version__,
        "knowledge": knowledge_digest(),
        "ignore": sorted(ignore),
        "assume_runtime": sorted(assume_runtime.items()),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class VerdictCache:
    def __init__(self, directory: Optional[Path] = None) -> None:
        self.directory = cache_dir() if directory is None else directory
        self.path = self.directory / CACHE_FILE_NAME

    def get(self, key: str) -> Optional[Entry]:
        for item in self._load():
            if item["key"] != key:
                continue
            if time.time() - item["time"] > MAX_AGE_S:
                return None
            return Entry(item["verdict"], list(item["lines"]))
        return None

    def put(self, key: str, verdict: str, lines: Optional[list[str]] = None) -> bool:
        """Remember a pass or warn (a block or unknown also drops any older entry).

        True when the file was written.
        """
        items = [item for item in self._load() if item["key"] != key]
        if verdict in CACHEABLE:
            items.append(
                {"key": key, "verdict": verdict, "lines": list(lines or []), "time": time.time()}
            )
        items = items[-MAX_ENTRIES:]
        return self._store(items)

    def _load(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError, UnicodeDecodeError) as e:
            log.debug(f"ignoring unreadable cache {self.path}: {e}")
            return []
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return []
        entries = data.get("entries")
        if not isinstance(entries, list):
            return []
        return [item for item in entries if _valid(item)]

    def _store(self, items: list[dict[str, Any]]) -> bool:
        content = json.dumps({"format": FORMAT, "entries": items}, indent=1).encode()
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".preflight.", suffix=".tmp", dir=self.directory)
        except OSError as e:
            log.debug(f"no verdict cache: cannot write in {self.directory}: {e}")
            return False
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            os.replace(tmp, self.path)
        except OSError as e:
            log.debug(f"no verdict cache: cannot write {self.path}: {e}")
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            return False
        return True


def _valid(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("key"), str)
        and item.get("verdict") in CACHEABLE
        and isinstance(item.get("lines"), list)
        and all(isinstance(line, str) for line in item["lines"])
        and isinstance(item.get("time"), (int, float))
    )
