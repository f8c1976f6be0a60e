"""Builder-shaped test containers: files put into them as buildx copies a node's files."""

from __future__ import annotations

import io
import tarfile
from typing import Any


def put_file(container: Any, directory: str, name: str, data: bytes, mode: int = 0o644) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), mode
        tar.addfile(info, io.BytesIO(data))
    assert container.put_archive(directory, buf.getvalue())
