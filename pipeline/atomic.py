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


class RunInProgress(Exception):
    """Another run holds the lock on this configuration's archive."""


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock for the duration of a run; raise RunInProgress if taken.

    The lock is an advisory `flock` on a file that is never deleted: the kernel releases it
    when the process ends, so a run killed at any moment never leaves a stale lock behind.
    """
    import fcntl

    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunInProgress(
                f"another scorecard run is using this configuration ({holder}); "
                "try again when it has finished"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
