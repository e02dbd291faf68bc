# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every native command shares: the run context, text rendering per locale, and code-page encoding.

Encoding choice: console tools write in the code page of the WinRM shell (WINRS_CODEPAGE: 437 for pywinrm, 65001
for Ansible) [docs/windows-facts.md §0], so text is encoded with the ``codepage`` the caller passes, not the locale's OEM code page.
Characters the code page cannot hold become ``?`` as WideCharToMultiByte's default character would [INF].
"""

from __future__ import annotations

import codecs
import dataclasses

from ..results import CommandResult
from .texts import TEXTS, Unsupported, render

UNSUPPORTED_PREFIX = "SIMULATOR-UNSUPPORTED:"


def codec_for(codepage: int) -> str:
    """Python codec name for a Windows code page number (65001 → utf-8, 437 → cp437, 936 → cp936, ...)."""
    name = "utf-8" if codepage == 65001 else f"cp{codepage}"
    try:
        codecs.lookup(name)
    except LookupError:
        raise ValueError(f"code page {codepage} is not supported by the simulator") from None
    return name


def encode(text: str, codepage: int) -> bytes:
    return text.encode(codec_for(codepage), errors="replace")


@dataclasses.dataclass
class Run:
    """One native command being run: the model, the argv as typed, the output code page, and whether it wrote."""

    model: object
    argv: list[str]
    codepage: int
    wrote: bool = False

    @property
    def command_line(self) -> str:
        return " ".join(self.argv)

    def text(self, key: str, **fields) -> str:
        return render(key, self.model.locale, **fields)

    def message(self, key: str, **fields) -> CommandResult:
        """A whole result made of one catalogue text, on its stream with its exit code."""
        text = TEXTS[key]
        body = encode(self.text(key, **fields), self.codepage)
        if text.stream == "stderr":
            return CommandResult(b"", body, text.exit_code)
        return CommandResult(body, b"", text.exit_code)

    def output(self, stdout: str, exit_code: int = 0) -> CommandResult:
        return CommandResult(encode(stdout, self.codepage), b"", exit_code)


def unsupported_result(argv: list[str], locale: str, reason: str, codepage: int) -> CommandResult:
    """The loud failure: exit 1, stderr naming the command, the locale and why."""
    line = f"{UNSUPPORTED_PREFIX} {' '.join(argv)!r} (locale {locale}): {reason}\r\n"
    try:
        body = encode(line, codepage)
    except ValueError:
        body = line.encode("utf-8", errors="replace")
    return CommandResult(b"", body, 1)


def program_name(typed: str) -> str:
    """``C:\\Windows\\System32\\NETSH.EXE`` → ``netsh`` (quotes, folders and ``.exe`` dropped, lower case).

    chcp is the one modelled program that is a ``.com`` file (``chcp.com``)."""
    name = typed.strip().strip('"').replace("/", "\\").rsplit("\\", 1)[-1].lower()
    return name[:-4] if name.endswith(".exe") or name == "chcp.com" else name


def flag_name(token: str) -> str | None:
    """``/F`` or ``-f`` → ``f``; anything else → None (reg, shutdown and netstat accept both switch characters)."""
    if len(token) >= 2 and token[0] in "/-":
        return token[1:].lower()
    return None


__all__ = ["Run", "Unsupported", "UNSUPPORTED_PREFIX", "codec_for", "encode", "flag_name", "program_name", "unsupported_result"]
