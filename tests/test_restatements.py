"""Restated since the last pack: past months a new workbook changes, in the pack and data book."""

from __future__ import annotations

import html
import math
import re
import sqlite3
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipeline.inbox import LEDGER_SCHEMA, accepted_values, archive_and_record, last_accepted_before
from pipeline.render.databook import write_databook
from pipeline.render.views_appendix import old_new
from pipeline.restate import RESTATEMENT_COLUMNS, PreviousSubmission, is_restated, restatements
from pipeline.run import build_report, score_inbox
from pipeline.score import score
from tests.frames import make_config as frames_config
from tests.frames import make_validated
from tests.workbooks import make_config, make_workbook, sample_rows

NaN = math.nan

# --- pure: hand-built frames -----------------------------------------------------------------


def _october():
    """FIN (two KPIs) and OPS (stale) reporting 2026-10, calendar fiscal year."""
    return make_validated(
        "2026-10",
        kpis=[
            {
                "department_id": "FIN",
                "kpi_id": "FIN-K1",
                "kpi": "Gross margin",
                "unit": "%",
                "actuals": {
                    "2026-04": None,  # old blank too: blank -> blank is no change
                    "2026-05": 0.38 + 1e-12,  # float noise: unchanged
                    "2026-06": None,  # 0.39 -> blank
                    "2026-07": 0.40,  # blank -> 0.40
                    "2026-08": 0.415,  # 0.41 -> 0.415
                    "2026-09": 0.42,  # unchanged
                    "2026-10": 0.43,  # the period itself: never a restatement
                    "2026-11": 0.44,  # after the period
                },
            },
            {"department_id": "FIN", "kpi_id": "FIN-K2", "kpi": "New KPI", "actuals": [1, 2]},
            {"department_id": "OPS", "kpi_id": "OPS-K1", "kpi": "Uptime", "actuals": [5, 5]},
        ],
        stale=["OPS"],
    )


FIN_SEPTEMBER = PreviousSubmission(
    file="FIN-2026-09.xlsx",
    period="2026-09",
    sha256="a" * 64,
    values={
        ("FIN-K1", "2026-03"): 0.36,  # October says blank for March: restated
        ("FIN-K1", "2026-04"): None,
        ("FIN-K1", "2026-05"): 0.38,
        ("FIN-K1", "2026-06"): 0.39,
        ("FIN-K1", "2026-07"): NaN,
        ("FIN-K1", "2026-08"): 0.41,
        ("FIN-K1", "2026-09"): 0.42,
        ("FIN-K1", "2026-10"): NaN,
        ("FIN-K1", "2026-11"): 0.1,
        ("FIN-K9", "2026-08"): 7.0,  # a KPI October no longer has
    },
)
OPS_SEPTEMBER = PreviousSubmission(
    file="OPS-2026-09.xlsx", period="2026-09", values={("OPS-K1", "2026-01"): 99.0}
)


def _rows(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if isinstance(v, float) and math.isnan(v) else v for v in row)
        for row in frame.itertuples(index=False, name=None)
    ]


def test_only_changed_past_months_of_fresh_departments_are_restated():
    """Changed, blank -> number and number -> blank are listed; nothing else is."""
    found = restatements(_october(), {"FIN": FIN_SEPTEMBER, "OPS": OPS_SEPTEMBER})
    assert list(found.columns) == list(RESTATEMENT_COLUMNS)
    where = ("FIN-2026-09.xlsx", "2026-09")
    assert _rows(found) == [
        ("FIN", "FIN-K1", "Gross margin", "2026-03", 0.36, None, *where),
        ("FIN", "FIN-K1", "Gross margin", "2026-06", 0.39, None, *where),
        ("FIN", "FIN-K1", "Gross margin", "2026-07", None, 0.40, *where),
        ("FIN", "FIN-K1", "Gross margin", "2026-08", 0.41, 0.415, *where),
    ]


def test_no_previous_submission_or_a_later_one_restates_nothing():
    """Without a previous submission, or with one not earlier than the period: nothing."""
    october = _october()
    assert restatements(october, {}).empty
    assert list(restatements(october, {}).columns) == list(RESTATEMENT_COLUMNS)
    same = PreviousSubmission("FIN-2026-10.xlsx", "2026-10", values=FIN_SEPTEMBER.values)
    assert restatements(october, {"FIN": same}).empty


def test_a_new_fiscal_year_compares_no_month():
    """An April-start year reporting April: no earlier month of this year to compare."""
    april = make_validated(
        "2027-04",
        kpis=[{"department_id": "FIN", "kpi_id": "FIN-K1", "actuals": [5]}],
        fiscal_year_start=4,
    )
    march = PreviousSubmission("FIN-2027-03.xlsx", "2027-03", values={("FIN-K1", "2027-03"): 4})
    assert restatements(april, {"FIN": march}).empty


@pytest.mark.parametrize(
    "old, new, restated",
    [
        (12, 12, False),
        (12, 13, True),
        (None, 12, True),
        (12, None, True),
        (None, NaN, False),
        (NaN, 0, True),  # a blank is never zero
        (0, 1e-10, False),
        (0, 2e-9, True),
        (1e6, 1e6 + 1e-4, False),  # relative to |old| when it is above 1
        (1e6, 1e6 + 0.01, True),
    ],
)
def test_what_counts_as_restated(old, new, restated):
    assert is_restated(old, new) is restated


def test_pack_shows_old_and_new_in_the_unit_and_blank_as_a_word():
    """41.0% -> 41.5%; a change below the pack's rounding gets the digits it needs."""
    assert old_new(0.41, 0.415, "%") == ("41.0%", "41.5%")
    assert old_new(None, 6, "days") == ("blank", "6 days")
    assert old_new(1234.5, NaN, "EUR") == ("EUR 1,235", "blank")
    assert old_new(0.4152, 0.4154, "%") == ("41.52%", "41.54%")
    assert old_new(0.010815, 0.0105, "%") == ("1.08%", "1.05%")  # same decimals on both
    assert old_new(1234.5, 1234.51, "EUR") == ("EUR 1,234.50", "EUR 1,234.51")


def test_data_book_keeps_full_precision_blanks_and_text_as_text(tmp_path):
    """Old and new as recorded (General format, blank = empty cell); a KPI name such as
    '=1+1' stays text."""
    october = _october()
    scored = score(october, frames_config([("FIN", None, False), ("OPS", None, False)]))
    scored.restatements = pd.DataFrame(
        [("FIN", "FIN-K1", "=1+1", "2026-08", 0.4152, 0.41540001, "@file.xlsx", "2026-09"),
         ("FIN", "FIN-K1", "=1+1", "2026-07", NaN, 0.4, "@file.xlsx", "2026-09")],
        columns=list(RESTATEMENT_COLUMNS),
    )  # fmt: skip
    ws = openpyxl.load_workbook(write_databook(scored, tmp_path / "book.xlsx"))["Restatements"]
    assert [c.value for c in ws[2]] == [
        "FIN", "FIN-K1", "=1+1", "2026-08", 0.4152, 0.41540001, "@file.xlsx", "2026-09",
    ]  # fmt: skip
    assert ws["C2"].data_type == "s" and ws["C2"].quotePrefix
    assert ws["E2"].number_format == ws["F2"].number_format == "General"
    assert ws["E3"].value is None and ws["F3"].value == 0.4


# --- the ledger --------------------------------------------------------------------------


def test_a_ledger_from_before_values_were_kept_still_works(tmp_path):
    """An old ledger (no accepted_values table) is read as 'no values', then extended."""
    archive = tmp_path / "archive"
    archive.mkdir()
    with sqlite3.connect(archive / "ledger.sqlite") as db:
        db.execute(LEDGER_SCHEMA)
        db.execute(
            "INSERT INTO files VALUES (?,?,?,?,?,?,?,?,?,?)",
            ("a" * 64, "FIN-2026-09.xlsx", "FIN", "2026-09", "accepted", 0, 0, "[]",
             "2026-10-01T00:00:00+00:00", "2026-09"),
        )  # fmt: skip
    db.close()
    row = last_accepted_before(archive, "FIN", "2026-10")
    assert row is not None and row["file"] == "FIN-2026-09.xlsx"
    assert last_accepted_before(archive, "FIN", "2026-09") is None
    assert accepted_values(archive, "FIN", "a" * 64) == []

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "FIN-2026-10.xlsx").write_bytes(b"x")
    (inbox / "OPS-2026-10.xlsx").write_bytes(b"y")
    files = [
        {"sha256": "b" * 64, "file": "FIN-2026-10.xlsx", "department_id": "FIN",
         "period": "2026-10", "status": "accepted", "errors": 0, "warnings": 0},
        {"sha256": "c" * 64, "file": "OPS-2026-10.xlsx", "department_id": "OPS",
         "period": "2026-10", "status": "rejected", "errors": 1, "warnings": 0},
    ]  # fmt: skip
    actuals = pd.DataFrame(
        [("FIN", "FIN-K1", "2026-09", 9, 0.5), ("FIN", "FIN-K1", "2026-10", 10, NaN),
         ("OPS", "OPS-K1", "2026-09", 9, 1.0)],
        columns=["department_id", "kpi_id", "month", "month_index", "value"],
    )  # fmt: skip
    archive_and_record(archive, inbox, files, [], "2026-10", actuals)
    assert [
        (v["kpi_id"], v["month"], v["value"]) for v in accepted_values(archive, "FIN", "b" * 64)
    ] == [
        ("FIN-K1", "2026-09", 0.5),
        ("FIN-K1", "2026-10", None),  # blank stays blank
    ]
    assert accepted_values(archive, "OPS", "c" * 64) == []  # rejected: nothing recorded


# --- end to end: September, then October in one inbox ------------------------------------


def _rows_for(dept: str, period: str, k1: dict[str, float | None], k2: dict[str, float | None]):
    rows = sample_rows(dept)
    for kpi, values in zip(rows["kpis"], (k1, k2), strict=True):
        for month in [m for m in kpi if re.fullmatch(r"\d{4}-\d{2}", m)]:
            del kpi[month]
        kpi.update({m: v for m, v in values.items() if v is not None})
    return rows


def _months(upto: int, value: float) -> dict[str, float | None]:
    return {f"2026-{m:02d}": value for m in range(1, upto + 1)}


def _two_periods(tmp_path: Path):
    """FIN and OPS submit for September, then for October; FIN restates August and fills
    September's blank Days to close."""
    config = make_config(tmp_path)
    inbox = config.reporting.inbox
    inbox.mkdir(parents=True)
    september = {
        "FIN": _rows_for("FIN", "2026-09", _months(9, 0.41), {**_months(8, 6), "2026-09": None}),
        "OPS": _rows_for("OPS", "2026-09", _months(9, 0.40), _months(9, 6)),
    }
    for dept, rows in september.items():
        make_workbook(inbox, dept, "2026-09", config=config, **rows)
    fin_october = _rows_for(
        "FIN",
        "2026-10",
        {**_months(10, 0.41), "2026-08": 0.415, "2026-10": 0.42},
        {**_months(8, 6), "2026-09": 5, "2026-10": 5},
    )
    ops_october = _rows_for("OPS", "2026-10", _months(10, 0.40), _months(10, 6))
    return config, {"FIN": fin_october, "OPS": ops_october}


def _submit_october(config, october) -> None:
    for dept, rows in october.items():
        make_workbook(config.reporting.inbox, dept, "2026-10", config=config, **rows)


EXPECTED = [
    ("FIN", "FIN-K1", "Gross margin", "2026-08", 0.41, 0.415, "FIN-2026-09.xlsx", "2026-09"),
    ("FIN", "FIN-K2", "Days to close", "2026-09", None, 5, "FIN-2026-09.xlsx", "2026-09"),
]


def _databook_rows(path: Path) -> list[tuple]:
    sheet = openpyxl.load_workbook(path)["Restatements"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Department ID", "KPI ID", "KPI", "Month", "Old", "New", "Old file", "Old period",
    )  # fmt: skip
    return rows[1:]


def _restated_text(html_path: Path) -> str:
    page = html_path.read_text(encoding="utf-8")
    start = page.rfind("<h3", 0, page.index('id="restated"'))
    section = page[start : page.index("<h3", start + 1)]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section)).split())


def test_october_pack_and_data_book_list_what_changed_since_september(tmp_path):
    """The August margin and September's blank are restated: data book row and pack text."""
    config, october = _two_periods(tmp_path)
    first = build_report(config, period="2026-09")
    assert first.scored.restatements.empty and _databook_rows(first.databook) == []
    assert "No past month was changed since the last pack." in _restated_text(first.html)
    _submit_october(config, october)
    result = build_report(config, period="2026-10")

    assert _rows(result.scored.restatements) == EXPECTED
    assert _databook_rows(result.databook) == EXPECTED
    text = _restated_text(result.html)
    assert text.startswith("Restated since the last pack (2)")
    assert "Finance Gross margin FIN-K1 August 2026 41.0% → 41.5% September 2026" in text
    assert "Finance Days to close FIN-K2 September 2026 blank → 5 days" in text

    again = score_inbox(config, period="2026-10")  # October's own values are now recorded
    assert _rows(again.scored.restatements) == EXPECTED


def test_the_ledger_remembers_september_after_its_file_left_the_inbox(tmp_path):
    """September's workbook (and its archived copy) gone: the ledger's values still compare."""
    config, october = _two_periods(tmp_path)
    september = score_inbox(config, period="2026-09")
    for f in september.checked.validated.files.to_dict("records"):
        (config.reporting.inbox / f["file"]).unlink()
        (config.reporting.archive / f"{f['sha256']}.xlsx").unlink()
    _submit_october(config, october)
    result = score_inbox(config, period="2026-10")
    assert _rows(result.scored.restatements) == EXPECTED
    assert _databook_rows(result.databook) == EXPECTED


def test_a_month_the_last_pack_had_no_report_for_is_late_not_restated():
    """FIN was shown stale from August last month: filling in September now is no restatement."""
    august = PreviousSubmission(
        file="FIN-2026-08.xlsx",
        period="2026-08",
        values={("FIN-K1", "2026-08"): 0.40, ("FIN-K1", "2026-09"): NaN},
    )
    found = restatements(_october(), {"FIN": august})
    assert _rows(found) == [
        ("FIN", "FIN-K1", "Gross margin", "2026-08", 0.40, 0.415, "FIN-2026-08.xlsx", "2026-08"),
    ]
