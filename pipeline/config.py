"""Load `scorecard.toml` into frozen dataclasses, or raise ConfigError naming the bad key."""

from __future__ import annotations

import re
import tomllib
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_type_hints

from pipeline.contract import PERSPECTIVES

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_DEPT_ID = re.compile(r"^[A-Z][A-Z0-9_-]{0,15}$")
_PACK_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Organisation:
    name: str
    fiscal_year_start: int = 1
    currency: str = "EUR"
    # how dates typed as text (03/11/2026) are read: "DMY" or "MDY"; unset: day first, with
    # a warning on any date that reads two ways
    date_order: str | None = None


@dataclass(frozen=True)
class Reporting:
    inbox: Path
    output: Path
    archive: Path


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    parent: str | None = None
    corporate: bool = False
    weight: float = 1.0  # its weight in its parent's roll-up (and the organisation's, at the top)


@dataclass(frozen=True)
class Perspective:
    name: str
    order: int  # lane on the strategy map: 1 is the top (outcomes), higher numbers lie below
    weight: float = 1.0  # its weight in a department's own score


# The Balanced Scorecard's four, Financial on top: the default when none are configured.
DEFAULT_PERSPECTIVES: tuple[Perspective, ...] = tuple(
    Perspective(name, order) for order, name in enumerate(reversed(PERSPECTIVES), start=1)
)
_MAX_PERSPECTIVES = 12
_MAX_PERSPECTIVE_NAME = 40


@dataclass(frozen=True)
class Scoring:
    amber_tolerance: float = 0.10
    rollup_green_at: float = 0.90
    rollup_amber_at: float = 0.60
    okr_green_at: float = 0.70
    okr_amber_at: float = 0.40


@dataclass(frozen=True)
class Branding:
    primary_colour: str = "#1f3a5f"
    accent_colour: str = "#c8a24a"
    logo: Path | None = None
    classification: str = "Board confidential"
    page_size: str = "A4"


# The sections a `[[packs]]` pack may hold, in the order every pack prints them.
PACK_SECTIONS = ("summary", "overview", "strategy", "perspectives", "departments", "appendix")


@dataclass(frozen=True)
class Pack:
    """A pack for one audience (`[[packs]]`, `scorecard report --pack NAME`): one subtree of
    the department tree, some of the board pack's sections. Scores are never recomputed."""

    name: str  # a slug: the file is packs/<name>-<period>.pdf
    title: str
    root: str | None = None  # the department whose subtree it covers; None: everything
    sections: tuple[str, ...] = PACK_SECTIONS


@dataclass(frozen=True)
class Config:
    path: Path
    organisation: Organisation
    reporting: Reporting
    departments: tuple[Department, ...]
    scoring: Scoring = field(default_factory=Scoring)
    branding: Branding = field(default_factory=Branding)
    perspectives: tuple[Perspective, ...] = DEFAULT_PERSPECTIVES  # sorted by order, top first
    packs: tuple[Pack, ...] = ()  # [[packs]]: packs for other audiences, by name

    @property
    def perspective_names(self) -> tuple[str, ...]:
        """Top lane first, as a board reads a scorecard."""
        return tuple(p.name for p in self.perspectives)

    @property
    def perspective_choices(self) -> tuple[str, ...]:
        """The workbook dropdown's values: bottom lane first (causes, then effects)."""
        return tuple(reversed(self.perspective_names))

    @property
    def perspective_weights(self) -> dict[str, float]:
        return {p.name: float(p.weight) for p in self.perspectives}

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def department(self, dept_id: str) -> Department | None:
        return next((d for d in self.departments if d.id == dept_id), None)

    @property
    def department_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.departments)

    def pack(self, name: str) -> Pack | None:
        return next((p for p in self.packs if p.name == name), None)


def config_warnings(config: Config) -> list[str]:
    """What a loadable configuration loses, one sentence each; the command line prints them.

    No department with `corporate = true` among two or more: no corporate strategy map,
    so nothing can link to or contribute to a corporate objective. A one-department
    organisation gets no warning: there is nothing to link across.
    """
    warnings: list[str] = []
    if len(config.departments) > 1 and not any(d.corporate for d in config.departments):
        warnings.append(
            f"{config.path.name}: no department has corporate = true: there will be no "
            "corporate strategy map (the pack's map shows every department's objectives "
            "instead), departments' KPIs, initiatives and OKRs cannot link to corporate "
            "objectives, and objectives cannot contribute to corporate ones. Set "
            "corporate = true on the strategy office (or the top unit)."
        )
    return warnings


def load_config(path: str | Path) -> Config:
    """Read and check a scorecard.toml; every problem is a ConfigError naming the key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, path.resolve())


def parse_config(raw: dict[str, Any], path: Path) -> Config:
    where = str(path.name)
    _no_unknown(
        raw,
        {
            "organisation",
            "reporting",
            "departments",
            "perspectives",
            "scoring",
            "branding",
            "packs",
        },
        "",
        where,
    )
    base = path.parent

    org_raw = _table(raw, "organisation", where, required=True)
    organisation = _build(Organisation, org_raw, "organisation", where)
    if not isinstance(organisation.name, str) or not organisation.name.strip():
        raise ConfigError(f"{where}: organisation.name must be a non-empty string")
    if not _is_int(organisation.fiscal_year_start) or not 1 <= organisation.fiscal_year_start <= 12:
        raise ConfigError(
            f"{where}: organisation.fiscal_year_start must be a month number 1-12, "
            f"got {organisation.fiscal_year_start!r}"
        )

    if organisation.date_order not in (None, "DMY", "MDY"):
        raise ConfigError(
            f'{where}: organisation.date_order must be "DMY" (day first) or "MDY" '
            f"(month first), got {organisation.date_order!r}"
        )

    rep_raw = _table(raw, "reporting", where)
    _no_unknown(rep_raw, {"inbox", "output", "archive"}, "reporting.", where)
    for key in ("inbox", "output", "archive"):
        if key in rep_raw and not isinstance(rep_raw[key], str):
            raise ConfigError(f"{where}: reporting.{key} must be a path string")
    reporting = Reporting(
        inbox=base / rep_raw.get("inbox", "inbox"),
        output=base / rep_raw.get("output", "reports"),
        archive=base / rep_raw.get("archive", "archive"),
    )

    departments = _departments(raw.get("departments"), where)

    scoring = _build(Scoring, _table(raw, "scoring", where), "scoring", where)
    for f in fields(Scoring):
        value = getattr(scoring, f.name)
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
            raise ConfigError(
                f"{where}: scoring.{f.name} must be a number between 0 and 1, got {value!r}"
            )
    if scoring.rollup_amber_at > scoring.rollup_green_at:
        raise ConfigError(f"{where}: scoring.rollup_amber_at must not exceed rollup_green_at")
    if scoring.okr_amber_at > scoring.okr_green_at:
        raise ConfigError(f"{where}: scoring.okr_amber_at must not exceed okr_green_at")

    brand_raw = dict(_table(raw, "branding", where))
    if "logo" in brand_raw:
        brand_raw["logo"] = base / str(brand_raw["logo"])
    branding = _build(Branding, brand_raw, "branding", where)
    for key in ("primary_colour", "accent_colour"):
        value = getattr(branding, key)
        if not isinstance(value, str) or not _COLOUR.match(value):
            raise ConfigError(
                f"{where}: branding.{key} must be a colour like #1f3a5f, got {value!r}"
            )
    if branding.page_size not in ("A4", "Letter"):
        raise ConfigError(
            f"{where}: branding.page_size must be A4 or Letter, got {branding.page_size!r}"
        )
    if branding.logo is not None and not branding.logo.is_file():
        raise ConfigError(f"{where}: branding.logo file not found: {branding.logo}")

    perspectives = _perspectives(raw.get("perspectives"), where)
    packs = _packs(raw.get("packs"), where, departments)
    return Config(
        path, organisation, reporting, departments, scoring, branding, perspectives, packs
    )


def _packs(raw: Any, where: str, departments: tuple[Department, ...]) -> tuple[Pack, ...]:
    """`[[packs]]` (name, title, root, sections); default: none."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: packs must be an array of tables ([[packs]])")
    ids = {d.id for d in departments}
    found: list[Pack] = []
    for i, item in enumerate(raw, start=1):
        label = f"packs[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: {label} must be a table")
        pack = _build(Pack, item, label, where)
        if not _PACK_NAME.match(pack.name):
            raise ConfigError(
                f"{where}: {label}.name must be 1-40 lowercase letters, digits or - (it names "
                f"the file), not starting or ending with -, got {pack.name!r}"
            )
        if any(other.name == pack.name for other in found):
            raise ConfigError(f"{where}: {label}.name {pack.name!r} is listed twice")
        if not pack.title.strip():
            raise ConfigError(f"{where}: {label}.title must be a non-empty string")
        if pack.root is not None and pack.root not in ids:
            raise ConfigError(f"{where}: {label}.root {pack.root!r} is not a department ID")
        found.append(replace(pack, sections=_pack_sections(item, label, where)))
    return tuple(found)


def _pack_sections(item: dict[str, Any], label: str, where: str) -> tuple[str, ...]:
    """A pack's sections in the fixed order, whatever order they are listed in."""
    listed = item.get("sections", list(PACK_SECTIONS))
    allowed = ", ".join(PACK_SECTIONS)
    if not isinstance(listed, list) or not listed or not all(isinstance(s, str) for s in listed):
        raise ConfigError(
            f"{where}: {label}.sections must be a list of section names ({allowed}), got {listed!r}"
        )
    for section in listed:
        if section not in PACK_SECTIONS:
            raise ConfigError(
                f"{where}: {label}.sections: unknown section {section!r} (allowed: {allowed})"
            )
    if len(set(listed)) != len(listed):
        raise ConfigError(f"{where}: {label}.sections lists a section twice: {listed!r}")
    return tuple(s for s in PACK_SECTIONS if s in listed)


def _perspectives(raw: Any, where: str) -> tuple[Perspective, ...]:
    """`[[perspectives]]` (name, order, weight), sorted top lane first; default: the BSC four."""
    if raw is None:
        return DEFAULT_PERSPECTIVES
    if not isinstance(raw, list) or not raw:
        raise ConfigError(
            f"{where}: perspectives must be an array of tables ([[perspectives]]) with at "
            "least one entry; leave it out for the four Balanced Scorecard perspectives"
        )
    if len(raw) > _MAX_PERSPECTIVES:
        raise ConfigError(f"{where}: at most {_MAX_PERSPECTIVES} [[perspectives]], got {len(raw)}")
    found: list[Perspective] = []
    for i, item in enumerate(raw, start=1):
        label = f"perspectives[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: {label} must be a table")
        item = {"order": i, **item}  # order defaults to the position in the file
        persp = _build(Perspective, item, label, where)
        name = persp.name.strip() if isinstance(persp.name, str) else ""
        if not name or len(name) > _MAX_PERSPECTIVE_NAME or "," in name:
            raise ConfigError(
                f"{where}: {label}.name must be 1-{_MAX_PERSPECTIVE_NAME} characters without "
                f"a comma, got {persp.name!r}"
            )
        if not 1 <= persp.order <= 99:
            raise ConfigError(f"{where}: {label}.order must be 1 to 99, got {persp.order!r}")
        if not 0 <= persp.weight <= 1000:
            raise ConfigError(f"{where}: {label}.weight must be 0 to 1000, got {persp.weight!r}")
        for other in found:
            if other.name.casefold() == name.casefold():
                raise ConfigError(f"{where}: {label}.name {name!r} is listed twice")
            if other.order == persp.order:
                raise ConfigError(
                    f"{where}: {label}.order {persp.order} is also {other.name!r}'s order: "
                    "each perspective needs its own lane"
                )
        found.append(Perspective(name, persp.order, float(persp.weight)))
    if not any(p.weight > 0 for p in found):
        raise ConfigError(f"{where}: at least one perspective needs a weight above 0")
    return tuple(sorted(found, key=lambda p: p.order))


def _departments(raw: Any, where: str) -> tuple[Department, ...]:
    if not raw:
        raise ConfigError(f"{where}: no [[departments]]: list at least one department")
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: departments must be an array of tables ([[departments]])")
    departments: list[Department] = []
    seen: set[str] = set()
    for i, item in enumerate(raw, start=1):
        label = f"departments[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: {label} must be a table")
        dept = _build(Department, item, label, where)
        if not isinstance(dept.id, str) or not _DEPT_ID.match(dept.id):
            raise ConfigError(
                f"{where}: {label}.id must be 1-16 capitals, digits, - or _ "
                f"starting with a letter (e.g. FIN), got {dept.id!r}"
            )
        if not isinstance(dept.name, str) or not dept.name.strip():
            raise ConfigError(f"{where}: {label}.name must be a non-empty string")
        if dept.id in seen:
            raise ConfigError(f"{where}: {label}.id {dept.id!r} is a duplicate department ID")
        if not 0 <= dept.weight <= 1000:
            raise ConfigError(f"{where}: {label}.weight must be 0 to 1000, got {dept.weight!r}")
        seen.add(dept.id)
        departments.append(dept)
    by_id = {d.id: d for d in departments}
    for i, dept in enumerate(departments, start=1):
        if dept.parent is not None and dept.parent not in by_id:
            raise ConfigError(
                f"{where}: departments[{i}].parent {dept.parent!r} is not a department ID"
            )
    for dept in departments:
        chain = [dept.id]
        node = dept
        while node.parent is not None:
            if node.parent in chain:
                cycle = " -> ".join([*chain[chain.index(node.parent) :], node.parent])
                raise ConfigError(f"{where}: departments parent links make a cycle: {cycle}")
            chain.append(node.parent)
            node = by_id[node.parent]
    if sum(d.corporate for d in departments) > 1:
        raise ConfigError(f"{where}: only one department may be corporate = true")
    return tuple(departments)


def _table(raw: dict[str, Any], key: str, where: str, required: bool = False) -> dict[str, Any]:
    if key not in raw:
        if required:
            raise ConfigError(f"{where}: missing [{key}] table")
        return {}
    value = raw[key]
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key} must be a table ([{key}])")
    return value


def _no_unknown(raw: dict[str, Any], allowed: set[str], prefix: str, where: str) -> None:
    for key in raw:
        if key not in allowed:
            raise ConfigError(
                f"{where}: unknown key {prefix}{key} (allowed: {', '.join(sorted(allowed))})"
            )


# What a TOML value of each simple field type must be, and how the error says it.
_KINDS: dict[Any, tuple[tuple[type, ...], str]] = {
    bool: ((bool,), "true or false"),
    str: ((str,), "text in quotes"),
    str | None: ((str,), "text in quotes"),
    float: ((int, float), "a number"),
    int: ((int,), "a whole number"),
}


def _build(cls: type, raw: dict[str, Any], prefix: str, where: str) -> Any:
    names = {f.name for f in fields(cls)}
    _no_unknown(raw, names, f"{prefix}.", where)
    hints = get_type_hints(cls)
    for key, value in raw.items():
        kind = _KINDS.get(hints.get(key))
        wrong_bool = isinstance(value, bool) and hints.get(key) is not bool
        if kind and (not isinstance(value, kind[0]) or wrong_bool):
            raise ConfigError(f"{where}: {prefix}.{key} must be {kind[1]}, got {value!r}")
    try:
        return cls(**raw)
    except TypeError:
        missing = [
            f.name
            for f in fields(cls)
            if f.name not in raw and f.default is MISSING and f.default_factory is MISSING
        ]
        raise ConfigError(
            f"{where}: {prefix} is missing required key(s): "
            f"{', '.join(f'{prefix}.{m}' for m in missing)}"
        ) from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
