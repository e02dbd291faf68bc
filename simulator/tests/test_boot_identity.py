# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The boot identity (PrefetchParameters\\BootId) and the collection's own key (HKLM\\SOFTWARE\\portscale.tcpip): what
portscale.tcpip's markers rest on (docs/semantics.md, "Pending until the host reboots"; sources in model/registry.py)."""

from __future__ import annotations

import base64

import pytest

from portscale_winsim.model import HostModel
from portscale_winsim.natives import run_native
from portscale_winsim.shell import run_command_line

PREFETCH = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management\\PrefetchParameters"
PREFETCH_LONG = b"HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management\\PrefetchParameters"
MARKER_KEY = "HKLM\\SOFTWARE\\portscale.tcpip"
MARKER = "boot=1:effective=absent:written=30:known=0"
NOT_FOUND = b"ERROR: The system was unable to find the specified registry key or value.\r\n"


def reg(model, *argv):
    return run_native(model, ["reg", *argv], 437)


def boot_id(model) -> int:
    out = reg(model, "query", PREFETCH, "/v", "BootId")
    assert out.exit_code == 0, out
    assert out.stdout.startswith(b"\r\n" + PREFETCH_LONG + b"\r\n    BootId    REG_DWORD    0x") and out.stdout.endswith(b"\r\n\r\n")
    return int(out.stdout.split(b"0x")[1].split(b"\r\n")[0], 16)


def test_the_boot_identity_changes_at_every_boot_and_nothing_else(tmp_path):
    model = HostModel.create("boot01")
    first = boot_id(model)
    assert boot_id(model) == first                                     # the same all boot long
    reg(model, "add", "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters", "/v", "TcpTimedWaitDelay", "/t", "REG_DWORD",
        "/d", "30", "/f")
    model.set_load("busy")
    assert boot_id(model) == first                                     # writes and load do not boot the host
    model.reboot()
    assert boot_id(model) == first + 1
    path = str(tmp_path / "boot01.json")
    model.save(path)
    again = HostModel.load(path)                                       # the state file keeps it
    assert boot_id(again) == first + 1
    again.reboot()
    assert boot_id(again) == first + 2


def test_the_boot_identity_is_read_only_and_absent_on_server_2003():
    model = HostModel.create("boot02")
    refused = reg(model, "add", PREFETCH, "/v", "BootId", "/t", "REG_DWORD", "/d", "5", "/f")
    assert refused.exit_code == 1 and b"SIMULATOR-UNSUPPORTED" in refused.stderr
    legacy = HostModel.create("boot03", profile="server2003")
    missing = reg(legacy, "query", PREFETCH, "/v", "BootId")
    assert (missing.exit_code, missing.stdout, missing.stderr) == (1, b"", NOT_FOUND)
    assert reg(legacy, "query", PREFETCH).exit_code == 0              # the key is there, without BootId


def test_the_collection_key_is_created_by_its_first_write_and_survives_reboots(tmp_path):
    model = HostModel.create("boot04")
    missing = reg(model, "query", MARKER_KEY, "/v", "TcpTimedWaitDelay")
    assert (missing.exit_code, missing.stdout, missing.stderr) == (1, b"", NOT_FOUND)
    writes = model.counters["writes"]
    added = reg(model, "add", MARKER_KEY, "/v", "TcpTimedWaitDelay", "/t", "REG_SZ", "/d", MARKER, "/f")
    assert added.exit_code == 0 and added.stdout == b"The operation completed successfully.\r\n\r\n"
    assert model.counters["writes"] == writes + 1                    # a write like any other (the oracle counts it)
    shown = reg(model, "query", MARKER_KEY, "/v", "tcptimedwaitdelay")   # value names are case-insensitive
    assert shown.stdout == b"\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\portscale.tcpip\r\n    TcpTimedWaitDelay    REG_SZ    " + MARKER.encode() + b"\r\n\r\n"
    model.reboot()
    path = str(tmp_path / "boot04.json")
    model.save(path)
    again = HostModel.load(path)
    assert reg(again, "query", MARKER_KEY, "/v", "TcpTimedWaitDelay").stdout == shown.stdout
    assert reg(again, "delete", MARKER_KEY, "/v", "MaxUserPort", "/f").stderr == NOT_FOUND
    assert reg(again, "delete", MARKER_KEY, "/f").exit_code == 0      # the documented way to forget every marker
    assert reg(again, "query", MARKER_KEY).stderr == NOT_FOUND


def test_writing_the_collection_key_needs_elevation():
    model = HostModel.create("boot05", elevated=False)
    denied = reg(model, "add", MARKER_KEY, "/v", "TcpTimedWaitDelay", "/t", "REG_SZ", "/d", MARKER, "/f")
    assert (denied.exit_code, denied.stderr) == (1, b"ERROR: Access is denied.\r\n") and model.portscale_key is None
    assert reg(model, "query", PREFETCH, "/v", "BootId").exit_code == 0   # reading needs none


@pytest.mark.parametrize("script", [
    f"& reg query '{PREFETCH}' /v BootId 2>&1\nWrite-Output \"rc=$LASTEXITCODE\"\n",
])
def test_the_quoted_path_reaches_reg_as_one_argument_through_powershell(script):
    model = HostModel.create("boot06")
    model.reboot()
    encoded = base64.b64encode(script.encode("utf-16-le")).decode()
    result = run_command_line(model, "PowerShell", "-NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand " + encoded,
                              b"", 65001)
    assert result.exit_code == 0, result.stderr
    assert b"    BootId    REG_DWORD    0x2\r\n" in result.stdout and result.stdout.endswith(b"rc=0\r\n")
