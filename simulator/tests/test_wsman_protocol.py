# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The WS-Management server through real pywinrm, against a tiny fake host model (protocol only, no Windows semantics)."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid

import pytest
import requests
import winrm
import winrm.exceptions
import xmltodict

from portscale_winsim.control import ControlError
from portscale_winsim.fleet import HostSpec, start_fleet
from portscale_winsim.results import CommandResult


class FakeModel:
    """Just the attributes the server touches."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.dirty = False
        self.scheduled_reboot = None
        self.oem_codepage = 437
        self.counters = {"commands_run": 0}
        self.boot_count = 0
        self.elevated = True

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"name": self.name, "boot_count": self.boot_count}, handle)

    def reboot(self) -> None:
        self.boot_count += 1

    def to_dict(self) -> dict:
        return {"name": self.name, "boot_count": self.boot_count}

    def clear_faults(self) -> None:
        pass


def fake_factory(spec, path, index):
    del index
    model = FakeModel(spec.name)
    model.save(path)
    return model


def fake_runner(model, command, arguments, stdin, codepage):
    """echo-like: reports what the server handed over, so the test can check every field."""
    model.counters["commands_run"] += 1
    if command == "big":
        return CommandResult(bytes(range(256)) * 800, b"E" * 70000, 0)
    if command == "shutdown":
        model.scheduled_reboot = 0
        model.dirty = True
        return CommandResult(b"", b"", 0)
    text = f"cmd={command}|args={arguments}|cp={codepage}|stdin={stdin!r}\r\n"
    return CommandResult(text.encode(), b"warn\r\n" if arguments else b"", 7 if "fail" in arguments else 0)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    state = str(tmp_path_factory.mktemp("wsman"))
    hosts = [
        {"name": "basic1", "auth": "basic"},
        {"name": "ntlm1", "auth": "ntlm"},
        {"name": "both1", "auth": "both", "https": True},
        {"name": "quota1", "auth": "basic"},
    ]
    specs = [HostSpec(name=h["name"], auth=h["auth"], https=h.get("https")) for h in hosts]
    with start_fleet(state, count=0, hosts=specs, model_factory=fake_factory, runner=fake_runner, password="Pw-1234567",
                     boot_seconds=0.5, reboot_grace=0.3) as handle:
        yield handle


def session(handle, name, transport=None, password=None, **kwargs):
    info = handle.host(name)
    return winrm.Session(info.endpoint, auth=(handle.user, password or handle.password), transport=transport or info.transport,
                         server_cert_validation="validate", ca_trust_path=handle.ca_cert, **kwargs)


def protocol(handle, name, **kwargs):
    info = handle.host(name)
    return winrm.Protocol(info.endpoint, transport=kwargs.pop("transport", info.transport), username=handle.user,
                          password=handle.password, server_cert_validation="validate", ca_trust_path=handle.ca_cert, **kwargs)


@pytest.fixture(autouse=True)
def clean_faults(fleet):
    yield
    fleet.control.call("all", "clear-faults")


def test_run_cmd_over_basic_http(fleet):
    result = session(fleet, "basic1").run_cmd("netsh", ["int", "ipv4", "show", "dynamicport", "tcp"])
    assert result.std_out == b"cmd=netsh|args=int ipv4 show dynamicport tcp|cp=437|stdin=b''\r\n"
    assert result.std_err == b"warn\r\n"
    assert result.status_code == 0


def test_exit_code_and_codepage_65001(fleet):
    proto = protocol(fleet, "basic1")
    shell_id = proto.open_shell(codepage=65001)
    command_id = proto.run_command(shell_id, "x", ["fail"])
    out, dummy, code = proto.get_command_output(shell_id, command_id)
    proto.cleanup_command(shell_id, command_id)
    proto.close_shell(shell_id)
    assert out == b"cmd=x|args=fail|cp=65001|stdin=b''\r\n"
    assert code == 7
    assert shell_id == shell_id.upper() and uuid.UUID(shell_id)


def test_ntlm_with_message_encryption(fleet):
    sess = session(fleet, "ntlm1")
    result = sess.run_ps("Write-Output 1")
    assert result.std_out.startswith(b"cmd=powershell -encodedcommand ")
    assert sess.protocol.transport.encryption is not None  # the bodies really went multipart/encrypted
    counters = fleet.control.one("ntlm1", "counters")["http"]
    assert counters["ntlm_handshakes"] >= 1
    assert counters["auth_failures"] == 0


def test_ntlm_http_rejects_unencrypted_body(fleet):
    sess = session(fleet, "ntlm1", message_encryption="never")
    with pytest.raises(winrm.exceptions.WinRMTransportError) as exc:
        sess.run_cmd("x")
    assert exc.value.code == 500


def test_https_with_validation_ntlm_and_basic(fleet):
    for transport in ("ntlm", "basic"):
        result = session(fleet, "both1", transport=transport).run_cmd("whoami")
        assert result.std_out == b"cmd=whoami|args=|cp=437|stdin=b''\r\n"


def test_https_without_our_ca_fails_validation(fleet):
    info = fleet.host("both1")
    sess = winrm.Session(info.endpoint, auth=(fleet.user, fleet.password), transport="basic", server_cert_validation="validate", ca_trust_path=None)
    with pytest.raises(requests.exceptions.SSLError):
        sess.run_cmd("whoami")


@pytest.mark.parametrize("name", ["basic1", "ntlm1", "both1"])
def test_wrong_password_is_401(fleet, name):
    with pytest.raises(winrm.exceptions.InvalidCredentialsError):
        session(fleet, name, password="wrong-password").run_cmd("x")


def test_401_lists_windows_auth_schemes(fleet):
    response = requests.post(fleet.host("ntlm1").endpoint, data=b"<x/>", timeout=5)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Negotiate"
    response = requests.post(fleet.host("both1").endpoint, data=b"<x/>", timeout=5, verify=fleet.ca_cert)
    assert response.headers["WWW-Authenticate"] == 'Negotiate, Basic realm="WSMAN"'


def test_large_output_is_split_over_streams_and_receives(fleet):
    fleet.control.call("basic1", "reset-counters")
    result = session(fleet, "basic1").run_cmd("big")
    assert result.std_out == bytes(range(256)) * 800
    assert result.std_err == b"E" * 70000
    http = fleet.control.one("basic1", "counters")["http"]
    # 204800 + 70000 bytes at 64 KiB per Receive -> 5 Receives.
    assert http["requests_by_action"]["Receive"] == 5


def test_stdin_through_send(fleet):
    proto = protocol(fleet, "basic1")
    shell_id = proto.open_shell()
    command_id = proto.run_command(shell_id, "cat", console_mode_stdin=False)
    proto.send_command_input(shell_id, command_id, b"line1\r\n")
    proto.send_command_input(shell_id, command_id, b"line2\r\n", end=True)
    out, dummy_err, dummy_code = proto.get_command_output(shell_id, command_id)
    proto.cleanup_command(shell_id, command_id)
    proto.close_shell(shell_id)
    assert out == b"cmd=cat|args=|cp=437|stdin=b'line1\\r\\nline2\\r\\n'\r\n"


def test_unknown_shell_is_a_shell_not_found_fault(fleet):
    proto = protocol(fleet, "basic1")
    bogus = str(uuid.uuid4()).upper()
    with pytest.raises(winrm.exceptions.WSManFaultError) as exc:
        proto.run_command(bogus, "x")
    assert exc.value.wsman_fault_code == 2150858843
    assert exc.value.fault_subcode == "w:InvalidSelectors"
    assert f"ShellId {bogus} failed because the shell was not found" in exc.value.reason


def test_unknown_command_id_and_action(fleet):
    proto = protocol(fleet, "basic1")
    shell_id = proto.open_shell()
    try:
        with pytest.raises(winrm.exceptions.WSManFaultError) as exc:
            proto.get_command_output_raw(shell_id, str(uuid.uuid4()).upper())
        assert exc.value.wsman_fault_code == 2150858813
        req = {"env:Envelope": proto.build_wsman_header(
            action="http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
            resource_uri="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd")}
        req["env:Envelope"]["env:Body"] = {}
        with pytest.raises(winrm.exceptions.WSManFaultError) as exc:
            proto.send_message(xmltodict.unparse(req))
        assert exc.value.wsman_fault_code == 2150858771
        with pytest.raises(winrm.exceptions.WSManFaultError) as exc:
            proto.send_message("<env:Envelope xmlns:env='http://www.w3.org/2003/05/soap-envelope'><unclosed>")
        assert exc.value.wsman_fault_code == 2150858819
    finally:
        proto.close_shell(shell_id)


def test_every_response_relates_to_the_request(fleet):
    proto = protocol(fleet, "basic1")
    message_id = uuid.uuid4()
    req = {"env:Envelope": proto.build_wsman_header(
        action="http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
        resource_uri="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd",
        message_id=message_id)}
    req["env:Envelope"]["env:Body"] = {"rsp:Shell": {"rsp:InputStreams": "stdin", "rsp:OutputStreams": "stdout stderr"}}
    reply = xmltodict.parse(proto.send_message(xmltodict.unparse(req)))
    header = reply["s:Envelope"]["s:Header"]
    assert header["a:RelatesTo"] == f"uuid:{message_id}"
    assert header["a:Action"] == "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse"
    assert header["a:MessageID"] != f"uuid:{message_id}"
    shell_id = reply["s:Envelope"]["s:Body"]["rsp:Shell"]["rsp:ShellId"]
    proto.close_shell(shell_id)


def test_quota_faults(fleet):
    proto = protocol(fleet, "quota1")
    shells = [proto.open_shell() for dummy in range(30)]
    try:
        with pytest.raises(winrm.exceptions.WSManFaultError) as exc:
            proto.open_shell()
        assert exc.value.wsman_fault_code == 2150859173
        assert "maximum number of 30 concurrent shells" in exc.value.reason
    finally:
        for shell_id in shells:
            proto.close_shell(shell_id, close_session=False)
    assert fleet.control.one("quota1", "counters")["shells"]["shells"] == 0


def test_operations_quota_counts_signalled_commands_until_delete(fleet, tmp_path):
    with start_fleet(str(tmp_path), count=0, hosts=[HostSpec("ops1", auth="basic")], model_factory=fake_factory,
                     runner=fake_runner, max_operations=3) as handle:
        proto = protocol(handle, "ops1")
        shell_id = proto.open_shell()
        for dummy in range(3):
            command_id = proto.run_command(shell_id, "x")
            proto.get_command_output(shell_id, command_id)
            proto.cleanup_command(shell_id, command_id)
        with pytest.raises(winrm.exceptions.WSManFaultError) as exc:
            proto.run_command(shell_id, "x")
        # Ansible's winrm plugin keys its shell re-creation on exactly this value.
        assert exc.value.wmierror_code == 0x803381A6
        proto.close_shell(shell_id)
        shell_id = protocol(handle, "ops1").open_shell()
        assert protocol(handle, "ops1").run_command(shell_id, "x")


def test_operation_timeout_fault_then_output(fleet):
    fleet.control.call("basic1", "fault", kind="slow-command", ms=2500)
    proto = protocol(fleet, "basic1", operation_timeout_sec=1, read_timeout_sec=3)
    shell_id = proto.open_shell()
    command_id = proto.run_command(shell_id, "slow")
    with pytest.raises(winrm.exceptions.WinRMOperationTimeoutError):
        proto.get_command_output_raw(shell_id, command_id)
    out, dummy, code = proto.get_command_output(shell_id, command_id)
    proto.cleanup_command(shell_id, command_id)
    proto.close_shell(shell_id)
    assert out.startswith(b"cmd=slow|") and code == 0


def test_fault_refused(fleet):
    fleet.control.call("basic1", "fault", kind="refused")
    with pytest.raises(requests.exceptions.ConnectionError):
        session(fleet, "basic1").run_cmd("x")
    fleet.control.call("basic1", "clear-faults")
    assert session(fleet, "basic1").run_cmd("x").status_code == 0


def test_fault_500_for_an_action(fleet):
    fleet.control.call("basic1", "fault", kind="error500", action="Command", count=1)
    sess = session(fleet, "basic1")
    with pytest.raises(winrm.exceptions.WSManFaultError) as exc:
        sess.run_cmd("x")
    assert exc.value.code == 500 and exc.value.fault_subcode == "w:InternalError"
    assert sess.run_cmd("x").status_code == 0


def test_fault_401_next_requests(fleet):
    fleet.control.call("basic1", "fault", kind="unauthorized", count=2)
    for dummy in range(2):
        with pytest.raises(winrm.exceptions.InvalidCredentialsError):
            session(fleet, "basic1").run_cmd("x")
    assert session(fleet, "basic1").run_cmd("x").status_code == 0


def test_fault_drop_and_delay(fleet):
    fleet.control.call("basic1", "fault", kind="drop", count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        session(fleet, "basic1").run_cmd("x")
    fleet.control.call("basic1", "fault", kind="delay", ms=3000, count=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        session(fleet, "basic1", operation_timeout_sec=1, read_timeout_sec=2).run_cmd("x")
    time.sleep(1.2)  # let the delayed answer go out before the next test


def commands_run(fleet, name: str) -> int:
    return fleet.control.one(name, "counters")["model"]["commands_run"]


def test_fault_aimed_at_one_action_after_skipping(fleet):
    # The second command's output is lost after the host ran it: what a cut connection during a write batch does.
    fleet.control.call("basic1", "fault", kind="drop", action="Receive", skip=1, count=1)
    sess = session(fleet, "basic1")
    shell = sess.protocol.open_shell()
    try:
        first = sess.protocol.run_command(shell, "x")
        assert sess.protocol.get_command_output(shell, first)[2] == 0
        ran_before = commands_run(fleet, "basic1")
        second = sess.protocol.run_command(shell, "x")
        with pytest.raises(requests.exceptions.ConnectionError):
            sess.protocol.get_command_output(shell, second)
        assert commands_run(fleet, "basic1") == ran_before + 1
    finally:
        fleet.control.call("basic1", "clear-faults")
    assert session(fleet, "basic1").run_cmd("x").status_code == 0


def test_dropped_command_never_runs(fleet):
    fleet.control.call("basic1", "fault", kind="drop", action="Command", count=1)
    ran_before = commands_run(fleet, "basic1")
    with pytest.raises(requests.exceptions.ConnectionError):
        session(fleet, "basic1").run_cmd("x")
    assert commands_run(fleet, "basic1") == ran_before
    assert fleet.control.one("basic1", "counters")["http"]["faults_injected"]["drop"] >= 1


def test_fault_crash_takes_the_host_down_and_it_reboots(fleet):
    boots = fleet.control.one("basic1", "state")["model"]["boot_count"]
    fleet.control.call("basic1", "fault", kind="crash", action="Command", count=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        session(fleet, "basic1").run_cmd("x")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        state = fleet.control.one("basic1", "state")
        if state["model"]["boot_count"] == boots + 1 and state["server"]["listening"]:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the crashed host did not come back")
    assert session(fleet, "basic1").run_cmd("x").status_code == 0


@pytest.mark.parametrize("args, says", [
    ({"kind": "drop", "action": "Frobnicate"}, "action must be one of"),
    ({"kind": "delay", "ms": 10 ** 9}, "ms must be between 0 and 600000"),
    ({"kind": "drop", "skip": -1}, "skip must be between 0 and 10000"),
    ({"kind": "meteor"}, "unknown fault kind"),
])
def test_bad_fault_requests_are_refused(fleet, args, says):
    with pytest.raises(ControlError, match=says):
        fleet.control.call("basic1", "fault", **args)


def test_latency_is_added_per_request(fleet):
    fleet.control.call("basic1", "latency", ms=100)
    start = time.monotonic()
    session(fleet, "basic1").run_cmd("x")
    assert time.monotonic() - start >= 0.5  # five requests
    fleet.control.call("basic1", "latency", ms=0)


def test_counters_for_one_run_cmd(fleet):
    fleet.control.call("basic1", "reset-counters")
    session(fleet, "basic1").run_cmd("x")
    http = fleet.control.one("basic1", "counters")["http"]
    assert http["requests_by_action"] == {"Command": 1, "Create": 1, "Delete": 1, "Receive": 1, "Signal": 1}
    assert http["http_requests"] == 5 and http["responses_by_status"] == {"200": 5}
    assert http["bytes_in"] > 5 * 1000 and http["bytes_out"] > 5 * 500


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _state(fleet, name):
    return fleet.control.one(name, "state")


def test_reboot_via_ctl(fleet):
    before = _state(fleet, "quota1")["model"]["boot_count"]
    fleet.control.call("quota1", "reboot")
    assert wait_until(lambda: not _state(fleet, "quota1")["server"]["listening"])
    with pytest.raises(requests.exceptions.ConnectionError):
        session(fleet, "quota1").run_cmd("x")
    assert wait_until(lambda: _state(fleet, "quota1")["server"]["listening"])
    assert session(fleet, "quota1").run_cmd("x").status_code == 0
    assert _state(fleet, "quota1")["model"]["boot_count"] == before + 1
    with open(os.path.join(fleet.state_dir, "hosts", "quota1.json"), encoding="utf-8") as handle:
        assert json.load(handle)["boot_count"] == before + 1


def test_reboot_scheduled_by_a_command(fleet):
    before = _state(fleet, "quota1")["model"]["boot_count"]
    assert session(fleet, "quota1").run_cmd("shutdown", ["/r", "/t", "0"]).status_code == 0
    assert wait_until(lambda: _state(fleet, "quota1")["model"]["boot_count"] == before + 1)
    assert wait_until(lambda: _state(fleet, "quota1")["server"]["listening"])


def test_control_rejects_bad_requests(fleet):
    with pytest.raises(ControlError, match="unknown host"):
        fleet.control.call("nope", "counters")
    with pytest.raises(ControlError, match="unknown fault kind"):
        fleet.control.call("basic1", "fault", kind="meteor")
    with pytest.raises(ControlError, match="between"):
        fleet.control.call("basic1", "latency", ms=10**9)
    bad = type(fleet.control)(fleet.control.port, "not-the-token")
    with pytest.raises(ControlError, match="token"):
        bad.status()


def test_chunked_request_body_is_accepted(fleet):
    info = fleet.host("basic1")
    proto = protocol(fleet, "basic1")
    req = {"env:Envelope": proto.build_wsman_header(
        action="http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
        resource_uri="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd")}
    req["env:Envelope"]["env:Body"] = {"rsp:Shell": {"rsp:InputStreams": "stdin", "rsp:OutputStreams": "stdout stderr"}}
    body = xmltodict.unparse(req).encode()
    auth = "Basic " + base64.b64encode(f"{fleet.user}:{fleet.password}".encode()).decode()
    response = requests.post(info.endpoint, data=iter([body[:100], body[100:]]), timeout=5,
                             headers={"Authorization": auth, "Content-Type": "application/soap+xml;charset=UTF-8"})
    assert response.status_code == 200
    shell_id = xmltodict.parse(response.content)["s:Envelope"]["s:Body"]["rsp:Shell"]["rsp:ShellId"]
    proto.close_shell(shell_id)
