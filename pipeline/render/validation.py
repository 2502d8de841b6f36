"""Validation results out: a JSON report for tools and an HTML report for people."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import jinja2

from pipeline.atomic import write_text
from pipeline.config import Config
from pipeline.validate import Validated

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def validation_summary(
    validated: Validated, ignored: list[tuple[Path, str]], config: Config
) -> dict[str, Any]:
    """Plain data: per file, its status and problems; plus missing departments."""
    by_file: dict[str, list[dict]] = {}
    for prob in validated.problems:
        by_file.setdefault(prob.file, []).append(prob.as_dict())
    files = []
    for row in validated.files.to_dict("records"):
        files.append(
            {
                "file": row["file"],
                "department_id": row["department_id"],
                "period": row["period"],
                "status": row["status"],
                "errors": int(row["errors"]),
                "warnings": int(row["warnings"]),
                "sha256": row["sha256"],
                "problems": by_file.get(row["file"], []),
            }
        )
    counts = Counter(f["status"] for f in files)
    return {
        "organisation": config.organisation.name,
        "period": validated.period,
        "summary": {
            "files": len(files),
            **{
                status: counts.get(status, 0)
                for status in ("accepted", "rejected", "superseded", "unreadable", "other period")
            },
            "missing_departments": list(validated.missing),
        },
        "files": files,
        "organisation_problems": by_file.get("", []),
        "ignored": [{"file": p.name, "reason": reason} for p, reason in ignored],
    }


def write_validation_json(
    validated: Validated, ignored: list[tuple[Path, str]], config: Config, path: Path
) -> Path:
    data = validation_summary(validated, ignored, config)
    return write_text(path, json.dumps(data, indent=2, default=str) + "\n")


_TEMPLATE = _ENV.from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Validation {{ data.period }} - {{ data.organisation }}</title>
<style>
body { font: 14px/1.4 "DejaVu Sans", Arial, sans-serif; margin: 2em; color: #222; }
h1 { color: {{ colour }}; } table { border-collapse: collapse; width: 100%; margin: .5em 0 2em; }
th, td { border: 1px solid #ccc; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eef1f5; } .error { color: #a40000; font-weight: bold; }
.warning { color: #8a5a00; } .accepted { color: #1b6e20; font-weight: bold; }
.rejected, .unreadable { color: #a40000; font-weight: bold; } code { font-size: 90%; }
</style></head><body>
<h1>Validation report: {{ data.organisation }}, {{ data.period }}</h1>
<p>{{ data.summary.files }} file(s): {{ data.summary.accepted }} accepted,
{{ data.summary.rejected }} rejected, {{ data.summary.unreadable }} unreadable,
{{ data.summary.superseded }} superseded.
{% if data.summary.missing_departments %}No usable submission from:
{{ data.summary.missing_departments | join(", ") }}.{% endif %}</p>
{% for f in data.files %}
<h2>{{ f.file }} <span class="{{ f.status | replace(' ', '-') }}">{{ f.status }}</span></h2>
<p>Department {{ f.department_id or "?" }}, period {{ f.period or "?" }}:
{{ f.errors }} error(s), {{ f.warnings }} warning(s).</p>
{% if f.problems %}<table><tr><th>Severity</th><th>Code</th><th>Cell</th><th>Value</th>
<th>Problem</th><th>How to fix</th></tr>
{% for p in f.problems %}<tr><td class="{{ p.severity }}">{{ p.severity }}</td>
<td><code>{{ p.code }}</code></td><td>{{ p.cell or p.sheet }}</td><td>{{ p.value }}</td>
<td>{{ p.message }}</td><td>{{ p.hint }}</td></tr>{% endfor %}</table>{% endif %}
{% endfor %}
{% if data.organisation_problems %}<h2>Organisation</h2><table>
<tr><th>Severity</th><th>Code</th><th>Problem</th><th>How to fix</th></tr>
{% for p in data.organisation_problems %}<tr><td class="{{ p.severity }}">{{ p.severity }}</td>
<td><code>{{ p.code }}</code></td><td>{{ p.message }}</td><td>{{ p.hint }}</td></tr>
{% endfor %}</table>{% endif %}
{% if data.ignored %}<h2>Files passed over</h2><ul>
{% for i in data.ignored %}<li>{{ i.file }}: {{ i.reason }}</li>{% endfor %}</ul>{% endif %}
</body></html>
""")


def write_validation_html(
    validated: Validated, ignored: list[tuple[Path, str]], config: Config, path: Path
) -> Path:
    data = validation_summary(validated, ignored, config)
    html = _TEMPLATE.render(data=data, colour=config.branding.primary_colour)
    return write_text(path, html)
