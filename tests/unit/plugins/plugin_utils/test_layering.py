# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugins/plugin_utils/ holds private sub-packages only, and each imports only the layers below it.

From the bottom: _windows (the Windows model: facts, ports, values, host data, parsers) imports nothing of ours; _wire
(commands, delivery, batches, the one host reader, probe script) the Windows model; _engine (one file per module, plus
converge, capacity, findings, reboot state, the glue/engine contract) both; _report (role-level reporting and
validation) those three; _glue (the Ansible layer) anything. Action and filter plugins use _glue and what they need.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

PLUGIN_UTILS = pathlib.Path(__file__).resolve().parents[4] / "plugins" / "plugin_utils"
PREFIX = "ansible_collections.portscale.tcpip.plugins.plugin_utils"
ALLOWED = {
    "_windows": set(),
    "_wire": {"_windows"},
    "_engine": {"_wire", "_windows"},
    "_report": {"_engine", "_wire", "_windows"},
    "_glue": {"_report", "_engine", "_wire", "_windows"},
}
SOURCES = sorted(PLUGIN_UTILS.rglob("*.py"))


def package_of(path: pathlib.Path) -> str:
    return path.relative_to(PLUGIN_UTILS).parts[0]


def imported_packages(path: pathlib.Path) -> set[str]:
    """The plugin_utils sub-packages a file imports (relative or absolute imports alike)."""
    here = path.relative_to(PLUGIN_UTILS).parent.parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[:len(here) - node.level + 1])
                target = base + (node.module.split(".") if node.module else [])
                if not target:  # "from .. import x" at the top: x is the package
                    target = [node.names[0].name]
            elif node.module and node.module.startswith(PREFIX):
                rest = node.module[len(PREFIX):].lstrip(".")
                target = rest.split(".") if rest else [node.names[0].name]
            else:
                continue
            found.add(target[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name[len(PREFIX):].lstrip(".").split(".")[0] for alias in node.names if alias.name.startswith(PREFIX + "."))
    return found


def test_every_entry_of_plugin_utils_is_private():
    public = sorted(entry.name for entry in PLUGIN_UTILS.iterdir() if not entry.name.startswith("_"))
    assert public == [], f"plugin_utils/ must hold private (underscore) entries only: {public}"


def test_every_package_has_a_layer():
    assert {package_of(path) for path in SOURCES} <= set(ALLOWED)


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PLUGIN_UTILS)))
def test_imports_follow_the_layers(path):
    package = package_of(path)
    forbidden = imported_packages(path) - ALLOWED[package] - {package}
    assert not forbidden, f"{path.relative_to(PLUGIN_UTILS)} ({package}) must not import {sorted(forbidden)}"


def test_the_checker_sees_both_import_forms():
    """The parser of this test itself: relative imports at any depth and absolute ones are all seen."""
    assert imported_packages(PLUGIN_UTILS / "_wire" / "reader.py") >= {"_windows", "_wire"}
    assert "_windows" in imported_packages(PLUGIN_UTILS / "_windows" / "parsers" / "text.py")
    assert imported_packages(PLUGIN_UTILS / "_report" / "role_validation.py") >= {"_engine", "_wire", "_windows"}
