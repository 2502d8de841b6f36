"""Find the workbooks users dropped, and archive accepted ones with a ledger of every file seen.

Nothing here modifies or deletes a file in the inbox: files are only read and copied.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.atomic import replacing
from pipeline.config import ConfigError
from pipeline.problems import Problem
from pipeline.vocabulary import FileStatus

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# Spreadsheet files we can name but not read: reported as rejected, never silently skipped.
OTHER_SPREADSHEETS = (".xls", ".xlsb", ".ods", ".csv", ".numbers")


@dataclass(frozen=True)
class Found:
    workbooks: tuple[Path, ...]  # to read
    wrong_format: tuple[Path, ...]  # spreadsheets in a format we don't read
    ignored: tuple[tuple[Path, str], ...]  # (path, reason): lock files, hidden, partial


def discover(inbox: Path) -> Found:
    """List the inbox (not recursively), skipping lock files, hidden and partial files."""
    if not inbox.is_dir():
        raise ConfigError(f"[reporting] inbox folder not found: {inbox}")
    workbooks: list[Path] = []
    wrong: list[Path] = []
    ignored: list[tuple[Path, str]] = []
    for path in sorted(inbox.iterdir(), key=lambda p: p.name):
        name = path.name
        if not path.is_file():
            continue
        if name.startswith("~$") or name.startswith(".~lock."):
            ignored.append((path, "lock file of an open spreadsheet"))
        elif name.startswith("."):
            ignored.append((path, "hidden file"))
        elif name.endswith((".tmp", ".part", ".crdownload")):
            ignored.append((path, "file still being written"))
        elif path.suffix.lower() in WORKBOOK_SUFFIXES:
            if path.stat().st_size == 0:
                ignored.append((path, "empty file (still being written?)"))
            else:
                workbooks.append(path)
        elif path.suffix.lower() in OTHER_SPREADSHEETS:
            wrong.append(path)
        else:
            ignored.append((path, "not a spreadsheet"))
    return Found(tuple(workbooks), tuple(wrong), tuple(ignored))


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


def archive_and_record(
    archive: Path,
    inbox: Path,
    files: Iterable[dict],
    problems: Iterable[Problem],
    report_period: str,
) -> Path:
    """Copy accepted workbooks to `archive/<sha256>.xlsx` and upsert every file in the ledger."""
    archive.mkdir(parents=True, exist_ok=True)
    by_file: dict[str, list[dict]] = {}
    for prob in problems:
        by_file.setdefault(prob.file, []).append(prob.as_dict())
    ledger = archive / "ledger.sqlite"
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with sqlite3.connect(ledger) as db:
        db.execute(LEDGER_SCHEMA)
        for row in files:
            if row["status"] == FileStatus.ACCEPTED:
                target = archive / f"{row['sha256']}.xlsx"
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
    return ledger


def ledger_rows(archive: Path) -> list[dict]:
    """Every ledger row, newest first (empty when nothing was archived yet)."""
    ledger = archive / "ledger.sqlite"
    if not ledger.exists():
        return []
    with sqlite3.connect(ledger) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM files ORDER BY report_period DESC, file").fetchall()
    return [dict(r) for r in rows]
