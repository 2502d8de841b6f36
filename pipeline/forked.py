"""Work started in a forked child while this process goes on with other work.

`scorecard report` makes several documents that do not depend on one another: the board
pack, the analyst annex, the one-pagers and the data book. Laid out one after the other,
a core sat idle whenever one of them had a single-process stretch (the pack's contents
page, page numbers and joining; the annex; the data book's openpyxl save). Started beside
each other, the cores stay busy. A child that fails leaves its work to this process, so an
error is raised here, with its traceback, and the files are the same either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from pipeline.gctune import frozen_for_children

T = TypeVar("T")
R = TypeVar("R")


def beside(work: Callable[[], T]) -> Callable[[], T]:
    """Start `work()` in a forked child; the returned call waits for its (picklable) result.

    On one core, or where fork is missing, `work()` runs here and now. The child is not a
    daemon: it may fork children of its own (the one-pagers do)."""
    if (os.cpu_count() or 1) < 2 or "fork" not in get_all_start_methods():
        result = work()
        return lambda: result
    context = get_context("fork")
    receive, send = context.Pipe(duplex=False)
    with frozen_for_children():
        child = context.Process(target=_child, args=(work, send))
        child.start()
    send.close()

    def wait_for() -> T:
        try:
            message = receive.recv()
        except (EOFError, OSError):
            message = None
        receive.close()
        child.join()
        if isinstance(message, tuple) and message[0] == "done":
            return message[1]
        return work()  # the child failed: again here, where the error is raised

    return wait_for


def in_shares(items: Sequence[T], n: int, work: Callable[[Sequence[T]], list[R]]) -> list[R]:
    """`work` over `items` dealt out to `n` shares (item i to share i % n): every share but
    the first in a forked child (`beside`), the first here meanwhile. `work` gives one
    result per item of its share; the results come back in the order of `items`."""
    n = max(1, min(n, len(items)))
    shares = [items[i::n] for i in range(n)]
    waiting = [beside(lambda share=share: work(share)) for share in shares[1:]]
    done = [work(shares[0]), *(wait() for wait in waiting)]
    results: list[R] = [None] * len(items)  # type: ignore[list-item]
    for i, share_results in enumerate(done):
        results[i::n] = share_results
    return results


def _child(work: Callable[[], Any], send: Connection) -> None:
    """In the child: do the work, send the result, leave without interpreter teardown."""
    try:
        send.send(("done", work()))
    except BaseException:  # noqa: BLE001 - the parent does it again and raises
        os._exit(70)
    os._exit(0)
