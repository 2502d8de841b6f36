"""Benchmark: each stage's time next to the libraries' own floor, as ratios in one run.

    python -m pipeline.bench --config examples/demo/scorecard.toml [--copies 5]

The floors: reading = python-calamine's raw `to_python()` of the same sheets (and openpyxl
for comparison); rendering = WeasyPrint laying out the pack's finished HTML as one
document. Validation and scoring have no library floor; their times are shown per file.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
import python_calamine

from pipeline.config import load_config
from pipeline.read import preflight, read_workbook
from pipeline.sandbox import read_all
from pipeline.score import score
from pipeline.validate import validate


def _best(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def _raw_calamine(paths: list[Path]) -> None:
    for path in paths:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
        book.close()


def _raw_openpyxl(paths: list[Path]) -> None:
    for path in paths:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for sheet in book.worksheets:
            for _ in sheet.iter_rows(values_only=True):
                pass
        book.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="examples/demo/scorecard.toml")
    parser.add_argument(
        "--copies",
        type=int,
        default=5,
        help="how many copies of the inbox to read (more files, same data)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    sources = sorted(config.reporting.inbox.glob("*.xlsx"))
    if not sources:
        raise SystemExit(f"no workbooks in {config.reporting.inbox}: run `make demo` first")

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(args.copies):
            for src in sources:
                dest = Path(tmp) / f"{i}-{src.name}"
                shutil.copyfile(src, dest)
                paths.append(dest)
        n = len(paths)
        t_calamine = _best(lambda: _raw_calamine(paths), args.repeat)
        t_openpyxl = _best(lambda: _raw_openpyxl(paths), 1)
        t_read = _best(lambda: [read_workbook(p) for p in paths], args.repeat)
        t_gate = _best(lambda: [preflight(p) for p in paths], args.repeat)
        t_sandbox = _best(lambda: read_all(paths), args.repeat)

    raws = [read_workbook(p) for p in sources]
    period = max(r.submission.get("Period (YYYY-MM)", ("", ""))[0] or "" for r in raws)
    t_validate = _best(lambda: validate(raws, config, period), args.repeat)
    validated = validate(raws, config, period)
    t_score = _best(lambda: score(validated, config), args.repeat)
    scored = score(validated, config)

    rows = [
        ("read (ours, in-process)", t_read, n),
        ("  of which pre-flight gate", t_gate, n),
        ("read sandboxed (as run)", t_sandbox, n),
        ("  floor: calamine raw", t_calamine, n),
        ("  openpyxl read-only", t_openpyxl, n),
        ("validate (all workbooks)", t_validate, len(raws)),
        ("score", t_score, len(raws)),
    ]
    render_rows = _render_rows(scored, validated, config, args.repeat)
    print(f"{'stage':28} {'seconds':>9} {'ms/file':>9}")
    for label, seconds, files in rows + render_rows:
        print(f"{label:28} {seconds:9.3f} {1000 * seconds / max(files, 1):9.1f}")
    print()
    print(f"read / calamine floor:       {t_read / t_calamine:6.2f}x")
    print(f"sandboxed / in-process read: {t_sandbox / t_read:6.2f}x")
    print(f"openpyxl / calamine:         {t_openpyxl / t_calamine:6.2f}x")
    if render_rows:
        pack, floor = render_rows[0][1], render_rows[1][1]
        print(f"pack / WeasyPrint floor:     {pack / floor:6.2f}x")
    total = t_read / args.copies + t_validate + t_score + (render_rows[0][1] if render_rows else 0)
    print(f"whole pipeline, {len(raws)} workbooks: {total:.2f} s")


def _render_rows(scored, validated, config, repeat: int) -> list[tuple[str, float, int]]:
    try:
        from pipeline.render import pack
    except ImportError:
        return []
    import weasyprint

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t_pack = _best(lambda: pack.write_pack(scored, validated, config, out), 1)
        html = next(out.glob("board-pack-*.html")).read_text(encoding="utf-8")
        # The floor: WeasyPrint alone, laying out the finished HTML as one document.
        t_floor = _best(lambda: weasyprint.HTML(string=html, base_url=str(out)).write_pdf(), 1)
    n = len(scored.departments)
    return [("render pack (ours)", t_pack, n), ("  floor: WeasyPrint layout", t_floor, n)]


if __name__ == "__main__":
    main()
