"""Diagnostics on stderr; stdout carries only the result."""

from __future__ import annotations

import sys

from .safe import printable

_LEVELS = {"debug": 10, "info": 20, "warn": 30, "error": 40, "fatal": 50, "panic": 50}
_threshold = _LEVELS["warn"]
# Every message starts with the program's name as the user typed it: `docker runtimecheck`
# as a docker CLI plugin, `docker-runtimecheck` run on its own.
PLUGIN_PROGRAM = "docker runtimecheck"
STANDALONE_PROGRAM = "docker-runtimecheck"
_program = STANDALONE_PROGRAM


def set_level(name: str) -> None:
    global _threshold
    _threshold = _LEVELS.get(name, _threshold)


def set_program(as_plugin: bool) -> None:
    global _program
    _program = PLUGIN_PROGRAM if as_plugin else STANDALONE_PROGRAM


def program() -> str:
    return _program


def _emit(level: str, message: str) -> None:
    if _LEVELS[level] >= _threshold:
        print(f"{_program}: {level}: {printable(message)}", file=sys.stderr, flush=True)


def say(message: str) -> None:
    """A line for the user on stderr, whatever the log level (the preflight's findings)."""
    print(f"{_program}: {printable(message)}", file=sys.stderr, flush=True)


def debug(message: str) -> None:
    _emit("debug", message)


def info(message: str) -> None:
    _emit("info", message)


def warn(message: str) -> None:
    _emit("warn", message)


def error(message: str) -> None:
    say(message)
