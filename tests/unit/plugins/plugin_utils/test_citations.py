# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The code cites the project's own Windows reference (docs/windows-facts.md), and every section it cites exists there."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[4]
FACTS = ROOT / "docs" / "windows-facts.md"
CITATION = re.compile(r"docs/windows-facts\.md ((?:§[0-9]+(?:\.[0-9]+)?(?:[,–-] ?)?)+)")
SECTION = re.compile(r"§([0-9]+(?:\.[0-9]+)?)")


def sections() -> set[str]:
    found = set()
    for line in FACTS.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"#{2,3} ([0-9]+)(?:\.([0-9]+))?[ .]", line)
        if heading:
            found.add(heading.group(1) if heading.group(2) is None else f"{heading.group(1)}.{heading.group(2)}")
    return found


def test_the_code_cites_only_sections_of_the_reference_in_the_repository():
    known = sections()
    assert {"1.2", "3", "3.2", "5.3", "7.1"} <= known  # the parser reads the headings it should
    cited, outside = {}, []
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "WINDOWS-FACTS" in text or "shared/reference" in text:
            outside.append(path.relative_to(ROOT).as_posix())
        for match in CITATION.finditer(text):
            for number in SECTION.findall(match.group(1)):
                cited.setdefault(number, path.relative_to(ROOT).as_posix())
    assert outside == [], "cite docs/windows-facts.md, the copy in the repository"
    assert cited, "no citation found: the pattern no longer matches the code"
    assert {number: path for number, path in cited.items() if number not in known} == {}
