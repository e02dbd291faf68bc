# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documented emulation of the three scripts ansible.windows `win_reboot` sends (not interpreted: they use .NET,
CIM, script blocks and pipelines the subset refuses), for every ansible.windows release a user is likely to have.

Source: ansible.windows `plugins/plugin_utils/_reboot.py`, read in the collection as PyPI's `ansible` wheels ship it
(and at the release tags of ansible-collections/ansible.windows): `_DEFAULT_BOOT_TIME_COMMAND`, `_LOGON_UI_KEY`,
`reboot_host` (its `reboot_command` template and default `test_command`) and `_execute_command` (how every command is
wrapped before `connection.exec_command`). The file changed twice in what the scripts look like:

======================  ===========================  ===========================================================
ansible.windows         `ansible` on PyPI            scripts
======================  ===========================  ===========================================================
1.13.0 - 3.2.0          <= 12.2.0, 13.0.0            ``_execute_command``: ``connection._shell._encode_script(command)``
                                                     (ansible-core's strict mode prefix and rc suffix, lines
                                                     stripped); reboot runs ``shutdown.exe``; ``rc = $LASTEXITCODE``
3.3.0                   12.3.0, 13.1.0 - 13.4.0      ``_execute_command``: ``command + "; If (-not $?) ..."`` encoded
                                                     by the collection itself (no strict mode, no stripping);
                                                     ``C:\\Windows\\System32\\shutdown.exe`` [commits 01742719 #823,
                                                     5d1585e0 #827]
3.4.0 - 3.8.0           13.5.0 - 13.8.0, 14.0.0 -    as 3.3.0, and the reboot script sets ``$rc`` from
                        14.5.0                       ``Get-Variable LASTEXITCODE`` (else 1) [commit 902de935 #857]
======================  ===========================  ===========================================================

(3.5.0, 3.6.x, 3.7.0 and 3.8.0 changed only Python around the scripts: the 1115 "shutdown in progress" case, new
`reboot_host` arguments used by win_updates, `datetime.now(timezone.utc)`.) The boot-time command and the default
test command are the same text in every version; only their wrapping differs.

1. boot time: `_DEFAULT_BOOT_TIME_COMMAND` -> prints the host model's `boot_time` (a FILETIME integer);
2. reboot: the `reboot_command` template -> runs the native `shutdown.exe /r /t <delay> /c <msg>` (the program as the
   template names it) through the natives layer and prints the JSON object `{stdout, stderr, rc}` the template builds
   with ConvertTo-Json;
3. default test command: `Get-Item -LiteralPath '<LogonUI key>' -ErrorAction Stop; 'success-<uuid>'` -> the
   key exists on a booted host, so it prints the key listing and the success string.

Recognition is exact: the whole decoded script must be one of these texts, with only the template's fields varying.
A user-supplied `boot_time_command` or `test_command`, the `shutdown.exe /a` abort, and any other variation go to the
normal interpreter. The scripts reach `emulate` decoded, whatever the transport: ansible-core 2.19+ winrm sends
the collection's `PowerShell ... -EncodedCommand` line as is, 2.16-2.18 encode it once more (a nested powershell.exe,
whose script is this one), psrp runs the decoded script in a runspace.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

from ..results import CommandResult
from .codepages import decode_text, encode_text
from .native_args import native_argv
from .ps_values import split_lines

LOGON_UI_KEY = r"HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\AutoLogonChecked"

DEFAULT_BOOT_TIME_COMMAND = ("(Get-CimInstance -ClassName Win32_OperatingSystem -Property LastBootUpTime)"
                             ".LastBootUpTime.ToFileTime()")

# `reboot_command` in _reboot.py `reboot_host`, with its four `%s` fields: not test_command, _LOGON_UI_KEY,
# int(pre_reboot_delay), quote_pwsh(msg). ansible.windows 1.13.0 - 3.2.0 (a plain string literal).
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

# ansible.windows 3.3.0 (a raw string literal): shutdown.exe by its full path.
REBOOT_COMMAND_TEMPLATE_3_3 = r'''$ErrorActionPreference = 'Continue'

if ($%s) {
    Remove-Item -LiteralPath '%s' -Force -ErrorAction SilentlyContinue
}

$stdout = $null
$stderr = . { C:\Windows\System32\shutdown.exe /r /t %s /c %s | Set-Variable stdout } 2>&1 | ForEach-Object ToString

ConvertTo-Json -Compress -InputObject @{
    stdout = (@($stdout) -join "`n")
    stderr = (@($stderr) -join "`n")
    rc = $LASTEXITCODE
}
'''

# ansible.windows 3.4.0 - 3.8.0: rc is 1 when shutdown.exe never ran (no $LASTEXITCODE).
REBOOT_COMMAND_TEMPLATE_3_4 = r'''$ErrorActionPreference = 'Continue'

if ($%s) {
    Remove-Item -LiteralPath '%s' -Force -ErrorAction SilentlyContinue
}

$stdout = $null
$stderr = . { C:\Windows\System32\shutdown.exe /r /t %s /c %s | Set-Variable stdout } 2>&1 | ForEach-Object ToString

If (Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue) {
    $rc = $LASTEXITCODE
} Else {
    $rc=1
}

ConvertTo-Json -Compress -InputObject @{
    stdout = (@($stdout) -join "`n")
    stderr = (@($stderr) -join "`n")
    rc = $rc
}
'''

# The default `test_command` in _reboot.py: LogonUI creates the key when it is about to show the logon prompt.
DEFAULT_TEST_COMMAND_TEMPLATE = "Get-Item -LiteralPath '%s' -ErrorAction Stop; '%s'"

# ansible-core plugins/shell/powershell.py `_encode_script(strict_mode=True, preserve_rc=True)`; ansible.windows 3.3.0+
# `_execute_command` appends the same text after "; ".
_RC_SUFFIX = "If (-not $?) { If (Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue) { exit $LASTEXITCODE } Else { exit 1 } }"


def ansible_wrapped(script: str) -> str:
    """The text `_encode_script` base64-encodes: strict mode prefix, rc suffix, lines stripped, empties dropped."""
    script = f"Set-StrictMode -Version Latest\r\n{script}"
    script = f"{script}\r\n{_RC_SUFFIX}\r\n"
    return "\n".join(line.strip() for line in script.splitlines() if line.strip())


def collection_wrapped(script: str) -> str:
    """The text ansible.windows 3.3.0+ `_execute_command` base64-encodes itself: the command, `; ` and the rc suffix."""
    return script + "; " + _RC_SUFFIX


@dataclasses.dataclass(frozen=True)
class ScriptSet:
    """What one range of ansible.windows releases sends: how commands are wrapped and the reboot template."""

    versions: str
    source: str
    wrap: Callable[[str], str]
    reboot_template: str
    shutdown: str


SCRIPT_SETS = (
    ScriptSet("1.13.0-3.2.0", "ansible.windows 3.2.0 (ansible 12.0.0) plugins/plugin_utils/_reboot.py: reboot_host, "
              "_execute_command (connection._shell._encode_script)", ansible_wrapped, REBOOT_COMMAND_TEMPLATE, "shutdown.exe"),
    ScriptSet("3.3.0", "ansible.windows 3.3.0 (ansible 12.3.0) plugins/plugin_utils/_reboot.py: reboot_host, _execute_command",
              collection_wrapped, REBOOT_COMMAND_TEMPLATE_3_3, r"C:\Windows\System32\shutdown.exe"),
    ScriptSet("3.4.0-3.8.0", "ansible.windows 3.8.0 (ansible 14.5.0; same text from 3.4.0, ansible 13.5.0) "
              "plugins/plugin_utils/_reboot.py: reboot_host, _execute_command",
              collection_wrapped, REBOOT_COMMAND_TEMPLATE_3_4, r"C:\Windows\System32\shutdown.exe"),
)


def _pattern(wrap: Callable[[str], str], template: str, groups: tuple) -> re.Pattern:
    sentinels = tuple(f"\x00{index}\x00" for index in range(len(groups)))
    escaped = re.escape(wrap(template % sentinels))
    for sentinel, group in zip(sentinels, groups):
        escaped = escaped.replace(re.escape(sentinel), group, 1)
    return re.compile(escaped + r"\Z")


_PWSH_QUOTED = r"('(?:[^'\u2018\u2019\u201a\u201b]|['\u2018\u2019\u201a\u201b]{2})*')"
_WRAPS = (ansible_wrapped, collection_wrapped)
_BOOT_TIME_SCRIPTS = frozenset(wrap(DEFAULT_BOOT_TIME_COMMAND) for wrap in _WRAPS)
_TEST_PATTERNS = tuple(_pattern(wrap, DEFAULT_TEST_COMMAND_TEMPLATE, (re.escape(LOGON_UI_KEY), r"(success-[0-9a-f-]{36})"))
                       for wrap in _WRAPS)
_REBOOT_PATTERNS = tuple((_pattern(scripts.wrap, scripts.reboot_template,
                                   (r"(True|False)", re.escape(LOGON_UI_KEY), r"(\d+)", _PWSH_QUOTED)), scripts.shutdown)
                         for scripts in SCRIPT_SETS)

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


def recognise(script: str) -> str | None:
    """Which of win_reboot's scripts `script` is ("boot_time", "test", "reboot"), or None."""
    if script in _BOOT_TIME_SCRIPTS:
        return "boot_time"
    if any(pattern.match(script) for pattern in _TEST_PATTERNS):
        return "test"
    if any(pattern.match(script) for pattern, _program in _REBOOT_PATTERNS):
        return "reboot"
    return None


def emulate(model, script: str, codepage: int, run_native) -> CommandResult | None:
    """The emulated result when `script` is one of win_reboot's scripts, else None."""
    if script in _BOOT_TIME_SCRIPTS:
        return CommandResult(encode_text(f"{int(model.boot_time)}\r\n", codepage), b"", 0)
    for pattern in _TEST_PATTERNS:
        match = pattern.match(script)
        if match:
            return CommandResult(encode_text(_KEY_LISTING + match.group(1) + "\r\n", codepage), b"", 0)
    for pattern, program in _REBOOT_PATTERNS:
        match = pattern.match(script)
        if match:
            return _reboot(model, program, match, codepage, run_native)
    return None


def _reboot(model, program: str, match: re.Match, codepage: int, run_native) -> CommandResult:
    argv = native_argv(program, ["/r", "/t", match.group(2), "/c", _unquote_pwsh(match.group(3))])
    result = run_native(model, argv, codepage)
    if result is None:
        message = f"SIMULATOR-UNSUPPORTED: win_reboot emulation needs the native {program!r}\r\n"
        return CommandResult(b"", encode_text(message, codepage), 1)
    stdout = "\n".join(split_lines(decode_text(result.stdout, codepage)))
    stderr = "\n".join(split_lines(decode_text(result.stderr, codepage)))
    # Key order of a 5.1 Hashtable through ConvertTo-Json is not known [INF]; _reboot.py parses it as JSON.
    body = f'{{"stdout":{_json_string(stdout)},"stderr":{_json_string(stderr)},"rc":{result.exit_code}}}'
    return CommandResult(encode_text(body + "\r\n", codepage), b"", 0)
