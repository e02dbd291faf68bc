# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""netstat -ano: option parsing, protocol filters, -q per profile, row format and counts against the model."""

from __future__ import annotations

import re

import pytest

from portscale_winsim.model import HostModel
from portscale_winsim.natives import run_native

ROW = re.compile(r"^  (TCP|UDP)\s+(\S+)\s+(\S+)\s+(\S*)\s+(\d+)$")


def run(model, line):
    return run_native(model, line.split(), 437)


def rows(out: bytes):
    lines = out.decode("cp437").split("\r\n")
    assert lines[:4] == ["", "Active Connections", "", "  Proto  Local Address          Foreign Address        State           PID"]
    assert lines[-1] == ""
    return lines[4:-1]


@pytest.mark.parametrize("line", ["netstat -ano", "netstat -a -n -o", "netstat -o -n -a", "NETSTAT.EXE -nao", "netstat /ano"])
def test_flag_spellings(line):
    assert run(HostModel.create("n"), line).exit_code == 0


def test_every_row_matches_printf_format():
    model = HostModel.create("n", load="busy")
    for line in rows(run(model, "netstat -ano").stdout):
        proto, local, remote, state, pid = ROW.match(line).groups()
        assert line == "  %-5s  %-22s %-22s %-15s %s" % (proto, local, remote, state, pid)


def test_counts_by_protocol_and_state():
    model = HostModel.create("n", load="busy")
    tcp = rows(run(model, "netstat -ano -p tcp").stdout)
    assert all(r.startswith("  TCP    ") and "[" not in r for r in tcp)
    assert sum("TIME_WAIT" in r for r in tcp) == 12000 and sum("ESTABLISHED" in r for r in tcp) == 2000
    assert not any("BOUND" in r for r in tcp)
    tcpv6 = rows(run(model, "netstat -anop tcpv6").stdout)
    assert tcpv6 and all("[::]" in r for r in tcpv6)
    udp = rows(run(model, "netstat -ano -p UDP").stdout)
    assert udp and all(r.startswith("  UDP    ") and "*:*" in r for r in udp)
    everything = rows(run(model, "netstat -ano").stdout)
    assert len(everything) == len(tcp) + len(tcpv6) + len(udp) + len(rows(run(model, "netstat -ano -p udpv6").stdout))


def test_rows_sorted_by_local_port():
    out = rows(run(HostModel.create("n", load="busy"), "netstat -ano -p tcp").stdout)
    keys = [(r.split()[1].rsplit(":", 1)[0] != "0.0.0.0", int(r.split()[1].rsplit(":", 1)[1])) for r in out]
    assert keys == sorted(keys)


def test_q_adds_bound_rows_on_new_profiles_only():
    model = HostModel.create("n", load="busy")
    bound = [r for r in rows(run(model, "netstat -anoq -p tcp").stdout) if "BOUND" in r]
    assert len(bound) == 20 and all(" 0.0.0.0:0 " in r and r.endswith(" 3120") for r in bound)
    old = HostModel.create("o", profile="server2012r2", load="busy")
    usage = run(old, "netstat -ano -q")
    assert usage.exit_code == 1 and usage.stdout.startswith(b"\r\nDisplays protocol statistics") and b"-q" not in usage.stdout


@pytest.mark.parametrize("args", ["-ano -p icmp", "-ano -p", "-anz", "-ano foo"])
def test_usage_errors(args):
    result = run(HostModel.create("n"), f"netstat {args}")
    assert result.exit_code == 1 and b"NETSTAT [-a]" in result.stdout and result.stderr == b""


@pytest.mark.parametrize("args", ["-an", "-ano 5", "-s", "-anob", "-r"])
def test_unmodelled_modes_fail_loudly(args):
    result = run(HostModel.create("n"), f"netstat {args}")
    assert result.exit_code == 1 and result.stderr.startswith(b"SIMULATOR-UNSUPPORTED:")


def test_german_bound_state_has_no_sample():
    model = HostModel.create("de", locale="de-DE", load="busy")
    assert run(model, "netstat -ano -p tcp").exit_code == 0
    result = run(model, "netstat -anoq -p tcp")
    assert result.exit_code == 1 and b"BOUND" in result.stderr


def test_french_netstat_has_no_sample():
    result = run(HostModel.create("fr", locale="fr-FR"), "netstat -ano")
    assert result.exit_code == 1 and b"fr-FR" in result.stderr


def test_utf8_codepage():
    out = run_native(HostModel.create("de", locale="de-DE"), ["netstat", "-ano"], 65001).stdout.decode("utf-8")
    assert "ABHÖREN" in out
