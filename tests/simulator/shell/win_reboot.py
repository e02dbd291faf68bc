# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documented emulation of the three scripts ansible.windows `win_reboot` sends (not interpreted: they use .NET,
CIM, script blocks and pipelines the subset refuses).

Source: ansible-collections/ansible.windows `plugins/plugin_utils/_reboot.py` (read at commit 076d928, the
`reboot_host` / `_get_system_boot_time` / `_perform_reboot` / `_run_test_command` functions). Every command goes
through `connection._shell._encode_script(command)`, i.e. ansible-core's `_encode_script` with strict mode and
the rc-preserving suffix, then `-EncodedCommand`; `ansible_wrapped()` below rebuilds that text exactly.

1. boot time: `_DEFAULT_BOOT_TIME_COMMAND` -> prints the host model's `boot_time` (a FILETIME integer);
2. reboot: the `reboot_command` template -> runs the native `shutdown.exe /r /t <delay> /c <msg>` through the
   natives layer and prints the JSON object `{stdout, stderr, rc}` the template builds with ConvertTo-Json;
3. default test command: `Get-Item -LiteralPath '<LogonUI key>' -ErrorAction Stop; 'success-<uuid>'` -> the
   key exists on a booted host, so it prints the key listing and the success string.
A user-supplied `boot_time_command` or `test_command` is not matched here and goes to the normal interpreter.
"""

from __future__ import annotations

import re

from ..results import CommandResult
from .codepages import decode_text, encode_text
from .native_args import native_argv
from .ps_values import split_lines

LOGON_UI_KEY = r"HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\AutoLogonChecked"

DEFAULT_BOOT_TIME_COMMAND = ("(Get-CimInstance -ClassName Win32_OperatingSystem -Property LastBootUpTime)"
                             ".LastBootUpTime.ToFileTime()")

# `reboot_command` in _reboot.py, with its four `%s` fields: not test_command, _LOGON_UI_KEY,
# int(pre_reboot_delay), quote_pwsh(msg).
REBOOT_COMMAND_TEMPLATE = '''$ErrorActionPreference = 'Continue'

if ($%s) {
    Remove-Item -LiteralPath '%s' -Force -ErrorAction SilentlyContinue
}

$stdout = $null
$stderr = . { shutdown.exe /r /t %s /c %s | Set-Variable stdout } 2>&1 | ForEach-Object ToString

ConvertTo-Json -Compress -InputObject @{
    stdout = (@($stdout) -join "`n")
    stderr = (@($stderr) -join "`n")
    rc = $LASTEXITCODE
}
'''

# The default `test_command` in _reboot.py: LogonUI creates the key when it is about to show the logon prompt.
DEFAULT_TEST_COMMAND_TEMPLATE = "Get-Item -LiteralPath '%s' -ErrorAction Stop; '%s'"

# ansible-core plugins/shell/powershell.py `_encode_script(strict_mode=True, preserve_rc=True)`.
_RC_SUFFIX = "If (-not $?) { If (Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue) { exit $LASTEXITCODE } Else { exit 1 } }"


def ansible_wrapped(script: str) -> str:
    """The text `_encode_script` base64-encodes: strict mode prefix, rc suffix, lines stripped, empties dropped."""
    script = "Set-StrictMode -Version Latest\r\n%s" % script
    script = "%s\r\n%s\r\n" % (script, _RC_SUFFIX)
    return "\n".join(line.strip() for line in script.splitlines() if line.strip())


def _pattern(template: str, groups: tuple) -> re.Pattern:
    sentinels = tuple(f"\x00{index}\x00" for index in range(len(groups)))
    escaped = re.escape(ansible_wrapped(template % sentinels))
    for sentinel, group in zip(sentinels, groups):
        escaped = escaped.replace(re.escape(sentinel), group, 1)
    return re.compile(escaped + r"\Z")


_PWSH_QUOTED = r"('(?:[^'\u2018\u2019\u201a\u201b]|['\u2018\u2019\u201a\u201b]{2})*')"
_BOOT_TIME_SCRIPT = ansible_wrapped(DEFAULT_BOOT_TIME_COMMAND)
_REBOOT_PATTERN = _pattern(REBOOT_COMMAND_TEMPLATE, (r"(True|False)", re.escape(LOGON_UI_KEY), r"(\d+)", _PWSH_QUOTED))
_TEST_PATTERN = _pattern(DEFAULT_TEST_COMMAND_TEMPLATE, (re.escape(LOGON_UI_KEY), r"(success-[0-9a-f-]{36})"))

# [INF] How 5.1 formats Get-Item of a registry key with no values (default table view, 80 columns).
_KEY_LISTING = ("\r\n\r\n    Hive: HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\r\n\r\n\r\n"
                "Name                           Property\r\n----                           --------\r\n"
                "AutoLogonChecked                       \r\n\r\n\r\n")


def _unquote_pwsh(literal: str) -> str:
    return re.sub(r"(['\u2018\u2019\u201a\u201b])\1", r"\1", literal[1:-1])


def _json_string(text: str) -> str:
    """ConvertTo-Json in 5.1 (JavaScriptSerializer) escapes quotes, controls and <>&' as \\uXXXX [INF]."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\n\r\t\b\f":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}[ch])
        elif ord(ch) < 0x20 or ch in "<>&'":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def emulate(model, script: str, codepage: int, run_native) -> CommandResult | None:
    """The emulated result when `script` is one of win_reboot's scripts, else None."""
    if script == _BOOT_TIME_SCRIPT:
        return CommandResult(encode_text(f"{int(model.boot_time)}\r\n", codepage), b"", 0)
    match = _TEST_PATTERN.match(script)
    if match:
        return CommandResult(encode_text(_KEY_LISTING + match.group(1) + "\r\n", codepage), b"", 0)
    match = _REBOOT_PATTERN.match(script)
    if match is None:
        return None
    argv = native_argv("shutdown.exe", ["/r", "/t", match.group(2), "/c", _unquote_pwsh(match.group(3))])
    result = run_native(model, argv, codepage)
    if result is None:
        message = "SIMULATOR-UNSUPPORTED: win_reboot emulation needs the native 'shutdown.exe'\r\n"
        return CommandResult(b"", encode_text(message, codepage), 1)
    stdout = "\n".join(split_lines(decode_text(result.stdout, codepage)))
    stderr = "\n".join(split_lines(decode_text(result.stderr, codepage)))
    # Key order of a 5.1 Hashtable through ConvertTo-Json is not known [INF]; _reboot.py parses it as JSON.
    body = f'{{"stdout":{_json_string(stdout)},"stderr":{_json_string(stderr)},"rc":{result.exit_code}}}'
    return CommandResult(encode_text(body + "\r\n", codepage), b"", 0)
