"""A new organisation: a commented scorecard.toml with every key, and the folders it names.

`scorecard init DIR` calls `start`. The file is written from `TEMPLATE`, the one place the
keys are explained for someone starting out: every key of `pipeline.config` appears in it,
a key left at its default commented out with that default (`# currency = "EUR"`), so the
file loads to exactly the defaults plus the example departments. tests/test_init.py checks
that no key of the config dataclasses is missing and that every default shown is the real
one. The full reference, with every error message, is docs/configuration.md.
"""

from __future__ import annotations

import errno
import tomllib
from dataclasses import dataclass
from pathlib import Path
from string import Template

from pipeline.atomic import write_text
from pipeline.config import Config, parse_config

CONFIG_NAME = "scorecard.toml"
# Where `scorecard templates` writes when given no --out: beside the configuration file.
TEMPLATES_FOLDER = "workbook_templates"
DEFAULT_NAME = "My organisation"

TEMPLATE = Template("""\
# scorecard.toml: one organisation as `scorecard` sees it.
#
# Written by `scorecard init`. Every key is listed with what it means and its default.
# A line like `# currency = "EUR"` is a key left at its default: remove the "# " to set it.
# Paths are relative to the folder this file is in. The reference, with every allowed
# value and error message, is docs/configuration.md in the scorecard project.

[organisation]
# Required. On the pack's cover and headings, and in the workbooks' titles and Instructions.
name = $name

# The month the fiscal year starts: 1 (January) to 12; 4 for a year from April. It decides
# the twelve month columns of the KPIs sheet, the year to date and Sum phasing. Default 1.
# fiscal_year_start = 1

# Shown before initiative budgets and spend in the pack (EUR 1,234) and named in the
# workbook Instructions; nothing is converted. Default "EUR".
# currency = "EUR"

# How dates typed as text, like 03/11/2026, are read: "DMY" (3 November) or "MDY"
# (11 March). Not set by default: such a date is read day first, with a warning naming
# both readings. A date that reads one way only (25/10/2026) and real date cells are
# never affected.
# date_order = "DMY"

[reporting]
# Where departments drop their workbooks. Only read: scorecard never changes or deletes
# a file in it. Default "inbox".
# inbox = "inbox"

# Each month's outputs go to <output>/<period>/: the board pack (PDF and HTML), the Excel
# data book, the validation report and annotated feedback copies. Default "reports".
# output = "reports"

# A copy of every accepted workbook and ledger.sqlite, the record of every file seen and
# of the values accepted; earlier months are read back from here. Default "archive".
# archive = "archive"

# Departments: one [[departments]] table per unit, in the order the pack and the
# templates' Department ID dropdown list them. Replace these examples with your own.
#   id         required: 1-16 capitals, digits, - or _, starting with a letter (FIN).
#              Submitters pick it on the workbook's Submission sheet; it prefixes IDs
#              such as FIN-K01.
#   name       required: shown in the pack and the workbook.
#   parent     the id of the unit it rolls up into. Default: none, a root; the
#              organisation's score is the weighted mean of the roots.
#   corporate  true for the one unit whose objectives are the corporate strategy map:
#              every department may link its KPIs, initiatives and OKRs to them, and
#              departments' objectives may contribute to them. Default false; at most
#              one unit. Without one, scorecard warns: there is no corporate map.
#   weight     its weight in its parent's roll-up, 0 to 1000: 2 counts twice as much
#              as a unit of weight 1, 0 shows it without counting it. Default 1.

[[departments]]
id = "CORP"
name = "Strategy office"
corporate = true            # its objectives are the corporate strategy map
# parent: none, so CORP is the root: the organisation's score is CORP's score

[[departments]]
id = "FIN"
name = "Finance"
parent = "CORP"

[[departments]]
id = "OPS"
name = "Operations"
parent = "CORP"
weight = 2                  # counts twice as much as Finance or Sales in CORP's score

[[departments]]
id = "SALES"
name = "Sales"
parent = "CORP"

# Perspectives: every objective and KPI belongs to one. Left commented out, they are the
# four of the Balanced Scorecard below. To rename, add (up to 12) or reweight them,
# remove the "# " before each [[perspectives]] and its three keys, then edit them.
#   name    required: 1-40 characters, no comma. What submitters pick in the Perspective
#           column; a tile, a pack page and a strategy-map lane.
#   order   its lane on the strategy map, 1 to 99: 1 is the top (the outcomes), higher
#           numbers lie below (the causes). Default: its position in this file.
#   weight  its weight in each department's own score, 0 to 1000. Default 1.
#
# [[perspectives]]
# name = "Financial"
# order = 1
# weight = 1
#
# [[perspectives]]
# name = "Customer"
# order = 2
# weight = 1
#
# [[perspectives]]
# name = "Internal Process"
# order = 3
# weight = 1
#
# [[perspectives]]
# name = "Learning & Growth"
# order = 4
# weight = 1

[scoring]
# Thresholds, each a number from 0 to 1; docs/scoring.md explains each with examples.

# For a KPI with no Red threshold: it is Red this share of its target away from the
# target (0.10: 10 % short of it, or over it for Lower is better). Default 0.10.
# amber_tolerance = 0.10

# Objectives, perspectives, departments and the organisation are Green at a score of
# rollup_green_at or above, Amber at rollup_amber_at or above, else Red.
# Defaults 0.90 and 0.60.
# rollup_green_at = 0.90
# rollup_amber_at = 0.60

# OKR objectives and departments' OKR scores are Green at okr_green_at or above, Amber
# at okr_amber_at or above, else Red. Defaults 0.70 and 0.40.
# okr_green_at = 0.70
# okr_amber_at = 0.40

[branding]
# The pack's table headers (and headings, when dark enough); the header fill of the
# templates' data sheets. A colour #rrggbb. Default "#1f3a5f".
# primary_colour = "#1f3a5f"

# Rules and the strategy map in the pack; the tab of the templates' Submission sheet.
# A colour #rrggbb. Default "#c8a24a".
# accent_colour = "#c8a24a"

# An image shown on the pack, relative to this file; the file must exist. The PDF shows
# any image; the HTML twin SVG, PNG or JPEG. Default: no logo.
# logo = "logo.png"

# The marking on the cover and in every page footer. Default "Board confidential".
# classification = "Board confidential"

# The PDF pack's page size and the templates' print setup: "A4" or "Letter". Default "A4".
# page_size = "A4"

# Packs for other audiences, built with `scorecard report --pack NAME`: one part of the
# organisation, or some sections only, with the board pack's scores. None by default; to
# add one, remove the "# " before [[packs]] and its keys, then edit them.
#   name      required: lowercase letters, digits and -; the file is
#             reports/<period>/packs/<name>-<period>.pdf.
#   title     required: the pack's title on its cover and page headers.
#   root      the department it covers, with every unit under it. Default: all.
#   sections  which of "summary", "overview", "strategy", "perspectives", "departments"
#             and "appendix" it holds. Default: all six.
#
# [[packs]]
# name = "operations"
# title = "Operations pack"
# root = "OPS"
# sections = ["summary", "departments"]
""")

# TOML basic-string escapes; any other control character is written as \\uXXXX.
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_string(text: str) -> str:
    """`text` as a TOML basic string (in double quotes) that reads back as exactly `text`.

    Raises BadName for a lone surrogate (bytes that were not UTF-8), which no TOML file
    can hold.
    """
    out = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:
            raise BadName("it has bytes that are not valid text (UTF-8)")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def config_text(name: str = DEFAULT_NAME) -> str:
    """The commented scorecard.toml for an organisation called `name`."""
    if not name.strip():
        raise BadName("the organisation's name must not be empty")
    return TEMPLATE.substitute(name=toml_string(name))


class BadName(ValueError):
    """The organisation's name cannot be used: empty, or not valid text."""


class ConfigExists(Exception):
    """The folder already has a scorecard.toml and replacing it was not asked for."""


@dataclass(frozen=True)
class Started:
    config: Config  # the file written, as the loader reads it
    folders: tuple[Path, ...]  # inbox, output, archive and templates folders, in that order
    new_folders: tuple[Path, ...]  # those that did not exist before
    replaced: bool  # an existing scorecard.toml was overwritten (--force)


def folders(config: Config) -> tuple[Path, ...]:
    """The folders an organisation works in: inbox, output, archive, templates."""
    rep = config.reporting
    return (rep.inbox, rep.output, rep.archive, config.base_dir / TEMPLATES_FOLDER)


def start(folder: Path, name: str | None = None, force: bool = False) -> Started:
    """Write `folder`/scorecard.toml and create its folders (existing ones are kept).

    Raises ConfigExists when scorecard.toml is there and `force` is false (nothing is
    then written or created), BadName for a name that cannot be used, and OSError
    (`pipeline.atomic.CannotWrite` for the file) when the folder cannot be written.
    """
    path = Path(folder) / CONFIG_NAME
    text = config_text(DEFAULT_NAME if name is None else name)
    replaced = path.exists() or path.is_symlink()
    if replaced and not force:
        raise ConfigExists(
            f"{path} already exists and was left as it is: "
            "use --force to replace it (the folders and their files are kept)"
        )
    # The text is read back exactly as `load_config` will read the file, before writing.
    config = parse_config(tomllib.loads(text), path.resolve())
    for where in folders(config):  # checked first, so a refusal writes nothing
        if where.exists() and not where.is_dir():
            raise NotADirectoryError(
                errno.ENOTDIR, "not a folder (a file of that name is there)", str(where)
            )
    write_text(path, text)
    made = []
    for where in folders(config):
        if not where.is_dir():
            where.mkdir(parents=True, exist_ok=True)
            made.append(where)
    return Started(config, folders(config), tuple(made), replaced)
