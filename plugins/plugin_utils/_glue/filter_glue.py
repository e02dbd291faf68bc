# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every parse filter shares: run a parser, hand back plain data, turn ParseError into a filter error."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from .._windows.parsers import ParseError


def parse_filter(parser: t.Callable[[t.Any], t.Any], to_plain: t.Callable[[t.Any], t.Any]) -> t.Callable[[t.Any], t.Any]:
    """A filter function: ``to_plain(parser(data))``, with the parser's error as the task's message."""

    def run(data: t.Any) -> t.Any:
        try:
            return to_plain(parser(data))
        except ParseError as exc:
            raise AnsibleFilterError(str(exc), orig_exc=exc) from exc

    run.__doc__ = f"Filter entry point for {parser.__name__}."
    return run
