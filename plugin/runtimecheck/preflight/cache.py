"""Verdicts of earlier build preflights, so that a build on an unchanged builder starts at once.

An entry is found by its key (`witnesses.cache_key`: the plugin version, the working directory,
docker's global flags, the `--builder` argument and the environment that steers selection)
and holds the witnesses of everything its answer depended on (`witnesses.still_true` re-checks
them). Only answers that let the build go ahead are kept: a blocked builder is checked again
on every build so that a fix is seen at once.

One JSON file under `$XDG_CACHE_HOME/docker-runtimecheck/`, replaced atomically, holding the
most recently written entries (a hit writes nothing: that would cost the warm path its speed). Anything unreadable is treated as empty and replaced; a directory
that cannot be written means no cache, never an error.
"""

from __future__ import annotations

import os
import time

from runtimecheck import fastjson, log

# Not `typing.TYPE_CHECKING`: this module is on the build preflight's warm path.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

CACHE_DIR_NAME = "docker-runtimecheck"
CACHE_FILE_NAME = "preflight.json"
FORMAT = 4
MAX_ENTRIES = 32
# A safety net for what a fingerprint could miss; a week of builds costs one re-check.
MAX_AGE_S = 7 * 24 * 3600
# facts.PASS and facts.WARN (facts imports dataclasses, too slow for the warm path).
CACHEABLE = ("pass", "warn")


class Entry:
    def __init__(
        self, verdict: str, lines: list[str] | None = None, witnesses: list[Any] | None = None
    ) -> None:
        self.verdict = verdict
        self.lines = list(lines or [])  # what to say again on a hit (warnings)
        self.witnesses = list(witnesses or [])  # what must still hold for the entry to count


def cache_dir(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME")
    root = base if base and os.path.isabs(base) else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, CACHE_DIR_NAME)


class VerdictCache:
    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = cache_dir() if directory is None else os.fspath(directory)
        self.path = os.path.join(self.directory, CACHE_FILE_NAME)

    def get(self, key: str) -> Entry | None:
        for item in self._load():
            if item["key"] != key:
                continue
            if time.time() - item["time"] > MAX_AGE_S:
                return None
            return Entry(item["verdict"], item["lines"], item["witnesses"])
        return None

    def put(
        self,
        key: str,
        verdict: str,
        lines: list[str] | None = None,
        witnesses: list[Any] | None = None,
    ) -> bool:
        """Remember a pass or warn with its witnesses (anything else drops the older entry).

        True when the file was written.
        """
        items = [item for item in self._load() if item["key"] != key]
        if verdict in CACHEABLE and witnesses:
            items.append(
                {
                    "key": key,
                    "verdict": verdict,
                    "lines": list(lines or []),
                    "witnesses": list(witnesses),
                    "time": time.time(),
                }
            )
        return self._store(items[-MAX_ENTRIES:])

    def _load(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, encoding="utf-8") as f:
                data = fastjson.loads(f.read())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as e:
            log.debug(f"ignoring unreadable cache {self.path}: {e}")
            return []
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return []
        entries = data.get("entries")
        if not isinstance(entries, list):
            return []
        return [item for item in entries if _valid(item)]

    def _store(self, items: list[dict[str, Any]]) -> bool:
        import contextlib
        import json
        import tempfile

        content = json.dumps({"format": FORMAT, "entries": items}, indent=1).encode()
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
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
        and isinstance(item.get("witnesses"), list)
        and isinstance(item.get("time"), (int, float))
    )
