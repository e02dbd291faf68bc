# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scripts too long for cmd.exe's command line arrive on stdin behind one fixed loader, recognised exactly.

cmd.exe refuses a command line of more than 8191 characters [DOC: Microsoft KB 830473], and both WinRM (ansible-core
and pywinrm leave WINRS_SKIP_CMD_SHELL false) and Windows OpenSSH run commands through ``cmd.exe /c``. The
portscale.tcpip action plugins (plugins/plugin_utils/_wire/delivery.py ``STDIN_LOADER``) then send this loader as the
``-EncodedCommand`` script and the real script on stdin, like ansible-core's own pipelining does with its exec
wrapper. The subset interpreter has no ``$input`` or script blocks, so the loader is recognised as a whole, like
win_reboot's scripts; any other script reading stdin is refused by the interpreter.
"""

from __future__ import annotations

import base64

#: cmd.exe's longest command line, and its answer to a longer one [text and stream OBS-M: a WinRM capture in
#: hashicorp/vagrant#3816 shows it on stderr with exit code 1].
CMD_MAX_LINE = 8191
TOO_LONG = "The command line is too long.\r\n"
TOO_LONG_EXIT = 1

STDIN_LOADER = (
    "$ProgressPreference = 'SilentlyContinue'\n"
    "$portscale_script = $input | Out-String\n"
    "& ([ScriptBlock]::Create($portscale_script))\n"
)
#: Bounds what the simulator decodes from stdin.
MAX_SCRIPT_BYTES = 4 * 1024 * 1024


class StdinScriptError(ValueError):
    """Stdin the loader cannot have produced a script from (the message is printed as SIMULATOR-UNSUPPORTED)."""


def reads_stdin(command_line: str, depth: int = 2) -> bool:
    """True when the command line runs the loader, directly or as the script of a powershell.exe it starts (a core
    that encodes the line once more): a front end must wait for the client to close stdin before running it."""
    token = command_line.rstrip().rsplit(" ", 1)[-1]
    try:
        script = base64.b64decode(token, validate=True).decode("utf-16-le")
    except ValueError:  # not base64 (binascii.Error), not ASCII, or not UTF-16 (UnicodeDecodeError): not the loader
        return False
    return is_loader(script) or (depth > 1 and reads_stdin(script, depth - 1))


def _normalised(script: str) -> list[str]:
    # ansible-core's winrm connection encodes a script it is given with ``_encode_script`` up to 2.20: every line
    # stripped, empty lines dropped, joined by LF (no final newline). PowerShell reads both forms the same way.
    return [line.strip() for line in script.splitlines() if line.strip()]


def is_loader(script: str) -> bool:
    return _normalised(script) == _normalised(STDIN_LOADER)


def script_from_stdin(stdin: bytes) -> str:
    """What ``$input | Out-String`` gives the script block: stdin's lines joined by CRLF, with a final CRLF."""
    if len(stdin) > MAX_SCRIPT_BYTES:
        raise StdinScriptError(f"stdin of {len(stdin)} bytes (the simulator decodes at most {MAX_SCRIPT_BYTES})")
    try:
        text = stdin.decode("ascii")
    except UnicodeDecodeError as exc:
        raise StdinScriptError("a non-ASCII script on stdin (its code page is not modelled)") from exc
    if not text.strip():
        raise StdinScriptError("the stdin loader ran with nothing on stdin")
    return "".join(line + "\r\n" for line in text.splitlines())
