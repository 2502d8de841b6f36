"""The validation HTML report, read as the person who sent the workbook reads it.

One November inbox of the demo organisation, checked with `scorecard validate`: Operations
sends a workbook with mistakes on three sheets (and `<b>x</b>` typed in a cell), someone
sends a copy of Sales's workbook labelled Finance under a hostile file name, Marketing's
file is not a workbook at all, Engineering sends nothing, and an open workbook leaves a lock
file. The report must list the departments in configuration order with their state in
words, group each file's problems by sheet in workbook order, put the fix first in every
row and the code last, and never let a file name or cell text become markup.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from markupsafe import escape

from pipeline import run
from pipeline.cli import main
from pipeline.config import Config, load_config
from pipeline.contract import SHEET_ORDER
from pipeline.demo import demo_content
from pipeline.problems import WARNING, Problem
from pipeline.render import validation
from pipeline.workbook_templates import write_workbook

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"
PERIOD = "2026-11"
HOSTILE = "<img src=x onerror=alert(1)><script>alert(1)<script>.xlsx"  # no "/" in a file name
TYPED = "<b>x</b>"  # typed into a number cell: shown in the message, never as markup
SENT = ("CORP", "FIN", "COMM", "SALES", "CS", "PPL", "IT")  # as the demo has them


# --- a small DOM from the standard library's parser ------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def own_text(self) -> str:
        """The text directly in this element, not in its children."""
        return "".join(c for c in self.children if isinstance(c, str)).strip()

    @property
    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        """Every descendant `tag` (with class `cls`), in document order."""
        found = []
        for child in self.elements():
            if child.tag == tag and (cls is None or cls in child.classes):
                found.append(child)
            found.extend(child.find_all(tag, cls))
        return found

    def find(self, tag: str, cls: str | None = None) -> Node:
        found = self.find_all(tag, cls)
        assert found, f"no <{tag} class={cls}>"
        return found[0]


VOID = {"meta", "col", "br", "img", "link", "input", "hr"}


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


# --- the inbox ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    root: Path
    config: Config
    html: str
    dom: Node
    data: dict


def _drop(
    root: Path, config: Config, dept: str, name: str | None = None, *, label=None, content=None
):
    content = content or demo_content(config, PERIOD)[dept]
    path = root / "inbox" / (name or f"{dept}-{PERIOD}.xlsx")
    department = config.department(label or dept)
    assert department is not None
    return write_workbook(
        path, config, department, PERIOD, content, content.submission.get("Submitted on")
    )


def _validate(root: Path, *args: str) -> None:
    result = CliRunner().invoke(
        main, ["validate", "--config", str(root / "scorecard.toml"), "--period", PERIOD, *args]
    )
    assert result.exit_code == 1, result.output  # some files are rejected


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("november")
    shutil.copy(DEMO / "scorecard.toml", root / "scorecard.toml")
    shutil.copy(DEMO / "logo.svg", root / "logo.svg")
    (root / "inbox").mkdir()
    config = load_config(root / "scorecard.toml")
    for dept in SENT:
        _drop(root, config, dept)
    ops = demo_content(config, PERIOD)["OPS"]
    submission = {**ops.submission, "Submitted on": "last tuesday"}  # Submission!B5
    objectives = [dict(o) for o in ops.objectives]
    objectives[1]["Weight"] = "heavy"  # Objectives!F3
    kpis = [dict(k) for k in ops.kpis]
    kpis[0][PERIOD] = "lots"  # an error on row 2 ...
    kpis[0]["2026-07"] = None  # ... after the warning it also has there (month-gap)
    kpis[2]["Target"] = "forty"
    kpis[4]["Target"] = TYPED
    broken = replace(ops, submission=submission, objectives=objectives, kpis=kpis)
    _drop(root, config, "OPS", content=broken)
    _drop(root, config, "SALES", HOSTILE, label="FIN")  # a copy of Sales's, labelled Finance
    with zipfile.ZipFile(root / "inbox" / f"MKT-{PERIOD}.xlsx", "w") as z:
        z.writestr("notes.txt", "not a workbook")
    (root / "inbox" / f"~$FIN-{PERIOD}.xlsx").write_bytes(b"lock")
    _validate(root)
    return root


@pytest.fixture(scope="module")
def report(inbox: Path) -> Report:
    folder = inbox / "reports" / PERIOD
    html = (folder / f"validation-{PERIOD}.html").read_text(encoding="utf-8")
    data = json.loads((folder / f"validation-{PERIOD}.json").read_text(encoding="utf-8"))
    return Report(inbox, load_config(inbox / "scorecard.toml"), html, parse(html), data)


def _sections(dom: Node) -> dict[str, Node]:
    """Each department's section by its id ("dept-FIN"), in document order."""
    return {s.attrs["id"]: s for s in dom.find_all("section", "dept")}


def _file(data: dict, name: str) -> dict:
    return next(f for f in data["files"] if f["file"] == name)


def _file_block(section: Node, name: str) -> Node:
    return next(b for b in section.find_all("div", "file-problems") if name in b.find("h3").text)


def _sheet_tables(block: Node) -> list[tuple[str, Node]]:
    """(heading, table) pairs in order: each sheet heading and the table under it."""
    kids = block.elements()
    return [
        (node.text.split(" (")[0], kids[i + 1])
        for i, node in enumerate(kids)
        if "sheet" in node.classes
    ]


def _position(cell: str) -> tuple[int, int]:
    match = re.fullmatch(r"([A-Z]+)([0-9]+)", cell.split("!")[-1])
    if not match:
        return (0, 0)
    column = 0
    for letter in match[1]:
        column = column * 26 + ord(letter) - 64
    return (int(match[2]), column)


# --- the tests ------------------------------------------------------------------------------


def test_departments_appear_in_configuration_order_with_their_state_in_words(report):
    """One section per configured department, in configuration order, each saying its state."""
    sections = _sections(report.dom)
    assert list(sections) == [f"dept-{d.id}" for d in report.config.departments]
    states = {key.removeprefix("dept-"): s.find("p", "state").text for key, s in sections.items()}
    ops_errors = _file(report.data, f"OPS-{PERIOD}.xlsx")["errors"]
    assert ops_errors == 5
    assert _file(report.data, f"IT-{PERIOD}.xlsx")["warnings"] == 1
    assert states == {
        "CORP": "Accepted",
        "FIN": "Accepted",
        "COMM": "Accepted",
        "SALES": "Accepted",
        "MKT": "Received, unreadable",
        "CS": "Accepted",
        "OPS": f"Rejected: {ops_errors} errors to fix",
        "ENG": "No workbook received",
        "PPL": "Accepted with 1 warning",
        "IT": "Accepted with 1 warning",
    }
    # Rejected departments stand out, and not by colour alone: a symbol and words too.
    for key, section in sections.items():
        rejected = states[key.removeprefix("dept-")].startswith(("Rejected", "Received"))
        assert ("tone-bad" in section.classes) == rejected
        assert section.find("h2").text.startswith("\u2717" if rejected else ("\u2713", "\u25cb"))


def test_the_summary_counts_departments_and_links_each_in_order(report):
    """At the top: accepted / rejected / missing counts and one link per department."""
    lead = report.dom.find("p", "lead").text
    assert "10 departments expected: \u2713 7 accepted, \u2717 2 rejected," in lead
    assert "\u25cb 1 with no workbook received" in lead
    rows = report.dom.find("table", "toc").find("tbody").find_all("tr")
    links = [row.find("a").attrs["href"] for row in rows]
    assert links == [f"#{key}" for key in _sections(report.dom)]
    toc = {row.find("a").text: row.find("td", "state").text for row in rows}
    assert toc["Operations"] == "\u2717 Rejected: 5 errors to fix"
    assert toc["Marketing"] == "\u2717 Received, unreadable"
    assert toc["Engineering"] == "\u25cb No workbook received"
    assert toc["Finance"] == "\u2713 Accepted"


def test_a_rejected_departments_problems_are_grouped_by_sheet_in_workbook_order(report):
    """Submission, Objectives, KPIs; errors first in each sheet, then by row and column."""
    name = f"OPS-{PERIOD}.xlsx"
    block = _file_block(_sections(report.dom)["dept-OPS"], name)
    groups = _sheet_tables(block)
    expected: dict[str, list[dict]] = {}
    for prob in _file(report.data, name)["problems"]:
        expected.setdefault(prob["sheet"], []).append(prob)
    assert [title for title, _ in groups] == [
        f"Sheet {sheet}" for sheet in SHEET_ORDER if sheet in expected
    ]
    assert [title for title, _ in groups] == ["Sheet Submission", "Sheet Objectives", "Sheet KPIs"]
    shown = {
        title: [(row.find("td", "code").text, row.find("td", "cell").own_text) for row in rows]
        for title, rows in ((t, table.find("tbody").find_all("tr")) for t, table in groups)
    }
    assert shown == {
        "Sheet Submission": [("not-a-date", "B5")],
        "Sheet Objectives": [("not-a-number", "F3")],
        # errors first, each by row then column; then the warnings, row 2 included
        "Sheet KPIs": [
            ("not-a-number", "V2"),
            ("not-a-number", "H4"),
            ("not-a-number", "H6"),
            ("month-gap", "R2"),
            ("month-gap", "R4"),
        ],
    }
    for title, table in groups:  # every problem under its own sheet's heading
        sheet = title.removeprefix("Sheet ")
        cells = [row.find("td", "cell").own_text for row in table.find("tbody").find_all("tr")]
        assert sorted(cells) == sorted(p["cell"].split("!")[1] for p in expected[sheet])
    kpis = dict(groups)["Sheet KPIs"].find("tbody").find_all("tr")
    severities = [row.find("span", "sev").text for row in kpis]
    assert severities == ["\u2717 Error"] * 3 + ["\u26a0 Warning"] * 2


def test_each_problem_row_puts_the_fix_first_and_the_code_last(report):
    """In the HTML itself: hint, then cell, then message, then severity, then code."""
    rows = re.findall(r'<tr class="row-[a-z]+">(.*?)</tr>', report.html, re.S)
    checked = 0
    for prob in _file(report.data, f"OPS-{PERIOD}.xlsx")["problems"]:
        hint, message = escape(prob["hint"]), escape(prob["message"])
        cell = prob["cell"].split("!")[-1]
        row = next(r for r in rows if message in r and re.search(f'class="cell"[^>]*>{cell}<', r))
        code = f"<code>{prob['code']}</code>"
        assert row.index(hint) < row.index(f">{cell}") < row.index(message) < row.index(code)
        assert row.rstrip().endswith(f'<td class="code">{code}</td>')
        checked += 1
    assert checked >= 6
    for row in report.dom.find_all("tr"):
        if {"row-bad", "row-warn"} & row.classes and row.find_all("td", "fix"):
            tds = row.find_all("td")
            assert [("fix" in tds[0].classes), ("cell" in tds[1].classes)] == [True, True]
            assert "what" in tds[2].classes and "code" in tds[4].classes
            assert tds[0].find_all("td") == [] and tds[0].text  # the fix, in words
            assert tds[3].text in ("\u2717 Error", "\u26a0 Warning")


def test_file_names_and_cell_text_are_escaped_and_the_page_is_self_contained(report):
    """A file named like markup and `<b>x</b>` typed in a cell show as text, nothing runs."""
    html = report.html
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert TYPED not in html
    assert escape(HOSTILE) in html
    assert escape(f"got '{TYPED}'") in html
    finance = _sections(report.dom)["dept-FIN"]
    files = finance.find("table", "files").find("tbody").find_all("tr")
    assert HOSTILE in [row.find("td", "fname").text for row in files]
    assert f"Problems in {HOSTILE}" in finance.text
    # Self-contained: inline CSS, no scripts, images, links or fetched resources.
    assert not report.dom.find_all("script") and not report.dom.find_all("link")
    assert all(a.attrs["href"].startswith("#") for a in report.dom.find_all("a"))
    assert "url(" not in report.dom.find("style").text and "@import" not in html


def test_a_missing_department_says_no_workbook_received(report):
    """Engineering sent nothing: its section says so, in words, with no file listed."""
    eng = _sections(report.dom)["dept-ENG"]
    assert eng.find("p", "state").text == "No workbook received"
    assert "Nothing was received for this period: send your workbook." in eng.text
    assert not eng.find_all("table", "files")
    # Its organisation-level note is shown with the department, not at the end.
    assert "No workbook received from department ENG" in eng.text
    assert "organisation" not in {s.attrs.get("id") for s in report.dom.find_all("section")}


def test_files_of_each_department_and_the_files_passed_over(report):
    """Finance: the file used, the rejected copy; the lock file is listed, briefly."""
    finance = _sections(report.dom)["dept-FIN"]
    statuses = {
        row.find("td", "fname").text: row.find("td", "status").text
        for row in finance.find("table", "files").find("tbody").find_all("tr")
    }
    assert statuses == {
        f"FIN-{PERIOD}.xlsx": "\u2713 Accepted: used in the report",
        HOSTILE: "\u2717 Rejected: 1 error",
    }
    ignored = next(s for s in report.dom.find_all("section") if s.attrs.get("id") == "ignored")
    assert f"~$FIN-{PERIOD}.xlsx: lock file of an open spreadsheet" in ignored.text


def test_problems_past_the_cap_are_counted_and_sent_to_the_json(inbox, tmp_path, monkeypatch):
    """With room for 2 problems a file, Operations's report lists 2 and counts the rest."""
    monkeypatch.setattr(validation, "PROBLEMS_SHOWN", 2)
    _validate(inbox, "--out", str(tmp_path))
    html = (tmp_path / PERIOD / f"validation-{PERIOD}.html").read_text(encoding="utf-8")
    data = json.loads((tmp_path / PERIOD / f"validation-{PERIOD}.json").read_text(encoding="utf-8"))
    name = f"OPS-{PERIOD}.xlsx"
    total = len(_file(data, name)["problems"])  # the JSON lists every one
    block = _file_block(_sections(parse(html))["dept-OPS"], name)
    assert sum(len(t.find("tbody").find_all("tr")) for _, t in _sheet_tables(block)) == 2
    more = block.find("div", "more").text
    assert f"2 problems listed above; {total - 2} more not listed here" in more
    assert f"Every one of them is in the JSON report, validation-{PERIOD}.json." in more


def test_organisation_wide_problems_come_last_in_their_own_section(inbox, tmp_path):
    """A problem of no file and no department is listed after every department."""
    config = load_config(inbox / "scorecard.toml")
    assessed = run.assess(config, PERIOD)
    note = Problem(WARNING, "perspective-without-okr", "", value="Customer",
                   message="No OKR this quarter is aligned to perspective 'Customer'.",
                   hint="Fine if deliberate; otherwise consider one.")  # fmt: skip
    assessed.validated.problems = [*assessed.validated.problems, note]
    path = validation.write_validation_html(
        assessed.validated, assessed.intake.ignored, config, tmp_path / "v.html"
    )
    dom = parse(path.read_text(encoding="utf-8"))
    ids = [s.attrs["id"] for s in dom.find_all("section")]
    assert ids == [f"dept-{d.id}" for d in config.departments] + ["organisation", "ignored"]
    organisation = dom.find_all("section")[-2]
    assert note.hint in organisation.text and note.message in organisation.text
    row = organisation.find("table", "problems").find("tbody").find("tr")
    assert row.find("td", "fix").text == note.hint and row.find("td", "code").text == note.code
    assert "department ENG" not in organisation.text  # Engineering's own, in its section
