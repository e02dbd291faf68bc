# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real pywinrm against the real host model and shell layer: docs/windows-facts.md §10 bytes over Basic, NTLM+encryption and HTTPS."""

from __future__ import annotations

import json
import os
import time

import pytest
import winrm
import winrm.exceptions

from portscale_winsim.fleet import HostSpec, start_fleet

DASHES = b"-" * 33


def dynamicport(protocol: bytes, start: int = 49152, count: int = 16384) -> bytes:
    """docs/windows-facts.md §1.2 / §10, byte for byte."""
    return (b"\r\nProtocol " + protocol + b" Dynamic Port Range\r\n" + DASHES + b"\r\nStart Port      : " + str(start).encode()
            + b"\r\nNumber of Ports : " + str(count).encode() + b"\r\n\r\n")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    specs = [HostSpec("basic1", auth="basic"), HostSpec("ntlm1", auth="ntlm"), HostSpec("tls1", auth="both", https=True),
             HostSpec("user1", auth="ntlm", elevated=False)]
    with start_fleet(str(tmp_path_factory.mktemp("e2e")), count=0, hosts=specs, boot_seconds=0.5, reboot_grace=0.3) as handle:
        yield handle


def session(fleet, name: str, transport: str | None = None, password: str | None = None) -> winrm.Session:
    info = fleet.host(name)
    return winrm.Session(info.endpoint, auth=(fleet.user, password or fleet.password), transport=transport or info.transport,
                         server_cert_validation="validate", ca_trust_path=fleet.ca_cert)


@pytest.mark.parametrize("name,transport", [("basic1", "basic"), ("ntlm1", "ntlm"), ("tls1", "ntlm"), ("tls1", "basic")])
def test_run_cmd_and_run_ps_dynamicport_bytes(fleet, name, transport):
    sess = session(fleet, name, transport)
    for ip_version, protocol in (("ipv4", "tcp"), ("ipv4", "udp"), ("ipv6", "tcp"), ("ipv6", "udp")):
        result = sess.run_cmd("netsh", ["int", ip_version, "show", "dynamicport", protocol])
        assert (result.std_out, result.std_err, result.status_code) == (dynamicport(protocol.encode()), b"", 0)
    result = sess.run_ps("netsh int ipv4 show dynamicport tcp")
    assert (result.std_out, result.status_code) == (dynamicport(b"tcp"), 0)


def test_wrong_password(fleet):
    with pytest.raises(winrm.exceptions.InvalidCredentialsError):
        session(fleet, "ntlm1", password="not-it").run_cmd("hostname")


def test_set_range_is_saved_to_the_state_file(fleet):
    sess = session(fleet, "ntlm1")
    result = sess.run_cmd("netsh", ["int", "ipv4", "set", "dynamicport", "tcp", "start=10000", "num=1000"])
    assert (result.std_out, result.status_code) == (b"Ok.\r\n\r\n", 0)
    assert sess.run_cmd("netsh", ["int", "ipv4", "show", "dynamicport", "tcp"]).std_out == dynamicport(b"tcp", 10000, 1000)
    with open(os.path.join(fleet.state_dir, "hosts", "ntlm1.json"), encoding="utf-8") as handle:
        assert "10000" in handle.read()
    counters = fleet.control.one("ntlm1", "counters")["model"]
    assert counters["writes"] >= 1


def test_not_elevated_host_refuses_set(fleet):
    result = session(fleet, "user1").run_cmd("netsh", ["int", "ipv4", "set", "dynamicport", "tcp", "start=10000", "num=1000"])
    assert (result.std_out, result.status_code) == (b"The requested operation requires elevation (Run as administrator).\r\n\r\n", 1)
    fleet.control.call("user1", "elevate", on=True)
    result = session(fleet, "user1").run_cmd("netsh", ["int", "ipv4", "set", "dynamicport", "tcp", "start=10000", "num=1000"])
    assert result.status_code == 0
    fleet.control.call("user1", "elevate", on=False)


def test_injected_command_failure(fleet):
    fleet.control.call("basic1", "fault", kind="command-fail", match="netsh int ipv4 show dynamicport", exit_code=5,
                       stdout="boom\r\n", times=1)
    sess = session(fleet, "basic1")
    failed = sess.run_cmd("netsh", ["int", "ipv4", "show", "dynamicport", "tcp"])
    assert (failed.std_out, failed.status_code) == (b"boom\r\n", 5)
    assert sess.run_cmd("netsh", ["int", "ipv4", "show", "dynamicport", "tcp"]).status_code == 0


def test_shutdown_reboots_the_host(fleet):
    before = fleet.control.one("basic1", "state")["model"]["boot_count"]
    assert session(fleet, "basic1").run_cmd("shutdown", ["/r", "/t", "0"]).status_code == 0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        state = fleet.control.one("basic1", "state")
        if state["model"]["boot_count"] == before + 1 and state["server"]["listening"]:
            break
        time.sleep(0.05)
    else:
        pytest.fail("host did not come back after shutdown /r")
    with open(os.path.join(fleet.state_dir, "hosts", "basic1.json"), encoding="utf-8") as handle:
        assert json.load(handle)["boot_count"] == before + 1
    assert session(fleet, "basic1").run_cmd("hostname").status_code == 0


def test_set_load_changes_netstat(fleet):
    sess = session(fleet, "tls1", "basic")
    idle = sess.run_cmd("netstat", ["-ano", "-p", "tcp"]).std_out
    fleet.control.call("tls1", "set-load", load="busy")
    busy = sess.run_cmd("netstat", ["-ano", "-p", "tcp"]).std_out
    assert busy.count(b"\r\n") > idle.count(b"\r\n") + 1000
    with pytest.raises(Exception, match="unknown load preset"):
        fleet.control.call("tls1", "set-load", load="meteor")
    fleet.control.call("tls1", "set-load", load="idle")
