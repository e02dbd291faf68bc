# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows code page numbers to Python codecs, for text the shell itself prints or re-reads."""

from __future__ import annotations

# WINRS_CODEPAGE values a client may ask for (pywinrm 437, Ansible 65001) and the OEM pages of the locales we model.
_CODECS = {
    65001: "utf-8",
    437: "cp437",
    850: "cp850",
    852: "cp852",
    866: "cp866",
    932: "cp932",
    936: "gbk",
    949: "cp949",
    950: "cp950",
    1252: "cp1252",
}


def codec_for(codepage: int) -> str:
    """Python codec name for a Windows code page; unknown pages fall back to UTF-8 [INF]."""
    return _CODECS.get(int(codepage), "utf-8")


def encode_text(text: str, codepage: int) -> bytes:
    """Encode as a console program would; characters the page lacks become '?' like WideCharToMultiByte does."""
    return text.encode(codec_for(codepage), errors="replace")


def decode_text(data: bytes, codepage: int) -> str:
    """Decode a native program's bytes the way PowerShell reads them (Console.OutputEncoding = the shell's page)."""
    return data.decode(codec_for(codepage), errors="replace")
