# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 13 fidelity fixes: WinNAT after a winnat restart and on busy Hyper-V hosts (item 10), binds to excluded ports
(item 12), the wider ``show dynamicport`` labels of current Windows 11 builds (item 13). Each test names its source."""

from __future__ import annotations

import json
import re

import pytest

from portscale_winsim.model import HostModel
from portscale_winsim.model.state import Exclusion
from portscale_winsim.natives import run_native
from portscale_winsim.probe import run_probe

HDR = b"\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port      \r\n----------    --------      \r\n"
FOOT = b"\r\n* - Administered port exclusions.\r\n\r\n"


def run(model, line, codepage=437):
    return run_native(model, line.split(), codepage)


def winnat_blocks(model, ip_version=4, protocol="tcp"):
    return sorted((r.start, r.end) for r in model.exclusions if r.kind == "winnat" and r.ip_version == ip_version and r.protocol == protocol)


# ---------------------------------------------------------------------------- item 10: WinNAT


def _runner_host():
    """The GitHub runner of open-telemetry/opentelemetry-collector PR #10839: HTTP.sys rows and two WinNAT blocks."""
    model = HostModel.create("runner", hyperv=True, load="none")
    model.exclusions = [Exclusion(4, "tcp", port, port, "system") for port in (80, 5986, 47001)]
    model.exclusions += [Exclusion(4, "tcp", 56638, 56737, "winnat"), Exclusion(4, "tcp", 56738, 56837, "winnat")]
    return model


def test_winnat_start_does_not_recreate_the_blocks_otel_ci_log():
    """PR #10839's win-required-ports.ps1: show, Stop-Service winnat, add 55679, Start-Service winnat, show. The log's
    second table has no WinNAT block left (net stop/start is the same service control the collection sends)."""
    model = _runner_host()
    assert run(model, "netsh interface ip show excludedportrange protocol=tcp").stdout == (
        HDR + b"        80          80      \r\n      5986        5986      \r\n     47001       47001      \r\n"
        b"     56638       56737      \r\n     56738       56837      \r\n" + FOOT)
    assert run(model, "net stop winnat").exit_code == 0
    assert run(model, "netsh interface ip add excludedportrange protocol=tcp startport=55679 numberofports=1").stdout == b"Ok.\r\n\r\n"
    assert run(model, "net start winnat").exit_code == 0
    assert model.winnat_running
    assert run(model, "netsh interface ip show excludedportrange protocol=tcp").stdout == (
        HDR + b"        80          80      \r\n      5986        5986      \r\n     47001       47001      \r\n"
        b"     55679       55679     *\r\n" + FOOT)
    # The next boot reserves new blocks (they move at every boot), around the administered exclusion.
    model.reboot()
    blocks = winnat_blocks(model)
    assert blocks and not any(start <= 55679 <= end for start, end in blocks)


def test_heavy_hyperv_host_tcp_and_udp_blocks():
    """hyperv="heavy": 14-40 TCP blocks in runs (chocolatey-test-environment#68: 14; microsoft/WSL#5306: 40), UDP blocks
    too (luanti#11832, netbird#1607); every block 100 ports inside its range, the same in the IPv4 and IPv6 tables."""
    seen = set()
    for seed in range(6):
        model = HostModel.create("hv-heavy", profile="win11", hyperv="heavy", seed=seed)
        assert model.hyperv and model.winnat_profile == "heavy"
        twin = HostModel.create("hv-heavy", profile="win11", hyperv="heavy", seed=seed)
        for protocol, low, high in (("tcp", 14, 40), ("udp", 4, 8)):
            blocks = winnat_blocks(model, 4, protocol)
            assert blocks == winnat_blocks(model, 6, protocol) == winnat_blocks(twin, 4, protocol)
            assert low <= len(blocks) <= high and all(end - start == 99 for start, end in blocks)
            rng = model.dynamic_range(4, protocol)
            assert all(rng.start <= start and end <= rng.end for start, end in blocks)
            assert all(a[1] < b[0] for a, b in zip(blocks, blocks[1:]))       # no overlap
            used = {p for g in model.connections if g.protocol == protocol for p in g.ports}
            assert not any(s <= p <= e for p in used for s, e in blocks)
        tcp = winnat_blocks(model)
        assert any(a[1] + 1 == b[0] for a, b in zip(tcp, tcp[1:]))               # runs of consecutive blocks
        seen.add(tuple(tcp))
        udp_table = run(model, "netsh int ipv4 show excludedportrange protocol=udp").stdout
        assert udp_table.startswith(b"\r\nProtocol udp Port Exclusion Ranges\r\n") and udp_table.count(b"      \r\n") >= 4
        # net stop winnat drops every WinNAT block, UDP included; net start does not bring them back.
        assert run(model, "net stop winnat").exit_code == 0 and run(model, "net start winnat").exit_code == 0
        assert not any(r.kind == "winnat" for r in model.exclusions)
        model.reboot()
        assert len(winnat_blocks(model, 4, "udp")) >= 4 and len(winnat_blocks(model)) >= 14
    assert len(seen) > 1
    # The typical Hyper-V host is unchanged: 2-4 TCP blocks, no UDP block.
    typical = HostModel.create("hv", hyperv=True, seed=1)
    assert typical.winnat_profile == "typical" and 2 <= len(winnat_blocks(typical)) <= 4 and winnat_blocks(typical, 4, "udp") == []


def test_heavy_option_round_trips_and_is_validated():
    model = HostModel.create("hv", profile="server2022", hyperv="heavy")
    data = json.loads(json.dumps(model.to_dict()))
    assert HostModel.from_dict(data) == model
    older = dict(data)
    del older["winnat_profile"]                     # a state file written before the option existed
    assert HostModel.from_dict(older).winnat_profile == "typical"
    with pytest.raises(ValueError, match="WinNAT reservation profile"):
        HostModel.from_dict({**data, "winnat_profile": "huge"})
    for bad in ("lots", 2, "yes"):
        with pytest.raises(ValueError, match="hyperv must be"):
            HostModel.create("x", hyperv=bad)
    with pytest.raises(ValueError, match="no winnat driver"):
        HostModel.create("x", profile="server2012r2", hyperv="heavy")
    assert HostModel.create("x", hyperv="true").winnat_profile == "typical" and not HostModel.create("y", hyperv="false").hyperv


# ---------------------------------------------------------------------------- item 12: binds to excluded ports


def test_explicit_bind_inside_an_administered_exclusion_works():
    """KB 3039044 (only a *second* SO_REUSEADDR bind fails, 2008 R2-2012 R2) and microsoft/msquic#2891 on 50000-50059 *:
    "Binding a socket to this port works without issues". The exclusion keeps the ports out of ephemeral use only."""
    model = HostModel.create("adm", load="none")
    assert run(model, "netsh int ipv4 add excludedportrange protocol=tcp startport=50000 numberofports=60").exit_code == 0
    model.set_load({"apps": [{"pid": 4242, "listen": [50009]}]})
    assert b"  TCP    0.0.0.0:50009          0.0.0.0:0              LISTENING       4242\r\n" in run(model, "netstat -ano -p tcp").stdout
    params = {"schema": 1, "count": 100, "timeout_ms": 60000, "target_host": "127.0.0.1", "target_port": 50009,
              "reuse_unicast_port": False, "port_scalability": False, "local_addresses": [], "ip_version": 4}
    result = run_probe(model, params)
    assert result["opened"] == 100 and result["error"] is None
    assert not 50000 <= result["local_port_min"] <= 50059           # ephemeral ports never come from the exclusion
    # The exclusion survives the reboot and the listener is placed again inside it.
    model.reboot()
    assert any(g.state == "LISTENING" and 50009 in g.ports for g in model.connections)


def test_bind_inside_a_winnat_block_is_refused_and_boot_plans_around_listeners():
    """A WinNAT/HNS block refuses binds with 10013 (docs/windows-facts.md §3.5: microsoft/WSL#5514, docker/for-win#3171), so a load that
    listens inside one is an impossible state: set_load refuses it, and the boot plan leaves listened ports alone."""
    model = HostModel.create("hvb", hyperv=True, load="none", seed=5)
    start, dummy = winnat_blocks(model)[0]
    before = model.to_dict()
    with pytest.raises(ValueError, match="10013"):
        model.set_load({"apps": [{"pid": 4242, "listen": [start + 42]}]})
    assert model.to_dict() == before
    listeners = list(range(49400, 65535, 700))
    model.set_load({"apps": [{"pid": 4242, "listen": listeners}]})
    for dummy_boot in range(8):
        model.reboot()
        assert winnat_blocks(model)
        assert not any(s <= port <= e for port in listeners for s, e in winnat_blocks(model))


# ---------------------------------------------------------------------------- item 13: wider dynamicport labels

WSL_40984_TCP = (b"\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\n"
                 b"Start Port        : 1024\r\nNumber of Ports   : 13977\r\n\r\n")
WSL_40984_UDP = (b"\r\nProtocol udp Dynamic Port Range\r\n---------------------------------\r\n"
                 b"Start Port        : 49152\r\nNumber of Ports   : 16384\r\n\r\n")


def test_win11_25h2_prints_the_wide_dynamicport_labels():
    """microsoft/WSL#40984, Windows 10.0.26200.8875: `Start Port        : 1024` / `Number of Ports   : 13977` (colon at
    column 18). 1024/13977 is the range MaxUserPort=15000 produces at boot (docs/windows-facts.md §5.2), which rebuilds the sample."""
    model = HostModel.create("w11", profile="win11-25h2")
    assert (model.os.build, model.os.ubr) == (26200, 8875)
    assert run(model, "reg add HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v MaxUserPort /t REG_DWORD /d 15000 /f").exit_code == 0
    model.reboot()
    assert run(model, "netsh int ipv4 show dynamicportrange tcp").stdout == WSL_40984_TCP
    assert run(model, "netsh int ipv4 show dynamicportrange udp").stdout == WSL_40984_UDP
    lines = WSL_40984_TCP.decode().split("\r\n")
    assert lines[3].index(":") == 18 and lines[4].index(":") == 18
    # Numbers after the colon, whatever the padding (what the collection's parser reads).
    assert [int(m) for m in re.findall(r"[:\uff1a]\s*([0-9]+)\s*$", WSL_40984_TCP.decode(), re.M)] == [1024, 13977]
    # Older builds keep the classic layout (colon at column 16), docs/windows-facts.md §1.2.
    for profile in ("win11", "server2025", "server2016"):
        classic = run(HostModel.create("c", profile=profile), "netsh int ipv4 show dynamicport tcp").stdout
        assert b"\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n" in classic
    # No French sample of the wide layout: fail loudly rather than invent one.
    french = run(HostModel.create("f", profile="win11-25h2", locale="fr-FR"), "netsh int ipv4 show dynamicport tcp", 850)
    assert french.exit_code == 1 and french.stderr.startswith(b"SIMULATOR-UNSUPPORTED:")
