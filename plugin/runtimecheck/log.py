"""Diagnostics on stderr; stdout carries only the result."""

from __future__ import annotations

import sys

from .safe import printable

_LEVELS = {"debug": 10, "info": 20, "warn": 30, "error": 40, "fatal": 50, "panic": 50}
_threshold = _LEVELS["warn"]


def set_level(name: str) -> None:
    global _threshold
    _threshold = _LEVELS.get(name, _threshold)


def _emit(level: str, message: str) -> None:
    if _LEVELS[level] >= _threshold:
        print(f"runtimecheck: {level}: {printable(message)}", file=sys.stderr, flush=True)


def debug(message: str) -> None:
    _emit("debug", message)


def info(message: str) -> None:
    _emit("info", message)


def warn(message: str) -> None:
    _emit("warn", message)


def error(message: str) -> None:
    print(f"docker runtimecheck: {printable(message)}", file=sys.stderr, flush=True)
