# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every docs/windows-facts.md §10 row and the §1–§4/§6 samples the natives claim, byte for byte (literals copied from FACTS).

Byte for byte against FACTS, which is not the same as byte-exact to Windows: FACTS records real captures only where
its marks (and natives/texts.py's provenance) say so; the inferred parts of those texts (INF) are compared too, as the
simulator's best guess.
"""

from __future__ import annotations

from portscale_winsim.model import HostModel
from portscale_winsim.model.state import ConnectionGroup, Exclusion
from portscale_winsim.natives import run_native

PARAMS_KEY = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"


def run(model, line, codepage=437):
    return run_native(model, line.split(), codepage)


def host(**kwargs):
    return HostModel.create("facts01", **kwargs)


# ---------------------------------------------------------------------------- §1.2 / §10 dynamicport


def test_show_dynamicport_tcp_default():
    result = run(host(), "netsh int ipv4 show dynamicport tcp")
    assert result.stdout == (b"\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\n"
                             b"Start Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n")
    assert (result.stderr, result.exit_code) == (b"", 0)


def test_show_dynamicport_udp_and_ipv6_same_text():
    model = host()
    udp = run(model, "netsh int ipv4 show dynamicport udp").stdout
    assert udp == b"\r\nProtocol udp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n"
    assert run(model, "netsh int ipv6 show dynamicport udp").stdout == udp
    assert run(model, "netsh int ipv6 show dynamicport tcp").stdout == run(model, "netsh int ipv4 show dynamicport tcp").stdout


def test_dash_line_is_33():
    text = run(host(), "netsh int ipv4 show dynamicport tcp").stdout.split(b"\r\n")
    assert text[2] == b"-" * 33 and len(text[1]) == 31


def test_french_dynamicport_sample_cp850():
    result = run(host(locale="fr-FR"), "netsh int ipv4 show dynamicport tcp", codepage=850)
    expected = "\r\nPlage de ports dynamique du protocole tcp\r\n" + "-" * 33 + "\r\nPort de démarrage   : 49152\r\nNombre de ports     : 16384\r\n\r\n"
    assert result.stdout == expected.encode("cp850")
    assert b"d\x82marrage" in result.stdout     # é is 0x82 in cp850 (docs/windows-facts.md §0)


# ---------------------------------------------------------------------------- §2 / §10 set dynamicport


def test_set_dynamicport_ok():
    result = run(host(), "netsh int ipv4 set dynamicport tcp start=10000 num=1000")
    assert (result.stdout, result.stderr, result.exit_code) == (b"Ok.\r\n\r\n", b"", 0)


def test_set_dynamicport_not_admin():
    result = run(host(elevated=False), "netsh int ipv4 set dynamicport tcp start=10000 num=1000")
    assert (result.stdout, result.exit_code) == (b"The requested operation requires elevation (Run as administrator).\r\n\r\n", 1)


def test_set_dynamicport_invalid_values():
    model = host()
    for line in ("start=1024 num=1000", "start=10000 num=254", "start=65000 num=537", "start=abc num=1000", "start=10000 num=-5"):
        result = run(model, f"netsh int ipv4 set dynamicport tcp {line}")
        assert (result.stdout, result.exit_code) == (b"The parameter is incorrect.\r\n\r\n", 1), line
    assert run(model, "netsh int ipv4 set dynamicport tcp start=65000 num=536").exit_code == 0   # 65000 + 536 == 65536


# ---------------------------------------------------------------------------- §3.2 / §10 excludedportrange


HDR = b"\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port      \r\n----------    --------      \r\n"
FOOT = b"\r\n* - Administered port exclusions.\r\n\r\n"


def _runner_host():
    """The GitHub runner of opentelemetry PR #10839: HTTP.sys rows 80/5986/47001 and two WinNAT blocks."""
    model = host(hyperv=True)
    model.exclusions = [Exclusion(4, "tcp", port, port, "system") for port in (80, 5986, 47001)]
    model.exclusions += [Exclusion(4, "tcp", 56638, 56737, "winnat"), Exclusion(4, "tcp", 56738, 56837, "winnat")]
    return model


def test_show_excludedportrange_runner_sample():
    result = run(_runner_host(), "netsh int ipv4 show excludedportrange protocol=tcp")
    assert result.stdout == (
        b"\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port      \r\n----------    --------      \r\n"
        b"        80          80      \r\n      5986        5986      \r\n     47001       47001      \r\n"
        b"     56638       56737      \r\n     56738       56837      \r\n"
        b"\r\n* - Administered port exclusions.\r\n\r\n"
    )
    assert result.exit_code == 0


def test_add_after_stopping_winnat_runner_sample():
    model = _runner_host()
    assert run(model, "net stop winnat").exit_code == 0
    result = run(model, "netsh int ipv4 add excludedportrange protocol=tcp startport=55679 numberofports=1")
    assert (result.stdout, result.exit_code) == (b"Ok.\r\n\r\n", 0)
    shown = run(model, "netsh int ipv4 show excludedportrange protocol=tcp").stdout
    assert shown == (HDR + b"        80          80      \r\n      5986        5986      \r\n     47001       47001      \r\n"
                     b"     55679       55679     *\r\n" + FOOT)


def test_excluded_rows_are_28_wide_and_sorted():
    model = host(hyperv=True, load="none")
    lines = run(model, "netsh int ipv4 show excludedportrange tcp").stdout.split(b"\r\n")
    rows = [line for line in lines[5:] if line and line[:1] == b" "]
    assert rows and all(len(row) == 28 for row in rows)
    starts = [int(row.split()[0]) for row in rows]
    assert starts == sorted(starts)


def test_no_exclusions_header_then_footnote():
    model = host(profile="server2008r2", load="none")
    assert run(model, "netsh int ipv4 show excludedportrange protocol=udp").stdout == (
        b"\r\nProtocol udp Port Exclusion Ranges\r\n\r\nStart Port    End Port      \r\n----------    --------      \r\n" + FOOT)


def test_add_excludedportrange_port_in_use():
    result = run(host(), "netsh int ipv4 add excludedportrange protocol=tcp startport=445 numberofports=1")
    assert (result.stdout, result.exit_code) == (b"The process cannot access the file because it is being used by another process.\r\n\r\n", 1)


def test_german_excludedportrange_sample():
    model = host(locale="de-DE", load="none")
    model.exclusions = [Exclusion(4, "tcp", 28380, 28380, "system"), Exclusion(4, "tcp", 49711, 49810, "winnat"),
                        Exclusion(4, "tcp", 50000, 50059, "administered")]
    out = run(model, "netsh int ipv4 show excludedportrange protocol=tcp", codepage=850).stdout.decode("cp850")
    lines = [line.rstrip() for line in out.split("\r\n")]
    # docs/windows-facts.md §3.3 as printed there (copies lost trailing spaces, so compare right-stripped lines).
    assert lines == ["", 'Portausschlussbereiche für das Protokoll "tcp"', "", "Startport      Endport", "----------    --------",
                     "     28380       28380", "     49711       49810", "     50000       50059     *", "",
                     "* - Verwaltete Portausschlüsse.", "", ""]


def test_chinese_excludedportrange_sample():
    model = host(locale="zh-CN", load="none")
    model.exclusions = [Exclusion(4, "tcp", 50000, 50059, "administered")]
    out = run(model, "netsh int ipv4 show excludedportrange protocol=tcp", codepage=936).stdout.decode("cp936")
    lines = [line.rstrip() for line in out.split("\r\n")]
    assert lines == ["", "协议 tcp 端口排除范围", "", "开始端口    结束端口", "----------    --------", "     50000       50059     *", "",
                     "* - 管理的端口排除。", "", ""]


# ---------------------------------------------------------------------------- §4 / §10 reg


def test_reg_query_value_present():
    model = host()
    assert run(model, f"reg add {PARAMS_KEY} /v MaxUserPort /t REG_DWORD /d 65534 /f").exit_code == 0
    result = run(model, f"reg query {PARAMS_KEY} /v MaxUserPort")
    assert result.stdout == b"\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\r\n    MaxUserPort    REG_DWORD    0xfffe\r\n\r\n"
    assert (result.stderr, result.exit_code) == (b"", 0)
    run(model, f"reg add {PARAMS_KEY} /v TcpTimedWaitDelay /t REG_DWORD /d 30 /f")
    assert run(model, f"reg query {PARAMS_KEY} /v TcpTimedWaitDelay").stdout == (
        b"\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\r\n    TcpTimedWaitDelay    REG_DWORD    0x1e\r\n\r\n")


def test_reg_query_value_absent():
    result = run(host(), f"reg query {PARAMS_KEY} /v MaxUserPort")
    assert (result.stdout, result.stderr, result.exit_code) == (
        b"", b"ERROR: The system was unable to find the specified registry key or value.\r\n", 1)


def test_reg_add_and_delete_ok():
    model = host()
    add = run(model, f"reg add {PARAMS_KEY} /v MaxUserPort /t REG_DWORD /d 65534 /f")
    assert (add.stdout, add.stderr, add.exit_code) == (b"The operation completed successfully.\r\n\r\n", b"", 0)
    delete = run(model, f"reg delete {PARAMS_KEY} /v MaxUserPort /f")
    assert (delete.stdout, delete.stderr, delete.exit_code) == (b"The operation completed successfully.\r\n\r\n", b"", 0)


def test_reg_add_not_admin():
    result = run(host(elevated=False), f"reg add {PARAMS_KEY} /v MaxUserPort /t REG_DWORD /d 65534 /f")
    assert (result.stdout, result.stderr, result.exit_code) == (b"", b"ERROR: Access is denied.\r\n", 1)


# ---------------------------------------------------------------------------- §6.1 / §10 netstat


def _sample_connections(model):
    model.connections = [
        ConnectionGroup("tcp", 4, "0.0.0.0", "0.0.0.0", 0, "LISTENING", 1044, [135]),
        ConnectionGroup("tcp", 4, "127.0.0.1", "127.0.0.1", 18081, "TIME_WAIT", 0, [52346]),
        ConnectionGroup("tcp", 6, "::", "::", 0, "LISTENING", 1044, [135]),
        ConnectionGroup("udp", 4, "0.0.0.0", "", None, "", 3204, [5353]),
    ]
    return model


def test_netstat_sample_rows():
    result = run(_sample_connections(host()), "netstat -ano")
    assert result.stdout == (
        b"\r\nActive Connections\r\n\r\n"
        b"  Proto  Local Address          Foreign Address        State           PID\r\n"
        b"  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1044\r\n"
        b"  TCP    127.0.0.1:52346        127.0.0.1:18081        TIME_WAIT       0\r\n"
        b"  TCP    [::]:135               [::]:0                 LISTENING       1044\r\n"
        b"  UDP    0.0.0.0:5353           *:*                                    3204\r\n"
    )
    assert result.exit_code == 0


def test_netstat_p_tcp_is_ipv4_only():
    out = run(_sample_connections(host()), "netstat -ano -p tcp").stdout
    assert b"[::]" not in out and b"UDP" not in out and out.count(b"\r\n  TCP ") == 2


def test_netstat_german_header_and_states():
    model = _sample_connections(host(locale="de-DE"))
    out = run(model, "netstat -ano -p tcp", codepage=850).stdout.decode("cp850")
    assert out.startswith("\r\nAktive Verbindungen\r\n\r\n  Proto  Lokale Adresse         Remoteadresse          Status           PID\r\n")
    assert "  TCP    0.0.0.0:135            0.0.0.0:0              ABHÖREN         1044\r\n" in out
    assert "WARTEND" in out


def test_netstat_chinese_header_english_states():
    out = run(_sample_connections(host(locale="zh-CN")), "netstat -ano -p tcp", codepage=936).stdout.decode("cp936")
    assert "  协议  本地地址          外部地址        状态           PID\r\n" in out
    assert "LISTENING" in out and "TIME_WAIT" in out
