"""Run an inbox check in a throw-away process: a hang or a native abort fails one case only.

Children are forked from a multiprocessing fork server that has the pipeline imported
already, so each case costs its own work, not a 2-second import. Each child reports back
through a pipe; no answer within the timeout is a hang (the child is killed), a child that
dies without answering was killed (its exit code says how: -6 is an abort, -9 a kill).
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

PERIOD = "2026-10"
TIMEOUT = 90.0  # seconds per case: above the reader sandbox's own 60 s, so its verdict shows
_PRELOAD = ["pipeline.run", "tests.workbooks", "tests.hostile.harness"]


def summarise(root: str, period: str = PERIOD) -> dict[str, Any]:
    """`pipeline.run.check` on `<root>/inbox` with the test organisation, as plain data."""
    from pipeline import run
    from tests.workbooks import make_config

    config = make_config(Path(root))
    outputs = run.check(config, period)
    summary = run.validation_summary(outputs)
    html = outputs.html_path.read_text(encoding="utf-8")
    names = [f["file"] for f in summary["files"]] + [i["file"] for i in summary["ignored"]]
    return {
        "html_raw": [n for n in names if "<" in n and n in html],  # shown unescaped
        "files": {
            f["file"]: {
                "status": str(f["status"]),
                "errors": sorted({p["code"] for p in f["problems"] if p["severity"] == "error"}),
            }
            for f in summary["files"]
        },
        "ignored": {i["file"]: i["reason"] for i in summary["ignored"]},
        "departments": {
            d["department_id"]: {
                "state": d["state"],
                "file": d["file"],
                "submitted_on": d["submitted_on"],
            }
            for d in summary["departments"]
        },
    }


def _child(conn: Connection, func: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        answer: dict[str, Any] = {"result": func(*args)}
    except BaseException as exc:  # everything escaping is the finding
        answer = {
            "crash": f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"[:1000],
            "traceback": traceback.format_exc()[-6000:],
        }
    conn.send(answer)
    conn.close()


def run_isolated(func: Callable[..., Any], *args: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
    """`{"result": ...}`, or `{"crash": ..., "traceback": ...}`, `{"hang": s}`, `{"killed": rc}`."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    receive, send = ctx.Pipe(duplex=False)
    # Not a daemon: the pipeline may start reader processes of its own.
    child = ctx.Process(target=_child, args=(send, func, args))
    child.start()
    send.close()
    try:
        if receive.poll(timeout):
            try:
                return receive.recv()
            except EOFError:  # died without a word
                child.join(10)
                return {"killed": child.exitcode}
        return {"hang": timeout}
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(10)


def failure(answer: dict[str, Any]) -> str:
    """'' for an answer with a result; else one readable paragraph saying what went wrong."""
    if "result" in answer:
        return ""
    if "crash" in answer:
        return f"crashed: {answer['crash']}\n{answer['traceback']}"
    if "hang" in answer:
        return f"hung: no answer within {answer['hang']:.0f} s"
    return f"the worker process died (exit code {answer['killed']})"
