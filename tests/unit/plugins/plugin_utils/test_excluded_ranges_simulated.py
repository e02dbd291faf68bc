# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_excluded_port_range with winnat_restart against a simulated Hyper-V host (portscale_winsim's model and shell).

The simulator follows opentelemetry-collector PR #10839's CI log: ``net stop winnat`` removes every WinNAT block and
``net start winnat`` does not re-create them; the next boot reserves new ones, around the administered exclusions.
The action's result must say what the host has after the change, not what it had before.
"""

from __future__ import annotations

from portscale_winsim.model import HostModel
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.fake_host import run_action
from ansible_collections.portscale.tcpip.tests.unit.plugins.plugin_utils.sim_host import SimHost

NAME = "win_excluded_port_range"
WINNAT_BLOCK = 100


def blocks(result, table="ipv4_tcp"):
    return [row for row in result["system_reservations"][table] if row["count"] >= WINNAT_BLOCK]


def read(model):
    """The tables as they are (check mode with purge and no ranges: one read, no write)."""
    result, _connection = run_action(NAME, {"ranges": [], "purge": True, "ip_versions": ["ipv4", "ipv6"]}, SimHost(model), check_mode=True)
    return result


def overlapping(rows, start, end):
    return [row for row in rows if row["start"] <= end and start <= row["end"]]


def test_a_winnat_restart_reports_the_blocks_gone_and_a_reboot_brings_them_back_around_the_exclusion():
    model = HostModel.create("hv", profile="win11", hyperv=True)
    before = read(model)
    assert blocks(before) and blocks(before, "ipv6_tcp")
    first = blocks(before)[0]
    wanted = {"start": first["start"], "count": 10}
    args = {"ranges": [wanted], "ip_versions": ["ipv4", "ipv6"], "winnat_restart": True}

    result, connection = run_action(NAME, args, SimHost(model), task_vars={"inventory_hostname": "hv"})
    assert result.get("failed") is not True, result
    assert result["changed"] is True and len(connection.command_lines) == 2
    assert result["commands"][0] == "net stop winnat" and result["commands"][-1] == "net start winnat"
    # The host has no WinNAT block left, and the result says so (it used to repeat the table read before the change).
    assert not any(row.kind == "winnat" for row in model.exclusions) and model.winnat_running
    assert blocks(result) == [] and blocks(result, "ipv6_tcp") == []
    assert not any("Hyper-V/WinNAT reservation" in w for w in result["warnings"]), result["warnings"]

    again, connection = run_action(NAME, args, SimHost(model))
    assert again["changed"] is False and again["commands"] == [] and len(connection.command_lines) == 1
    assert blocks(again) == []

    model.reboot()
    after_boot = read(model)
    last = wanted["start"] + wanted["count"] - 1
    assert blocks(after_boot), "the next boot reserves WinNAT blocks again"
    for table in ("ipv4_tcp", "ipv6_tcp"):
        assert overlapping(blocks(after_boot, table), wanted["start"], last) == []
        assert {"start": wanted["start"], "end": last, "count": 10} in after_boot["before"][table]
