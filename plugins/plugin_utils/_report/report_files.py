# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the fleet report in each requested format and write the files atomically on the controller."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import typing as t

from .._windows.values import user_value
from . import report, report_html

FILE_MODE = 0o644
DIR_MODE = 0o755


@dataclasses.dataclass(frozen=True)
class Written:
    files: list[dict[str, t.Any]]
    counts: dict[str, int]
    hosts: int
    changed: bool


def render(rows: t.Sequence[report.Row], output_format: str, title: str, generated: str) -> str:
    if output_format == "markdown":
        return report.to_markdown(rows, title, generated)
    if output_format == "csv":
        return report.to_csv(rows)
    if output_format == "json":
        return report.to_json(rows, title, generated)
    if output_format == "html":
        return report_html.to_html(rows, title, generated)
    raise report.ReportError(f"unknown report format {user_value(output_format)}; formats are {', '.join(report.FORMATS)}")


def write_atomically(path: str, text: str) -> bool:
    """Replace ``path`` with ``text`` (a rename, so readers see the old or the new file); True when the content differs."""
    data = text.encode("utf-8")
    try:
        with open(path, "rb") as existing:
            if existing.read() == data:
                return False
    except FileNotFoundError:
        pass
    folder = os.path.dirname(path) or "."
    handle, temp_path = tempfile.mkstemp(prefix=".port_capacity-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
        os.chmod(temp_path, FILE_MODE)
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
        raise
    return True


def write_report(dest: str, summaries: t.Any, hosts: t.Sequence[str] | None, active_hosts: t.Sequence[str] | None,
                 formats: t.Sequence[str], title: str, check_mode: bool = False, generated: str | None = None,
                 failures: t.Mapping[str, str] | None = None) -> Written:
    rows = report.build_rows(report.summaries_by_host(summaries), hosts, active_hosts, failures)
    stamp = report.generated_text(generated)
    texts = {fmt: render(rows, fmt, title, stamp) for fmt in dict.fromkeys(formats)}
    files = [{"format": fmt, "path": os.path.join(dest, report.FILE_NAMES[fmt]), "bytes": len(text.encode("utf-8"))}
             for fmt, text in texts.items()]
    changed = False
    if not check_mode:
        os.makedirs(dest, mode=DIR_MODE, exist_ok=True)
        for entry in files:
            changed = write_atomically(entry["path"], texts[entry["format"]]) or changed
    return Written(files=files, counts=report.status_counts(rows), hosts=len(rows), changed=changed)
