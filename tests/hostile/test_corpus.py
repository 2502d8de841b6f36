"""The hostile corpus (tests/hostile/corpus.py) against `pipeline.run.check`, one case a test.

Each case's inbox holds the hostile entry plus one good workbook (FIN). Every case asserts
the hostile entry's outcome, that the good workbook is still accepted, and that nothing
crashed or hung: each check runs in its own process (tests/hostile/harness.py), two at a
time, all selected cases at once when the module's first test asks for them.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.hostile import harness
from tests.hostile.corpus import CASES, Case, Kit, seen
from tests.workbooks import make_config

GOOD = "FIN-2026-10.xlsx"
AN_HOUR_AGO = time.time() - 3600


def _params() -> list[Any]:
    params = []
    for case in CASES:
        marks = []
        if case.skip:
            marks.append(pytest.mark.skip(reason=case.skip))
        if case.xfail:
            marks.append(pytest.mark.xfail(reason=case.xfail, strict=True))
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


def _age(inbox: Path, keep_fresh: str) -> None:
    """Date every entry an hour back (not 'still being copied'), links themselves only."""
    for entry in os.listdir(os.fsencode(inbox)):
        if os.fsdecode(entry) != keep_fresh:
            path = os.fsencode(inbox) + b"/" + entry
            os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO), follow_symlinks=False)


def build_case(case: Case, root: Path) -> str:
    """Write the good workbook and the case's entry into `<root>/inbox`; return its name."""
    config = make_config(root)
    inbox = root / "inbox"
    inbox.mkdir(parents=True)
    kit = Kit(inbox, root / "scratch", config)
    (inbox / GOOD).write_bytes(kit.workbook(dept="FIN"))
    name = case.build(kit, case.id)
    _age(inbox, name if case.fresh else "")
    return name


@pytest.fixture(scope="module")
def answers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """case id -> (entry name, harness answer), for every selected case of this module."""
    wanted = [
        item.callspec.params["case"]
        for item in request.session.items
        if item.path == request.path
        and hasattr(item, "callspec")
        and "case" in item.callspec.params
        and not item.get_closest_marker("skip")
    ]
    built: dict[str, tuple[str, Path]] = {}
    for case in wanted:
        root = tmp_path_factory.mktemp(case.id)
        built[case.id] = (build_case(case, root), root)

    def run(case_id: str) -> tuple[str, dict[str, Any]]:
        name, root = built[case_id]
        return name, harness.run_isolated(harness.summarise, str(root))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(built, pool.map(run, built), strict=True))


@pytest.mark.parametrize("case", _params())
def test_hostile_entry(case: Case, answers: dict[str, tuple[str, dict[str, Any]]]) -> None:
    name, answer = answers[case.id]
    problem = harness.failure(answer)
    assert not problem, problem
    result = answer["result"]
    outcome = seen(result, name)
    expected = " or ".join(str(e) for e in case.expect)
    assert any(outcome.matches(e) for e in case.expect), f"{name}: {outcome}; expected {expected}"
    assert result["files"].get(GOOD, {}).get("status") == "accepted", result["files"]
    assert result["departments"]["FIN"]["state"] == "accepted", result["departments"]
    if case.check:
        case.check(result, name)


def test_the_corpus_is_big_enough() -> None:
    """The brief: at least 40 cases, each with a distinct id."""
    ids = [case.id for case in CASES]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)
