# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No false success: the persistent store, registry values of the wrong type, listeners inside exclusions, a host
that becomes unreachable after the writes, and warnings that name their host (each reproduced on the earlier code)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins import loader as plugin_loader

from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import FakeConnection, FakeHost, run_action

WIDE = {"start": 10000, "end": 65535}
WIDE_VIEW = {"start": 10000, "count": 55536, "end": 65535}
DEFAULT_VIEW = {"start": 49152, "count": 16384, "end": 65535}
KEYS = ("ipv4_tcp", "ipv4_udp", "ipv6_tcp", "ipv6_udp")


# ---- 1. store=persistent reads and converges the persistent store ---------------------------------------------------

def test_a_range_set_for_this_boot_only_is_not_taken_for_a_persistent_one():
    host = FakeHost()
    first, _conn = run_action("win_dynamic_port_range", {**WIDE, "store": "active"}, host)
    assert first["changed"] is True and host.persistent_ranges == {c: (49152, 16384) for c in host.ranges}
    check, conn = run_action("win_dynamic_port_range", {**WIDE, "store": "persistent"}, host, check_mode=True, diff=True)
    assert check["changed"] is True and len(conn.command_lines) == 1
    # Both stores where they differ: what runs now, and what the next boot brings back.
    assert check["diff"]["before"] == {k: {**WIDE_VIEW, "persistent": DEFAULT_VIEW} for k in KEYS}
    assert check["diff"]["after"] == {k: WIDE_VIEW for k in KEYS}
    done, _conn = run_action("win_dynamic_port_range", {**WIDE, "store": "persistent"}, host)
    assert done["changed"] is True and host.persistent_ranges == {} and done["after"] == {k: WIDE_VIEW for k in KEYS}
    again, conn = run_action("win_dynamic_port_range", {**WIDE, "store": "persistent"}, host)
    assert again["changed"] is False and len(conn.command_lines) == 1


def test_store_active_compares_the_active_store_only():
    host = FakeHost(persistent_ranges={c: (20000, 45536) for c in FakeHost().ranges})
    result, _conn = run_action("win_dynamic_port_range", {"state": "default", "store": "active"}, host)
    assert result["changed"] is False and "persistent" not in str(result["before"])


def test_an_exclusion_added_for_this_boot_only_is_made_persistent():
    host = FakeHost()
    sql = {"ranges": [{"start": 5022, "count": 1}], "ip_versions": ["ipv4"]}
    run_action("win_excluded_port_range", {**sql, "store": "active"}, host)
    assert host.active_only == {(("ipv4", "tcp"), 5022, 5022)}
    result, _conn = run_action("win_excluded_port_range", {**sql, "store": "persistent"}, host, diff=True)
    assert result["changed"] is True and result["before"] == {"ipv4_tcp": [{"start": 5022, "end": 5022, "count": 1, "store": "active"}]}
    assert result["after"] == {"ipv4_tcp": [{"start": 5022, "end": 5022, "count": 1}]} and host.active_only == set()
    assert [c.split()[3] for c in result["commands"]] == ["delete", "add"]
    again, _conn = run_action("win_excluded_port_range", {**sql, "store": "persistent"}, host)
    assert again["changed"] is False


# ---- 2. registry values of another type -----------------------------------------------------------------------------

@pytest.mark.parametrize("stored", [("REG_QWORD", "0xfffe"), ("REG_DWORD_BIG_ENDIAN", "0xfffe0000"), ("REG_SZ", "65534")])
def test_a_max_user_port_windows_ignores_is_rewritten_not_taken_as_set(stored):
    host = FakeHost(registry={"MaxUserPort": stored})
    result, _conn = run_action("win_tcpip_parameters", {"max_user_port": 65534}, host)
    assert result["changed"] is True and host.registry["MaxUserPort"] == 65534
    assert result["before"]["MaxUserPort"]["type"] == stored[0] and result["before"]["MaxUserPort"]["in_effect"] is False
    assert result["after"] == {"MaxUserPort": 65534} and result["reboot_required"] is True


def test_an_ignored_value_is_reported_removable_and_blocks_nothing():
    host = FakeHost(registry={"MaxUserPort": ("REG_SZ", "65534")})
    info, _conn = run_action("win_port_info", {}, host, task_vars={"inventory_hostname": "gw01"})
    assert info.get("failed") is not True
    assert any(f["code"] == "registry_value_ignored" for f in info["findings"])
    assert info["registry"]["MaxUserPort"]["value"] is None  # not in effect: no boot rewrite, nothing pending
    ranges, _conn = run_action("win_dynamic_port_range", WIDE, host)
    assert ranges.get("failed") is not True and not any("MaxUserPort" in w for w in ranges["warnings"])
    twd, _conn = run_action("win_tcpip_parameters", {"tcp_timed_wait_delay": 30}, host, task_vars={"inventory_hostname": "gw01"})
    assert any(w.startswith("gw01: MaxUserPort is stored as REG_SZ") for w in twd["warnings"])
    removed, _conn = run_action("win_tcpip_parameters", {"max_user_port": "absent"}, host)
    assert removed["changed"] is True and "MaxUserPort" not in host.registry
    # Windows never read it: removing it leaves no marker; the reboot still required is the TcpTimedWaitDelay written above.
    assert "MaxUserPort" not in host.markers and removed["reboot_required"] is True
    assert [name for name, state in removed["reboot_state"].items() if state["pending"]] == ["TcpTimedWaitDelay"]


# ---- 4. listener_guard: ports inside an exclusion are never handed out -----------------------------------------------

def test_the_documented_example_passes_on_a_default_host_with_winrm_in_the_exclusions():
    # WinRM's HTTP.sys listener on 47001 is in the system exclusion table of every default Server 2022.
    host = FakeHost(connections=[("TCP", "0.0.0.0:47001", "0.0.0.0:0", "LISTENING", "4")],
                    exclusions={**{c: [] for c in FakeHost().ranges}, ("ipv4", "tcp"): [(47001, 47001, False)]})
    result, _conn = run_action("win_dynamic_port_range", {"start": 20000, "end": 65535, "listener_guard": "fail"}, host)
    assert result.get("failed") is not True and result["changed"] is True
    host = FakeHost(connections=[("TCP", "0.0.0.0:47001", "0.0.0.0:0", "LISTENING", "4")])
    refused, _conn = run_action("win_dynamic_port_range", {"start": 20000, "end": 65535, "listener_guard": "fail"}, host)
    assert refused["failed"] is True and "ipv4_tcp: 47001" in refused["msg"] and host.writes == []


def test_warnings_name_the_host_and_stay_with_their_module():
    host = FakeHost(exclusions={**{c: [] for c in FakeHost().ranges}, ("ipv4", "tcp"): [(50000, 50099, False)]})
    result, _conn = run_action("win_tcpip_parameters", {"tcp_timed_wait_delay": 30}, host, task_vars={"inventory_hostname": "gw01"})
    assert result["warnings"] == []  # a WinNAT block in the range is win_dynamic_port_range's business
    ranges, _conn = run_action("win_dynamic_port_range", {"state": "default"}, host, task_vars={"inventory_hostname": "gw01"})
    assert ranges["warnings"] and all(w.startswith("gw01: ") for w in ranges["warnings"])


# ---- 5c. unreachable after the writes keeps what may have been applied ----------------------------------------------

class DropsAfterTheRead(FakeConnection):
    """The read goes through; the write batch runs on the host but its answer is lost, and the host stays down."""

    def exec_command(self, cmd, in_data=None, sudoable=True):
        if len(self.command_lines) == 0:
            return super().exec_command(cmd, in_data, sudoable)
        if len(self.command_lines) == 1:
            super().exec_command(cmd, in_data, sudoable)
            raise AnsibleConnectionFailure("winrm: connection reset")
        self.command_lines.append(cmd)
        raise AnsibleConnectionFailure("winrm: connection refused")

    def reset(self):
        raise AnsibleConnectionFailure("winrm: connection refused")


def test_a_host_lost_after_the_writes_is_unreachable_with_what_it_may_have_applied():
    host = FakeHost()
    connection = DropsAfterTheRead(host, plugin_loader.shell_loader.get("powershell"))
    result, _conn = run_action("win_dynamic_port_range", WIDE, host, connection=connection)
    assert result["unreachable"] is True and "failed" not in result and len(host.writes) == 4
    assert result["applied"] is None and result["not_applied"] is None and result["changed"] is True
    assert "The host may have applied any of: 'netsh int ipv4 set dynamicport tcp start=10000" in result["msg"]


# ---- 8. netstat without -q ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("netstat_q", ["usage-rc1", "usage-rc0"])
def test_netstat_without_q_falls_back_to_ano_whatever_its_exit_code(netstat_q):
    host = FakeHost(netstat_q=netstat_q, connections=[("TCP", "10.0.0.5:50000", "10.0.0.9:443", "ESTABLISHED", "812")])
    result, conn = run_action("win_port_info", {}, host)
    assert result.get("failed") is not True and result["bound_sockets_listed"] is False
    assert len(conn.command_lines) == 2 and result["command_executions"] == 2
    assert any(f["code"] == "bound_sockets_not_listed" and f["severity"] == "warning" for f in result["findings"])
