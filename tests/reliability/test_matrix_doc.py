# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/reliability.md and the tests agree: every row of its tables has a test, and every test's row is in the doc."""

from __future__ import annotations

import pathlib
import re

HERE = pathlib.Path(__file__).resolve().parent
DOC = HERE.parents[1] / "docs" / "reliability.md"
ROW_IN_DOC = re.compile(r"^\| ([A-Z]-\d{2}) \|", re.MULTILINE)
ROW_IN_TEST = re.compile(r"""\brow\("([A-Z]-\d{2})"\)""")


def doc_rows() -> list[str]:
    return ROW_IN_DOC.findall(DOC.read_text(encoding="utf-8"))


def tested_rows() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(HERE.glob("test_*.py")):
        if path.name == pathlib.Path(__file__).name:
            continue
        for ident in ROW_IN_TEST.findall(path.read_text(encoding="utf-8")):
            found.setdefault(ident, []).append(path.name)
    return found


def test_every_row_in_the_doc_has_a_test_and_every_test_row_is_documented():
    documented, tested = doc_rows(), tested_rows()
    assert len(documented) == len(set(documented)), "a row id appears twice in docs/reliability.md"
    assert sorted(set(documented) - set(tested)) == [], "rows in docs/reliability.md without a test"
    assert sorted(set(tested) - set(documented)) == [], "tests naming rows that docs/reliability.md does not list"
    assert all(len(files) == 1 for files in tested.values()), {k: v for k, v in tested.items() if len(v) > 1}


def test_the_issue_minimums_are_met():
    rows = doc_rows()
    assert sum(r.startswith("B-") for r in rows) >= 40  # at least 40 bad-input cases
    for prefix in ("F-", "L-", "P-", "S-", "C-"):
        assert any(r.startswith(prefix) for r in rows), prefix
