# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""run_native dispatch, counters, injected failures, net winnat, hostname/whoami/shutdown, code pages."""

from __future__ import annotations

import pytest

from portscale_winsim.model import HostModel
from portscale_winsim.natives import run_native
from portscale_winsim.natives.texts import TEXTS, markdown_table


def run(model, line, codepage=437):
    return run_native(model, line.split(), codepage)


@pytest.mark.parametrize("program", ["netsh", "NETSH.EXE", "C:\\Windows\\System32\\netsh.exe", "c:/windows/system32/NetSh", '"netsh.exe"'])
def test_program_name_forms(program):
    result = run_native(HostModel.create("m"), [program, "int", "ipv4", "show", "dynamicport", "tcp"], 437)
    assert result.exit_code == 0 and b"Dynamic Port Range" in result.stdout


def test_unknown_program_returns_none_and_counts_nothing():
    model = HostModel.create("m")
    assert run_native(model, ["ipconfig", "/all"], 437) is None
    assert run_native(model, [], 437) is None
    assert model.counters["native_commands"] == 0


def test_counters():
    model = HostModel.create("m")
    run(model, "netsh int ipv4 show dynamicport tcp")
    run(model, "netsh int ipv4 set dynamicport tcp start=10000 num=1000")
    run(model, "netsh int ipv4 set dynamicport tcp start=1 num=1")      # failed: not a write
    run(model, "hostname")
    assert model.counters == {"commands_run": 0, "native_commands": 4, "writes": 1}


def test_injected_failure_wins_and_runs_out():
    model = HostModel.create("m")
    model.inject_command_failure("netsh int ipv4 set", 1, stdout=b"boom\r\n", times=1)
    result = run(model, "C:\\Windows\\System32\\NETSH.exe int ipv4 set dynamicport tcp start=10000 num=1000")
    assert (result.stdout, result.stderr, result.exit_code) == (b"boom\r\n", b"", 1)
    assert model.dynamic_range(4, "tcp").start == 49152 and model.counters["writes"] == 0
    assert run(model, "netsh int ipv4 set dynamicport tcp start=10000 num=1000").exit_code == 0
    model.inject_command_failure("ipconfig", 3, stderr=b"nope")
    assert run_native(model, ["ipconfig"], 437).exit_code == 3


def test_net_winnat():
    model = HostModel.create("hv", hyperv=True)
    assert run(model, "net stop winnat").stdout == b"The Windows NAT Driver service was stopped successfully.\r\n\r\n"
    again = run(model, "net stop winnat")
    assert again.exit_code == 2
    assert again.stderr == b"The Windows NAT Driver service is not started.\r\n\r\nMore help is available by typing NET HELPMSG 3521.\r\n\r\n"
    assert run_native(model, ["net", "start", "Windows NAT Driver"], 437).stdout == b"The Windows NAT Driver service was started successfully.\r\n\r\n"
    assert run(model, "net start winnat").exit_code == 2
    assert model.counters["writes"] == 2


def test_net_errors():
    user = HostModel.create("u", elevated=False)
    assert run(user, "net stop winnat").stderr == b"System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n"
    old = HostModel.create("o", profile="server2012r2")
    assert run(old, "net start winnat").stderr.startswith(b"The service name is invalid.")
    for line in ("net stop spooler", "net user", "net start"):
        assert b"SIMULATOR-UNSUPPORTED" in run(old, line).stderr


def test_without_hyperv_winnat_start_reserves_nothing():
    model = HostModel.create("plain")
    assert run(model, "net start winnat").exit_code == 0
    assert not any(r.kind == "winnat" for r in model.exclusions)


def test_hostname_and_whoami():
    model = HostModel.create("Win-App01")
    assert run(model, "hostname").stdout == b"Win-App01\r\n"
    assert run(model, "whoami").stdout == b"win-app01\\administrator\r\n"
    assert b"SIMULATOR-UNSUPPORTED" in run(model, "whoami /all").stderr
    assert run(HostModel.create("de", locale="de-DE"), "hostname").exit_code == 0


def test_shutdown_like_win_reboot():
    model = HostModel.create("r")
    argv = ["shutdown", "/r", "/t", "2", "/c", "Reboot initiated by Ansible"]
    assert run_native(model, argv, 437) == run_native(HostModel.create("r2"), argv, 437)
    assert model.scheduled_reboot == 2
    busy = run_native(model, argv, 437)
    assert (busy.stderr, busy.exit_code) == (b"R: A system shutdown has already been scheduled.(1190)\r\n", 1190)
    assert run(model, "shutdown /a").exit_code == 0 and model.scheduled_reboot is None
    assert run(model, "shutdown /a").exit_code == 1116
    assert run(model, "shutdown -r -f").exit_code == 0 and model.scheduled_reboot == 30
    user = HostModel.create("u", elevated=False)
    assert run(user, "shutdown /r /t 0").exit_code == 5 and user.scheduled_reboot is None
    assert b"SIMULATOR-UNSUPPORTED" in run(user, "shutdown /s").stderr


def test_codepages():
    model = HostModel.create("zh", locale="zh-CN")
    model.exclusions = []
    gbk = run(model, "netsh int ipv4 show excludedportrange tcp", codepage=936).stdout
    utf8 = run(model, "netsh int ipv4 show excludedportrange tcp", codepage=65001).stdout
    assert gbk.decode("cp936") == utf8.decode("utf-8")
    lossy = run(model, "netsh int ipv4 show excludedportrange tcp", codepage=437).stdout
    assert b"?" in lossy                                 # cp437 cannot hold the Chinese title [INF: default char]
    bad = run(model, "hostname", codepage=12345)
    assert bad.exit_code == 1 and b"SIMULATOR-UNSUPPORTED" in bad.stderr


def test_every_text_has_provenance():
    for key, text in TEXTS.items():
        assert text.mark and text.source and text.stream in ("stdout", "stderr"), key
        assert "en-US" in text.samples or "*" in text.samples, key
        assert all(value.endswith("\r\n") or value == "" for value in text.samples.values()), key
    assert markdown_table().count("\n") == len(TEXTS) + 1
