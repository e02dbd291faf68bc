# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Boot semantics: pending vs effective registry values, MaxUserPort rewrite, active store, WinNAT re-planning."""

from __future__ import annotations

from portscale_winsim.model import HostModel
from portscale_winsim.natives import run_native

KEY = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"


def run(model, line):
    return run_native(model, line.split(), 437)


def shown_range(model, ip_version=4, proto="tcp", store=""):
    text = run(model, f"netsh int ipv{ip_version} show dynamicport {proto} {store}".strip()).stdout.decode()
    numbers = [int(line.split(":")[1]) for line in text.split("\r\n") if ":" in line]
    return tuple(numbers)


def test_max_user_port_65534_rewrites_tcp_at_boot_only():
    model = HostModel.create("win01")
    assert run(model, f"reg add {KEY} /v MaxUserPort /t REG_DWORD /d 65534 /f").exit_code == 0
    # Pending: the registry shows it at once, the range does not change before the reboot.
    assert b"0xfffe" in run(model, f"reg query {KEY} /v MaxUserPort").stdout
    assert shown_range(model) == (49152, 16384) and model.effective.max_user_port is None
    model.reboot()
    assert model.effective.max_user_port == 65534
    for ip_version in (4, 6):
        assert shown_range(model, ip_version, "tcp") == (1024, 64511)          # docs/windows-facts.md §5.2
        assert shown_range(model, ip_version, "udp") == (49152, 16384)         # UDP untouched
        assert shown_range(model, ip_version, "tcp", "store=persistent") == (49152, 16384)


def test_max_user_port_15000_and_removal():
    model = HostModel.create("win01")
    run(model, f"reg add {KEY} /v MaxUserPort /t REG_DWORD /d 0x3a98 /f")
    model.reboot()
    assert shown_range(model) == (1024, 13977)                                 # WSL#40984
    run(model, f"reg delete {KEY} /v MaxUserPort /f")
    assert shown_range(model) == (1024, 13977)                                 # still until reboot
    model.reboot()
    assert shown_range(model) == (49152, 16384)


def test_max_user_port_out_of_range_or_wrong_type_is_ignored():
    model = HostModel.create("win01")
    model.set_registry_value("MaxUserPort", "REG_DWORD", 4000)
    model.reboot()
    assert shown_range(model) == (49152, 16384)
    model.set_registry_value("MaxUserPort", "REG_SZ", "65534")
    model.reboot()
    assert shown_range(model) == (49152, 16384)


def test_legacy_max_user_port():
    model = HostModel.create("old", profile="server2003")
    model.set_registry_value("MaxUserPort", "REG_DWORD", 60000)
    assert model.dynamic_range(4, "tcp").end == 5000
    model.reboot()
    assert (model.dynamic_range(4, "tcp").start, model.dynamic_range(4, "tcp").end) == (1025, 60000)
    assert model.dynamic_range(4, "udp").end == 60000


def test_time_wait_delay_pending_then_effective_changes_time_wait_rows():
    model = HostModel.create("win01", load={"system": False, "apps": [{"pid": 900, "churn_per_sec": 10.0}]})

    def time_wait():
        return sum(len(g.ports) for g in model.connections if g.state == "TIME_WAIT")

    assert time_wait() == 10 * 120
    run(model, f"reg add {KEY} /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f")
    assert time_wait() == 1200 and model.effective.time_wait_delay == 120
    model.reboot()
    assert model.effective.time_wait_delay == 30 and time_wait() == 300


def test_time_wait_delay_minimum_depends_on_profile():
    new, old = HostModel.create("a", profile="server2019"), HostModel.create("b", profile="server2008r2")
    for model in (new, old):
        model.set_registry_value("TcpTimedWaitDelay", "REG_DWORD", 5)
        model.reboot()
    assert new.effective.time_wait_delay == 5
    assert old.effective.time_wait_delay == 120    # below 30 is out of range before 2012 R2: default applies


def test_active_store_is_lost_at_reboot():
    model = HostModel.create("win01", load="none")
    assert run(model, "netsh int ipv4 set dynamicport tcp start=20000 num=5000 store=active").exit_code == 0
    assert run(model, "netsh int ipv6 set dynamicport udp start=30000 num=1000").exit_code == 0
    assert run(model, "netsh int ipv4 add excludedportrange tcp 50000 10 store=active").exit_code == 0
    assert run(model, "netsh int ipv4 add excludedportrange tcp 51000 10").exit_code == 0
    assert shown_range(model) == (20000, 5000)
    assert shown_range(model, store="store=persistent") == (49152, 16384)
    persistent_rows = run(model, "netsh int ipv4 show excludedportrange tcp store=persistent").stdout
    assert b"51000" in persistent_rows and b"50000" not in persistent_rows
    model.reboot()
    assert shown_range(model) == (49152, 16384)
    assert shown_range(model, 6, "udp") == (30000, 1000)
    rows = run(model, "netsh int ipv4 show excludedportrange tcp").stdout
    assert b"     51000       51009     *" in rows and b"50000" not in rows


def _winnat_blocks(model, ip_version=4):
    return sorted((r.start, r.end) for r in model.exclusions if r.kind == "winnat" and r.ip_version == ip_version)


def test_winnat_replanned_each_boot_inside_range_and_deterministic():
    model = HostModel.create("hv01", hyperv=True, seed=7)
    twin = HostModel.create("hv01", hyperv=True, seed=7)
    seen = []
    for dummy in range(4):
        blocks = _winnat_blocks(model)
        assert blocks == _winnat_blocks(twin) and blocks == _winnat_blocks(model, 6)
        assert 2 <= len(blocks) <= 4 and all(end - start == 99 for start, end in blocks)
        rng = model.dynamic_range(4, "tcp")
        assert all(rng.start <= start and end <= rng.end for start, end in blocks)
        administered = [r for r in model.exclusions if r.administered]
        assert not any(r.overlaps(s, e) for r in administered for s, e in blocks)
        used = {p for g in model.connections if g.protocol == "tcp" and g.ip_version == 4 for p in g.ports}
        assert not any(s <= p <= e for p in used for s, e in blocks)
        seen.append(blocks)
        model.reboot()
        twin.reboot()
    assert len({tuple(b) for b in seen}) > 1


def test_winnat_follows_the_range_after_reboot_and_net_restart():
    model = HostModel.create("hv02", hyperv=True, load="none")
    run(model, "netsh int ipv4 set dynamicport tcp start=20000 num=1000")
    before = _winnat_blocks(model)
    assert all(start >= 49152 for start, dummy in before)       # not recomputed by the netsh change (docs/windows-facts.md §2.5)
    assert run(model, "net stop winnat").exit_code == 0
    assert _winnat_blocks(model) == []
    assert run(model, "net start winnat").exit_code == 0
    assert _winnat_blocks(model) == []      # not re-created by the start (opentelemetry-collector PR #10839)
    model.reboot()                          # the next boot reserves new blocks inside the new range
    after = _winnat_blocks(model)
    assert after and all(20000 <= start and end <= 20999 for start, end in after)


def test_reboot_clears_schedule_and_moves_boot_time():
    model = HostModel.create("win01")
    first = model.boot_time
    run(model, "shutdown /r /t 5")
    assert model.scheduled_reboot == 5
    model.reboot()
    assert model.scheduled_reboot is None and model.boot_time > first and model.boot_count == 2
