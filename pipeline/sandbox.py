"""Workbook paths in, what the reader made of each out, every parse in a child process.

A hostile file can make a native library abort (python-calamine allocating a huge range),
eat memory or spin forever. Each file is read in a forked child with an address-space and
CPU limit and a wall-clock deadline, so any of these becomes *that* file's rejection
(`reader-crashed`, `too-slow`) and the run goes on. Forking costs a few milliseconds: the
child shares the already-imported libraries copy-on-write, so the common case stays fast
(`make bench` measures it); a few children run at once, one per core.
"""

from __future__ import annotations

import faulthandler
import os
import resource
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from pipeline.read import RawWorkbook, UnreadableWorkbook, read_workbook

TIME_LIMIT_SECONDS = 60  # wall clock per file; a normal workbook takes well under a second
MEMORY_HEADROOM = 1536 * 1024 * 1024  # address space a child may add to what it inherits


@dataclass
class Outcome:
    """What reading one file gave: a workbook, or a problem code with its fields."""

    path: Path
    workbook: RawWorkbook | None = None
    code: str = ""
    fields: dict[str, str] = field(default_factory=dict)


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
    queue = list(enumerate(paths))
    running: dict[Any, tuple[int, Path, Any, Connection, float]] = {}
    results: dict[int, Outcome] = {}
    while queue or running:
        while queue and len(running) < limit:
            index, path = queue.pop(0)
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_child, args=(path, send), daemon=True)
            child.start()
            send.close()
            running[receive] = (index, path, child, receive, time.monotonic() + time_limit)
        soonest = min(deadline for *_, deadline in running.values())
        ready = wait(
            [*running, *(c.sentinel for _, _, c, _, _ in running.values())],
            timeout=max(0.0, soonest - time.monotonic()),
        )
        for conn in list(running):
            index, path, child, receive, deadline = running[conn]
            outcome = _collect(path, child, receive, ready, deadline)
            if outcome is not None:
                del running[conn]
                results[index] = outcome
                on_done(path)
    return [results[i] for i in range(len(paths))]


def _collect(
    path: Path, child: Any, receive: Connection, ready: list[Any], deadline: float
) -> Outcome | None:
    """The child's outcome if it has one now (result, crash or timeout), else None."""
    if receive in ready or receive.poll():
        try:
            message = receive.recv()
        except (EOFError, OSError):
            message = None
        child.join(5)
        receive.close()
        if message is not None:
            return _outcome(path, message)
        return _crashed(path, child)
    if child.sentinel in ready and not child.is_alive():
        receive.close()
        return _crashed(path, child)
    if time.monotonic() >= deadline:
        child.kill()
        child.join(5)
        receive.close()
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


def _child(path: Path, send: Connection) -> None:
    """In the child: limit memory and CPU, read, send the result, leave without teardown."""
    try:
        faulthandler.disable()  # a crash is reported by the parent, not dumped on stderr
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # nor a library's panic message
        _limit_resources()
        send.send(_message(path))
    except BaseException:  # noqa: BLE001 - whatever happens, the parent decides from the exit
        os._exit(70)
    os._exit(0)


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
    cpu = int(TIME_LIMIT_SECONDS) + 5
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
