"""A mutation fuzzer for the reader: damaged copies of valid workbooks, each read in a worker.

    python -m pipeline.fuzz --config examples/demo/scorecard.toml -n 1000 --seed 1 --keep DIR

Takes the valid workbooks in the configuration's inbox (the demo's, with the demo config)
and makes N mutants, deterministically from the seed (mutant i depends only on the seed and
i, so any finding can be rebuilt alone): bytes flipped inside a zip member's compressed
data, or inside its inflated data and re-zipped with a good CRC; truncations; members
deleted, swapped or duplicated; XML damage (a lost `<` or end tag, a renamed tag, a bad
attribute or cell value, an entity declaration, a foreign namespace); zip header fields
overwritten. Most mutants stack one to three of these.

Each mutant is read by `pipeline.read.read_workbook` and, when readable, checked alone by
`pipeline.validate.validate` in a worker process (a pool of two, recreated when a mutant
kills a worker or overruns the per-file timeout), with an address-space limit so a memory
bomb fails the worker rather than the machine. The verdicts:

- accepted / rejected (by error code) / unreadable (by problem code): the reader coped;
- crash: an exception escaped the reader or validation (counted by exception type);
- hang: no verdict within the timeout;
- killed: the worker died (a native abort, e.g. exit 134 = SIGABRT, or the memory limit).

The exit code is 1 when there is any crash, hang or killed worker, else 0. `--keep DIR`
saves every such mutant as `DIR/<index>-<verdict>.xlsx` with a `.txt` saying how it was
made and what happened.

Only the standard library is used (multiprocessing, concurrent.futures, zipfile, random):
no fuzzing framework is needed for byte-level mutation of a dozen small files, and a
coverage-guided fuzzer (atheris) cannot see inside python-calamine's Rust code anyway.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import re
import signal
import struct
import sys
import tempfile
import time
import traceback
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 30.0  # seconds per mutant; a demo workbook takes well under one
MEMORY_HEADROOM = 2 * 1024**3  # address space a worker may add to what it starts with
WORKERS = 2
_STAMP = (2026, 10, 31, 12, 0, 0)


# ------------------------------------------------------------------------------------------------
# Mutations: (rng, data) -> (data, label), or None when the mutation does not apply
# ------------------------------------------------------------------------------------------------

Mutation = Callable[[random.Random, bytes], tuple[bytes, str] | None]

NASTY_VALUES = [
    "",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "-0",
    "99999999999999999999999",
    "-1",
    "abc",
    "#DIV/0!",
    "2026-10-31T00:00:00",
    "\u0662\u0660\u0662\u0666-\u0661\u0660",
    "\uff12\uff10\uff12\uff16-\uff11\uff10",
    "=1/0",
    "\u200bX\ufeff",
    "A" * 40_000,
]
NASTY_ATTRIBUTES = [
    "",
    "0",
    "-1",
    "A0",
    "XFD1048576",
    "ZZZZZ99999999",
    "99999999999999999999",
    "e",
    "s",
    "b",
    "d",
    "str",
    "inlineStr",
    "n",
    "hidden",
    "veryHidden",
    "rId999",
    "/xl/worksheets/sheet999.xml",
    "../../../../etc/passwd",
    "true",
    "1",
]
NASTY_NUMBERS = [0, 1, 8, 12, 14, 20, 45, 63, 64, 99, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]
TAGS = [
    "c",
    "row",
    "v",
    "f",
    "is",
    "t",
    "si",
    "sheet",
    "sheets",
    "sheetData",
    "x:c",
    "Relationship",
]


def _parts(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are wanted here
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, body in members:
                info = zipfile.ZipInfo(name, date_time=_STAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, body)
    return buffer.getvalue()


def _members_or_none(data: bytes) -> list[tuple[str, bytes]] | None:
    try:
        return _parts(data)
    except Exception:  # already too damaged for a structured mutation
        return None


def _central(data: bytes) -> list[tuple[str, int]]:
    """(name, offset) of each central-directory record; [] when the zip is not intact."""
    end = data.rfind(b"PK\x05\x06")
    if end < 0 or end + 22 > len(data):
        return []
    count, _, offset = struct.unpack_from("<HII", data, end + 10)
    out, pos = [], offset
    for _ in range(count):
        if data[pos : pos + 4] != b"PK\x01\x02":
            return out
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        out.append((data[pos + 46 : pos + 46 + name_len].decode("utf-8", "replace"), pos))
        pos += 46 + name_len + extra_len + comment_len
    return out


def flip_inflated(rng: random.Random, data: bytes) -> tuple[bytes, str] | None:
    """Change 1-8 bytes of one member's inflated data and re-zip it (the CRC is good)."""
    members = _members_or_none(data)
    if not members:
        return None
    i = rng.randrange(len(members))
    name, body = members[i]
    if not body:
        return None
    body = bytearray(body)
    for _ in range(rng.randint(1, 8)):
        body[rng.randrange(len(body))] = rng.randrange(256)
    members[i] = (name, bytes(body))
    return _zip(members), f"flip-inflated({name})"


def delete_member(rng: random.Random, data: bytes) -> tuple[bytes, str] | None:
    members = _members_or_none(data)
    if not members:
        return None
    name, _ = members.pop(rng.randrange(len(members)))
    return _zip(members), f"delete({name})"


def swap_members(rng: random.Random, data: bytes) -> tuple[bytes, str] | None:
    """Two members trade contents (names stay)."""
    members = _members_or_none(data)
    if not members or len(members) < 2:
        return None
    i, j = rng.sample(range(len(members)), 2)
    (a, body_a), (b, body_b) = members[i], members[j]
    members[i], members[j] = (a, body_b), (b, body_a)
    return _zip(members), f"swap({a},{b})"


def duplicate_member(rng: random.Random, data: bytes) -> tuple[bytes, str] | None:
    """A second member of the same name, its content damaged or not."""
    members = _members_or_none(data)
    if not members:
        return None
    name, body = rng.choice(members)
    if body and rng.random() < 0.5:
        cut = rng.randrange(len(body))
        body = body[:cut] + body[cut + 1 :]
    members.insert(rng.randrange(len(members) + 1), (name, body))
    return _zip(members), f"duplicate({name})"


def _xml_member(rng: random.Random, members: list[tuple[str, bytes]]) -> int | None:
    xml = [i for i, (n, _) in enumerate(members) if n.endswith((".xml", ".rels"))]
    if not xml:
        return None
    # Parts the reader actually parses come up more often.
    weighted = [i for i in xml for _ in range(4 if _is_key_part(members[i][0]) else 1)]
    return rng.choice(weighted)


def _is_key_part(name: str) -> bool:
    return name.startswith("xl/worksheets/") or name in (
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "[Content_Types].xml",
        "xl/sharedStrings.xml",
    )


def _random_match(rng: random.Random, pattern: bytes, xml: bytes) -> re.Match[bytes] | None:
    matches = list(re.finditer(pattern, xml, re.S))
    return rng.choice(matches) if matches else None


def _xml_edit(rng: random.Random, xml: bytes) -> tuple[bytes, str] | None:
    kind = rng.choice(
        [
            "drop-bracket",
            "drop-end-tag",
            "duplicate-element",
            "rename-tag",
            "attribute",
            "attribute",
            "cell-value",
            "cell-value",
            "text",
            "doctype",
            "namespace",
            "truncate",
        ]
    )
    if kind == "drop-bracket":
        m = _random_match(rng, rb"[<>]", xml)
        return (xml[: m.start()] + xml[m.end() :], kind) if m else None
    if kind == "drop-end-tag":
        m = _random_match(rng, rb"</[\w:]+>", xml)
        return (xml[: m.start()] + xml[m.end() :], kind) if m else None
    if kind == "duplicate-element":
        m = _random_match(
            rng, rb"<(c|row|si|sheet|Relationship|Override)\b[^>]*?(?:/>|>.*?</\1>)", xml
        )
        return (xml[: m.end()] + m.group(0) + xml[m.end() :], kind) if m else None
    if kind == "rename-tag":
        m = _random_match(rng, rb"</?([\w:]+)", xml)
        if not m:
            return None
        tag = rng.choice(TAGS).encode()
        return xml[: m.start(1)] + tag + xml[m.end(1) :], f"{kind}:{tag.decode()}"
    if kind == "attribute":
        m = _random_match(rng, rb'\b[\w:]+="([^"]*)"', xml)
        if not m:
            return None
        value = rng.choice(NASTY_ATTRIBUTES)
        return xml[: m.start(1)] + value.encode() + xml[m.end(1) :], f"{kind}:{value[:20]!r}"
    if kind == "cell-value":
        m = _random_match(rng, rb"<v>([^<]*)</v>", xml)
        if not m:
            return None
        value = rng.choice(NASTY_VALUES)
        encoded = value.encode("utf-8")
        return xml[: m.start(1)] + encoded + xml[m.end(1) :], f"{kind}:{value[:20]!r}"
    if kind == "text":
        m = _random_match(rng, rb"<t(?:\s[^>]*)?>([^<]*)</t>", xml)
        if not m:
            return None
        value = rng.choice(NASTY_VALUES + ["&#1;", "_x0001_", "&lol;", "]]>"])
        encoded = value.encode("utf-8")
        return xml[: m.start(1)] + encoded + xml[m.end(1) :], f"{kind}:{value[:20]!r}"
    if kind == "doctype":
        doctype = b'<!DOCTYPE x [<!ENTITY lol "lol"><!ENTITY x SYSTEM "file:///etc/passwd">]>'
        if rng.random() < 0.5:  # after a long comment, past any scan of the first few KB
            doctype = b"<!--" + b"pad " * 2000 + b"-->" + doctype
        at = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
        return xml[:at] + doctype + xml[at:], kind
    if kind == "namespace":
        new = rng.choice([b"http://purl.oclc.org/ooxml/spreadsheetml/main", b"urn:x", b""])
        m = _random_match(rng, rb'xmlns(?::\w+)?="([^"]*)"', xml)
        return (xml[: m.start(1)] + new + xml[m.end(1) :], kind) if m else None
    if not xml:
        return None
    return xml[: rng.randrange(len(xml))], kind  # truncate


def damage_xml(rng: random.Random, data: bytes) -> tuple[bytes, str] | None:
    members = _members_or_none(data)
    if not members:
        return None
    i = _xml_member(rng, members)
    if i is None:
        return None
    name, xml = members[i]
    edited = _xml_edit(rng, xml)
    if edited is None:
        return None
    members[i] = (name, edited[0])
    return _zip(members), f"xml-{edited[1]}({name})"


def flip_compressed(rng: random.Random, data: bytes) -> tuple[bytes, str] | None:
    """Change 1-8 bytes inside one member's compressed data, leaving its CRC as it was."""
    central = _central(data)
    if not central:
        return None
    name, at = rng.choice(central)
    (size,) = struct.unpack_from("<I", data, at + 20)
    (local,) = struct.unpack_from("<I", data, at + 42)
    if local + 30 > len(data) or size == 0:
        return None
    name_len, extra_len = struct.unpack_from("<HH", data, local + 26)
    start = local + 30 + name_len + extra_len
    end = min(start + size, len(data))
    if end <= start:
        return None
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(start, end)] = rng.randrange(256)
    return bytes(out), f"flip-compressed({name})"


def truncate(rng: random.Random, data: bytes) -> tuple[bytes, str] | None:
    if len(data) < 2:
        return None
    cut = rng.randrange(1, len(data))
    return data[:cut], f"truncate({cut}/{len(data)})"


def header_field(rng: random.Random, data: bytes) -> tuple[bytes, str] | None:
    """Overwrite one field of a member's local header or central-directory record."""
    central = _central(data)
    if not central:
        return None
    name, at = rng.choice(central)
    (local,) = struct.unpack_from("<I", data, at + 42)
    fields = {
        "central.version-needed": (at + 6, "<H"),
        "central.flags": (at + 8, "<H"),
        "central.method": (at + 10, "<H"),
        "central.compressed-size": (at + 20, "<I"),
        "central.size": (at + 24, "<I"),
        "central.name-length": (at + 28, "<H"),
        "central.extra-length": (at + 30, "<H"),
        "central.local-offset": (at + 42, "<I"),
    }
    if local + 30 <= len(data):
        fields |= {
            "local.version-needed": (local + 4, "<H"),
            "local.flags": (local + 6, "<H"),
            "local.method": (local + 8, "<H"),
            "local.compressed-size": (local + 18, "<I"),
            "local.size": (local + 22, "<I"),
            "local.name-length": (local + 26, "<H"),
            "local.extra-length": (local + 28, "<H"),
        }
    label = rng.choice(sorted(fields))
    offset, fmt = fields[label]
    value = rng.choice(NASTY_NUMBERS)
    value &= 0xFFFF if fmt == "<H" else 0xFFFFFFFF
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out), f"header-{label}={value}({name})"


def junk_around(rng: random.Random, data: bytes) -> tuple[bytes, str] | None:
    junk = rng.randbytes(rng.choice([1, 7, 512, 4096]))
    if rng.random() < 0.5:
        return junk + data, f"prepend({len(junk)})"
    return data + junk, f"append({len(junk)})"


# Structured mutations need an intact zip, so they run before the raw ones in a stack.
STRUCTURED: list[Mutation] = [
    flip_inflated,
    delete_member,
    swap_members,
    duplicate_member,
    damage_xml,
    damage_xml,
    damage_xml,
    damage_xml,
]
RAW: list[Mutation] = [flip_compressed, flip_compressed, truncate, header_field, junk_around]


def mutant(sources: list[tuple[str, bytes]], seed: int, index: int) -> tuple[str, bytes, str]:
    """Mutant `index` of the run with `seed`: (file name, bytes, how it was made)."""
    rng = random.Random(f"{seed}:{index}")
    name, data = rng.choice(sources)
    count = rng.choice([1, 1, 1, 2, 2, 3])
    chosen = sorted((rng.choice(STRUCTURED + RAW) for _ in range(count)), key=lambda m: m in RAW)
    labels = []
    for mutation in chosen:
        for _ in range(5):  # a mutation that does not apply is drawn again
            done = mutation(rng, data)
            if done is not None:
                data, label = done
                labels.append(label)
                break
            mutation = rng.choice(RAW)
    return name, data, f"{name}: " + " + ".join(labels or ["unchanged"])


# ------------------------------------------------------------------------------------------------
# The worker: read and validate one mutant
# ------------------------------------------------------------------------------------------------

Verdict = tuple[str, tuple[str, ...], str]  # kind, codes, detail

_WORKER: dict[str, Any] = {}


def _init_worker(config_path: str, period: str, known: dict[str, frozenset[str]]) -> None:
    """In each worker: load the config once, cap the address space, make a scratch folder."""
    import resource

    from pipeline.config import load_config

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _WORKER["config"] = load_config(Path(config_path))
    _WORKER["period"] = period
    _WORKER["known"] = known
    _WORKER["dir"] = Path(tempfile.mkdtemp(prefix="scorecard-fuzz-"))
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
        cap = pages * os.sysconf("SC_PAGE_SIZE") + MEMORY_HEADROOM
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (OSError, ValueError, IndexError):
        pass  # no /proc: run without a memory cap


def examine(name: str, data: bytes) -> Verdict:
    """Read and validate one file; every escaping exception is reported as a crash."""
    from pipeline.read import UnreadableWorkbook, read_workbook
    from pipeline.validate import validate

    path = _WORKER["dir"] / name
    path.write_bytes(data)
    try:
        try:
            raw = read_workbook(path)
        except UnreadableWorkbook as exc:
            reason = exc.fields.get("reason", "")
            return "unreadable", (exc.code,), reason
        # Checked as if beside the other, untouched workbooks: their IDs may be referenced.
        known = _WORKER["known"].get(name, frozenset())
        validated = validate([raw], _WORKER["config"], _WORKER["period"], known_ids=known)
    except BaseException as exc:  # the finding: anything but UnreadableWorkbook escaping
        return "crash", (type(exc).__name__,), _where(exc)
    finally:
        path.unlink(missing_ok=True)
    row = validated.files[validated.files["file"] == name]
    status = str(row["status"].iloc[0]) if len(row) else "absent"
    codes = sorted({p.code for p in validated.problems if p.file == name and p.severity == "error"})
    if status == "accepted":
        return "accepted", (), ""
    if status == "other period":
        return "other period", (), ""
    return "rejected", tuple(codes) or ("(no error code)",), ""


def _where(exc: BaseException) -> str:
    """The message and the innermost frame in scorecard's code (or the last frame at all)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/pipeline/" in f.filename] or frames
    place = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else ""
    message = " ".join(str(exc).split())[:160]
    return f"{type(exc).__name__}: {message}{place}"


def _solo_child(conn: Any, initargs: tuple[Any, ...], name: str, data: bytes) -> None:
    _init_worker(*initargs)
    conn.send(examine(name, data))
    conn.close()


def solo(
    context: Any, initargs: tuple[Any, ...], name: str, data: bytes, timeout: float
) -> Verdict:
    """One mutant in a process of its own: the verdict, or how the process ended."""
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_solo_child, args=(send, initargs, name, data))
    child.start()
    send.close()
    try:
        if receive.poll(timeout):
            try:
                return receive.recv()
            except EOFError:
                child.join(10)
                return "killed", (_exit_text(child.exitcode),), ""
        return "hang", (), f"no verdict within {timeout:g} s"
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(10)


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "signal"
        return f"exit {128 - code} ({name})"
    return f"exit {code}"


# ------------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------------


@dataclass
class Finding:
    index: int
    verdict: Verdict
    how: str
    kept: Path | None = None


@dataclass
class Report:
    rebuild: str = ""  # the command that rebuilds one mutant, with {index} to fill in
    sources: int = 0  # untouched workbooks mutated
    baseline: int = 0  # of those, how many pass unmutated
    mutants: int = 0
    seconds: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)
    codes: dict[str, Counter[str]] = field(default_factory=dict)  # kind -> code -> count
    reasons: Counter[str] = field(default_factory=Counter)  # unreadable-file reasons
    findings: list[Finding] = field(default_factory=list)  # crashes, hangs, killed

    @property
    def bad(self) -> int:
        return sum(self.kinds[k] for k in ("crash", "hang", "killed"))

    def add(self, index: int, verdict: Verdict, how: str, keep: Path | None, data: bytes) -> None:
        kind, codes, detail = verdict
        self.mutants += 1
        self.kinds[kind] += 1
        counter = self.codes.setdefault(kind, Counter())
        counter.update(codes)
        if kind == "unreadable" and detail:
            self.reasons[re.sub(r"\d+", "N", detail)[:90]] += 1
        if kind in ("crash", "hang", "killed"):
            again = self.rebuild.format(index=index)
            kept = (
                _keep(keep, index, kind, data, f"{how}\nrebuild: {again}", verdict)
                if keep
                else None
            )
            self.findings.append(Finding(index, verdict, how, kept))


def _keep(folder: Path, index: int, kind: str, data: bytes, how: str, verdict: Verdict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{index:05d}-{kind}.xlsx"
    path.write_bytes(data)
    _, codes, detail = verdict
    note = f"mutant {index}: {how}\nverdict: {kind} {' '.join(codes)}\n{detail}\n"
    path.with_suffix(".txt").write_text(note, encoding="utf-8")
    return path


@dataclass
class Sources:
    """The untouched workbooks, their period, and what the others let each one refer to."""

    files: list[tuple[str, bytes]]
    period: str
    known: dict[str, frozenset[str]]  # file -> objective and KPI IDs of the other files
    accepted: int  # how many originals pass when checked that way (all, on the demo)


def sources_of(config_path: Path) -> Sources:
    """The inbox's workbooks, the period most of them report, and each one's known IDs."""
    from pipeline.config import load_config
    from pipeline.read import read_workbook
    from pipeline.validate import choose_period, validate

    config = load_config(config_path)
    paths = sorted(
        p for p in config.reporting.inbox.iterdir() if p.suffix.lower() in (".xlsx", ".xlsm")
    )
    if not paths:
        raise SystemExit(f"no workbooks to mutate in {config.reporting.inbox}")
    raws = [read_workbook(p) for p in paths]
    period = choose_period(raws, date.today()).period
    together = validate(raws, config, period)
    ids: dict[str, set[str]] = {}
    for frame, key in ((together.objectives, "objective_id"), (together.kpis, "kpi_id")):
        for dept, value in zip(frame["department_id"], frame[key], strict=True):
            ids.setdefault(str(dept), set()).add(str(value))
    dept_of = dict(
        zip(together.submissions["file"], together.submissions["department_id"], strict=True)
    )
    known = {
        p.name: frozenset(i for d, found in ids.items() if d != dept_of.get(p.name) for i in found)
        for p in paths
    }
    accepted = sum(
        (validate([raw], config, period, known_ids=known[raw.path.name]).files["status"]
         == "accepted").all()
        for raw in raws
    )  # fmt: skip
    return Sources([(p.name, p.read_bytes()) for p in paths], period, known, int(accepted))


def run(
    config_path: Path,
    n: int,
    seed: int,
    timeout: float = DEFAULT_TIMEOUT,
    keep: Path | None = None,
    workers: int = WORKERS,
    progress: Callable[[int], None] = lambda done: None,
    start: int = 0,
) -> Report:
    """Make and examine mutants `start` .. `start + n - 1`; return the counts and findings."""
    sources = sources_of(config_path)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipeline.read", "pipeline.validate", "pipeline.config"])
    initargs = (str(config_path), sources.period, sources.known)
    report = Report(
        rebuild=f"python -m pipeline.fuzz --config {config_path} --seed {seed}"
        " --start {index} -n 1",
        sources=len(sources.files),
        baseline=sources.accepted,
    )
    started = time.monotonic()

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, context, _init_worker, initargs)

    pool = new_pool()
    todo: Iterator[int] = iter(range(start, start + n))
    running: dict[Future[Verdict], tuple[int, str, bytes, str, float]] = {}
    try:
        while True:
            while len(running) < workers and (index := next(todo, None)) is not None:
                name, data, how = mutant(sources.files, seed, index)
                future = pool.submit(examine, name, data)
                running[future] = (index, name, data, how, time.monotonic())
            if not running:
                break
            done, _ = wait(running, timeout=0.25, return_when=FIRST_COMPLETED)
            suspects = []
            for future in done:
                index, name, data, how, _ = task = running.pop(future)
                try:
                    verdict = future.result()
                except BrokenProcessPool:
                    suspects.append(task)
                    continue
                except Exception as exc:  # e.g. a verdict that could not be sent back
                    verdict = ("crash", (type(exc).__name__,), _where(exc))
                report.add(index, verdict, how, keep, data)
                progress(report.mutants)
            now = time.monotonic()
            overdue = [f for f, task in running.items() if now - task[4] > timeout]
            if not suspects and not overdue:
                continue
            # A worker died or hangs: stop the pool; overdue tasks are hangs, and every other
            # task that was in flight is read again alone, so a death is pinned on its file.
            for future in overdue:
                index, name, data, how, _ = running.pop(future)
                verdict = ("hang", (), f"no verdict within {timeout:g} s")
                report.add(index, verdict, how, keep, data)
                progress(report.mutants)
            suspects += running.values()
            running.clear()
            _stop(pool)
            pool = new_pool()
            for index, name, data, how, _ in suspects:
                verdict = solo(context, initargs, name, data, timeout)
                report.add(index, verdict, how, keep, data)
                progress(report.mutants)
    finally:
        _stop(pool)
    report.seconds = time.monotonic() - started
    return report


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut a pool down now, killing its workers (a hung worker never finishes on its own)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------


def format_report(report: Report, seed: int) -> str:
    lines = [
        f"fuzz: {report.mutants} mutants of {report.sources} workbooks (seed {seed}) "
        f"in {report.seconds:.1f} s; unmutated, {report.baseline} of {report.sources} pass"
    ]
    for kind in ("accepted", "other period", "rejected", "unreadable", "crash", "hang", "killed"):
        count = report.kinds.get(kind, 0)
        by_code = report.codes.get(kind, Counter())
        detail = ", ".join(f"{code} {n}" for code, n in by_code.most_common())
        lines.append(f"  {kind:<13}{count:>6}   {detail}".rstrip())
    if report.codes.get("rejected"):
        lines.append("  (a rejected mutant counts once under each of its error codes)")
    if report.reasons:
        lines.append("unreadable reasons (most common first):")
        for reason, count in report.reasons.most_common(12):
            lines.append(f"  {count:>5}  {reason}")
    if report.findings:
        lines.append("crashes, hangs and killed workers:")
        for finding in report.findings:
            kind, codes, detail = finding.verdict
            kept = f"\n         kept: {finding.kept}" if finding.kept else ""
            lines.append(
                f"  #{finding.index:05d} {kind}: {detail or ' '.join(codes)}\n"
                f"         made by {finding.how}{kept}"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.fuzz", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--config",
        required=True,
        type=Path,
        help="scorecard.toml; its inbox's workbooks are mutated",
    )
    parser.add_argument("-n", type=int, default=200, help="number of mutants (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--start", type=int, default=0, help="first mutant index (rebuild one: --start 273 -n 1)"
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per mutant")
    parser.add_argument("--keep", type=Path, help="folder to save crashing or hanging mutants in")
    args = parser.parse_args(argv)

    def progress(done: int) -> None:
        if sys.stderr.isatty() and (done % 50 == 0 or done == args.n):
            sys.stderr.write(f"\r{done}/{args.n} mutants")
            sys.stderr.flush()

    report = run(
        args.config, args.n, args.seed, args.timeout, args.keep, progress=progress, start=args.start
    )
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    sys.stdout.write(format_report(report, args.seed))
    return 1 if report.bad else 0


if __name__ == "__main__":
    sys.exit(main())
