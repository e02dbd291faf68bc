# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows facts live once (_windows/facts.py) and every module judges a value by the same ones.

TcpTimedWaitDelay used to have three definitions: win_tcpip_parameters' per-build limits (30-300 before Windows 8.1 /
Server 2012 R2, 2-300 from it), and a flat 2-300 in capacity (``TIME_WAIT_DELAY_VALID``) and in findings
(``TIME_WAIT_DELAY_LIMITS``). docs/windows-facts.md §5.3 (BizTalk tuning guide) and the module's documentation give the
per-build limits, so a 10 on Server 2008 R2 is a value Windows ignores: TIME_WAIT stays 120 s, and win_port_info says so.
"""

from __future__ import annotations

import pathlib
import re

import pytest

from ansible_collections.portscale.tcpip.plugins.modules.win_tcpip_parameters import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import capacity, findings, tcpip_parameters
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows import facts
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.host import HostSnapshot
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import TcpipValueError

PLUGIN_UTILS = pathlib.Path(__file__).resolve().parents[4] / "plugins" / "plugin_utils"
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


def test_no_other_file_defines_a_windows_limit():
    """The limits of facts.py appear as literals nowhere else under plugin_utils."""
    literals = re.compile(r"\((?:2|30), 300\)|\(5000, 65534\)|= 9600\b|= 49152\b|= 16384\b|= 65535\b|= 8191\b")
    offenders = [str(path.relative_to(PLUGIN_UTILS)) for path in PLUGIN_UTILS.rglob("*.py")
                 if path.name != "facts.py" and literals.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
