# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parser for ``tasklist /fo csv /nh``: which image name each PID runs.

Each row is quoted CSV (docs/windows-facts.md §12.2), ``"<image>","<pid>","<session name>","<session#>","<mem usage>"`` (``/v`` adds columns).
Columns are positional: the image name (1) and the PID (2) read the same in every language, while the session name
(``Services``/``Console``), the memory figure's thousands separator (``3,568 K``, ``250.000 K``) and the header words
(``"Image Name"``, Chinese ``映像名称``) are localized, so they are never read. A row whose second column is not
a number is skipped: that is the header line when ``/nh`` was not honoured, or an ``INFO:`` line (for example
"INFO: No tasks are running which match the specified criteria.", English, printed when a filter matches nothing).
Output with no row at all is refused (tasklist always lists at least the System Idle Process and System).
"""

from __future__ import annotations

import csv

from .errors import ParseError
from .text import as_text, parse_decimal, split_lines

PARSER = "parse_tasklist_csv"
MAX_IMAGE_NAME = 260


def parse_tasklist_csv(data: object) -> dict[int, str]:
    """``{pid: image name}``; a PID listed twice keeps its first row."""
    text = as_text(PARSER, data)
    names: dict[int, str] = {}
    for fields in csv.reader(line for line in split_lines(text) if line.strip()):
        if len(fields) < 2:
            continue
        pid = parse_decimal(fields[1].strip())
        image = fields[0].strip()
        if pid is None or not image or len(image) > MAX_IMAGE_NAME:
            continue
        names.setdefault(pid, image)
    if not names:
        raise ParseError(PARSER, "no process row (\"<image>\",\"<pid>\",...) found; this is not the output of 'tasklist /fo csv'", text)
    return names
