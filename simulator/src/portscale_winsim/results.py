# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one value every layer of the simulator hands back: what a command printed and its exit code."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class CommandResult:
    """Bytes as the Windows process would write them (CRLF, code page applied): copies of a real sample where
    natives/texts.py marks the text so, inferred texts (marked INF there) elsewhere."""

    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int = 0
