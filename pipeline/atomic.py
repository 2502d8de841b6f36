"""Write outputs to a temporary file beside the target and move them into place.

A folder that cannot be written (missing permission, read-only, not a folder, full disk)
raises `CannotWrite` naming the folder, which the command line reports as exit 4. A run
killed mid-write leaves a `.tmp-*` file behind; `clean_stale_temps` removes old ones.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TEMP_PREFIX = ".tmp-"
# Exactly what `replacing` creates: mkstemp's eight random characters (a-z, 0-9, _) after the
# prefix, then the target's suffix. Nothing else in a folder is ever taken for a leftover.
TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"[a-z0-9_]{8}(\.[A-Za-z0-9]{1,16})?")
# A temporary file younger than this may belong to a run still writing it: left alone.
STALE_TEMP_SECONDS = 10 * 60


class CannotWrite(OSError):
    """An output folder cannot be written: `filename` is the folder, `strerror` the reason."""

    def __str__(self) -> str:
        return f"cannot write to {self.filename}: {self.strerror or 'error'}"


def _cannot_write(folder: Path, exc: OSError) -> CannotWrite:
    return CannotWrite(exc.errno, exc.strerror or type(exc).__name__, str(folder))


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


_UMASK = _umask()


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """Yield a temporary path in target's folder; on success it replaces `target` atomically.

    An interrupted run leaves the old file (or none), never a half-written one. An OSError
    about the folder (creating it, the temporary file, writing, the move) is `CannotWrite`;
    one that names some other file (say, a source being copied) passes through unchanged.
    """
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix=target.suffix)
    except OSError as exc:
        raise _cannot_write(folder, exc) from exc
    try:
        os.close(handle)
        os.chmod(temp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are for others to read
        yield Path(temp)
        os.replace(temp, target)
    except CannotWrite:
        raise
    except OSError as exc:
        if exc.filename is not None and not _inside(Path(os.fsdecode(exc.filename)), folder):
            raise
        raise _cannot_write(folder, exc) from exc
    finally:
        try:
            if os.path.exists(temp):
                os.unlink(temp)
        except OSError:
            pass  # left for `clean_stale_temps`; the error that matters is already raised


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def write_text(target: Path, text: str) -> Path:
    """Write `text` as UTF-8; a lone surrogate (a file name that was not UTF-8) becomes "?"."""
    with replacing(target) as temp:
        temp.write_bytes(text.encode("utf-8", errors="replace"))
    return target


def write_bytes(target: Path, data: bytes) -> Path:
    """Write `data` atomically."""
    with replacing(target) as temp:
        temp.write_bytes(data)
    return target


def clean_stale_temps(*folders: Path, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Remove the temporary files a killed run left in `folders`; return what was removed.

    Only regular files named exactly as `replacing` names them (`TEMP_NAME`) and last changed
    more than `older_than` seconds ago; a folder that is missing or unreadable is skipped,
    and nothing here ever raises: tidying up must not stop a run.
    """
    removed: list[Path] = []
    cutoff = time.time() - older_than
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not TEMP_NAME.fullmatch(entry.name):
                continue
            try:
                if entry.is_file(follow_symlinks=False) and (
                    entry.stat(follow_symlinks=False).st_mtime < cutoff
                ):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            except OSError:
                continue
    return removed


class RunInProgress(Exception):
    """Another run holds the lock on this configuration's archive."""


_HELD: list[Any] = []  # the lock files this process holds (`exclusive`)


def _release_in_child() -> None:
    """A forked child (a layout worker) must not keep the run's lock: with the parent
    killed, a busy child would hold it and block the next run. Its copy of the descriptor
    is pointed at /dev/null; the parent's lock is untouched."""
    if not _HELD:
        return
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        for handle in _HELD:
            os.dup2(null, handle.fileno())
    finally:
        os.close(null)
    _HELD.clear()


os.register_at_fork(after_in_child=_release_in_child)


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock for the duration of a run; raise RunInProgress if taken.

    The lock is an advisory `flock` on a file that is never deleted: the kernel releases it
    when the process ends, so a run killed at any moment never leaves a stale lock behind.
    """
    import fcntl

    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise _cannot_write(lock_path.parent, exc) from exc
    with handle:
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
        _HELD.append(handle)
        try:
            yield
        finally:
            _HELD.remove(handle)
            fcntl.flock(handle, fcntl.LOCK_UN)
