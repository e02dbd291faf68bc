# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange
from ansible_collections.portscale.tcpip.plugins.plugin_utils._wire import commands


def test_reads_are_fixed_words():
    assert str(commands.show_dynamic_range("ipv6", "udp")) == "netsh int ipv6 show dynamicport udp"
    assert str(commands.show_excluded_ranges("ipv4", "tcp")) == "netsh int ipv4 show excludedportrange protocol=tcp"
    assert str(commands.query_tcpip_parameters()) == r"reg query HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"
    assert str(commands.netstat()) == "netstat -ano"
    assert str(commands.netstat("tcpv6")) == "netstat -ano -p tcpv6"
    assert not any(c.writes for c in (commands.show_dynamic_range("ipv4", "tcp"), commands.netstat(), commands.query_os_build()))


def test_writes_carry_validated_integers():
    cmd = commands.set_dynamic_range("ipv4", "tcp", PortRange(10000, 50000), "active")
    assert cmd.writes
    assert str(cmd) == "netsh int ipv4 set dynamicport tcp start=10000 num=50000 store=active"
    assert str(commands.add_excluded_range("ipv6", "udp", PortRange(50000, 60))) == (
        "netsh int ipv6 add excludedportrange protocol=udp startport=50000 numberofports=60 store=persistent")
    assert str(commands.set_tcpip_dword("TcpTimedWaitDelay", 30)).endswith("/v TcpTimedWaitDelay /t REG_DWORD /d 30 /f")
    assert str(commands.delete_tcpip_value("MaxUserPort")).endswith("/v MaxUserPort /f")
    assert str(commands.winnat("stop")) == "net stop winnat"


def test_path_with_a_space_is_quoted_for_powershell_and_display():
    cmd = commands.query_os_build()
    assert cmd.powershell() == r"& reg query 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion' /v CurrentBuildNumber"
    assert str(cmd) == r'reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CurrentBuildNumber'


@pytest.mark.parametrize(
    "build",
    [
        lambda: commands.show_dynamic_range("ipv4; calc", "tcp"),
        lambda: commands.show_dynamic_range("ipv4", "sctp"),
        lambda: commands.set_dynamic_range("ipv4", "tcp", PortRange(10000, 1000), "forever"),
        lambda: commands.set_dynamic_range("ipv4", "tcp", PortRange(65000, 1000)),
        lambda: commands.set_dynamic_range("ipv4", "tcp", PortRange(True, 1000)),
        lambda: commands.set_tcpip_dword("Hostname", 1),
        lambda: commands.set_tcpip_dword("MaxUserPort", -1),
        lambda: commands.set_tcpip_dword("MaxUserPort", "65534"),
        lambda: commands.netstat("icmp"),
        lambda: commands.winnat("restart"),
        lambda: commands.NativeCommand(("netsh", "$(calc)")),
        lambda: commands.NativeCommand(("reg", "query", "a'b")),
        lambda: commands.NativeCommand(("netsh", "a  b")),
    ],
)
def test_anything_outside_the_vocabulary_is_refused(build):
    with pytest.raises(commands.UnsafeCommandError):
        build()
