# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shell layer of the simulated Windows host: `run_command_line(model, command, arguments, stdin, codepage)`.

A WS-Man Command is what `cmd.exe /c <Command> <Arguments>` would run. Three paths:

* `powershell[.exe] ... -EncodedCommand <base64 UTF-16LE>` (or `-Command <text>`): the script runs in the
  PowerShell subset interpreter below, unless it is the probe (recognized by `probe.PROBE_HEADER`, parameters
  from the `$<PARAMS_VARIABLE> = '<json>'` line, result printed as `RESULT_MARKER + json`) or one of the three
  scripts of ansible.windows `win_reboot` (see `win_reboot.py`). `-Command -` (Ansible's module pipeline) fails.
* anything else: a cmd.exe line holding one program, split like CommandLineToArgvW and given to
  `natives.run_native`; an unknown program gets cmd's "is not recognized" message and exit 1.

The PowerShell subset (Windows PowerShell 5.1 semantics; a real tokenizer, parser and evaluator):

* statements: separated by newlines or `;`; comments `# ...` and `<# ... #>`; backtick line continuation.
* native commands: `netsh int ...`, `& netsh ...`, `& 'C:\\Windows\\System32\\netsh.exe' ...`, a bare full path;
  arguments as bare words, `'single'` / `"double"` strings and `$variables`, passed with 5.1's legacy re-quoting
  (values with blanks get `"..."`, empty strings are dropped).
* strings: `'...'` (`''` escape); `"..."` with `$name` / `$?` expansion, backtick escapes (`0 a b f n r t v`, any
  other character literally) and `""`; typographic quotes count as quotes.
* redirections: `2>&1`, `2>$null`, `>$null`, `1>$null`, and `| Out-Null`.
* cmdlets: `Write-Output` (`echo`, `write`), `Write-Host` (`-NoNewline`), `Set-StrictMode -Version <v>` / `-Off`,
  `Get-Variable [-Name] <n> [-ValueOnly]`, `Out-Null`; `-ErrorAction` / `-ea`; parameter-name prefixes.
* variables: assignment of literals, numbers, strings and command output (`$out = & netsh ... 2>&1`);
  `$null = ...` discards; automatic `$?`, `$LASTEXITCODE`, `$null`, `$true`, `$false`.
* preference variables: `$ErrorActionPreference`, `$ProgressPreference`, `$WarningPreference`,
  `$VerbosePreference` (ActionPreference names), `$ConfirmPreference` (None/Low/Medium/High); anything else is
  PowerShell's conversion error.
* expressions: literals, variables, `( pipeline )`, `-not`, `-eq`, `-ne` (case-insensitive; ints, strings, bools,
  `$null`).
* control: `if` / `elseif` / `else` blocks, `exit`, `exit N`, `exit $LASTEXITCODE` (so Ansible's rc suffix runs as
  written).

Everything else — other pipelines, script blocks, loops, functions, `try`, .NET `[type]::`, member access,
`$( )`, `@( )`, splatting, other operators, file redirection, other cmdlets and PowerShell aliases (`sc`,
`where`, `curl`, ...), automatic variables such as `$env:X` or `$PSVersionTable` — never succeeds: a syntax
error real PowerShell would also report is printed as a 5.1 ParserError (CLIXML on stderr, exit 1); valid
PowerShell outside the subset fails before any statement runs with
`SIMULATOR-UNSUPPORTED: <construct> at line L char C` on stderr and exit 1.

Output model (powershell.exe -EncodedCommand with redirected stdout/stderr, see `ps_eval`, `ps_errors`):
native output passes through byte-exact unless captured or merged; errors go to stderr as CLIXML
(`#< CLIXML\\r\\n<Objs ...><S S="Error">...</S></Objs>`), which pywinrm's `run_ps` and ansible-core decode;
error text is rendered like 5.1 at 80 columns; exit code is `exit N`, else 1 after a terminating error, else
0/1 from `$?` of the last statement. Output text is encoded with the shell's code page.
"""

from .command_line import ShellHooks, default_hooks, run_command_line, run_script

__all__ = ["ShellHooks", "default_hooks", "run_command_line", "run_script"]
