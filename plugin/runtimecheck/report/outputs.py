"""Where reports go: stdout, and files named with `-o [FORMAT=]FILE` (the check) or
`--runtimecheck-output FORMAT=FILE` (the build preflight)."""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from runtimecheck.errors import RuntimecheckError, UsageError

from . import FORMATS


@dataclass(frozen=True)
class Output:
    format: str
    path: Optional[Path]  # None: stdout


def plan_outputs(
    fmt: str, given: list[str], *, quiet: bool, flag: str = "--output"
) -> list[Output]:
    """`FILE` takes the main report off stdout; `FORMAT=FILE` adds a report in that format;
    `quiet` leaves stdout empty."""
    outputs: list[Output] = []
    main_to: Optional[Path] = None
    for value in given:
        kind, sep, path = value.partition("=")
        if sep and kind in FORMATS:
            if not path:
                raise UsageError(f"{flag} {value!r}: no file after {kind}=")
            outputs.append(Output(kind, Path(path)))
        elif not value:
            raise UsageError(f"{flag}: no file given", hint=f"{flag} [FORMAT=]FILE")
        elif main_to is not None:
            raise UsageError(
                f"{flag} {value!r}: the report already goes to {main_to}",
                hint=f"name the format of the others: {flag} FORMAT=FILE ({', '.join(FORMATS)})",
            )
        else:
            main_to = Path(value)
    if main_to is not None:
        outputs.insert(0, Output(fmt, main_to))
    elif not quiet:
        outputs.insert(0, Output(fmt, None))
    return outputs


def write(out: Output, text: str) -> None:
    """To stdout, or to the file whole: written beside it and renamed, so a reader (an upload
    step, a second run) never sees half a report."""
    if out.path is None:
        sys.stdout.write(text)
        return
    directory = out.path.parent
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{out.path.name}.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(temporary, 0o666 & ~_umask())  # as an ordinary new file, not mkstemp's 0600
            os.replace(temporary, out.path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as e:
        raise RuntimecheckError(
            f"cannot write the {out.format} report to {out.path}: {e.strerror or e}",
            exit_code=2,
            hint="check that the directory exists and is writable",
        ) from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
