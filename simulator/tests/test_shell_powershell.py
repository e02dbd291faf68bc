# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PowerShell path of the shell layer with a fake model and fake native programs (injected ShellHooks)."""

from __future__ import annotations

import base64

import pytest

from portscale_winsim.results import CommandResult
from portscale_winsim.shell import ShellHooks, run_command_line

NETSH_TCP = (b"\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\n"
             b"Start Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n")
REG_MISSING = b"ERROR: The system was unable to find the specified registry key or value.\r\n"
RC_SUFFIX = "If (-not $?) { If (Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue) { exit $LASTEXITCODE } Else { exit 1 } }"
CLIXML_START = b'#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'


class FakeModel:
    def __init__(self):
        self.counters = {}
        self.boot_time = 133000000000000000


class FakeNatives:
    """netsh / reg / echoargs / noisy with fixed outputs; records every argv it was given."""

    def __init__(self):
        self.calls = []

    def __call__(self, model, argv, codepage):
        self.calls.append(list(argv))
        program = argv[0].replace("/", "\\").rsplit("\\", 1)[-1].lower()
        if program.endswith(".exe"):
            program = program[:-4]
        if program == "netsh":
            if [a.lower() for a in argv[1:]] == ["int", "ipv4", "show", "dynamicport", "tcp"]:
                return CommandResult(NETSH_TCP, b"", 0)
            return CommandResult(b"The following command was not found: " + " ".join(argv[1:]).encode() + b".\r\n\r\n", b"", 1)
        if program == "reg":
            return CommandResult(b"", REG_MISSING, 1)
        if program == "echoargs":
            return CommandResult("\r\n".join(argv[1:]).encode("utf-8") + b"\r\n", b"", 0)
        if program == "noisy":  # exit 0 but writes to stderr
            return CommandResult(b"out\r\n", b"warn one\r\nwarn two\r\n", 0)
        if program == "exit5":
            return CommandResult(b"", b"", 5)
        return None


def encode(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def ansible_ps(script, natives=None, codepage=65001, model=None):
    """The shape ansible-core's winrm `exec_command` sends for raw / _low_level_execute_command."""
    natives = natives or FakeNatives()
    args = "-NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand " + encode(script)
    return run_command_line(model or FakeModel(), "PowerShell", args, b"", codepage, hooks=ShellHooks(run_native=natives))


def ansible_wrapped(body):
    """ansible-core `_encode_script(strict_mode=True, preserve_rc=True)` text, built by ansible-core itself."""
    shell_module = pytest.importorskip("ansible.plugins.shell.powershell")
    parts = shell_module.ShellModule()._encode_script(body, as_list=True)
    return base64.b64decode(parts[-1]).decode("utf-16-le")


def clixml_text(stderr: bytes) -> str:
    """Decode CLIXML stderr with ansible-core's own parser (what a playbook shows)."""
    shell_module = pytest.importorskip("ansible.plugins.shell.powershell")
    return shell_module._parse_clixml(stderr).decode("utf-8")  # pylint: disable=protected-access


def test_raw_native_output_is_byte_exact():
    result = ansible_ps("netsh int ipv4 show dynamicport tcp")
    assert result == CommandResult(NETSH_TCP, b"", 0)


def test_counts_one_command_per_call():
    model = FakeModel()
    ansible_ps("netsh int ipv4 show dynamicport tcp; netsh int ipv4 show dynamicport tcp", model=model)
    assert model.counters["commands_run"] == 1


def test_native_stderr_without_redirection_passes_through_and_sets_exit_code():
    result = ansible_ps("reg query HKLM\\X /v MaxUserPort")
    assert (result.stdout, result.stderr, result.exit_code) == (b"", REG_MISSING, 1)


def test_batch_with_markers():
    script = "\n".join([
        "$ProgressPreference = 'SilentlyContinue'",
        "& netsh int ipv4 show dynamicport tcp 2>&1",
        'Write-Output "#MARK 0 $LASTEXITCODE"',
        "& reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters /v MaxUserPort 2>&1",
        'Write-Output "#MARK 1 $LASTEXITCODE"',
        "& exit5 2>&1",
        'Write-Output "#MARK 2 $LASTEXITCODE"',
    ])
    result = ansible_ps(script)
    expected_reg = (
        "reg.exe : ERROR: The system was unable to find the specified registry key or \r\n"
        "value.\r\n"
        "At line:4 char:1\r\n"
        "+ & reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters / ...\r\n"
        "+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\r\n"
        "    + CategoryInfo          : NotSpecified: (ERROR: The syst...y key or value. \r\n"
        "   :String) [], RemoteException\r\n"
        "    + FullyQualifiedErrorId : NativeCommandError\r\n"
        " \r\n"
    )
    assert result.stdout.decode("utf-8") == (NETSH_TCP.decode() + "#MARK 0 0\r\n" + expected_reg + "#MARK 1 1\r\n"
                                             + "#MARK 2 5\r\n")
    assert result.stderr == b""
    # The last statement (Write-Output) succeeded, so powershell.exe exits 0 whatever the programs returned.
    assert result.exit_code == 0


def test_later_stderr_lines_are_plain_text_and_stderr_output_makes_dollar_q_false():
    result = ansible_ps("& noisy 2>&1\nWrite-Output \"ok=$?\"")
    lines = result.stdout.decode().split("\r\n")
    assert lines[0] == "out"
    assert lines[1] == "noisy.exe : warn one"
    assert "warn two" in lines and "ok=False" in lines
    assert lines.index("warn two") == lines.index(" ") + 1


def test_error_action_stop_punishes_native_stderr_under_merge():
    result = ansible_ps("$ErrorActionPreference = 'Stop'\n& reg query HKLM\\X 2>&1\nWrite-Output 'after'")
    assert result.exit_code == 1
    assert b"after" not in result.stdout
    assert result.stderr.startswith(CLIXML_START) and result.stderr.endswith(b"</Objs>")
    assert "FullyQualifiedErrorId : NativeCommandError" in clixml_text(result.stderr)


def test_error_action_stop_also_fires_for_2_null():
    result = ansible_ps("$ErrorActionPreference = 'Stop'\n& reg query HKLM\\X 2>$null\n'after'")
    assert result.exit_code == 1 and b"after" not in result.stdout


def test_stderr_discarded_with_2_null():
    result = ansible_ps("& reg query HKLM\\X 2>$null\nWrite-Output \"rc=$LASTEXITCODE ok=$?\"")
    assert result == CommandResult(b"rc=1 ok=False\r\n", b"", 0)


def test_out_null_and_redirect_null_drop_stdout():
    result = ansible_ps("netsh int ipv4 show dynamicport tcp | Out-Null\n& netsh int ipv4 show dynamicport tcp >$null\n'done'")
    assert result == CommandResult(b"done\r\n", b"", 0)


def test_assignment_of_command_output_then_write_output():
    result = ansible_ps("$out = & netsh int ipv4 show dynamicport tcp 2>&1\nWrite-Output $out")
    assert result.stdout == NETSH_TCP


def test_unknown_program_is_command_not_found_in_clixml():
    result = ansible_ps("Set-StrictMode -Version Latest\nnetsh-missing int\n'next'")
    text = clixml_text(result.stderr)
    assert text.startswith("netsh-missing : The term 'netsh-missing' is not recognized as the name of a \r\ncmdlet, ")
    assert "At line:2 char:1\r\n+ netsh-missing int\r\n+ ~~~~~~~~~~~~~\r\n" in text
    assert "    + FullyQualifiedErrorId : CommandNotFoundException\r\n \r\n" in text
    # Non-terminating: the next statement ran, and it decides the exit code.
    assert (result.stdout, result.exit_code) == (b"next\r\n", 0)


def test_unknown_program_with_call_operator_names_the_operator():
    text = clixml_text(ansible_ps("& 'C:\\nothere\\x.exe' a").stderr)
    assert text.startswith("& : The term 'C:\\nothere\\x.exe' is not recognized")


def test_exit_code_follows_last_statement():
    assert ansible_ps("netsh bad").exit_code == 1
    assert ansible_ps("exit5").exit_code == 1  # not 5: powershell.exe reports $? only
    assert ansible_ps("exit5; exit $LASTEXITCODE").exit_code == 5
    assert ansible_ps("netsh bad; 'x'").exit_code == 0
    assert ansible_ps("exit 7; 'never'") == CommandResult(b"", b"", 7)
    assert ansible_ps("exit").exit_code == 0


def test_ansible_rc_suffix_with_strict_mode():
    ok = ansible_ps(ansible_wrapped("netsh int ipv4 show dynamicport tcp"))
    assert ok == CommandResult(NETSH_TCP, b"", 0)
    failed = ansible_ps(ansible_wrapped("exit5"))
    assert failed.exit_code == 5
    not_found = ansible_ps(ansible_wrapped("nothere"))
    # No native ran: Get-Variable finds no LASTEXITCODE (its error is silenced) and the suffix exits 1.
    assert not_found.exit_code == 1
    assert "Cannot find a variable" not in clixml_text(not_found.stderr)


def test_strict_mode_makes_undefined_variables_errors():
    result = ansible_ps("Set-StrictMode -Version Latest\nWrite-Output \"x=$nope\"\n'after'")
    text = clixml_text(result.stderr)
    assert "The variable '$nope' cannot be retrieved because it has not been set." in text
    assert result.stdout == b"after\r\n"
    relaxed = ansible_ps("Write-Output \"x=$nope\"")
    assert relaxed == CommandResult(b"x=\r\n", b"", 0)
    version1 = ansible_ps("Set-StrictMode -Version 1.0\nWrite-Output \"x=$nope\"")
    assert version1.stdout == b"x=\r\n"  # version 1 exempts references inside strings


def test_preference_variable_validation():
    result = ansible_ps("$ErrorActionPreference = 'Sometimes'\n'after'")
    assert "Cannot convert value \"Sometimes\"" in clixml_text(result.stderr)
    assert result.stdout == b"after\r\n"
    assert ansible_ps("$ConfirmPreference = 'none'; $VerbosePreference = 'Continue'; $WarningPreference = 'Stop'").exit_code == 0


def test_if_elseif_else_and_comparisons():
    script = "$a = 2\nif ($a -eq 1) { 'one' } elseif ($a -ne '3') { 'two' } else { 'three' }\nif ('ABC' -eq 'abc') { 'ci' }"
    assert ansible_ps(script).stdout == b"two\r\nci\r\n"
    assert ansible_ps("if ($null -eq $undefined) { 'null' }").stdout == b"null\r\n"
    assert ansible_ps("-not $true\n$false -eq 0").stdout == b"False\r\nTrue\r\n"


def test_write_host_and_string_escapes():
    result = ansible_ps("Write-Host 'a' 'b'; Write-Host -NoNewline 'c'; Write-Output \"t`tq`\"`$x\"")
    assert result.stdout == b"a b\r\nct\tq\"$x\r\n"


def test_native_argument_requoting():
    natives = FakeNatives()
    ansible_ps("$p = 'x y'\n& echoargs 'a b' \"c\" '' $p plain=1 \"d`\"e\"", natives=natives)
    # 5.1 legacy passing: blanks get quotes, the empty string vanishes, an embedded quote is not escaped.
    assert natives.calls[-1] == ["echoargs", "a b", "c", "x y", "plain=1", "de"]


def test_unsupported_fails_before_anything_runs():
    natives = FakeNatives()
    result = ansible_ps("netsh int ipv4 show dynamicport tcp\nGet-NetTCPSetting", natives=natives)
    assert result.exit_code == 1 and result.stdout == b""
    assert result.stderr.startswith(b"SIMULATOR-UNSUPPORTED: command 'Get-NetTCPSetting'")
    assert b"at line 2 char 1" in result.stderr
    assert natives.calls == []


@pytest.mark.parametrize("script", ["foreach ($i in 1) { $i }", "[int]1", "$x.Count", "netsh | sort", "$a -gt 1",
                                    "Write-Output $(1)", "& { 1 }", "netsh > out.txt"])
def test_unsupported_constructs_exit_1(script):
    result = ansible_ps(script)
    assert result.exit_code == 1 and result.stdout == b""
    assert result.stderr.startswith(b"SIMULATOR-UNSUPPORTED: ")


def test_syntax_error_is_a_parser_error_in_clixml():
    result = ansible_ps("netsh int\nif ($true) {")
    assert result.exit_code == 1 and result.stdout == b""
    text = clixml_text(result.stderr)
    assert text.startswith("At line:2 char:12\r\n+ if ($true) {\r\n+            ~\r\n"
                           "Missing closing '}' in statement block or type definition.\r\n")
    assert "ParserError: (:) [], ParentContainsErrorRecordEx" in text


def test_runtime_unsupported_reports_and_fails():
    result = ansible_ps("$x = 1; Get-Variable x")
    assert result.exit_code == 1
    assert b"SIMULATOR-UNSUPPORTED: formatting a PSVariableObject" in result.stderr


def test_pywinrm_run_ps_shape():
    script = "netsh int ipv4 show dynamicport tcp"
    result = run_command_line(FakeModel(), "powershell -encodedcommand " + encode(script), "", b"", 437,
                              hooks=ShellHooks(run_native=FakeNatives()))
    assert result == CommandResult(NETSH_TCP, b"", 0)


def test_pywinrm_decodes_our_clixml():
    winrm = pytest.importorskip("winrm")
    result = ansible_ps("bogus")
    cleaned = winrm.Session("http://127.0.0.1:1/wsman", auth=("u", "p"))._clean_error_msg(result.stderr)  # pylint: disable=protected-access
    assert cleaned.startswith(b"bogus : The term 'bogus' is not recognized")


def test_module_pipeline_fails_loudly():
    result = run_command_line(FakeModel(), "PowerShell", "-NoProfile -NonInteractive -ExecutionPolicy Unrestricted -Command -",
                              b"{json wrapper}", 65001, hooks=ShellHooks(run_native=FakeNatives()))
    assert result.exit_code == 1 and b"SIMULATOR-UNSUPPORTED: 'PowerShell -Command -'" in result.stderr


def test_bad_base64_and_full_path_program():
    hooks = ShellHooks(run_native=FakeNatives())
    bad = run_command_line(FakeModel(), "PowerShell", "-EncodedCommand !!!", b"", 65001, hooks=hooks)
    assert bad.exit_code == 1 and b"not properly encoded" in bad.stderr
    full = run_command_line(FakeModel(), "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                            "-EncodedCommand " + encode("'hi'"), b"", 65001, hooks=hooks)
    assert full == CommandResult(b"hi\r\n", b"", 0)


@pytest.mark.parametrize("codepage,expected", [(65001, "é".encode("utf-8")), (437, b"\x82"), (850, b"\x82"),
                                               (936, "é".encode("gbk"))])
def test_output_text_uses_the_code_page(codepage, expected):
    assert ansible_ps("'é'", codepage=codepage).stdout == expected + b"\r\n"
