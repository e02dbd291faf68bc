# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cmd.exe lines, probe recognition, win_reboot emulation, and the shell against the real natives/probe layers."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from portscale_winsim.results import CommandResult
from portscale_winsim.shell import ShellHooks, run_command_line
from portscale_winsim.shell import win_reboot
from portscale_winsim.shell.cmd_line import split_command_line

from shell_doubles import FakeModel, Recorder, b64

NETSH_TCP = (b"\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\n"
             b"Start Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n")
PROBE_HEADER = "# fake probe header v1"


def encode_script_parts(body: str) -> list[str]:
    shell_module = pytest.importorskip("ansible.plugins.shell.powershell")
    return shell_module.ShellModule()._encode_script(body, as_list=True)  # pylint: disable=protected-access


# ----------------------------------------------------------------------------- cmd.exe lines

@pytest.mark.parametrize("line,argv", [
    ("netsh int ipv4 show dynamicport tcp", ["netsh", "int", "ipv4", "show", "dynamicport", "tcp"]),
    ('"C:\\Program Files\\x.exe" "a b" c', ["C:\\Program Files\\x.exe", "a b", "c"]),
    ('prog a\\"b "c\\\\" d', ["prog", 'a"b', "c\\", "d"]),
    ('prog "say ""hi"""', ["prog", 'say "hi"']),
    ('prog a\\\\b', ["prog", "a\\\\b"]),
    ("  prog\t x  ", ["prog", "x"]),
])
def test_command_line_to_argv(line, argv):
    assert split_command_line(line) == argv


def test_pywinrm_run_cmd_reaches_the_native():
    natives = Recorder(CommandResult(NETSH_TCP, b"", 0))
    model = FakeModel()
    result = run_command_line(model, "netsh", "int ipv4 show dynamicport tcp", b"", 437, hooks=ShellHooks(run_native=natives))
    assert result == CommandResult(NETSH_TCP, b"", 0)
    assert natives.calls == [["netsh", "int", "ipv4", "show", "dynamicport", "tcp"]]
    assert model.counters["commands_run"] == 1


def test_cmd_unknown_program():
    result = run_command_line(FakeModel(), "nothere", "x", b"", 437, hooks=ShellHooks(run_native=Recorder(None)))
    assert result == CommandResult(
        b"", b"'nothere' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", 1)


@pytest.mark.parametrize("line", ["netsh a & netsh b", "netsh a | more", "netsh > out.txt", "echo %PATH%", "netsh ^a"])
def test_cmd_operators_fail_loudly(line):
    natives = Recorder(CommandResult(b"", b"", 0))
    result = run_command_line(FakeModel(), line, "", b"", 437, hooks=ShellHooks(run_native=natives))
    assert result.exit_code == 1 and b"SIMULATOR-UNSUPPORTED" in result.stderr
    assert not natives.calls


def test_quoted_operator_is_an_argument():
    natives = Recorder(CommandResult(b"", b"", 0))
    run_command_line(FakeModel(), 'prog "a & b"', "", b"", 437, hooks=ShellHooks(run_native=natives))
    assert natives.calls == [["prog", "a & b"]]


# ----------------------------------------------------------------------------- probe

def probe_hooks(calls):
    def run_probe(model, params):
        calls.append(params)
        return {"ok": True, "opened": params["count"]}
    return ShellHooks(run_native=Recorder(None), run_probe=run_probe, probe_header=PROBE_HEADER,
                      params_variable="$PortscaleProbeParams", result_marker="MARK ")


def test_probe_is_recognized_with_and_without_strict_mode():
    params = {"count": 3, "note": "it's"}
    literal = json.dumps(params).replace("'", "''")
    body = f"{PROBE_HEADER}\n$PortscaleProbeParams = '{literal}'\n$x = [System.Net.Sockets.TcpListener]::new(0)\nforeach ($i in 1..3) {{ }}"
    for wrapped in (body, "Set-StrictMode -Version Latest\n" + body):
        calls = []
        result = run_command_line(FakeModel(), "PowerShell", "-EncodedCommand " + b64(wrapped), b"", 65001,
                                  hooks=probe_hooks(calls))
        assert result == CommandResult(b'MARK {"ok":true,"opened":3}\r\n', b"", 0)
        assert calls == [params]


def test_probe_without_parameters_line_fails():
    result = run_command_line(FakeModel(), "PowerShell", "-EncodedCommand " + b64(PROBE_HEADER + "\n'x'"), b"", 65001,
                              hooks=probe_hooks([]))
    assert result.exit_code == 1 and b"SIMULATOR-PROBE" in result.stderr


def test_header_elsewhere_is_not_a_probe():
    script = "'x'\n" + PROBE_HEADER
    result = run_command_line(FakeModel(), "PowerShell", "-EncodedCommand " + b64(script), b"", 65001, hooks=probe_hooks([]))
    assert result == CommandResult(b"x\r\n", b"", 0)


# ----------------------------------------------------------------------------- win_reboot

def test_ansible_wrapped_matches_ansible_core():
    body = win_reboot.DEFAULT_BOOT_TIME_COMMAND
    assert base64.b64decode(encode_script_parts(body)[-1]).decode("utf-16-le") == win_reboot.ansible_wrapped(body)


def win_reboot_command(body, natives):
    parts = encode_script_parts(body)
    return run_command_line(FakeModel(), parts[0], " ".join(parts[1:]), b"", 65001, hooks=ShellHooks(run_native=natives))


def test_boot_time_command():
    result = win_reboot_command(win_reboot.DEFAULT_BOOT_TIME_COMMAND, Recorder(None))
    assert result == CommandResult(b"133500000000000000\r\n", b"", 0)


def test_reboot_command_reaches_shutdown_and_prints_json():
    natives = Recorder(CommandResult(b"", b"", 0))
    body = win_reboot.REBOOT_COMMAND_TEMPLATE % ("True", win_reboot.LOGON_UI_KEY, 2, "'Reboot initiated by Ansible'")
    result = win_reboot_command(body, natives)
    assert natives.calls == [["shutdown.exe", "/r", "/t", "2", "/c", "Reboot initiated by Ansible"]]
    assert result.exit_code == 0 and result.stderr == b""
    assert json.loads(result.stdout) == {"stdout": "", "stderr": "", "rc": 0}


def test_reboot_command_reports_shutdown_failure_in_json():
    natives = Recorder(CommandResult(b"", b"A system shutdown has already been scheduled.(1190)\r\n", 1190))
    body = win_reboot.REBOOT_COMMAND_TEMPLATE % ("False", win_reboot.LOGON_UI_KEY, 0, "'it''s me'")
    result = win_reboot_command(body, natives)
    assert natives.calls[0][-1] == "it's me"
    assert json.loads(result.stdout) == {"stdout": "", "stderr": "A system shutdown has already been scheduled.(1190)",
                                         "rc": 1190}


def test_default_test_command():
    expected = f"success-{uuid.uuid4()}"
    body = win_reboot.DEFAULT_TEST_COMMAND_TEMPLATE % (win_reboot.LOGON_UI_KEY, expected)
    result = win_reboot_command(body, Recorder(None))
    assert result.exit_code == 0 and expected.encode() in result.stdout


def test_changed_reboot_script_is_not_emulated():
    body = (win_reboot.REBOOT_COMMAND_TEMPLATE % ("True", win_reboot.LOGON_UI_KEY, 2, "'m'")).replace("/r", "/s")
    result = win_reboot_command(body, Recorder(CommandResult(b"", b"", 0)))
    assert result.exit_code == 1 and b"SIMULATOR-UNSUPPORTED" in result.stderr


def test_whoami_test_command_goes_to_the_native():
    natives = Recorder(CommandResult(b"host\\user\r\n", b"", 0))
    result = win_reboot_command("whoami", natives)
    assert result == CommandResult(b"host\\user\r\n", b"", 0) and natives.calls == [["whoami"]]


# ----------------------------------------------------------------------------- real natives and probe

@pytest.fixture(name="real_host")
def fixture_real_host():
    model_module = pytest.importorskip("portscale_winsim.model")
    pytest.importorskip("portscale_winsim.natives")
    return model_module.HostModel.create("shell01")


def run_real(model, script, codepage=65001):
    parts = encode_script_parts(script)
    return run_command_line(model, parts[0], " ".join(parts[1:]), b"", codepage)


def test_real_natives_raw_netsh_is_byte_exact(real_host):
    parts = ["PowerShell", "-NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand "
             + b64("netsh int ipv4 show dynamicport tcp")]
    result = run_command_line(real_host, parts[0], parts[1], b"", 65001)
    assert result == CommandResult(NETSH_TCP, b"", 0)
    assert real_host.counters["commands_run"] == 1


def test_real_natives_batch_markers(real_host):
    script = "\n".join([
        "$ProgressPreference = 'SilentlyContinue'",
        "& netsh int ipv4 show dynamicport tcp 2>&1",
        'Write-Output "#MARK 0 $LASTEXITCODE"',
        "& reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v MaxUserPort 2>&1",
        'Write-Output "#MARK 1 $LASTEXITCODE"',
    ])
    result = run_real(real_host, script)
    text = result.stdout.decode("utf-8")
    assert text.startswith(NETSH_TCP.decode() + "#MARK 0 0\r\n")
    assert "reg.exe : ERROR: The system was unable to find the specified registry key or \r\nvalue.\r\n" in text
    assert text.endswith("#MARK 1 1\r\n") and result.exit_code == 0


def test_real_natives_unknown_program_and_cmd_line(real_host):
    result = run_real(real_host, "nothere.exe /x")
    assert result.exit_code == 1 and result.stderr.startswith(b"#< CLIXML\r\n")
    cmd = run_command_line(real_host, "netsh", "int ipv4 show dynamicport tcp", b"", 437)
    assert cmd == CommandResult(NETSH_TCP, b"", 0)


def test_real_boot_time_and_probe(real_host):
    result = run_real(real_host, win_reboot.DEFAULT_BOOT_TIME_COMMAND)
    assert result == CommandResult(f"{real_host.boot_time}\r\n".encode(), b"", 0)
    probe = pytest.importorskip("portscale_winsim.probe")
    script = f"{probe.PROBE_HEADER}\n{probe.PARAMS_VARIABLE} = '{{\"schema\": 1, \"count\": 1}}'\n'body is not run'"
    result = run_real(real_host, script)
    # Whatever the probe decides about these parameters, the shell hands its contract output through unchanged.
    assert result == probe.run_probe_script(real_host, "Set-StrictMode -Version Latest\n" + script, 65001)
    assert result.stdout.startswith(probe.RESULT_MARKER.encode()) or result.exit_code == 1
