"""Workbook paths in, what the reader made of each out, every parse in a child process.

A hostile file can make a native library abort (python-calamine allocating a huge range),
eat memory or spin forever. Files are read in forked children with an address-space and
CPU limit, and each file has a wall-clock deadline, so any of these becomes *that* file's
rejection (`reader-crashed`, `too-slow`) and the run goes on: the child that died is
replaced and the other files are read by the new one. A few children run at once, one per
core, and each reads file after file: a fork of a process holding pandas and WeasyPrint
costs ~30 ms in page tables and copy-on-write faults, more than reading a workbook, so a
child per file made the sandbox cost twice the read. A child retires (and a fresh one
takes over) after `RETIRE_AFTER_FILES` files or `RETIRE_AFTER_CPU_SECONDS` of CPU, so its
limits always have room for one more file.
"""

from __future__ import annotations

import faulthandler
import os
import resource
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from pipeline.read import RawWorkbook, UnreadableWorkbook, read_workbook

TIME_LIMIT_SECONDS = 60  # wall clock per file; a normal workbook takes well under a second
MEMORY_HEADROOM = 1536 * 1024 * 1024  # address space a child may add to what it inherits
RETIRE_AFTER_FILES = 64
RETIRE_AFTER_CPU_SECONDS = 5.0


@dataclass
class Outcome:
    """What reading one file gave: a workbook, or a problem code with its fields."""

    path: Path
    workbook: RawWorkbook | None = None
    code: str = ""
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class _Child:
    """A forked reader, the file it is reading (index into `paths`) and that file's deadline."""

    process: Any
    conn: Connection
    job: tuple[int, Path] | None = None
    deadline: float = 0.0
    files: int = 0
    cpu_seconds: float = 0.0

    @property
    def spent(self) -> bool:
        return self.files >= RETIRE_AFTER_FILES or self.cpu_seconds >= RETIRE_AFTER_CPU_SECONDS


def read_all(
    paths: Sequence[Path],
    on_done: Callable[[Path], None] = lambda path: None,
    workers: int | None = None,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> list[Outcome]:
    """Read every path in a sandboxed child; outcomes come back in the order of `paths`."""
    if "fork" not in get_all_start_methods():  # no fork: read in-process, unprotected
        return [_in_process(p) for p in paths]
    context = get_context("fork")
    limit = max(1, workers or min(os.cpu_count() or 1, 4))
    queue = deque(enumerate(paths))
    children: list[_Child] = []
    results: dict[int, Outcome] = {}
    try:
        while queue or any(c.job for c in children):
            for child in [c for c in children if c.job is None and c.spent]:
                _retire(child)
                children.remove(child)
            while queue and len(children) < limit:
                children.append(_start(context))
            for child in [c for c in children if c.job is None][: len(queue)]:
                if not _give(child, queue.popleft(), time_limit):  # it died between files
                    assert child.job is not None
                    queue.appendleft(child.job)
                    child.job = None
                    _retire(child)
                    children.remove(child)
            busy = [c for c in children if c.job is not None]
            soonest = min(c.deadline for c in busy)
            ready = wait(
                [*(c.conn for c in busy), *(c.process.sentinel for c in busy)],
                timeout=max(0.0, soonest - time.monotonic()),
            )
            for child in busy:
                assert child.job is not None
                index, path = child.job
                outcome = _collect(child, path, ready)
                if outcome is None:
                    continue
                results[index] = outcome
                child.job = None
                if child.conn.closed:  # it died or was killed: `_collect` closed its pipe
                    children.remove(child)
                on_done(path)
    finally:
        for child in children:
            _retire(child)
    return [results[i] for i in range(len(paths))]


def _start(context: Any) -> _Child:
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(theirs,), daemon=True)
    process.start()
    theirs.close()
    return _Child(process, ours)


def _give(child: _Child, job: tuple[int, Path], time_limit: float) -> bool:
    """Send a file to an idle child; False if the child is gone (the file is not to blame)."""
    child.job = job
    child.deadline = time.monotonic() + time_limit
    try:
        child.conn.send(job[1])
    except OSError:
        return False
    return True


def _retire(child: _Child) -> None:
    """Ask an idle child to leave; kill it if it does not (a busy one is killed)."""
    try:
        if child.job is None:
            child.conn.send(None)
    except OSError:
        pass
    child.process.join(1 if child.job is None else 0)
    if child.process.is_alive():
        child.process.kill()
        child.process.join(5)
    child.conn.close()


def _collect(child: _Child, path: Path, ready: list[Any]) -> Outcome | None:
    """The child's outcome for `path` if it has one now (result, crash or timeout), else None."""
    if child.conn in ready or child.conn.poll():
        try:
            message, child.cpu_seconds = child.conn.recv()
        except (EOFError, OSError):
            child.process.join(5)
            child.conn.close()
            return _crashed(path, child.process)
        child.files += 1
        return _outcome(path, message)
    if child.process.sentinel in ready and not child.process.is_alive():
        child.conn.close()
        return _crashed(path, child.process)
    if time.monotonic() >= child.deadline:
        child.process.kill()
        child.process.join(5)
        child.conn.close()
        return Outcome(path, code="too-slow", fields={"seconds": f"{TIME_LIMIT_SECONDS:g}"})
    return None


def _crashed(path: Path, child: Any) -> Outcome:
    code = child.exitcode
    how = f"signal {-code} ({signal.Signals(-code).name})" if code and code < 0 else f"code {code}"
    return Outcome(path, code="reader-crashed", fields={"how": how})


def _outcome(path: Path, message: tuple[Any, ...]) -> Outcome:
    if message[0] == "ok":
        return Outcome(path, workbook=message[1])
    return Outcome(path, code=message[1], fields=dict(message[2]))


def _serve(conn: Connection) -> None:
    """In the child: limit memory and CPU, then read each path sent until None; leave
    without interpreter teardown. Anything but a verdict on the file ends the child, and
    the parent reports that file as `reader-crashed`."""
    try:
        faulthandler.disable()  # a crash is reported by the parent, not dumped on stderr
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # nor a library's panic message
        _limit_resources()
        while (path := conn.recv()) is not None:
            conn.send((_message(path), _cpu_seconds()))
    except BaseException:  # noqa: BLE001 - whatever happens, the parent decides from the exit
        os._exit(70)
    os._exit(0)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _message(path: Path) -> tuple[Any, ...]:
    try:
        return ("ok", read_workbook(path))
    except UnreadableWorkbook as exc:
        return ("unreadable", exc.code, exc.fields)


def _limit_resources() -> None:
    inherited = _address_space()
    if inherited:
        cap = inherited + MEMORY_HEADROOM
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    cpu = int(RETIRE_AFTER_CPU_SECONDS + TIME_LIMIT_SECONDS) + 5  # room for one more file
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


def _address_space() -> int:
    """This process's virtual memory size in bytes (0 when it cannot be told)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _in_process(path: Path) -> Outcome:
    message = _message(path)
    return _outcome(path, message)
