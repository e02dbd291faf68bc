# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The code cites the project's own Windows reference (docs/windows-facts.md), and every section it cites exists there.

Checked in the product (plugins/, roles/), the simulator (simulator/src/, when the checkout has it) and the docs: no
citation points at a document outside the repository (the old WINDOWS-FACTS/DESIGN names, a bare "FACTS §" or
"errata") and every ``docs/windows-facts.md §N`` names a heading that exists."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[4]
FACTS = ROOT / "docs" / "windows-facts.md"
CITATION = re.compile(r"docs/windows-facts\.md ((?:§[0-9]+(?:\.[0-9]+)?(?:[,/–-] ?)?)+)")
CONTRACT = ROOT / "docs" / "probe-contract.md"
CONTRACT_CITATION = re.compile(r"docs/probe-contract\.md ((?:§[0-9]+(?:[,/–-] ?)?)+)")
SECTION = re.compile(r"§([0-9]+(?:\.[0-9]+)?)")
# Names of documents that are not in the repository, and citations that name no document.
OUTSIDE = re.compile(r"WINDOWS-FACTS|shared/reference|DESIGN(?:\.md)? §|(?<![-/.\w])FACTS(?: §| [0-9]| errata)|\berrata\b")
SUFFIXES = {".py", ".md", ".yml", ".yaml", ".ps1", ".j2"}


def cited_files() -> list[pathlib.Path]:
    """The files whose citations are checked: the product, the simulator when present, the docs and the README."""
    roots = [ROOT / "plugins", ROOT / "roles", ROOT / "simulator" / "src", ROOT / "docs"]
    files = [path for root in roots if root.is_dir() for path in root.rglob("*") if path.suffix in SUFFIXES]
    return sorted(files + [ROOT / "README.md"])


def sections(document: pathlib.Path = FACTS) -> set[str]:
    found = set()
    for line in document.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"#{2,3} ([0-9]+)(?:\.([0-9]+))?[ .]", line)
        if heading:
            found.add(heading.group(1) if heading.group(2) is None else f"{heading.group(1)}.{heading.group(2)}")
    return found


def test_the_code_cites_only_sections_of_the_reference_in_the_repository():
    known = sections()
    assert {"1.2", "3", "3.2", "5.3", "7.1"} <= known  # the parser reads the headings it should
    cited, outside = {}, []
    for path in cited_files():
        text = path.read_text(encoding="utf-8")
        if path != FACTS and OUTSIDE.search(text):
            outside.append(f"{path.relative_to(ROOT).as_posix()}: {OUTSIDE.search(text).group(0)!r}")
        for match in CITATION.finditer(text):
            for number in SECTION.findall(match.group(1)):
                cited.setdefault(number, path.relative_to(ROOT).as_posix())
    assert outside == [], "cite docs/windows-facts.md, the copy in the repository"
    assert cited, "no citation found: the pattern no longer matches the code"
    assert {number: path for number, path in cited.items() if number not in known} == {}


def test_probe_contract_citations_name_existing_sections():
    known = sections(CONTRACT)
    assert {"1", "2", "3", "4", "5"} <= known
    cited = {number: path.relative_to(ROOT).as_posix() for path in cited_files()
             for match in CONTRACT_CITATION.finditer(path.read_text(encoding="utf-8"))
             for number in SECTION.findall(match.group(1))}
    assert cited, "no citation found: the pattern no longer matches the code"
    assert {number: path for number, path in cited.items() if number not in known} == {}


def test_citations_joined_by_a_slash_are_read():
    assert SECTION.findall(CITATION.search("see docs/windows-facts.md §3.4/§3.5 here").group(1)) == ["3.4", "3.5"]
