# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a simulated host received: one entry per command execution, kept in memory and bounded (never saved).

Security tests need the host's side of the wire contract, not the controller's: which command line arrived, the
PowerShell script it decoded to, and the argv of every native program that script started (known to the simulator
or not). The shell layer opens an entry per command execution (``begin``/``end``), ``natives.run_native`` adds each
argv to the open entry. The log lives on the model as a transient field, so it is dropped at restart and never
written to the state file (a test reads it through the control operation ``commands``; ``reset-counters`` clears it).

Bounded on purpose (a fleet of hundreds of hosts runs for hours): the newest ``MAX_ENTRIES`` entries are kept, texts
are cut at ``MAX_TEXT`` characters and argv lists at ``MAX_NATIVES`` per entry, each cut marked ``truncated``, and
``recorded`` counts every entry ever made so a reader can tell when older ones were dropped.
"""

from __future__ import annotations

import collections
import typing as t

MAX_ENTRIES = 512
MAX_TEXT = 64 * 1024
MAX_NATIVES = 256
MAX_ARG = 4096


def _cut(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[:limit], True)


class CommandLog:
    """The bounded log of one host. Callers hold the host's model lock (every front end runs commands under it)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: collections.deque[dict[str, t.Any]] = collections.deque(maxlen=max_entries)
        self._open: dict[str, t.Any] | None = None
        self.recorded = 0

    def begin(self, kind: str, line: str, stdin: bytes = b"") -> None:
        """Open the entry of one command execution (``kind``: ``cmd`` or ``powershell``): its whole command line, and
        what it was sent on stdin (None when nothing; a script too long for the command line arrives there)."""
        self.recorded += 1
        text, truncated = _cut(line, MAX_TEXT)
        received_stdin, stdin_truncated = _cut(stdin.decode("utf-8", "replace"), MAX_TEXT) if stdin else (None, False)
        self._open = {"seq": self.recorded, "kind": kind, "line": text, "stdin": received_stdin, "script": None, "natives": [],
                      "truncated": truncated or stdin_truncated}
        self._entries.append(self._open)

    def script(self, text: str) -> None:
        """The PowerShell script the open entry ran (decoded from the command line, or read from stdin by the loader)."""
        if self._open is not None:
            self._open["script"], truncated = _cut(text, MAX_TEXT)
            self._open["truncated"] = self._open["truncated"] or truncated

    def native(self, argv: t.Sequence[str]) -> None:
        """One native program started, argv as the shell passed it; outside a command execution it gets its own entry."""
        if self._open is None:
            self.begin("native", " ".join(argv))
            self.native(argv)
            self.end()
            return
        natives = self._open["natives"]
        if len(natives) >= MAX_NATIVES:
            self._open["truncated"] = True
            return
        cut = [_cut(str(arg), MAX_ARG) for arg in argv]
        natives.append([arg for arg, _dummy in cut])
        if any(truncated for _dummy, truncated in cut):
            self._open["truncated"] = True

    def end(self) -> None:
        self._open = None

    def clear(self) -> None:
        self._entries.clear()
        self._open = None
        self.recorded = 0

    def snapshot(self, since: int = 0) -> dict[str, t.Any]:
        """JSON-ready copy of the entries with ``seq`` above ``since`` (oldest first)."""
        entries = [dict(entry, natives=[list(argv) for argv in entry["natives"]]) for entry in self._entries if entry["seq"] > since]
        return {"entries": entries, "recorded": self.recorded, "kept": len(self._entries),
                "dropped": self.recorded - len(self._entries), "max_entries": self._entries.maxlen}


def log_of(model: t.Any) -> CommandLog | None:
    """The model's log, or None for the stand-in models unit tests use."""
    log = getattr(model, "command_log", None)
    return log if isinstance(log, CommandLog) else None
