# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as one self-contained HTML page: inline CSS and an inline SVG chart, no script, no external asset.

Operators open it from a file share or an AWX artifact, often on machines without internet access, so nothing may
be fetched. The chart shows the free ports of each host's headroom range (after the run, with the first read as a
grey bar under it when the role changed something), coloured by the same thresholds as win_port_info's findings.
"""

from __future__ import annotations

import html
import typing as t

from .._engine.findings import HEADROOM_CRITICAL_PERCENT, HEADROOM_WARNING_PERCENT
from .report import COLUMNS, STATUS_TEXT, Row, exhaustion_text, findings, headroom, headroom_combo, holder_text, ran_out, status_counts

CHART_WIDTH = 1040
LABEL_WIDTH = 170
VALUE_WIDTH = 290
BAR_AREA = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
ROW_HEIGHT = 34
TOP = 30
BOTTOM = 40
TICKS = 4
COLOURS = {"critical": "#c0392b", "warning": "#d68910", "ok": "#1e8449", "before": "#aab2bd", "none": "#7f8c8d"}
STATUS_CLASS = {"ok": "ok", "changed": "ok", "drift": "warning", "probe_failed": "critical", "incomplete": "critical",
                "unreachable": "critical", "pending": "none"}

STYLE = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px;color:#1c2833;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
p.meta{color:#566573;margin:0 0 12px}
.badge{display:inline-block;padding:2px 10px;margin:0 6px 6px 0;border-radius:10px;font-size:13px;color:#fff}
.badge.ok{background:#1e8449}.badge.warning{background:#d68910}.badge.critical{background:#c0392b}.badge.none{background:#7f8c8d}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{border:1px solid #d5d8dc;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eaecee}
td.status-ok{color:#1e8449;font-weight:600}td.status-warning{color:#b9770e;font-weight:600}
td.status-critical{color:#c0392b;font-weight:600}td.status-none{color:#7f8c8d}
li{margin:3px 0}code{background:#f2f3f4;padding:0 3px}
svg text{font-family:inherit;font-size:12px;fill:#1c2833}
"""


def _e(value: t.Any) -> str:
    return html.escape(str(value), quote=True)


def severity_of(percent: t.Any) -> str:
    if percent is None:
        return "none"
    if percent < HEADROOM_CRITICAL_PERCENT:
        return "critical"
    if percent < HEADROOM_WARNING_PERCENT:
        return "warning"
    return "ok"


def _scale(rows: t.Sequence[Row]) -> int:
    sizes = [headroom(state).get("range_size") or 0 for row in rows for state in (row.before, row.after)]
    return max([size for size in sizes if isinstance(size, int)] + [1])


def _bar(x: float, y: float, width: float, height: float, colour: str, label: str) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 0.0):.1f}" height="{height:.1f}" fill="{colour}" rx="2">'
            f"<title>{_e(label)}</title></rect>")


def chart_svg(rows: t.Sequence[Row]) -> str:
    """A horizontal bar per host: free ports of the headroom range, on a common scale (the largest range)."""
    scale = _scale(rows)
    height = TOP + ROW_HEIGHT * max(len(rows), 1) + BOTTOM
    combo = headroom_combo(rows)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{height}" viewBox="0 0 {CHART_WIDTH} {height}" '
             f'role="img" aria-label="Free ports of the {_e(combo)} range per host">',
             f"<title>Free ports of the {_e(combo)} range per host</title>",
             f'<text x="{LABEL_WIDTH}" y="16" font-weight="600">Free ports of the {_e(combo)} dynamic range per host '
             f"(scale: 0 to {scale} ports)</text>"]
    axis_y = TOP + ROW_HEIGHT * max(len(rows), 1)
    for tick in range(TICKS + 1):
        x = LABEL_WIDTH + BAR_AREA * tick / TICKS
        parts.append(f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{axis_y}" stroke="#d5d8dc" stroke-width="1"/>')
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle">{round(scale * tick / TICKS)}</text>')
    for index, row in enumerate(rows):
        y = TOP + ROW_HEIGHT * index
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end">{_e(row.host)}</text>')
        now, first = headroom(row.state), headroom(row.before)
        if now.get("free") is None:
            parts.append(f'<text x="{LABEL_WIDTH + 4}" y="{y + 18}" fill="{COLOURS["none"]}">no data: '
                         f"{_e(STATUS_TEXT.get(row.status, row.status))}</text>")
            continue
        severity = severity_of(now.get("percent_free"))
        if row.after and first.get("free") is not None:
            width = BAR_AREA * first["free"] / scale
            parts.append(_bar(LABEL_WIDTH, y + 22, width, 6, COLOURS["before"], f"{row.host} before: {first['free']} free ports"))
        width = BAR_AREA * now["free"] / scale
        label = f"{now['free']} of {now.get('range_size')} free ({now.get('percent_free')}%)"
        if row.after and first.get("free") is not None:
            label += f", was {first['free']}"
        parts.append(_bar(LABEL_WIDTH, y + 4, width, 16, COLOURS[severity], f"{row.host}: {label}"))
        if ran_out(row.before or row.state):
            # A marker for hosts whose own log says they ran out of ports in the window (Tcpip 4231/4227).
            label = f"RAN OUT ({exhaustion_text(row.before or row.state)}; {holder_text(row.before or row.state)}) - {label}"
            parts.append(f'<circle cx="{LABEL_WIDTH - 4}" cy="{y + 12}" r="3" fill="{COLOURS["critical"]}">'
                         f"<title>{_e(row.host)} ran out of ports: {_e(exhaustion_text(row.before or row.state))}</title></circle>")
        parts.append(f'<text x="{LABEL_WIDTH + BAR_AREA + 8}" y="{y + 17}">{_e(label)}</text>')
    legend_y = height - 8
    legend = (("ok", f">= {HEADROOM_WARNING_PERCENT:g}% free"), ("warning", f"< {HEADROOM_WARNING_PERCENT:g}%"),
              ("critical", f"< {HEADROOM_CRITICAL_PERCENT:g}%"), ("before", "before the changes"))
    x = LABEL_WIDTH
    for key, text in legend:
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="10" fill="{COLOURS[key]}"/>')
        parts.append(f'<text x="{x + 16}" y="{legend_y}">{_e(text)}</text>')
        x += 150
    parts.append("</svg>")
    return "\n".join(parts)


def _table(rows: t.Sequence[Row]) -> str:
    head = "".join(f"<th>{_e(name)}</th>" for name, _cell in COLUMNS)
    body = []
    for row in rows:
        cells = []
        for name, cell in COLUMNS:
            css = f' class="status-{STATUS_CLASS.get(row.status, "none")}"' if name == "Status" else ""
            cells.append(f"<td{css}>{_e(cell(row))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>"


def _findings(rows: t.Sequence[Row]) -> str:
    parts = []
    for row in rows:
        message = ((row.summary or {}).get("probe") or {}).get("message")
        found = findings(row)
        if not found and not message:
            continue
        items = [f"<li><strong>probe</strong>: {_e(message)}</li>"] if message else []
        items += [f"<li><strong>{_e(f.get('severity'))}</strong> <code>{_e(f.get('code'))}</code>: {_e(f.get('message'))}</li>"
                  for f in found]
        parts.append(f"<h3>{_e(row.host)}</h3><ul>{''.join(items)}</ul>")
    return "\n".join(parts) if parts else "<p>No warnings.</p>"


def to_html(rows: t.Sequence[Row], title: str, generated: str) -> str:
    badges = "".join(f'<span class="badge {STATUS_CLASS.get(status, "none")}">{count} {_e(STATUS_TEXT.get(status, status))}</span>'
                     for status, count in status_counts(rows).items())
    return "\n".join((
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">Generated {_e(generated)} for {len(rows)} host(s). Written by the portscale.tcpip.port_capacity role.</p>',
        f"<div>{badges}</div>",
        "<h2>Headroom</h2>",
        chart_svg(rows),
        "<h2>Hosts</h2>",
        _table(rows),
        "<h2>Findings (warnings and critical)</h2>",
        _findings(rows),
        "</body></html>",
        "",
    ))
