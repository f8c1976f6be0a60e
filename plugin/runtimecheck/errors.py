"""The one error type of the project, and its exit statuses."""

from __future__ import annotations

EXIT_PASS = 0
EXIT_BLOCK = 1
EXIT_USAGE = 2
EXIT_UNINSPECTED = 3


class RuntimecheckError(Exception):
    """A problem the user can act on: printed as one line (plus a hint), never a traceback."""

    def __init__(self, message: str, *, exit_code: int = EXIT_UNINSPECTED, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.hint = hint


class UsageError(RuntimecheckError):
    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message, exit_code=EXIT_USAGE, hint=hint)
