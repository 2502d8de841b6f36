"""Write outputs to a temporary file beside the target and move them into place."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


_UMASK = _umask()


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """Yield a temporary path in target's folder; on success it replaces `target` atomically.

    An interrupted run leaves the old file (or none), never a half-written one.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    os.close(handle)
    os.chmod(temp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are for others to read
    try:
        yield Path(temp)
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def write_text(target: Path, text: str) -> Path:
    with replacing(target) as temp:
        temp.write_text(text, encoding="utf-8")
    return target
