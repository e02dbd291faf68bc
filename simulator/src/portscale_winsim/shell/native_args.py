# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How Windows PowerShell 5.1 turns argument values into a native program's command line, and back into argv.

5.1 uses the "legacy" rules (NativeCommandParameterBinder): each value is appended as is, wrapped in double
quotes only when it holds whitespace outside an even number of quotes; embedded quotes are not escaped and empty
strings are dropped [DOC: about_Parsing; PowerShell 7.3's PSNativeCommandArgumentPassing notes describe the old
behaviour]. The program then splits that line with the C runtime rules, so the round trip below reproduces the
argv a real program would see, quirks included.
"""

from __future__ import annotations

from .cmd_line import split_command_line


def needs_quotes(value: str) -> bool:
    """NativeCommandParameterBinder.NeedQuotes: whitespace outside quotes (an odd quote count opens a quote)."""
    quote_count = 0
    following_backslash = False
    for ch in value:
        if ch == '"' and not following_backslash:
            quote_count += 1
        elif ch.isspace() and quote_count % 2 == 0:
            return True
        following_backslash = ch == "\\"
    return False


def legacy_argument_line(values: list[str]) -> str:
    """The argument part of the command line PowerShell 5.1 builds."""
    parts = []
    for value in values:
        if value == "":
            continue
        parts.append(f'"{value}"' if needs_quotes(value) else value)
    return " ".join(parts)


def native_argv(program: str, values: list[str]) -> list[str]:
    """argv as the started program sees it; argv[0] is the program as typed (the natives layer resolves it)."""
    line = legacy_argument_line(values)
    return [program] + (split_command_line("x " + line)[1:] if line else [])
