"""Find the workbooks users dropped, and archive accepted ones with a ledger of every file seen.

Nothing here modifies or deletes a file in the inbox: files are only read and copied.

The ledger (`archive/ledger.sqlite`) has two tables: `files`, one row per file seen per
report period, and `accepted_values`, the monthly actuals of every accepted file (value
NULL for a blank month), so what an earlier pack used can still be compared after its file
has left the inbox (`pipeline.restate`). Both are created if missing, so an older ledger
keeps working; files accepted before `accepted_values` existed simply have no values.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import stat
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.atomic import replacing
from pipeline.config import ConfigError
from pipeline.problems import Problem
from pipeline.vocabulary import FileStatus, is_blank

if TYPE_CHECKING:
    import pandas as pd

# Read as workbooks: Excel's .xlsx / .xlsm and LibreOffice's own .ods (`pipeline.read`).
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods")
# Spreadsheet files we can name but not read: each is reported unreadable under the problem
# code that tells the submitter what to do (save it again as .xlsx), never silently skipped.
WRONG_FORMATS = {
    ".xls": "xls-file",
    ".xlsb": "xlsb-file",
    ".numbers": "numbers-file",
    ".csv": "csv-file",
}
OTHER_SPREADSHEETS = tuple(WRONG_FORMATS)


def wrong_format_code(path: Path) -> str:
    """The problem code of a spreadsheet in a format that is not read (`xls-file`, ...)."""
    return WRONG_FORMATS[path.suffix.lower()]


_NAME_PERIOD = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})[-_.](0[1-9]|1[0-2])(?![0-9])")


def department_from_name(name: str, department_ids: Iterable[str]) -> str:
    """The configured department a file's name says it is from; "" when it names none.

    Conservative: only a department ID that is the name's leading token counts, in any
    case, followed by a separator or the end of the name (`FIN-2026-10.xlsx`,
    `FIN_scorecard.ods`, `fin october.xlsx`; never `FINANCE.xlsx` for FIN). When several
    IDs match (`FIN` and `FIN-AP`), the longest wins.
    """
    stem = name.rsplit(".", 1)[0] if "." in name else name
    upper = stem.upper()
    best = ""
    for dept in department_ids:
        key = dept.upper()
        if key and upper.startswith(key) and len(key) > len(best):
            rest = upper[len(key) :]
            if not rest or not rest[0].isalnum():
                best = dept
    return best


def period_from_name(name: str) -> str:
    """The `YYYY-MM` a file's name carries (`FIN-2026-10.xlsx`, `FIN_2026_10.ods`); "" when
    it carries none, or two different ones."""
    found = {f"{year}-{month}" for year, month in _NAME_PERIOD.findall(name)}
    return found.pop() if len(found) == 1 else ""


@dataclass(frozen=True)
class Found:
    workbooks: tuple[Path, ...]  # to read
    wrong_format: tuple[Path, ...]  # spreadsheets in a format we don't read
    ignored: tuple[tuple[Path, str], ...]  # (path, reason): lock files, hidden, partial


def discover(inbox: Path) -> Found:
    """List the inbox (not recursively), passing over what is not a workbook, with a reason.

    Links are never followed (one could point into /proc or another department's folder),
    and folders, pipes and devices are never opened (a pipe would block the run forever).
    """
    if not inbox.is_dir():
        raise ConfigError(f"[reporting] inbox folder not found: {inbox}")
    workbooks: list[Path] = []
    wrong: list[Path] = []
    ignored: list[tuple[Path, str]] = []
    for path in sorted(inbox.iterdir(), key=lambda p: p.name):
        name = path.name
        reason = _not_a_file(path)
        if reason:
            ignored.append((path, reason))
        elif not _is_text(name):
            ignored.append((path.with_name(_shown_name(name)), BAD_NAME))
        elif name.startswith("~$") or name.startswith(".~lock."):
            ignored.append((path, "lock file of an open spreadsheet"))
        elif name.startswith("."):
            ignored.append((path, "hidden file"))
        elif name.endswith((".tmp", ".part", ".crdownload")):
            ignored.append((path, "file still being written"))
        elif path.suffix.lower() in WORKBOOK_SUFFIXES:
            if path.lstat().st_size == 0:
                ignored.append((path, "empty file (still being written?)"))
            else:
                workbooks.append(path)
        elif path.suffix.lower() in OTHER_SPREADSHEETS:
            wrong.append(path)
        else:
            ignored.append((path, "not a spreadsheet"))
    return Found(tuple(workbooks), tuple(wrong), tuple(ignored))


BAD_NAME = "its name is not valid text: rename the file and drop it again"


def _not_a_file(path: Path) -> str:
    """Why `path` is not a plain file scorecard may read; "" when it is one."""
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        return f"cannot be examined ({exc.strerror or exc})"
    if stat.S_ISLNK(mode):
        return "a link, not a file: links are not followed; drop the file itself"
    if stat.S_ISDIR(mode):
        return "a folder: sub-folders are not read"
    if not stat.S_ISREG(mode):
        return "not a regular file (a pipe, socket or device): never opened"
    return ""


def _is_text(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown_name(name: str) -> str:
    """A file name that cannot be decoded, with its bad bytes shown as U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT NOT NULL,
    file TEXT NOT NULL,
    department_id TEXT,
    period TEXT,
    status TEXT NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    problems TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    report_period TEXT NOT NULL,
    PRIMARY KEY (sha256, file, report_period)
)
"""
VALUES_SCHEMA = """
CREATE TABLE IF NOT EXISTS accepted_values (
    sha256 TEXT NOT NULL,
    department_id TEXT NOT NULL,
    period TEXT NOT NULL,
    kpi_id TEXT NOT NULL,
    month TEXT NOT NULL,
    value REAL,
    PRIMARY KEY (sha256, department_id, kpi_id, month)
)
"""


def archive_and_record(
    archive: Path,
    inbox: Path,
    files: Iterable[dict],
    problems: Iterable[Problem],
    report_period: str,
    actuals: pd.DataFrame | None = None,
) -> Path:
    """Copy accepted workbooks to `archive/<sha256>.xlsx` (.xlsm, .ods) and upsert every file.

    With `actuals` (the validated long-form frame), each accepted file's monthly values are
    recorded too, in the same transaction: the rows of its department. (A department shown
    stale has no accepted file this period, so its old rows are never recorded as new.)
    """
    archive.mkdir(parents=True, exist_ok=True)
    files = list(files)
    by_file: dict[str, list[dict]] = {}
    for prob in problems:
        by_file.setdefault(prob.file, []).append(prob.as_dict())
    ledger = archive / "ledger.sqlite"
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with sqlite3.connect(ledger) as db:
        db.execute(LEDGER_SCHEMA)
        db.execute(VALUES_SCHEMA)
        for row in files:
            if row["status"] == FileStatus.ACCEPTED:
                suffix = Path(row["file"]).suffix.lower()
                suffix = suffix if suffix in WORKBOOK_SUFFIXES else ".xlsx"
                target = archive / f"{row['sha256']}{suffix}"  # .xlsm and .ods keep theirs
                if not target.exists():
                    with replacing(target) as temp:
                        shutil.copyfile(inbox / row["file"], temp)
            db.execute(
                "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    row["sha256"],
                    row["file"],
                    row["department_id"],
                    row["period"],
                    row["status"],
                    int(row["errors"]),
                    int(row["warnings"]),
                    json.dumps(by_file.get(row["file"], [])),
                    now,
                    report_period,
                ),
            )
        if actuals is not None:
            _record_values(db, files, actuals, report_period)
    return ledger


def _record_values(
    db: sqlite3.Connection, files: list[dict], actuals: pd.DataFrame, report_period: str
) -> None:
    """Replace the accepted values of each accepted file with this run's actuals."""
    accepted = [
        r for r in files if r["status"] == FileStatus.ACCEPTED and not is_blank(r["department_id"])
    ]
    if not accepted:
        return
    by_dept: dict[str, list[tuple[str, str, Any]]] = {}
    for dept, kpi_id, month, value in zip(
        actuals["department_id"], actuals["kpi_id"], actuals["month"], actuals["value"], strict=True
    ):
        by_dept.setdefault(str(dept), []).append(
            (str(kpi_id), str(month), None if is_blank(value) else float(value))
        )
    for row in accepted:
        dept = str(row["department_id"])
        db.execute("DELETE FROM accepted_values WHERE sha256 = ?", (row["sha256"],))
        db.executemany(
            "INSERT OR REPLACE INTO accepted_values VALUES (?,?,?,?,?,?)",
            [
                (row["sha256"], dept, row["period"] or report_period, kpi_id, month, value)
                for kpi_id, month, value in by_dept.get(dept, [])
            ],
        )


def ledger_rows(archive: Path) -> list[dict]:
    """Every ledger row, newest first (empty when nothing was archived yet)."""
    ledger = archive / "ledger.sqlite"
    if not ledger.exists():
        return []
    with sqlite3.connect(ledger) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM files ORDER BY report_period DESC, file").fetchall()
    return [dict(r) for r in rows]


def last_accepted_before(archive: Path, department_id: str, period: str) -> dict | None:
    """The department's most recent accepted file for a period before `period`, or None.

    The ledger row with the greatest period < `period`; ties go to the later `seen_at`,
    then to the row written last.
    """
    ledger = archive / "ledger.sqlite"
    if not ledger.exists():
        return None
    with closing(sqlite3.connect(ledger)) as db:
        db.row_factory = sqlite3.Row
        row = db.execute(
            "SELECT * FROM files WHERE department_id = ? AND status = ? AND period IS NOT NULL"
            " AND period != '' AND period < ? ORDER BY period DESC, seen_at DESC, rowid DESC"
            " LIMIT 1",
            (department_id, str(FileStatus.ACCEPTED), period),
        ).fetchone()
    return dict(row) if row is not None else None


def accepted_values(archive: Path, department_id: str, sha256: str) -> list[dict]:
    """The recorded monthly actuals of one accepted file: kpi_id, month, value (None = blank).

    Empty when the ledger holds none (e.g. the file was accepted before values were kept).
    """
    ledger = archive / "ledger.sqlite"
    if not ledger.exists():
        return []
    with closing(sqlite3.connect(ledger)) as db:
        db.row_factory = sqlite3.Row
        known = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'accepted_values'"
        ).fetchone()
        if known is None:  # a ledger written before values were kept
            return []
        rows = db.execute(
            "SELECT * FROM accepted_values WHERE department_id = ? AND sha256 = ?"
            " ORDER BY kpi_id, month",
            (department_id, sha256),
        ).fetchall()
    return [dict(r) for r in rows]
