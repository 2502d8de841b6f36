"""Benchmark: every stage's time and memory on generated organisations of 10, 50 and 200 units.

    python -m pipeline.bench [--sizes 10,50,200] [--repeat 3] [--skip-slow]
    make bench SIZES=10,50 REPEAT=1

Each size's organisation is generated once by `pipeline.bench_org` (cached in
build/bench/org-<N>, regenerated when the generator changes). For every size, `--repeat`
runs of each metric; the terminal shows median (min-max), the ratios against their
targets with PASS/MISS, and reports/bench/bench.json keeps every run and the machine.

Metrics (each run in a fresh subprocess, so its peak RSS, children included, is measured):

- read_floor_s       open every workbook and read every zip member: the bytes alone
- raw_read_s         python-calamine `to_python()` of every sheet of every workbook
- ingest_validate_s  the pipeline's read + validate as `scorecard report` runs them
                     (`pipeline.run.assess`: read_inbox in sandboxed children, validate
                     (twice when there is a corporate map), stale fallbacks);
                     read_inbox_s is its reading part, measured on its own
- score_s            `pipeline.score.score`
- render_single_s    the pack's final HTML laid out and written by WeasyPrint as one
                     document in one process (the floor a single-process render meets)
- render_s           `pipeline.render.pack.write_pack`, a black box, its cache emptied
- cold_s             `scorecard report --config <cfg>` with reports/ and archive/ deleted
- incremental_s      the same command again after one department's workbook changed
                     (one KPI actual rewritten by the template writer); outputs kept
- cli_start_s        `scorecard --help` (once, not per size)
- peak_rss_mb        the peak RSS of every process of each metric (its largest process)

`--skip-slow` leaves out what lays out PDFs (render_single_s, render_s, cold_s,
incremental_s). openpyxl_read_s (openpyxl read-only, every row) is kept for comparison
with the calamine floor.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import import_module, metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH_ROOT = REPO / "build" / "bench"
RESULT = REPO / "reports" / "bench" / "bench.json"
DEFAULT_SIZES = (10, 50, 200)
SUBPROCESS_TIMEOUT = 3600  # seconds; a run that takes longer is recorded as an error
DEFAULT_CACHE = ".cache"  # the render cache's folder name, unless pipeline.render names one

STAGE_METRICS = ("read_floor_s", "raw_read_s", "ingest_validate_s", "score_s")
INFO_METRICS = ("read_inbox_s", "openpyxl_read_s")
SLOW_METRICS = ("render_single_s", "render_s", "cold_s", "incremental_s")
ROWS = (*STAGE_METRICS, *SLOW_METRICS, "cli_start_s", *INFO_METRICS)
LINEAR = ("ingest_validate_s", "score_s", "render_s", "cold_s")
# The pipeline's own processes (not the floors: bytes, calamine, openpyxl, one WeasyPrint
# document): the peak_rss_mb target is judged on these.
PIPELINE = ("ingest_validate_s", "read_inbox_s", "score_s", "render_s", "cold_s", "incremental_s")
MEMORY_SHARE = 0.75  # workers may use this share of the memory available at the start
LIBRARIES = (
    "pandas", "pandera", "numpy", "python-calamine", "openpyxl", "weasyprint", "pydyf",
    "tinycss2", "jinja2", "click", "rich",
)  # fmt: skip


# --- workers: each run in its own process ---------------------------------------------------


def _peak_mb() -> float:
    """The peak RSS of this process and of its largest waited-for descendant, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return max(own, children) / scale


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def _read_floor(paths: Sequence[Path]) -> None:
    import zipfile

    for path in paths:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                archive.read(info)


def _raw_calamine(paths: Sequence[Path]) -> None:
    import python_calamine

    for path in paths:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
        book.close()


def _raw_openpyxl(paths: Sequence[Path]) -> None:
    import openpyxl

    for path in paths:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for sheet in book.worksheets:
            for _ in sheet.iter_rows(values_only=True):
                pass
        book.close()


def _work_stages(config_path: Path, dump: Path | None) -> dict[str, Any]:
    """The in-process stages, in order; each metric's peak RSS is the process's so far."""
    import pickle

    from pipeline.config import load_config
    from pipeline.restate import restatements
    from pipeline.run import assess, read_inbox
    from pipeline.score import score

    config = load_config(config_path)
    paths = sorted(p for p in config.reporting.inbox.iterdir() if p.suffix == ".xlsx")
    times: dict[str, float] = {}
    rss: dict[str, float] = {}

    def measure(metric: str, action: Callable[[], Any]) -> Any:
        times[metric], value = _timed(action)
        rss[metric] = _peak_mb()
        return value

    measure("read_floor_s", lambda: _read_floor(paths))
    measure("raw_read_s", lambda: _raw_calamine(paths))
    measure("read_inbox_s", lambda: read_inbox(config))
    assessed = measure("ingest_validate_s", lambda: assess(config))
    validated = assessed.validated
    scored = measure("score_s", lambda: score(validated, config))
    if dump is not None:  # the first run only: a comparison, and slow; last, so the heap
        measure("openpyxl_read_s", lambda: _raw_openpyxl(paths))  # it leaves weighs on nothing
    errors = [p for p in validated.problems if p.severity == "error"]
    if dump is not None:
        from pipeline.advice import advise

        scored.advice = advise(validated, scored)  # as the report does before rendering
        scored.restatements = restatements(validated, {})
        with dump.open("wb") as handle:
            pickle.dump((scored, validated, config), handle, protocol=pickle.HIGHEST_PROTOCOL)
    return {
        "times": times,
        "rss_mb": rss,
        "workbooks": len(paths),
        "accepted": len(validated.submissions),
        "errors": len(errors),
        "first_error": str(errors[0]) if errors else "",
    }


def _load(dump: Path) -> tuple[Any, Any, Any]:
    import pickle

    with dump.open("rb") as handle:
        return pickle.load(handle)


def _work_render_single(dump: Path, out: Path) -> dict[str, Any]:
    """The final pack HTML laid out and written by WeasyPrint as one document."""
    import weasyprint

    from pipeline.render.pack import PDF_OPTIONS, render_html
    from pipeline.render.tags import fold_text_runs
    from pipeline.render.views import pack_context

    scored, validated, config = _load(dump)
    html = render_html(pack_context(scored, validated, config), for_pdf=True)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "single.pdf"
    seconds, _ = _timed(
        lambda: weasyprint.HTML(string=html).write_pdf(
            target, finisher=fold_text_runs, **PDF_OPTIONS
        )
    )
    return {
        "times": {"render_single_s": seconds},
        "rss_mb": {"render_single_s": _peak_mb()},
        "pages": _pdf_pages(target),
        "html_bytes": len(html.encode("utf-8")),
    }


def _work_render(dump: Path, out: Path) -> dict[str, Any]:
    """`write_pack` as a black box, with every render cache emptied first."""
    import weasyprint  # noqa: F401  imported before the clock starts, as for render_single

    from pipeline.render.pack import write_pack

    scored, validated, config = _load(dump)
    emptied = _empty_caches(out, config.reporting.output, scored.period)
    out.mkdir(parents=True, exist_ok=True)
    seconds, paths = _timed(lambda: write_pack(scored, validated, config, out))
    return {
        "times": {"render_s": seconds},
        "rss_mb": {"render_s": _peak_mb()},
        "pages": getattr(paths, "pages", None),
        "caches_emptied": emptied,
    }


def _work_command(argv: list[str]) -> dict[str, Any]:
    """A command as a child of this process: its wall time, exit code and peak RSS."""
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)
    seconds = time.perf_counter() - start
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return {"seconds": seconds, "rss_mb": _peak_mb(), "rc": done.returncode, "tail": tail}


def _pdf_pages(path: Path) -> int | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return len(PdfReader(path).pages)


def cache_folder_names() -> list[str]:
    """The render cache's folder name(s): every `*CACHE*` folder-name constant of a
    pipeline.render module (today `pipeline.render.assemble.CACHE_FOLDER`, the parts cache
    in the period's output folder), and `.cache`."""
    import pkgutil

    import pipeline.render

    names = {DEFAULT_CACHE}
    for module in pkgutil.iter_modules(pipeline.render.__path__):
        try:
            loaded = import_module(f"pipeline.render.{module.name}")
        except Exception:  # a module mid-edit must not stop the benchmark
            continue
        for attr, value in vars(loaded).items():
            if attr.isupper() and "CACHE" in attr and isinstance(value, str | Path):
                parts = Path(str(value)).parts
                if len(parts) == 1 and parts[0] not in ("/", ".", ".."):  # a plain folder name
                    names.add(parts[0])
    return sorted(names)


def _empty_caches(out: Path, output: Path, period: str) -> list[str]:
    emptied = []
    for name in cache_folder_names():
        for folder in (out / name, output / name, output / period / name):
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
                emptied.append(str(folder))
    return emptied


def _worker(args: argparse.Namespace) -> None:
    if args.memory_limit_mb:
        # A soft address-space limit, inherited by children: a run that would take the
        # shared machine's memory fails with MemoryError (recorded) instead. The hard limit
        # stays, so the reader's sandbox can still set its own.
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = args.memory_limit_mb * 1024 * 1024
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    kind = args.worker
    if kind == "stages":
        result = _work_stages(Path(args.config), Path(args.dump) if args.dump else None)
    elif kind == "render-single":
        result = _work_render_single(Path(args.dump), Path(args.out))
    elif kind == "render":
        result = _work_render(Path(args.dump), Path(args.out))
    elif kind == "command":
        result = _work_command(args.argv)
    else:
        raise SystemExit(f"unknown worker {kind!r}")
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")


memory_limit_mb = 0  # set by main: the workers' address-space limit (0: none)


def _available_mb() -> int:
    """MemAvailable from /proc/meminfo in MB (0 when it cannot be told)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _spawn(kind: str, *options: str) -> tuple[dict[str, Any] | None, str]:
    """Run a worker in a fresh interpreter; its result, or None and why it failed."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        result = Path(tmp) / "result.json"
        argv = [sys.executable, "-m", "pipeline.bench", "--worker", kind, "--result", str(result)]
        if memory_limit_mb:
            argv += ["--memory-limit-mb", str(memory_limit_mb)]
        try:
            done = subprocess.run(
                [*argv, *options],
                capture_output=True,
                text=True,
                timeout=SUBPROCESS_TIMEOUT,
                cwd=REPO,
            )
        except subprocess.TimeoutExpired:
            return None, f"timed out after {SUBPROCESS_TIMEOUT} s"
        if done.returncode != 0 or not result.is_file():
            lines = (done.stderr or done.stdout).strip().splitlines()
            return None, (lines[-1] if lines else f"exit code {done.returncode}")[:300]
        return json.loads(result.read_text(encoding="utf-8")), ""


# --- the benchmark ---------------------------------------------------------------------------


class Sample:
    """The runs of one metric at one size: seconds and peak RSS, or why a run failed."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.rss_mb: list[float] = []
        self.errors: list[str] = []

    def add(self, seconds: float | None, rss_mb: float | None, error: str = "") -> str:
        """Record one run; what to print about it."""
        if error or seconds is None:
            self.errors.append(error or "no time")
            return f"ERROR {self.errors[-1]}"
        self.seconds.append(seconds)
        if rss_mb is None:
            return f"{seconds:.3f} s"
        self.rss_mb.append(rss_mb)
        return f"{seconds:.3f} s, {rss_mb:.0f} MB"

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    def as_json(self) -> dict[str, Any]:
        s = self.seconds
        return {
            "runs": [round(x, 4) for x in s],
            "median": round(statistics.median(s), 4) if s else None,
            "min": round(min(s), 4) if s else None,
            "max": round(max(s), 4) if s else None,
            "peak_rss_mb": round(max(self.rss_mb), 1) if self.rss_mb else None,
            "rss_mb_runs": [round(x, 1) for x in self.rss_mb],
            "errors": self.errors,
        }


def _log(text: str) -> None:
    print(text, flush=True)


def bench_size(size: int, repeat: int, skip_slow: bool) -> dict[str, Any]:
    """Every metric of one organisation size."""
    from pipeline import bench_org
    from pipeline.config import load_config

    generate_s, (org, generated) = _timed(lambda: bench_org.ensure_org(size, BENCH_ROOT))
    config = load_config(org.config_path)
    shape = bench_org.describe(bench_org.bench_content(config, org.period))
    _log(
        f"[{size}] organisation in {org.folder.relative_to(REPO)}: "
        + ("generated" if generated else "cached")
        + f" ({generate_s:.1f} s), {shape['units']} units, {shape['kpis']} KPIs, "
        f"{shape['okrs']} key results, {shape['checkins']} check-ins"
    )
    samples: dict[str, Sample] = {m: Sample() for m in (*STAGE_METRICS, *INFO_METRICS)}
    work = org.folder / "bench-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    dump = work / "scored.pickle"
    validation: dict[str, Any] = {}
    pages: list[int] = []

    def note(metric: str, run: int, said: str) -> None:
        _log(f"[{size}] {metric} run {run + 1}/{repeat}: {said}")

    for run in range(repeat):
        options = ["--config", str(org.config_path)]
        if run == 0:
            options += ["--dump", str(dump)]
        result, error = _spawn("stages", *options)
        for metric in (*STAGE_METRICS, *INFO_METRICS):
            sample = samples[metric]
            if result is None:
                sample.add(None, None, error)
            elif metric in result["times"]:
                sample.add(result["times"][metric], result["rss_mb"][metric])
        if result is not None:
            validation = {k: result[k] for k in ("workbooks", "accepted", "errors", "first_error")}
        _log(
            f"[{size}] stages run {run + 1}/{repeat}: "
            + (
                ", ".join(f"{m} {result['times'][m]:.3f}" for m in STAGE_METRICS)
                + f"; {validation['accepted']}/{validation['workbooks']} accepted, "
                f"{validation['errors']} errors"
                if result is not None
                else f"ERROR {error}"
            )
        )
    if validation.get("errors"):
        _log(f"[{size}] WARNING: the organisation has errors: {validation['first_error']}")

    if not skip_slow:
        have_dump = dump.is_file()
        for metric, kind in (("render_single_s", "render-single"), ("render_s", "render")):
            sample = samples[metric] = Sample()
            for run in range(repeat):
                out = work / kind
                shutil.rmtree(out, ignore_errors=True)
                if have_dump:
                    result, error = _spawn(kind, "--dump", str(dump), "--out", str(out))
                else:
                    result, error = None, "no scored organisation (the stages run failed)"
                if result is None:
                    said = sample.add(None, None, error)
                else:
                    said = sample.add(result["times"][metric], result["rss_mb"][metric])
                    if result.get("pages"):
                        said += f", {result['pages']} pages"
                        if kind == "render":
                            pages.append(int(result["pages"]))
                note(metric, run, said)
        _commands(org, size, repeat, samples, note)

    return {
        "size": size,
        "folder": str(org.folder.relative_to(REPO)),
        "generated": generated,
        "generate_s": round(generate_s, 2),
        "period": org.period,
        "shape": shape,
        "validation": validation,
        "pack_pages": max(pages) if pages else None,
        "cache_folders": cache_folder_names(),
        "metrics": {m: s.as_json() for m, s in samples.items()},
    }


def _commands(
    org: Any, size: int, repeat: int, samples: dict[str, Sample], note: Callable[..., None]
) -> None:
    """cold_s and incremental_s: `scorecard report` from nothing, then after one change."""
    from pipeline import bench_org
    from pipeline.config import load_config

    config = load_config(org.config_path)
    changed = config.departments[-1].id  # a leaf department
    command = [str(_scorecard()), "report", "--config", str(org.config_path)]
    cold = samples["cold_s"] = Sample()
    incremental = samples["incremental_s"] = Sample()
    try:
        for run in range(repeat):
            bench_org.rewrite_kpi_actual(org, changed, 0)  # the original workbook
            for folder in (config.reporting.output, config.reporting.archive):
                shutil.rmtree(folder, ignore_errors=True)
            note("cold_s", run, _command_run(cold, command))
            bench_org.rewrite_kpi_actual(org, changed, run + 1)
            note("incremental_s", run, _command_run(incremental, command))
    finally:
        bench_org.rewrite_kpi_actual(org, changed, 0)


def _command_run(sample: Sample, command: list[str]) -> str:
    result, error = _spawn("command", "--", *command)
    if result is None:
        return sample.add(None, None, error)
    if result["rc"] != 0:
        tail = " | ".join(result["tail"])[-300:]
        return sample.add(None, None, f"exit code {result['rc']}: {tail}")
    return sample.add(result["seconds"], result["rss_mb"])


def _scorecard() -> Path:
    return Path(sys.executable).with_name("scorecard")


def cli_start(repeat: int) -> Sample:
    sample = Sample()
    for _ in range(repeat):
        result, error = _spawn("command", "--", str(_scorecard()), "--help")
        if result is None or result["rc"] != 0:
            sample.add(None, None, error or f"exit code {result and result['rc']}")
        else:
            sample.add(result["seconds"], result["rss_mb"])
    return sample


# --- ratios and targets ----------------------------------------------------------------------


def _median(sizes: dict[int, dict[str, Any]], size: int, metric: str) -> float | None:
    return sizes[size]["metrics"].get(metric, {}).get("median")


def _peak(
    sizes: dict[int, dict[str, Any]], size: int, only: Sequence[str] | None = None
) -> float | None:
    """The largest peak RSS of a size's processes (of the metrics `only`, when given)."""
    metrics = sizes[size]["metrics"]
    values = [
        m["peak_rss_mb"]
        for name, m in metrics.items()
        if m["peak_rss_mb"] and (only is None or name in only)
    ]
    return max(values) if values else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def checks(sizes: dict[int, dict[str, Any]], cli: Sample) -> list[dict[str, Any]]:
    """Every target: its value at each size, the limit, the size it is judged at, verdict."""
    measured = sorted(sizes)
    out: list[dict[str, Any]] = []

    def add(
        name: str,
        values: dict[int | str, float | None],
        limit: float,
        at: Any,
        digits: int = 3,
    ) -> None:
        if at == "all":
            judged = [v for v in values.values() if v is not None]
            verdict = "n/a" if not judged else "PASS" if all(v <= limit for v in judged) else "MISS"
        else:
            value = values.get(at)
            verdict = "n/a" if value is None else "PASS" if value <= limit else "MISS"
        out.append(
            {
                "name": name,
                "values": {str(k): None if v is None else round(v, 4) for k, v in values.items()},
                "limit": limit,
                "at": at,
                "verdict": verdict,
                "digits": digits,
            }
        )

    def per_size(fn: Callable[[int], float | None]) -> dict[int | str, float | None]:
        return {s: fn(s) for s in measured}

    def ratio(a: str, b: str) -> dict[int | str, float | None]:
        return per_size(lambda s: _ratio(_median(sizes, s, a), _median(sizes, s, b)))

    add("ingest_validate_s / raw_read_s", ratio("ingest_validate_s", "raw_read_s"), 3.0, 200)
    add("render_s / render_single_s", ratio("render_s", "render_single_s"), 0.35, 200)
    add("incremental_s / cold_s", ratio("incremental_s", "cold_s"), 0.2, "all")
    peaks = per_size(lambda s: _peak(sizes, s, PIPELINE))
    add("peak_rss_mb (pipeline)", peaks, 1024.0, "all", digits=0)
    if len(measured) > 1:
        small, large = measured[0], measured[-1]
        for metric in LINEAR:

            def growth(s: int, metric: str = metric) -> float | None:
                a, b = _median(sizes, small, metric), _median(sizes, s, metric)
                return _ratio(None if b is None else b / s, None if a is None else a / small)

            at = large if large == 200 and small == 10 else f"{large} vs {small}"
            values = {s: growth(s) for s in measured if s != small}
            add(f"{metric} per unit, vs {small} units", values, 1.5, large)
            out[-1]["at"] = at
    add("cold_s (demo size)", per_size(lambda s: _median(sizes, s, "cold_s")), 4.0, 10)
    add("cold_s (200 units)", per_size(lambda s: _median(sizes, s, "cold_s")), 35.0, 200)
    add("cli_start_s", {"-": cli.median}, 0.3, "-")
    return out


# --- output ----------------------------------------------------------------------------------


def _cell(metric: dict[str, Any] | None, digits: int = 3) -> str:
    if not metric or metric.get("median") is None:
        if metric and metric.get("errors"):
            return "error"
        return "-"
    med, lo, hi = metric["median"], metric["min"], metric["max"]
    if lo == hi:
        return f"{med:.{digits}f}"
    return f"{med:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def table(report: dict[str, Any]) -> str:
    """The terminal summary: sizes as columns, metrics as rows; then the targets."""
    sizes = {int(k): v for k, v in report["sizes"].items()}
    columns = sorted(sizes)
    width = 26
    lines = [f"{'metric':22}" + "".join(f"{f'{s} units':>{width}}" for s in columns)]

    def row(label: str, cells: Sequence[str]) -> None:
        lines.append(f"{label:22}" + "".join(f"{c:>{width}}" for c in cells))

    def shown(metric: str) -> list[dict[str, Any] | None] | None:
        """The metric's data per column; None when no size has it."""
        if metric == "cli_start_s":  # size-independent: in the first column
            return [report["cli_start_s"]] + [None] * (len(columns) - 1)
        if not any(metric in sizes[s]["metrics"] for s in columns):
            return None
        return [sizes[s]["metrics"].get(metric) for s in columns]

    for metric in ROWS:
        data = shown(metric)
        if data is not None:
            row(metric, [_cell(d) if d or metric != "cli_start_s" else "" for d in data])
    row("peak_rss_mb (all)", [_fmt(_peak(sizes, s), 0) for s in columns])
    row("peak_rss_mb (pipeline)", [_fmt(_peak(sizes, s, PIPELINE), 0) for s in columns])
    for metric in ROWS:
        data = shown(metric)
        if data is not None:
            row(f"  rss {metric}", [_fmt(d.get("peak_rss_mb") if d else None, 0) for d in data])
    row("pack pages", [_fmt(sizes[s].get("pack_pages"), 0) for s in columns])
    per_unit = [_ratio(sizes[s].get("pack_pages"), sizes[s]["shape"]["units"]) for s in columns]
    row("pack pages / unit", [_fmt(p, 2) for p in per_unit])
    lines += ["", f"{'target':36}{'value':>34}  {'limit':>10}  {'judged at':>12}  verdict"]
    for check in report["checks"]:
        digits = check.get("digits", 3)
        values = ", ".join(
            f"{k}: {_fmt(v, digits)}" if k != "-" else _fmt(v, digits)
            for k, v in check["values"].items()
        )
        limit = "<= " + _fmt(check["limit"], 2 if check["limit"] < 100 else 0)
        lines.append(
            f"{check['name']:36}{values:>34}  {limit:>10}  {str(check['at']):>12}  "
            + check["verdict"]
        )
    errors = [
        f"{size} units, {metric}: {error}"
        for size in columns
        for metric, data in sizes[size]["metrics"].items()
        for error in dict.fromkeys(data["errors"])
    ]
    errors += [f"cli_start_s: {e}" for e in dict.fromkeys(report["cli_start_s"]["errors"])]
    if errors:
        lines += ["", "errors:"] + [f"  {e}" for e in errors]
    return "\n".join(lines)


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def machine() -> dict[str, Any]:
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu_count": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "libraries": versions,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="organisation sizes in units, comma-separated (default 10,50,200)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each metric (default 3)")
    parser.add_argument(
        "--skip-slow",
        action="store_true",
        help="leave out what lays out PDFs: render_single_s, render_s, cold_s, incremental_s",
    )
    parser.add_argument("--output", default=str(RESULT), help="where to write the JSON")
    parser.add_argument(
        "--memory-limit-mb",
        type=int,
        default=None,
        help="address-space limit of each measured process tree "
        f"(default {MEMORY_SHARE:.0%}% of the memory available at the start; 0: none)",
    )
    # A worker run (one measurement in a fresh process): internal.
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("argv", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args)
        return
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error(f"--sizes takes whole numbers separated by commas, got {args.sizes!r}")
    if not sizes or min(sizes) < 1 or args.repeat < 1:
        parser.error("--sizes must name at least one size >= 1 and --repeat must be >= 1")

    global memory_limit_mb
    if args.memory_limit_mb is None:
        memory_limit_mb = int(_available_mb() * MEMORY_SHARE)
    else:
        memory_limit_mb = max(0, args.memory_limit_mb)
    started = time.perf_counter()
    cli = cli_start(args.repeat)
    _log(f"cli_start_s: {_fmt(cli.median, 3)} s (median of {len(cli.seconds)})")
    results = {size: bench_size(size, args.repeat, args.skip_slow) for size in sizes}
    report = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "arguments": {
            "sizes": sizes,
            "repeat": args.repeat,
            "skip_slow": args.skip_slow,
            "memory_limit_mb": memory_limit_mb or None,
        },
        "machine": machine(),
        "cli_start_s": cli.as_json(),
        "sizes": {str(s): r for s, r in results.items()},
        "checks": checks(results, cli),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    _log("")
    _log(table(report))
    _log(f"\nwritten to {output} ({report['wall_s']:.0f} s)")


if __name__ == "__main__":
    main()
