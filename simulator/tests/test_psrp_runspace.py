# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runspace output model (shell/runspace.py): the same interpreter as powershell.exe, a PSRP pipeline's streams."""

from __future__ import annotations

import base64
import json

import pytest

from portscale_winsim import probe
from portscale_winsim.command_log import CommandLog
from portscale_winsim.model import HostModel
from portscale_winsim.shell import run_command_line, runspace, stdin_script, win_reboot
from portscale_winsim.shell.runspace import ERROR, HOST, INFORMATION, OUTPUT, HostCall, HostMessage, RunspaceState, run_runspace_script

DYNAMICPORT_LINES = ["", "Protocol tcp Dynamic Port Range", "-" * 33, "Start Port      : 49152", "Number of Ports : 16384", ""]
PARAMS = {"schema": 1, "count": 10, "timeout_ms": 60000, "target_host": "127.0.0.1", "target_port": 0,
          "reuse_unicast_port": False, "port_scalability": False, "local_addresses": [], "ip_version": 4}
CONSOLE_LINES = "\n".join(probe.CONSOLE_EMISSION)


@pytest.fixture(name="model")
def model_fixture():
    model = HostModel.create("rs01")
    model.command_log = CommandLog()
    return model


def run(model, script, **kwargs):
    return run_runspace_script(model, script, kwargs.pop("state", None) or RunspaceState(), **kwargs)


def probe_script(emission: str) -> str:
    literal = json.dumps(PARAMS).replace("'", "''")
    return f"Set-StrictMode -Version Latest\n{probe.PROBE_HEADER}\n$PortscaleProbeParams = '{literal}'\n$result = @{{}}\n{emission}\n"


def test_native_output_is_one_string_per_line_and_exit_is_set_should_exit(model):
    result = run(model, "netsh int ipv4 show dynamicport tcp\nexit $LASTEXITCODE")
    assert result.state == runspace.COMPLETED and result.failure is None
    assert result.events == [(OUTPUT, line) for line in DYNAMICPORT_LINES] + [(HOST, HostCall("SetShouldExit", (0,)))]
    assert model.counters["commands_run"] == 1


def test_objects_keep_their_type_and_write_host_calls_the_host(model):
    result = run(model, "Write-Host hi; Write-Host -NoNewline there; 'a'; 5; $true; exit 3")
    assert result.events == [
        (INFORMATION, HostMessage("hi", False)), (HOST, HostCall("WriteLine2", ("hi",))),
        (INFORMATION, HostMessage("there", True)), (HOST, HostCall("Write1", ("there",))),
        (OUTPUT, "a"), (OUTPUT, 5), (OUTPUT, True), (HOST, HostCall("SetShouldExit", (3,))),
    ]


def test_native_stderr_goes_to_the_error_stream_or_merged_into_output(model):
    query = r"reg query HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters /v NoSuchValue"
    result = run(model, query)
    [(kind, record)] = result.events
    assert kind == ERROR and record.error_id == "NativeCommandError" and record.reason == "RemoteException"
    assert record.message == "ERROR: The system was unable to find the specified registry key or value."
    assert record.target_name == record.message and record.prefix == "reg"
    merged = run(model, query + " 2>&1")
    assert [(kind, payload.error_id) for kind, payload in merged.events] == [(OUTPUT, "NativeCommandError")]
    assert run(model, query + " 2>$null").events == []


def test_stderr_records_per_line_from_server_2019_and_in_blocks_before():
    position = runspace.SourcePosition("x", 0, 1)
    modern = runspace.RunspaceOutput(437, runspace.RunspaceResult(), 20348).stderr_records("p", "one\r\ntwo\r\nthree\r\n", position)
    assert [(r.error_id, r.message, r.target_name) for r in modern] == [
        ("NativeCommandError", "one", "one"), ("NativeCommandErrorMessage", "two", "two"), ("NativeCommandErrorMessage", "three", "three")]
    old = runspace.RunspaceOutput(437, runspace.RunspaceResult(), 14393).stderr_records("p", "one\r\ntwo\r\nthree\r\n", position)
    assert [(r.error_id, r.message, r.target_name) for r in old] == [
        ("NativeCommandError", "one", "one"), ("NativeCommandErrorMessage", "two\r\nthree\r\n", "")]


def test_terminating_error_fails_the_pipeline_and_is_not_on_the_error_stream(model):
    result = run(model, "$ErrorActionPreference = 'Stop'\n'before'\nGet-Variable nope\n'after'")
    assert result.state == runspace.FAILED and result.events == [(OUTPUT, "before")]
    assert result.failure.error_id == "VariableNotFound,Microsoft.PowerShell.Commands.GetVariableCommand"


def test_parse_error_and_unsupported_construct_fail_before_anything_runs(model):
    parse = run(model, "netsh int ipv4 show dynamicport tcp\n'abc")
    assert parse.state == runspace.FAILED and parse.events == []
    assert (parse.failure.error_id, parse.failure.category, parse.failure.parser_error) == ("TerminatorExpectedAtEndOfString", "ParserError", True)
    unsupported = run(model, "netsh int ipv4 show dynamicport tcp\nGet-Process")
    assert unsupported.state == runspace.FAILED and unsupported.events == []
    assert unsupported.failure.message.startswith("SIMULATOR-UNSUPPORTED: command 'Get-Process'")
    assert model.counters["native_commands"] == 0


def test_a_native_the_simulator_does_not_model_fails_the_pipeline(model):
    result = run(model, r"reg query HKLM\Nope")
    assert result.state == runspace.FAILED and result.failure.message.startswith("SIMULATOR-UNSUPPORTED:")


def test_global_scope_persists_local_scope_does_not(model):
    state = RunspaceState()
    run(model, "$x = 5", state=state)
    assert run(model, "$x", state=state).events == [(OUTPUT, 5)]
    run(model, "$y = 6", state=state, local_scope=True)
    assert run(model, "$y", state=state).events == []
    run(model, "netsh int ipv4 show dynamicport tcp", state=state, local_scope=True)
    assert run(model, "$LASTEXITCODE", state=state).events == [(OUTPUT, 0)]


@pytest.mark.parametrize("objects", [
    ["Write-Output 'loaded'\nnetsh int ipv4 show dynamicport tcp\n"],      # ansible-core 2.16-2.18: in_data as one str
    ["Write-Output 'loaded'", "netsh int ipv4 show dynamicport tcp"],      # 2.19+: in_data.splitlines()
])
def test_stdin_loader_reads_the_pipeline_input(model, objects):
    result = run(model, stdin_script.STDIN_LOADER, input_objects=objects)
    assert result.state == runspace.COMPLETED
    assert result.events == [(OUTPUT, "loaded")] + [(OUTPUT, line) for line in DYNAMICPORT_LINES]
    [entry] = model.command_log.snapshot()["entries"]
    assert entry["kind"] == "psrp" and entry["line"] == stdin_script.STDIN_LOADER
    assert entry["script"].startswith("Write-Output 'loaded'") and entry["natives"] == [["netsh", "int", "ipv4", "show", "dynamicport", "tcp"]]


def test_input_to_another_script_is_refused(model):
    result = run(model, "'x'", input_objects=["a"])
    assert result.state == runspace.FAILED and "$input is not modelled" in result.failure.message


def test_probe_write_output_is_an_output_object_console_out_is_lost(model):
    written = run(model, probe_script(probe.OUTPUT_EMISSION))
    [(kind, line)] = written.events
    assert kind == OUTPUT and line.startswith(probe.RESULT_MARKER) and json.loads(line[len(probe.RESULT_MARKER):])["opened"] == 10
    lost = run(model, probe_script(CONSOLE_LINES))
    assert (lost.state, lost.events) == (runspace.COMPLETED, [])
    other = run(model, probe_script("$host.UI.WriteLine('PORTSCALE-PROBE-RESULT ' + (ConvertTo-Json -InputObject $result))"))
    assert other.state == runspace.FAILED and other.failure.message.startswith("SIMULATOR-UNSUPPORTED: a probe script that writes")
    bad = dict(PARAMS, count=0)
    thrown = run(model, probe_script(probe.OUTPUT_EMISSION).replace(json.dumps(PARAMS), json.dumps(bad)))
    assert thrown.state == runspace.FAILED and thrown.failure.message.startswith("portscale probe: count must be")


@pytest.mark.parametrize("emission", [probe.OUTPUT_EMISSION, CONSOLE_LINES])
def test_probe_both_forms_are_a_stdout_line_from_powershell_exe(model, emission):
    script = probe_script(emission)
    encoded = base64.b64encode(script.encode("utf-16-le")).decode()
    result = run_command_line(model, "PowerShell", "-NoProfile -NonInteractive -EncodedCommand " + encoded, b"", 65001)
    assert result.exit_code == 0 and result.stderr == b""
    assert result.stdout.startswith(probe.RESULT_MARKER.encode()) and result.stdout.endswith(b"\r\n") and result.stdout.count(b"\r\n") == 1


def test_probe_other_emission_is_refused_by_powershell_exe(model):
    script = probe_script("Write-Host ('PORTSCALE-PROBE-RESULT ' + (ConvertTo-Json -InputObject $result -Compress -Depth 4))")
    encoded = base64.b64encode(script.encode("utf-16-le")).decode()
    result = run_command_line(model, "PowerShell", "-EncodedCommand " + encoded, b"", 65001)
    assert result.exit_code == 1 and result.stderr.startswith(b"SIMULATOR-UNSUPPORTED: a probe script that writes its result line")


def test_win_reboot_scripts_are_emulated_in_a_runspace(model):
    boot = run(model, win_reboot.ansible_wrapped(win_reboot.DEFAULT_BOOT_TIME_COMMAND))
    assert boot.events == [(OUTPUT, str(model.boot_time))]
    reboot = run(model, win_reboot.ansible_wrapped(win_reboot.REBOOT_COMMAND_TEMPLATE % ("True", win_reboot.LOGON_UI_KEY, 2, "'bye'")))
    [(kind, line)] = reboot.events
    assert kind == OUTPUT and json.loads(line) == {"stdout": "", "stderr": "", "rc": 0}
    assert model.scheduled_reboot is not None
