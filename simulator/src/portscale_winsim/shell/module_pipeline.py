# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible's PowerShell module pipeline reaching the simulated host: refused in one line that says what to do.

The simulated host has no PowerShell to run modules (`gather_facts` = ansible.windows.setup, `win_ping`, `win_shell`,
any `.ps1` module, and ansible-core's own helper scripts that go the same way). ansible-core sends them as
`PowerShell ... -EncodedCommand <bootstrap_wrapper.ps1>` with the exec wrapper and the module on stdin (winrm
pipelining); 2.16-2.18 encode that line once more, so it is the script of a nested powershell.exe. Without this,
the subset interpreter would stop at the wrapper's first line (`$PSVersionTable`) and the user would read a parse
error.

Recognition: the fixed header of ansible-core's `lib/ansible/executor/powershell/bootstrap_wrapper.ps1` (read in
ansible-core 2.16.19, 2.17.14, 2.18.19, 2.19.14, 2.20.10 and 2.21.5): an optional first line (2.16-2.17
`&chcp.com 65001 > $null`, 2.18 the `[Console]::InputEncoding` line, 2.21 `param([string]$InputFile)`), then the
PowerShell version check that prints `'{"failed":true,"msg":"Ansible requires PowerShell v..."}'` and exits 1.
Lines are compared stripped, empty ones skipped (ansible-core's `_encode_script` strips them up to 2.20; 2.21 sends
the file as it is).

What was attempted comes from stdin when it is there (bounded, parsed only after the header matched):
2.16-2.18 send the exec wrapper, four NUL characters, then a JSON payload whose `module_args._ansible_module_name`
names the module; 2.19+ send a JSON bootstrap manifest, a line of four NULs, then the exec manifest whose
`module_wrapper.ps1` action carries `complex_args._ansible_module_name` and the `Script` file name (other actions,
such as `winrm_put_file.ps1`, are named as they are).

Output: the refusal is the wrapper's own way of declining to run, `'{"failed":true,"msg":"..."}'` on stdout and exit
code 1 (the version check above), so Ansible shows the one line as the task's `msg`; the same line is on stderr, as
every `SIMULATOR-UNSUPPORTED` answer.
"""

from __future__ import annotations

import json
import re

from ..results import CommandResult
from .codepages import encode_text

ADVICE = "use gather_facts: false, and portscale.tcpip's modules or ansible.builtin.raw instead"

#: The refusal of ``PowerShell -Command -`` when stdin names nothing (kept for callers of the former constant).
MODULE_PIPELINE_MESSAGE = ("SIMULATOR-UNSUPPORTED: 'PowerShell -Command -' (a script on stdin, as Ansible's module "
                           f"pipeline sends): the simulated Windows host cannot run PowerShell modules; {ADVICE}.\r\n")

# bootstrap_wrapper.ps1: the line before the version check, in the cores that have one.
_PRELUDES = (
    "&chcp.com 65001 > $null",  # 2.16, 2.17
    "try { [Console]::InputEncoding = [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding } catch { $null = $_ }",  # 2.18
    "param([string]$InputFile)",  # 2.21
)
# bootstrap_wrapper.ps1's version check: 2.16-2.18 ask for 3.0, 2.19+ for 5.1.
_VERSION_CHECKS = tuple(
    [f'if ($PSVersionTable.PSVersion -lt [Version]"{version}") {{', f"'{{\"failed\":true,\"msg\":\"Ansible requires PowerShell {text}\"}}'",
     "exit 1", "}"]
    for version, text in (("3.0", "v3.0 or newer"), ("5.1", "v5.1"))
)
#: Bounds what is parsed from stdin to name the module (ansible-core sends ~150-180 KB for win_ping).
MAX_STDIN_PARSED = 8 * 1024 * 1024
_PS1_MODULE = re.compile(r"ansible_collections\.([^.]+)\.([^.]+)\.plugins\.modules\.(.+)\.ps1\Z")


def is_bootstrap_wrapper(script: str) -> bool:
    """True when ``script`` starts like ansible-core's bootstrap_wrapper.ps1 and reads stdin."""
    lines = []
    for line in script.splitlines():
        if line.strip():
            lines.append(line.strip())
        if len(lines) == 5:
            break
    if lines and lines[0] in _PRELUDES:
        lines = lines[1:]
    return lines[:4] in _VERSION_CHECKS and "$input" in script.lower()


def attempted(stdin: bytes) -> str | None:
    """What the module pipeline on stdin was sent to run (a module name or an ansible-core script), if it says."""
    if not stdin or len(stdin) > MAX_STDIN_PARSED:
        return None
    parts = stdin.decode("utf-8", "replace").split("\0\0\0\0")
    if len(parts) < 2:
        return None
    try:
        payload = json.loads(parts[1])
    except ValueError:
        return None
    return _from_payload(payload) if isinstance(payload, dict) else None


def _from_payload(payload: dict) -> str | None:
    module_args = payload.get("module_args")
    if isinstance(module_args, dict):  # ansible-core 2.16-2.18
        return _module(module_args.get("_ansible_module_name"), None)
    actions = payload.get("actions")
    if not isinstance(actions, list):
        return None
    for action in actions:  # ansible-core 2.19+
        if not isinstance(action, dict):
            continue
        params = action.get("params") if isinstance(action.get("params"), dict) else {}
        if action.get("name") == "module_wrapper.ps1":
            name = None
            for variable in params.get("Variables") or ():
                if isinstance(variable, dict) and variable.get("Name") == "complex_args" and isinstance(variable.get("Value"), dict):
                    name = variable["Value"].get("_ansible_module_name")
            return _module(name, params.get("Script"))
    names = [str(action.get("name")) for action in actions if isinstance(action, dict) and action.get("name")]
    return f"ansible-core's {', '.join(names)}" if names else None


def _module(name, script) -> str | None:
    if not isinstance(name, str) or not name:
        match = _PS1_MODULE.match(script) if isinstance(script, str) else None
        name = ".".join(match.groups()) if match else None
    if not name:
        return None
    return f"{name} for gather_facts" if name.rsplit(".", 1)[-1] == "setup" else name


def message(via: str, stdin: bytes) -> str:
    """The one line (without CRLF) for the module pipeline ``via`` ("bootstrap" or "stdin_command")."""
    what = attempted(stdin)
    if via == "stdin_command":
        sent = "'PowerShell -Command -' (a script on stdin, as Ansible's module pipeline sends"
        sent += f", to run {what})" if what else ")"
        return f"SIMULATOR-UNSUPPORTED: {sent}: the simulated Windows host cannot run PowerShell modules; {ADVICE}."
    sent = f"ansible-core's module wrapper, to run {what}" if what else "ansible-core's module wrapper"
    return f"SIMULATOR-UNSUPPORTED: the simulated Windows host cannot run PowerShell modules ({sent}); {ADVICE}."


def refusal(via: str, stdin: bytes, codepage: int) -> CommandResult:
    """The bootstrap wrapper's refusal form: its JSON on stdout, exit 1; the line on stderr too."""
    line = message(via, stdin)
    stdout = json.dumps({"failed": True, "msg": line}, separators=(",", ":")) + "\r\n"
    return CommandResult(encode_text(stdout, codepage), encode_text(line + "\r\n", codepage), 1)
