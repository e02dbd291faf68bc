# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows facts live once (_windows/facts.py) and every module judges a value by the same ones.

TcpTimedWaitDelay used to have three definitions: win_tcpip_parameters' per-build limits (30-300 before Windows 8.1 /
Server 2012 R2, 2-300 from it), and a flat 2-300 in capacity (``TIME_WAIT_DELAY_VALID``) and in findings
(``TIME_WAIT_DELAY_LIMITS``). docs/windows-facts.md §5.3 (BizTalk tuning guide) and the module's documentation give the
per-build limits, so a 10 on Server 2008 R2 is a value Windows ignores: TIME_WAIT stays 120 s, and win_port_info says so.
"""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

from ansible_collections.portscale.tcpip.plugins.modules.win_tcpip_parameters import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import capacity, findings, tcpip_parameters
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows import facts
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.host import HostSnapshot
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import TcpipValueError

PLUGINS = pathlib.Path(__file__).resolve().parents[4] / "plugins"
PLUGIN_UTILS = PLUGINS / "plugin_utils"
SERVER_2008_R2, SERVER_2012, SERVER_2012_R2, SERVER_2022 = 7601, 9200, 9600, 20348


@pytest.mark.parametrize("build, limits", [(SERVER_2008_R2, (30, 300)), (SERVER_2012, (30, 300)), (SERVER_2012_R2, (2, 300)),
                                           (SERVER_2022, (2, 300)), (None, (2, 300))])
def test_timed_wait_delay_limits_by_build(build, limits):
    assert facts.timed_wait_delay_limits(build) == limits


def test_the_module_documents_the_same_limits():
    text = " ".join(DOCUMENTATION.split())
    modern, legacy = facts.TIMED_WAIT_DELAY_LIMITS, facts.TIMED_WAIT_DELAY_LIMITS_LEGACY
    assert f"Valid values are {modern[0]} to {modern[1]} on Windows 8.1 / Server 2012 R2 and later, {legacy[0]} to {legacy[1]} on older" in text


def snapshot(build, delay):
    return HostSnapshot(build, {}, {}, {"TcpTimedWaitDelay": delay})


@pytest.mark.parametrize("build, delay, honoured", [
    (SERVER_2008_R2, 10, False), (SERVER_2008_R2, 30, True), (SERVER_2008_R2, 300, True), (SERVER_2008_R2, 301, False),
    (SERVER_2012_R2, 2, True), (SERVER_2012_R2, 1, False), (SERVER_2022, 10, True), (SERVER_2022, 301, False),
])
def test_every_module_judges_a_delay_by_the_same_limits(build, delay, honoured):
    waiting = capacity.time_wait(snapshot(build, delay))
    assert (waiting.seconds, waiting.source) == ((delay, "registry") if honoured else (facts.DEFAULT_TIME_WAIT_SECONDS, "default"))
    codes = [finding.code for finding in findings.registry_findings(snapshot(build, delay))]
    assert ("time_wait_delay_ignored" in codes) is not honoured
    request = tcpip_parameters.request_from_args({"max_user_port": None, "tcp_timed_wait_delay": delay}) if 2 <= delay <= 300 else None
    if request is not None:
        if honoured:
            tcpip_parameters.plan(request, snapshot(build, None))
        else:
            with pytest.raises(TcpipValueError):
                tcpip_parameters.plan(request, snapshot(build, None))


# Every Windows limit and version floor of facts.py. 300 and 1024 are among them; the event IDs are not (they name
# events in messages, and commands.py's query pattern must spell them).
LIMITS = {facts.PORT_MAX, facts.PORT_MAX + 1, facts.DYNAMIC_START_MIN, facts.DEFAULT_DYNAMIC_START, facts.DEFAULT_DYNAMIC_COUNT,
          *facts.MAX_USER_PORT_LIMITS, facts.MAX_USER_PORT_BOOT_START, facts.TIMED_WAIT_DELAY_LIMITS[1],
          facts.FIRST_SHORT_TIMED_WAIT_BUILD, facts.REUSE_BUILT_IN_BUILD, facts.REUSE_UPDATE_BUILD, facts.CMD_LINE_LIMIT}
LIMIT_WORD = re.compile(r"(?<![\w.])(%s)(?!\w)" % "|".join(str(limit) for limit in sorted(LIMITS)))
# The probe's PowerShell script checks its own parameters again on the host (docs/probe-contract.md): it cannot import.
SCRIPT_TEXT = {"probe_script.py"}


def limit_literals(path: pathlib.Path, root: pathlib.Path = PLUGINS.parent) -> list[str]:
    """Number constants and non-documentation string constants (f-string parts too) that spell a facts.py limit."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            skipped.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Assign) and any(getattr(target, "id", "") in ("DOCUMENTATION", "EXAMPLES", "RETURN") for target in node.targets):
            skipped.add(id(node.value))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in skipped or isinstance(node.value, bool):
            continue
        if (isinstance(node.value, int) and node.value in LIMITS) or (isinstance(node.value, str) and LIMIT_WORD.search(node.value)):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {node.value!r:.60}")
    return found


def test_no_other_file_spells_a_windows_limit():
    """The limits of facts.py appear nowhere else under plugins/ (code and messages alike; the module stubs' docs may)."""
    offenders = [found for path in sorted(PLUGINS.rglob("*.py"))
                 if path.name != "facts.py" and path.name not in SCRIPT_TEXT and "modules" not in path.parts
                 for found in limit_literals(path)]
    assert offenders == []


def test_the_limit_check_sees_numbers_messages_and_fstrings(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""Docstring 65535 is fine."""\nA = 49152\nB = f"up to {x} and 65535"\nC = "ok 123"\n', encoding="utf-8")
    assert [line.split(":")[1] for line in limit_literals(sample, tmp_path)] == ["2", "3"]
