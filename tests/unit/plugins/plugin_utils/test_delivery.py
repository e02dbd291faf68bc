# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How scripts reach the host: the delivery rules, then every module through the real winrm, psrp and ssh connection
plugins of the ansible-core these tests run on (make test runs them on every core from 2.16 to 2.21)."""

from __future__ import annotations

import base64

import pytest
import tree_sitter
import tree_sitter_powershell

from ansible.release import __version__ as ansible_core_version

from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire import delivery, probe_script
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire.reader import SnapshotRequest, snapshot_commands
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire.remote import build_batch
from portscale_winsim.model import HostModel
from portscale_winsim.shell import stdin_script as simulated_loader
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.core_connections import TRANSPORTS, connection
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import run_action

PROBE = probe_script.render({"schema": 1, "count": 200, "timeout_ms": 30000, "target_host": "127.0.0.1", "target_port": 0,
                             "reuse_unicast_port": False, "port_scalability": False, "local_addresses": [], "ip_version": 4})
READ_ALL = build_batch(snapshot_commands(SnapshotRequest(netstat=True, netstat_bound=True)), "0123456789abcdef")
SMALL = "$ProgressPreference = 'SilentlyContinue'\n"
CORE = tuple(int(part) for part in ansible_core_version.split(".")[:2])
# A hundred exclusions: the longest write batch the modules can send (their limit per task).
HUNDRED = [{"start": 20000 + 10 * i, "count": 5} for i in range(100)]


def decoded(line: str) -> str:
    return base64.b64decode(line.rsplit(" ", 1)[-1]).decode("utf-16-le")


def test_the_loader_parses_as_powershell_and_is_the_one_the_simulator_recognises():
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    assert not parser.parse(delivery.STDIN_LOADER.encode("utf-8")).root_node.has_error
    assert delivery.STDIN_LOADER == simulated_loader.STDIN_LOADER


def test_the_loader_fits_every_delivery_even_encoded_twice():
    # Otherwise a long script could not be sent at all over a connection that encodes the line once more.
    assert delivery.CAUTIOUS.fits(delivery.STDIN_LOADER)
    assert delivery.CAUTIOUS.host_line_length(delivery.STDIN_LOADER) <= delivery.CMD_LINE_LIMIT


def test_winrm_gets_the_script_itself_and_stdin_only_past_cmd_exes_limit():
    assert delivery.WINRM.command(SMALL) == (SMALL, None)
    assert delivery.WINRM.command(READ_ALL) == (READ_ALL, None)  # one read batch: one command line, one process
    assert len(delivery.encode_powershell(READ_ALL)) <= delivery.CMD_LINE_LIMIT
    cmd, stdin = delivery.WINRM.command(PROBE)
    assert len(delivery.encode_powershell(PROBE)) > delivery.CMD_LINE_LIMIT
    assert (cmd, stdin) == (delivery.STDIN_LOADER, PROBE.encode("ascii"))


def test_psrp_gets_an_encoded_line_and_never_stdin():
    for script in (SMALL, READ_ALL, PROBE):
        cmd, stdin = delivery.PSRP.command(script)
        assert stdin is None and cmd.startswith(delivery.POWERSHELL_PREFIX) and decoded(cmd) == script


def test_other_connections_get_a_line_that_fits_even_when_encoded_again():
    cmd, stdin = delivery.CAUTIOUS.command(SMALL)
    assert stdin is None and decoded(cmd) == SMALL
    # The read batch fits cmd.exe once encoded, not twice: it goes on stdin for a connection that may encode it again.
    cmd, stdin = delivery.CAUTIOUS.command(READ_ALL)
    assert decoded(cmd) == delivery.STDIN_LOADER and stdin == READ_ALL.encode("ascii")


def test_non_ascii_scripts_never_go_on_stdin():
    with pytest.raises(delivery.DeliveryError, match="ASCII"):
        delivery.WINRM.command("# é\n" * 3000)


@pytest.mark.parametrize("transport, expected", [
    ("winrm", delivery.WINRM), ("ansible.builtin.winrm", delivery.WINRM), ("psrp", delivery.PSRP),
    ("ansible.builtin.psrp", delivery.PSRP), ("ssh", delivery.CAUTIOUS), ("community.example.winrm", delivery.CAUTIOUS),
    ("paramiko_ssh", delivery.CAUTIOUS),
])
def test_delivery_by_transport(transport, expected):
    assert delivery.delivery_for(transport) is expected


# ---- the core's own connection plugins -------------------------------------------------------------------------------


def run(transport, model, name, args, check_mode=False):
    conn, wire = connection(transport, model)
    result, _conn = run_action(name, args, None, check_mode=check_mode, connection=conn)
    return result, wire


# ansible-core 2.16-2.17's ssh connection sends ``chcp.com 65001 > $null ; PowerShell ...``: PowerShell syntax, which
# sshd's default shell cmd.exe cannot run (it needs DefaultShell set to PowerShell, as Ansible's Windows SSH guide says).
WORKS = [t for t in TRANSPORTS if not (t == "ssh-cmd" and CORE < (2, 18))]


@pytest.mark.skipif(CORE >= (2, 18), reason="from 2.18 the ssh connection sends the command unchanged, which cmd.exe runs")
def test_before_2_18_ssh_needs_powershell_as_the_default_shell():
    model = HostModel.create("h1", profile="server2022")
    result, wire = run("ssh-cmd", model, "win_port_info", {})
    assert result["failed"] is True and wire.command_lines[0].startswith("chcp.com 65001 > $null ; PowerShell ")
    assert "SIMULATOR-UNSUPPORTED: cmd.exe" in result["msg"], result["msg"]
    # What cmd.exe says does not name the cause (a real one complains about chcp's parameters): the message does.
    assert "Windows OpenSSH must have PowerShell as its default shell" in result["msg"], result["msg"]


@pytest.mark.parametrize("transport, core, ran_nothing, hinted", [
    ("ssh", (2, 16), True, True), ("ansible.builtin.ssh", (2, 17), True, True), ("ssh", (2, 18), True, False),
    ("ssh", (2, 16), False, False), ("winrm", (2, 16), True, False), ("psrp", (2, 17), True, False),
])
def test_the_default_shell_hint_only_where_it_can_be_the_cause(transport, core, ran_nothing, hinted):
    assert bool(delivery.refusal_hint(transport, core, ran_nothing)) is hinted


@pytest.mark.parametrize("transport", WORKS)
def test_every_module_reads_changes_and_converges_over_this_cores_connection(transport):
    model = HostModel.create("h1", profile="server2022")
    result, wire = run(transport, model, "win_dynamic_port_range", {"start": 10000, "end": 65535})
    assert result.get("failed") is not True, result
    assert result["changed"] is True and len(wire.command_lines) == 2 and model.dynamic_range(4, "tcp", "active").start == 10000
    result, wire = run(transport, model, "win_dynamic_port_range", {"start": 10000, "end": 65535})
    assert result["changed"] is False and len(wire.command_lines) == 1
    result, wire = run(transport, model, "win_tcpip_parameters", {"tcp_timed_wait_delay": 30})
    assert result["changed"] is True and result["reboot_required"] is True, result
    result, wire = run(transport, model, "win_excluded_port_range", {"ranges": HUNDRED})
    assert result["changed"] is True and len(result["after"]["ipv4_tcp"]) >= 100, result
    result, wire = run(transport, model, "win_excluded_port_range", {"ranges": HUNDRED, "state": "absent"})
    assert result["changed"] is True, result
    result, wire = run(transport, model, "win_port_info", {})
    assert result.get("failed") is not True and result["ranges"]["ipv4_tcp"]["start"] == 10000, result
    result, wire = run(transport, model, "win_port_probe", {"count": 200})
    assert result.get("failed") is not True and result["opened"] == 200, result


@pytest.mark.parametrize("transport", WORKS)
def test_what_reaches_the_host_fits_its_command_line_on_this_core(transport):
    model = HostModel.create("h1", profile="server2022")
    for name, args in (("win_port_info", {}), ("win_port_probe", {"count": 10}), ("win_excluded_port_range", {"ranges": HUNDRED})):
        result, wire = run(transport, model, name, args)
        assert result.get("failed") is not True, result
        if transport == "psrp":
            # A runspace: no command line, and stdin is never used (2.16-2.18 would pass it as a byte array).
            assert wire.psrp_input == [None] * len(wire.command_lines)
            continue
        assert all(len(line) <= delivery.CMD_LINE_LIMIT for line in wire.command_lines)


def test_winrm_starts_one_powershell_per_execution_on_this_core():
    # Before 2.19 winrm encodes a ready -EncodedCommand line again: a second powershell.exe per task on the host.
    model = HostModel.create("h1", profile="server2022")
    _result, wire = run("winrm", model, "win_port_info", {})
    (line,) = wire.command_lines
    assert not decoded(line).lstrip().lower().startswith("powershell"), f"a nested powershell.exe on {ansible_core_version}"
