# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""reg query/add/delete on the modelled keys, option parsing and the loud failures."""

from __future__ import annotations

import pytest

from portscale_winsim.model import HostModel
from portscale_winsim.natives import run_native

KEY = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"
FULL = b"HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"


def run(model, line):
    return run_native(model, line.split(), 437)


@pytest.fixture(name="model")
def fixture_model():
    return HostModel.create("reg01", load="none")


def test_whole_key_layout(model):
    out = run(model, f"reg query {KEY}").stdout
    head, values_and_rest = out.split(b"\r\n", 2)[1], out.split(b"\r\n", 2)[2]
    assert out.startswith(b"\r\n") and head == FULL
    values, subkeys = values_and_rest.split(b"\r\n\r\n")
    assert b"    Hostname    REG_SZ    reg01" in values
    assert b"    DataBasePath    REG_EXPAND_SZ    %SystemRoot%\\System32\\drivers\\etc" in values
    assert b"    Domain    REG_SZ    \r\n" in out                  # empty REG_SZ keeps the 4 spaces [INF]
    assert b"MaxUserPort" not in out and b"TcpTimedWaitDelay" not in out
    lines = subkeys.split(b"\r\n")
    names = (b"Adapters", b"DNSRegisteredAdapters", b"Interfaces", b"NsiObjectSecurity", b"PersistentRoutes", b"Winsock")
    assert lines[-1] == b"" and lines[:-1] == [FULL + b"\\" + name for name in names]


def test_path_echo_and_case(model):
    typed = "hkey_local_machine\\system\\currentcontrolset\\services\\tcpip\\parameters"
    out = run(model, f"reg query {typed} /v hostname").stdout
    assert out == b"\r\nHKEY_LOCAL_MACHINE\\system\\currentcontrolset\\services\\tcpip\\parameters\r\n    Hostname    REG_SZ    reg01\r\n\r\n"
    assert run(model, f"reg.exe QUERY {KEY}\\ -v Hostname").exit_code == 0


def test_add_hex_and_overwrite(model):
    assert run(model, f"reg add {KEY} /v TcpTimedWaitDelay /t REG_DWORD /d 0x1E /f").exit_code == 0
    assert b"    TcpTimedWaitDelay    REG_DWORD    0x1e\r\n" in run(model, f"reg query {KEY}").stdout
    assert run(model, f"reg add {KEY} /v TcpTimedWaitDelay /t reg_dword /d 120 /f").exit_code == 0
    assert model.registry_value("TcpTimedWaitDelay").data == 120
    assert model.counters["writes"] == 2


def test_add_new_value_without_f_is_fine_existing_is_loud(model):
    assert run(model, f"reg add {KEY} /v MaxUserPort /t REG_DWORD /d 65534").exit_code == 0
    result = run(model, f"reg add {KEY} /v MaxUserPort /t REG_DWORD /d 5000")
    assert result.exit_code == 1 and result.stderr.startswith(b"SIMULATOR-UNSUPPORTED:") and b"overwrite" in result.stderr
    assert model.registry_value("MaxUserPort").data == 65534


def test_delete_needs_f_and_existing_value(model):
    assert b"SIMULATOR-UNSUPPORTED" in run(model, f"reg delete {KEY} /v MaxUserPort").stderr
    missing = run(model, f"reg delete {KEY} /v MaxUserPort /f")
    assert (missing.stderr, missing.exit_code) == (b"ERROR: The system was unable to find the specified registry key or value.\r\n", 1)
    assert model.counters["writes"] == 0


def test_not_elevated():
    model = HostModel.create("u", elevated=False)
    assert run(model, f"reg query {KEY} /v Hostname").exit_code == 0
    for line in (f"reg add {KEY} /v MaxUserPort /t REG_DWORD /d 65534 /f", f"reg delete {KEY} /v Hostname /f"):
        assert (run(model, line).stderr, run(model, line).exit_code) == (b"ERROR: Access is denied.\r\n", 1)
    assert model.registry_value("MaxUserPort") is None


def test_current_version_key():
    model = HostModel.create("v", profile="server2019")
    key = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
    build = run_native(model, ["reg", "query", key, "/v", "CurrentBuildNumber"], 437)
    assert build.stdout == b"\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n    CurrentBuildNumber    REG_SZ    17763\r\n\r\n"
    whole = run_native(model, ["reg", "query", key], 437).stdout
    assert b"    UBR    REG_DWORD    0x1aed\r\n" in whole and b"    ProductName    REG_SZ    Windows Server 2019 Standard\r\n" in whole
    assert whole.endswith(b"\r\n\r\n")
    write = run_native(model, ["reg", "add", key, "/v", "UBR", "/t", "REG_DWORD", "/d", "1", "/f"], 437)
    assert write.exit_code == 1 and b"SIMULATOR-UNSUPPORTED" in write.stderr


@pytest.mark.parametrize("line, stderr", [
    (f"reg query {KEY} /v", b'ERROR: Invalid syntax.\r\nType "REG QUERY /?" for usage.\r\n'),
    (f"reg query {KEY} /x", b'ERROR: Invalid syntax.\r\nType "REG QUERY /?" for usage.\r\n'),
    ("reg query", b'ERROR: Invalid syntax.\r\nType "REG QUERY /?" for usage.\r\n'),
    ("reg add FOO\\bar /v x /f", b'ERROR: Invalid key name.\r\nType "REG ADD /?" for usage.\r\n'),
    (f"reg add {KEY} /v x /t REG_WHAT /d 1 /f", b'ERROR: Invalid syntax.\r\nType "REG ADD /?" for usage.\r\n'),
    (f"reg query {KEY}\\NoSuchChild", b"ERROR: The system was unable to find the specified registry key or value.\r\n"),
])
def test_errors(model, line, stderr):
    result = run(model, line)
    assert (result.stdout, result.stderr, result.exit_code) == (b"", stderr, 1)


@pytest.mark.parametrize("line", [
    "reg export HKLM\\SYSTEM x.reg", f"reg query {KEY} /s", "reg query HKCU\\Software", "reg query HKLM\\SOFTWARE",
    f"reg query {KEY}\\Interfaces", f"reg add {KEY} /v X /t REG_DWORD /d banana /f", f"reg add {KEY} /v X /t REG_BINARY /d 00 /f",
    f"reg delete {KEY} /f",
])
def test_unmodelled_fail_loudly(model, line):
    result = run(model, line)
    assert result.exit_code == 1 and result.stderr.startswith(b"SIMULATOR-UNSUPPORTED:")


def test_error_texts_unsupported_outside_en_us():
    model = HostModel.create("de", locale="de-DE")
    ok = run(model, f"reg query {KEY} /v Hostname")
    assert ok.exit_code == 0                                  # no translatable words in a value listing
    missing = run(model, f"reg query {KEY} /v MaxUserPort")
    assert missing.exit_code == 1 and b"SIMULATOR-UNSUPPORTED" in missing.stderr and b"de-DE" in missing.stderr
