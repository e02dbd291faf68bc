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
COLLECTION = "ansible_collections.portscale.tcpip"
PREFIX = COLLECTION + ".plugins.plugin_utils"
ALLOWED = {
    "_windows": set(),
    "_wire": {"_windows"},
    "_engine": {"_wire", "_windows"},
    # role_validation.py reads the module stubs' documentation (the options it validates the role's variables against)
    "_report": {"_engine", "_wire", "_windows", "plugins.modules"},
    "_glue": {"_report", "_engine", "_wire", "_windows", "plugins.modules"},
}
SOURCES = sorted(PLUGIN_UTILS.rglob("*.py"))
# Dynamic imports would hide an edge from this test.
DYNAMIC_IMPORTS = {"importlib", "__import__", "import_module"}


def package_of(path: pathlib.Path) -> str:
    return path.relative_to(PLUGIN_UTILS).parts[0]


def _absolute(module: str, names: list[str]) -> set[str]:
    """The layer an absolute import of ``module`` (importing ``names`` from it) reaches; other collection plugins as
    ``plugins.<kind>``."""
    if module == PREFIX:
        return set(names)
    if module.startswith(PREFIX + "."):
        return {module[len(PREFIX) + 1:].split(".")[0]}
    if module.startswith(COLLECTION + ".plugins."):
        return {".".join(module[len(COLLECTION) + 1:].split(".")[:2])}
    if module in (COLLECTION, COLLECTION + ".plugins"):
        return {f"collection:{module}"}
    return set()


def imported_packages(source: str, relative_to: tuple[str, ...]) -> set[str]:
    """The plugin_utils sub-packages (and other collection plugin kinds) a file imports, in every import form; a
    dynamic import shows as ``dynamic``. ``relative_to``: the file's folder under plugin_utils."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
            if node.level:
                if node.level > len(relative_to) + 1:
                    found.add("outside plugin_utils")
                    continue
                base = list(relative_to[:len(relative_to) - node.level + 1])
                target = base + (node.module.split(".") if node.module else [])
                found.update([target[0]] if target else names)  # "from .. import x, y" at the top: x and y
            elif node.module:
                found |= _absolute(node.module, names)
                if node.module == "importlib" or "import_module" in names:
                    found.add("dynamic")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found |= _absolute(alias.name, [])
                if alias.name == "importlib":
                    found.add("dynamic")
        elif isinstance(node, ast.Name) and node.id == "__import__":
            found.add("dynamic")
    return found


def imports_of(path: pathlib.Path) -> set[str]:
    return imported_packages(path.read_text(encoding="utf-8"), path.relative_to(PLUGIN_UTILS).parent.parts)


def test_every_entry_of_plugin_utils_is_private():
    public = sorted(entry.name for entry in PLUGIN_UTILS.iterdir() if not entry.name.startswith("_"))
    assert public == [], f"plugin_utils/ must hold private (underscore) entries only: {public}"


def test_every_package_has_a_layer():
    assert {package_of(path) for path in SOURCES} <= set(ALLOWED)


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PLUGIN_UTILS)))
def test_imports_follow_the_layers(path):
    package = package_of(path)
    forbidden = imports_of(path) - ALLOWED[package] - {package}
    assert not forbidden, f"{path.relative_to(PLUGIN_UTILS)} ({package}) must not import {sorted(forbidden)}"


def test_the_checker_sees_both_import_forms():
    """The parser of this test itself, on the real files: relative imports at any depth and absolute ones."""
    assert imports_of(PLUGIN_UTILS / "_wire" / "reader.py") >= {"_windows", "_wire"}
    assert "_windows" in imports_of(PLUGIN_UTILS / "_windows" / "parsers" / "text.py")
    assert imports_of(PLUGIN_UTILS / "_report" / "role_validation.py") >= {"_engine", "_wire", "_windows", "plugins.modules"}


@pytest.mark.parametrize("source, expected", [
    ("from ansible_collections.portscale.tcpip.plugins.plugin_utils import _wire, _glue", {"_wire", "_glue"}),
    ("from .. import _wire, _glue", {"_wire", "_glue"}),
    ("from ..._wire import remote", {"outside plugin_utils"}),
    ("import ansible_collections.portscale.tcpip.plugins.plugin_utils._engine.probe", {"_engine"}),
    ("from ansible_collections.portscale.tcpip.plugins.action import win_port_info", {"plugins.action"}),
    ("from ansible_collections.portscale.tcpip.plugins import filter", {"collection:ansible_collections.portscale.tcpip.plugins"}),
    ("import importlib\nimportlib.import_module('x')", {"dynamic"}),
    ("from importlib import import_module", {"dynamic"}),
    ("m = __import__('x')", {"dynamic"}),
])
def test_the_checker_sees_every_import_form(source, expected):
    """Every form that could hide an edge, in a file of _windows (which may import nothing of ours)."""
    assert imported_packages(source, ("_windows",)) == expected
