# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a task logs (_wire/log.py): at -vvv one line per round trip with the native commands, batch size, command
execution, characters sent and received and time; the script itself only from -vvvv; never a connection variable."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire import log
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import FakeHost, run_action

SECRET = "s3cr3t-Passw0rd"
TASK_VARS = {"inventory_hostname": "web01", "ansible_password": SECRET, "ansible_winrm_password": SECRET}


@pytest.fixture(name="verbosity")
def fixture_verbosity():
    before = log.display.verbosity

    def set_to(level):
        log.display.verbosity = level

    yield set_to
    log.display.verbosity = before


def run_logged(capsys, verbosity, level, name="win_dynamic_port_range", args=None):
    verbosity(level)
    result, _dummy = run_action(name, {"start": 10000, "end": 65535} if args is None else args, FakeHost(), task_vars=TASK_VARS)
    captured = capsys.readouterr()
    return result, captured.out + captured.err


def test_nothing_below_vvv(capsys, verbosity):
    _dummy, out = run_logged(capsys, verbosity, 2)
    assert log.PREFIX not in out


def test_vvv_lists_the_commands_of_each_round_trip(capsys, verbosity):
    result, out = run_logged(capsys, verbosity, 3)
    assert result["changed"] is True
    lines = [line for line in out.splitlines() if log.PREFIX in line]
    assert all(line.startswith("<web01>") for line in lines), lines
    sent = [line for line in lines if "native commands" in line]
    assert len(sent) == 2  # the read, then the writes with their verification
    assert "command execution 1: a batch of" in sent[0] and "(0 writing)" in sent[0]
    assert "netsh int ipv4 show dynamicport tcp" in sent[0] and "reg query" in sent[0]
    assert "command execution 2:" in sent[1] and "(4 writing)" in sent[1]
    assert "netsh int ipv4 set dynamicport tcp start=10000 num=55536" in sent[1]
    received = [line for line in lines if "exit code" in line]
    assert len(received) == 2 and all(" ms" in line and "characters of output" in line for line in received)
    assert "script:" not in out and "$ProgressPreference" not in out and "__PORTSCALE" not in out
    assert SECRET not in out


def test_vvvv_adds_the_script(capsys, verbosity):
    _dummy, out = run_logged(capsys, verbosity, 4)
    assert "command execution 1: script:" in out and "$ProgressPreference = 'SilentlyContinue'" in out and "__PORTSCALE_" in out
    assert SECRET not in out


def test_the_probe_script_is_named_not_shown_at_vvv(capsys, verbosity):
    _dummy, out = run_logged(capsys, verbosity, 3, "win_port_probe", {"count": 10})
    assert "command execution 2: the probe script: 10 connections to 127.0.0.1:0 from ipv4_tcp" in out
    assert "TcpListener" not in out


def test_executions_are_counted_per_task(capsys, verbosity):
    run_logged(capsys, verbosity, 3, "win_port_info", {})
    _dummy, out = run_logged(capsys, verbosity, 3, "win_port_info", {})
    assert "command execution 1:" in out and "command execution 2:" not in out
