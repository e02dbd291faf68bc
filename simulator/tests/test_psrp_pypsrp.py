# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real pypsrp 0.9.1 against the PSRP front end: Basic over HTTP, NTLM with message encryption, validated HTTPS; the
runspace output model end to end; pool and pipeline lifecycle; refused messages; faults, counters and the command log."""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("psrpcore")
pypsrp_powershell = pytest.importorskip("pypsrp.powershell")

# pylint: disable=wrong-import-position
import requests.exceptions  # noqa: E402
from pypsrp.exceptions import AuthenticationError, InvalidPSRPOperation, WSManFaultError  # noqa: E402
from pypsrp.host import PSHost, PSHostUserInterface  # noqa: E402
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool  # noqa: E402
from pypsrp.shell import SignalCode, WinRS  # noqa: E402
from pypsrp.wsman import WSMan  # noqa: E402

from portscale_winsim import probe  # noqa: E402
from portscale_winsim.fleet import HostSpec, start_fleet  # noqa: E402
from portscale_winsim.shell import ps_errors, stdin_script  # noqa: E402

DYNAMICPORT_LINES = ["", "Protocol tcp Dynamic Port Range", "-" * 33, "Start Port      : 49152", "Number of Ports : 16384", ""]
NO_VALUE = r"reg query HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters /v NoSuchValue"
REG_ERROR = "ERROR: The system was unable to find the specified registry key or value."


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    specs = [HostSpec("basic1", auth="basic"), HostSpec("ntlm1", auth="ntlm"), HostSpec("tls1", auth="both", https=True),
             HostSpec("user1", auth="ntlm", elevated=False), HostSpec("old1", profile="server2003", auth="ntlm"),
             HostSpec("faulty1", auth="ntlm")]
    with start_fleet(str(tmp_path_factory.mktemp("psrp")), count=0, hosts=specs, boot_seconds=0.5, reboot_grace=0.3) as handle:
        yield handle


def wsman(fleet, name: str, auth: str | None = None, **kwargs) -> WSMan:
    info = fleet.host(name)
    auth = auth or info.transport
    encryption = "never" if (auth == "basic" and info.scheme == "http") else "auto"
    return WSMan("127.0.0.1", port=info.port, username=fleet.user, password=kwargs.pop("password", fleet.password),
                 ssl=info.scheme == "https", auth=auth, encryption=encryption, cert_validation=fleet.ca_cert or True, **kwargs)


def host() -> PSHost:
    """ansible-core's psrp connection's host: a UI that collects output, no RawUI."""
    return PSHost(None, None, False, "Ansible PSRP Host", None, PSHostUserInterface(), None)


def invoke(pool: RunspacePool, script: str, input_data=None, local_scope: bool = True) -> PowerShell:
    ps = PowerShell(pool)
    ps.add_script(script, use_local_scope=local_scope)
    ps.invoke(input=input_data)
    return ps


@pytest.mark.parametrize("name,auth", [("basic1", "basic"), ("ntlm1", "ntlm"), ("tls1", "ntlm"), ("tls1", "basic")])
def test_native_output_and_exit_code_over_every_transport(fleet, name, auth):
    psrp_host = host()
    with RunspacePool(wsman(fleet, name, auth), host=psrp_host) as pool:
        ps = invoke(pool, "netsh int ipv4 show dynamicport tcp\nexit 7")
        assert ps.state == PSInvocationState.COMPLETED and not ps.had_errors
        assert ps.output == DYNAMICPORT_LINES and psrp_host.rc == 7
        assert pool.protocol_version == "2.3" and pool.application_private_data.data["PSVersionTable"]["PSEdition"] == "Desktop"


def test_output_objects_host_ui_and_information(fleet):
    psrp_host = host()
    with RunspacePool(wsman(fleet, "ntlm1"), host=psrp_host) as pool:
        ps = invoke(pool, "Write-Host hello; 'a'; 5; $true; Write-Host -NoNewline tail")
        assert ps.output == ["a", 5, True]
        assert psrp_host.ui.stdout == ["hello\r\n", "tail"]
        assert [str(record.message_data) for record in ps.streams.information] == ["hello", "tail"]
        assert [record.tags for record in ps.streams.information] == [["PSHOST"], ["PSHOST"]]
    # A client without a host UI gets no host calls; the information records still arrive.
    with RunspacePool(wsman(fleet, "ntlm1")) as pool:
        ps = invoke(pool, "Write-Host hello")
        assert ps.output == [] and [str(record.message_data) for record in ps.streams.information] == ["hello"]


def test_error_stream_and_merge(fleet):
    with RunspacePool(wsman(fleet, "ntlm1"), host=host()) as pool:
        ps = invoke(pool, NO_VALUE)
        [error] = ps.streams.error
        assert ps.state == PSInvocationState.COMPLETED and ps.output == []
        assert (str(error), error.fq_error, error.command_name) == (REG_ERROR, "NativeCommandError", "reg.exe")
        assert error.message == f"NotSpecified: ({REG_ERROR[:15]}...{REG_ERROR[-15:]}:String) [], RemoteException"
        position = ps_errors.position_message(ps_errors.SourcePosition(NO_VALUE, 0, len(NO_VALUE)))
        assert error.invocation_position_message == position.replace("\n", "\r\n") and position.startswith("At line:1 char:1\n+ reg query")
        merged = invoke(pool, NO_VALUE + " 2>&1")
        assert merged.streams.error == [] and [str(item) for item in merged.output] == [REG_ERROR]
        cmdlet = invoke(pool, "Get-Variable nope")
        [error] = cmdlet.streams.error
        assert (str(error), error.command_name, error.fq_error) == (
            "Cannot find a variable with the name 'nope'.", "Get-Variable", "VariableNotFound,Microsoft.PowerShell.Commands.GetVariableCommand")
        assert error.message == "ObjectNotFound: (nope:String) [Get-Variable], ItemNotFoundException"


def test_failures_are_loud(fleet):
    with RunspacePool(wsman(fleet, "ntlm1"), host=host()) as pool:
        stopped = invoke(pool, "$ErrorActionPreference = 'Stop'; 'before'; Get-Variable nope; 'after'")
        assert stopped.state == PSInvocationState.FAILED and stopped.had_errors and stopped.output == ["before"]
        assert [str(error) for error in stopped.streams.error] == ["Cannot find a variable with the name 'nope'."]
        parse = invoke(pool, "'abc")
        assert parse.state == PSInvocationState.FAILED
        [error] = parse.streams.error
        assert str(error) == "At line:1 char:1\r\n+ 'abc\r\n+ ~\r\nThe string is missing the terminator: '."
        assert (error.fq_error, error.message) == ("TerminatorExpectedAtEndOfString", "ParserError: (:) [], ParseException")
        unsupported = invoke(pool, "netsh int ipv4 show dynamicport tcp; Get-Process")
        assert unsupported.state == PSInvocationState.FAILED and unsupported.output == []
        assert str(unsupported.streams.error[0]).startswith("SIMULATOR-UNSUPPORTED: command 'Get-Process'")
        cmdlets = PowerShell(pool)
        cmdlets.add_cmdlet("Get-Item").add_parameter("Path", "C:\\")
        cmdlets.invoke()
        assert cmdlets.state == PSInvocationState.FAILED and "only scripts are modelled" in str(cmdlets.streams.error[0])


@pytest.mark.parametrize("input_data", [
    "Write-Output 'loaded'\nnetsh int ipv4 show dynamicport tcp\n",      # ansible-core 2.16-2.18: in_data as one str
    ["Write-Output 'loaded'", "netsh int ipv4 show dynamicport tcp"],    # 2.19+: in_data.splitlines()
])
def test_stdin_loader_over_pipeline_input(fleet, input_data):
    with RunspacePool(wsman(fleet, "basic1"), host=host()) as pool:
        ps = invoke(pool, stdin_script.STDIN_LOADER, input_data)
        assert ps.state == PSInvocationState.COMPLETED and ps.output == ["loaded"] + DYNAMICPORT_LINES


def test_probe_result_line_is_output_and_console_out_is_lost(fleet):
    params = json.dumps({"schema": 1, "count": 5, "timeout_ms": 60000, "target_host": "127.0.0.1", "target_port": 0,
                         "reuse_unicast_port": False, "port_scalability": False, "local_addresses": [], "ip_version": 4})
    body = f"{probe.PROBE_HEADER}\n$PortscaleProbeParams = '{params}'\n$result = @{{}}\n"
    psrp_host = host()
    with RunspacePool(wsman(fleet, "ntlm1"), host=psrp_host) as pool:
        written = invoke(pool, body + probe.OUTPUT_EMISSION)
        [line] = written.output
        assert json.loads(line[len(probe.RESULT_MARKER):])["opened"] == 5
        lost = invoke(pool, body + "\n".join(probe.CONSOLE_EMISSION))
        assert (lost.state, lost.output, lost.streams.error, psrp_host.ui.stdout, psrp_host.rc) == (PSInvocationState.COMPLETED, [], [], [], None)


def test_variables_live_in_the_runspace(fleet):
    with RunspacePool(wsman(fleet, "basic1")) as pool:
        invoke(pool, "$kept = 'global'", local_scope=False)
        invoke(pool, "$gone = 'local'", local_scope=True)
        assert invoke(pool, "$kept").output == ["global"] and invoke(pool, "$gone").output == []


def test_pipelines_concurrent_sequential_signal_and_delete(fleet):
    with RunspacePool(wsman(fleet, "ntlm1")) as pool:
        first, second = PowerShell(pool), PowerShell(pool)
        first.add_script("'one'")
        second.add_script("'two'")
        first.begin_invoke()
        second.begin_invoke()
        assert second.end_invoke() == ["two"] and first.end_invoke() == ["one"]
        first.close()   # Signal Terminate
        # ansible-core's way to release the previous pipeline: stop() sends powershell/signal/ctrl_c.
        second.state = PSInvocationState.RUNNING
        second.stop()
        for gone in (first, second):
            with pytest.raises(WSManFaultError) as exc:
                pool.shell.receive("stdout", command_id=gone.id)
            assert exc.value.code == 2150858843 and "command identifier that does not exist" in exc.value.message
        assert [invoke(pool, f"'{n}'").output for n in range(3)] == [["0"], ["1"], ["2"]]
        with pytest.raises(WSManFaultError):
            pool.shell.signal(SignalCode.CTRL_BREAK, invoke(pool, "'x'").id)
        assert pool.is_alive()
        shell = pool.shell
    with pytest.raises(WSManFaultError) as exc:   # the with block deleted the shell
        shell.receive("stdout")
    assert exc.value.code == 2150858843


def test_refused_messages_fail_loudly(fleet):
    with RunspacePool(wsman(fleet, "ntlm1")) as pool:
        with pytest.raises(IndexError):
            pool.get_command_metadata("Get-Item")   # the pipeline fails; pypsrp finds no metadata count
    for request in (lambda pool: setattr(pool, "max_runspaces", 2), lambda pool: pool.exchange_keys()):
        pool = RunspacePool(wsman(fleet, "ntlm1"))
        pool.open()
        with pytest.raises(InvalidPSRPOperation, match="SIMULATOR-UNSUPPORTED: the PSRP message"):
            request(pool)
        pool.shell.close()
    with pytest.raises(WSManFaultError) as exc:
        RunspacePool(wsman(fleet, "ntlm1"), configuration_name="Microsoft.Exchange").open()
    assert exc.value.code == 2150858811 and "Microsoft.Exchange) was not found in the WS-Management catalog" in exc.value.message
    with pytest.raises(WSManFaultError) as exc:
        RunspacePool(wsman(fleet, "old1")).open()   # server2003: no PowerShell remoting
    assert exc.value.code == 2150858811


def test_config_get_admin_and_not(fleet):
    connection = wsman(fleet, "ntlm1")
    connection.update_max_payload_size()
    assert connection.max_envelope_size == 500 * 1024
    with pytest.raises(WSManFaultError) as exc:
        wsman(fleet, "user1").update_max_payload_size()
    assert exc.value.code == 2147942405


def test_counters_command_log_and_bounds(fleet):
    fleet.control.call("ntlm1", "reset-counters")
    with RunspacePool(wsman(fleet, "ntlm1")) as pool:
        invoke(pool, "netsh int ipv4 show dynamicport tcp")
        started = []
        with pytest.raises(WSManFaultError, match="more than 32 pipelines"):
            for dummy in range(40):
                ps = PowerShell(pool)
                ps.add_script("'x'")
                ps.begin_invoke()
                started.append(ps)
        assert len(started) == 31
    counters = fleet.control.one("ntlm1", "counters")
    actions = counters["http"]["requests_by_action"]
    assert (actions["Create"], actions["Command"], actions["Delete"]) == (1, 33, 1) and actions["Receive"] >= 2
    assert counters["model"]["commands_run"] >= 1 and counters["http"]["bytes_in"] > 0
    entries = fleet.control.one("ntlm1", "commands")["entries"]
    assert entries[0]["kind"] == "psrp" and entries[0]["script"] == "netsh int ipv4 show dynamicport tcp"
    assert entries[0]["natives"] == [["netsh", "int", "ipv4", "show", "dynamicport", "tcp"]]


def test_network_faults_hit_psrp_requests(fleet):
    control = fleet.control
    control.call("faulty1", "fault", kind="error500", action="Command")
    with RunspacePool(wsman(fleet, "faulty1")) as pool:
        with pytest.raises(WSManFaultError, match="fault injected"):
            invoke(pool, "'x'")
        assert invoke(pool, "'y'").output == ["y"]
    pool = RunspacePool(wsman(fleet, "faulty1"))
    pool.open()
    control.call("faulty1", "fault", kind="drop", action="Receive")
    with pytest.raises(requests.exceptions.ConnectionError):
        invoke(pool, "'z'")   # the pipeline ran (its Command arrived); its answer is lost with the connection
    control.call("faulty1", "fault", kind="unauthorized", count=10)
    with pytest.raises(AuthenticationError):
        RunspacePool(wsman(fleet, "faulty1")).open()
    control.call("faulty1", "clear-faults")
    control.call("faulty1", "fault", kind="delay", action="Create", ms=300)
    with RunspacePool(wsman(fleet, "faulty1")) as pool:
        assert invoke(pool, "'late'").output == ["late"]
    control.call("faulty1", "fault", kind="refused")
    with pytest.raises(requests.exceptions.ConnectionError):
        RunspacePool(wsman(fleet, "faulty1")).open()
    control.call("faulty1", "clear-faults")
    control.call("faulty1", "fault", kind="refused", on=False)
    injected = control.one("faulty1", "counters")["http"]["faults_injected"]
    assert injected["error500"] == 1 and injected["drop"] == 1 and injected["unauthorized"] >= 1 and injected["delay"] == 1
    with RunspacePool(wsman(fleet, "faulty1")) as pool:
        assert invoke(pool, "'back'").output == ["back"]


def test_slow_pipeline_polls_through_operation_timeout(fleet):
    fleet.control.call("faulty1", "fault", kind="slow-command", ms=2500)
    try:
        with RunspacePool(wsman(fleet, "faulty1", operation_timeout=1)) as pool:
            assert invoke(pool, "'slow'").output == ["slow"]
    finally:
        fleet.control.call("faulty1", "clear-faults")
    assert fleet.control.one("faulty1", "counters")["http"]["faults_injected"]["slow-command"] >= 1


def test_crash_and_reboot_end_the_pool(fleet):
    before = fleet.control.one("faulty1", "state")["model"]["boot_count"]
    pool = RunspacePool(wsman(fleet, "faulty1"))
    pool.open()
    fleet.control.call("faulty1", "fault", kind="crash", action="Command")
    with pytest.raises(requests.exceptions.ConnectionError):
        invoke(pool, "netsh int ipv4 show dynamicport tcp")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        state = fleet.control.one("faulty1", "state")
        if state["model"]["boot_count"] == before + 1 and state["server"]["listening"]:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the host did not come back")
    stale = WinRS(wsman(fleet, "faulty1"), resource_uri=pool.shell.resource_uri)   # a new connection, the old shell
    stale._selector_set = pool.shell._selector_set  # pylint: disable=protected-access
    with pytest.raises(WSManFaultError) as exc:   # the shell went down with the host
        stale.receive("stdout")
    assert exc.value.code == 2150858843
    with RunspacePool(wsman(fleet, "faulty1")) as fresh:
        assert invoke(fresh, "'up'").output == ["up"]
