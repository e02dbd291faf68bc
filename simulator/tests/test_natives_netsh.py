# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netsh grammar (prefixes, tags, positions), errors, stores, exclusions and the legacy profile."""

from __future__ import annotations

import pytest

from portscale_winsim.model import HostModel
from portscale_winsim.natives import run_native

SYNTAX = b"The syntax supplied for this command is not valid. Check help for the correct syntax.\r\n\r\n"


def run(model, line):
    return run_native(model, line.split(), 437)


@pytest.fixture(name="model")
def fixture_model():
    return HostModel.create("netsh01", load="none")


@pytest.mark.parametrize("line", [
    "netsh int ipv4 show dynamicport tcp",
    "netsh interface ipv4 show dynamicportrange protocol=tcp",
    "NETSH INT IPV4 SHOW DYNAMIC TCP",
    "netsh in ip sh dy tcp store=active",
    "netsh int ipv4 show dynamicp protocol=TCP st=active",
    "netsh int ipv4 show dynamicport tcp active",
])
def test_spellings_accepted(model, line):
    result = run(model, line)
    assert result.exit_code == 0 and b"Start Port      : 49152" in result.stdout


@pytest.mark.parametrize("line", [
    "netsh int ipv4 show d tcp",            # dnsservers / destinationcache / dynamicportrange
    "netsh i ipv4 show dynamicport tcp",    # interface / ipsec
    "netsh int ipv4 show nothing tcp",
])
def test_unknown_or_ambiguous_words(model, line):
    result = run(model, line)
    rest = line.split(" ", 1)[1]
    assert (result.stdout, result.exit_code) == (f"The following command was not found: {rest}.\r\n".encode(), 1)


@pytest.mark.parametrize("line", [
    "netsh int ipv4 show dynamicport",
    "netsh int ipv4 show dynamicport icmp",
    "netsh int ipv4 show dynamicport tcp store=forever",
    "netsh int ipv4 show dynamicport tcp active extra",
    "netsh int ipv4 show dynamicport protocol=tcp protocol=udp",
    "netsh int ipv4 show dynamicport tcp colour=blue",
    "netsh int ipv4 set dynamicport tcp start=10000",
])
def test_bad_syntax(model, line):
    assert (run(model, line).stdout, run(model, line).exit_code) == (SYNTAX, 1)


def test_set_positional_and_tag_with_space(model):
    assert run(model, "netsh int ipv6 set dynamicport udp 20000 2000").exit_code == 0
    assert run_native(model, ["netsh", "int", "ipv4", "set", "dynamic", "tcp", "start=", "30000", "num=", "1000"], 437).exit_code == 0
    assert (model.dynamic_range(6, "udp").start, model.dynamic_range(6, "udp").count) == (20000, 2000)
    assert (model.dynamic_range(4, "tcp").start, model.dynamic_range(4, "tcp").count) == (30000, 1000)
    assert model.dynamic_range(4, "udp").start == 49152


def test_elevation_checked_before_values():
    model = HostModel.create("x", elevated=False)
    assert run(model, "netsh int ipv4 set dynamicport tcp start=1 num=1").stdout.startswith(b"The requested operation requires elevation")
    assert run(model, "netsh int ipv4 show dynamicport tcp").exit_code == 0      # reads need no elevation
    assert run(model, "netsh int ipv4 show excludedportrange tcp").exit_code == 0
    for verb in ("add", "delete"):
        result = run(model, f"netsh int ipv4 {verb} excludedportrange tcp 50000 10")
        assert result.exit_code == 1 and b"elevation" in result.stdout


def test_exclusion_add_delete_cycle(model):
    assert run(model, "netsh int ipv6 add excludedportrange protocol=udp startport=50000 numberofports=60").stdout == b"Ok.\r\n\r\n"
    assert b"     50000       50059     *" in run(model, "netsh int ipv6 show excludedportrange udp").stdout
    assert b"50000" not in run(model, "netsh int ipv4 show excludedportrange udp").stdout
    overlap = run(model, "netsh int ipv6 add excludedportrange udp 50050 20")
    assert overlap.exit_code == 1 and b"being used by another process" in overlap.stdout
    missing = run(model, "netsh int ipv6 delete excludedportrange udp 50000 10")
    assert (missing.stdout, missing.exit_code) == (b"Element not found.\r\n\r\n", 1)
    assert run(model, "netsh int ipv6 delete excludedportrange udp 50000 60").stdout == b"Ok.\r\n\r\n"
    assert b"50000" not in run(model, "netsh int ipv6 show excludedportrange udp").stdout
    assert model.counters["writes"] == 2


def test_delete_system_or_winnat_row_is_denied():
    model = HostModel.create("hv", hyperv=True)
    block = next(r for r in model.exclusions if r.kind == "winnat" and r.ip_version == 4)
    for start, count in ((5985, 1), (block.start, 100)):
        result = run(model, f"netsh int ipv4 delete excludedportrange tcp {start} {count}")
        assert (result.stdout, result.exit_code) == (b"Access is denied.\r\n\r\n", 1)


def test_add_in_use_by_listener_winnat_or_time_wait():
    model = HostModel.create("hv", hyperv=True, load="busy")
    block = next(r for r in model.exclusions if r.kind == "winnat" and r.ip_version == 4)
    time_wait = next(g for g in model.connection_groups("tcp", 4) if g.state == "TIME_WAIT").ports[0]
    for start in (8080, block.start + 50, time_wait):
        assert run(model, f"netsh int ipv4 add excludedportrange tcp {start} 1").exit_code == 1
    before = len(model.exclusions)
    assert model.counters["writes"] == 0 and len(model.exclusions) == before


def test_exclusion_values_checked(model):
    for args in ("0 1", "65535 2", "100 0", "x 1"):
        result = run(model, f"netsh int ipv4 add excludedportrange tcp {args}")
        assert (result.stdout, result.exit_code) == (b"The parameter is incorrect.\r\n\r\n", 1), args
    assert run(model, "netsh int ipv4 add excludedportrange tcp 65535 1").exit_code == 0


def test_legacy_profile_has_no_dynamicport():
    model = HostModel.create("old", profile="server2003")
    for line in ("netsh int ipv4 show dynamicport tcp", "netsh interface ipv6 set dynamicport tcp start=10000 num=1000",
                 "netsh int ipv4 show excludedportrange protocol=tcp"):
        result = run(model, line)
        assert (result.stdout, result.exit_code) == (f"The following command was not found: {line.split(' ', 1)[1]}.\r\n".encode(), 1)


def test_unmodelled_netsh_parts_fail_loudly(model):
    for line in ("netsh", "netsh advfirewall show allprofiles", "netsh int ipv4 show interfaces", "netsh int portproxy show all",
                 "netsh int ipv4 show"):
        result = run(model, line)
        assert result.exit_code == 1 and result.stderr.startswith(b"SIMULATOR-UNSUPPORTED:") and result.stdout == b""


def test_unsupported_locale_never_half_applies():
    model = HostModel.create("fr", locale="fr-FR")
    result = run(model, "netsh int ipv4 set dynamicport tcp start=10000 num=1000")
    assert result.exit_code == 1 and b"SIMULATOR-UNSUPPORTED:" in result.stderr and b"fr-FR" in result.stderr
    assert model.dynamic_range(4, "tcp").start == 49152 and model.counters["writes"] == 0
    assert b"SIMULATOR-UNSUPPORTED" in run(model, "netsh int ipv4 show excludedportrange tcp").stderr
    german = HostModel.create("de", locale="de-DE")
    assert b"de-DE" in run(german, "netsh int ipv4 show dynamicport tcp").stderr
