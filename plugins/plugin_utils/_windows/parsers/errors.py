# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error type every parser raises."""

from __future__ import annotations

EXCERPT_LIMIT = 200


def make_excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """Return the first ``limit`` characters of ``text``, marked with ``...`` when cut."""
    if len(text) <= limit:
        return text
    return text[:limit] + "..."


class ParseError(ValueError):
    """Command output that does not have the shape the parser reads.

    Attributes (all plain values, safe to put in an Ansible result):

    * ``parser``: the parser's public name, for example ``parse_netstat``;
    * ``reason``: what was wrong, in one sentence;
    * ``excerpt``: the offending line, or the start of the text when no single line is to blame (at most 200 chars);
    * ``line_number``: 1-based number of the offending line, or ``None``.
    """

    def __init__(self, parser: str, reason: str, text: str = "", line_number: int | None = None) -> None:
        self.parser = parser
        self.reason = reason
        self.excerpt = make_excerpt(text)
        self.line_number = line_number
        if line_number is None:
            where = f"text begins {self.excerpt!r}"
        else:
            where = f"line {line_number}: {self.excerpt!r}"
        super().__init__(f"{parser}: {reason} ({where})")
