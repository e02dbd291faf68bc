# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values as a user gave them: integers checked the way Windows needs them, errors that name the option, and the
value or type shown in the user's terms (JSON, ``str``), never as Python prints it."""

from __future__ import annotations

import json
import re

_DECIMAL = re.compile(r"\s*[+-]?[0-9]+\s*")  # what to_int accepts in a string (whole string, ASCII digits)


NOT_GIVEN = object()  # TcpipValueError without a value: a refusal about the task as a whole, not one bad value


def user_value(value: object) -> str:
    """A task argument as the user wrote it in YAML/JSON (``true``, ``"abc"``, ``{"start": 1}``), never a Python repr."""
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=False)
    except (TypeError, ValueError):
        return json.dumps(str(value), ensure_ascii=False)


class TcpipValueError(ValueError):
    """A value that Windows would reject, named by the option it came from, or (``value=NOT_GIVEN``) a task refused as
    a whole: ``subject: expectation``. Values are shown in the user's terms (JSON), a missing one as missing."""

    def __init__(self, option: str, value: object, expectation: str) -> None:
        self.option = option
        self.value = value
        self.expectation = expectation
        if value is NOT_GIVEN:
            message = f"{option}: {expectation}"
        elif value is None:
            message = f"{option} is missing: {expectation}"
        else:
            message = f"{option}={user_value(value)} is not valid: {expectation}"
        super().__init__(message)

    @classmethod
    def refusal(cls, subject: str, reason: str) -> TcpipValueError:
        return cls(subject, NOT_GIVEN, reason)


def to_int(option: str, value: object, valid: str = "") -> int:
    """Return ``value`` as an int, accepting ints and decimal strings only.

    Booleans are refused on purpose: ``True`` is an int in Python and would silently become port 1.
    ``valid`` (what the option accepts) is added to the error, so a wrong type also tells the user the valid range.
    """
    suffix = f"; {valid}" if valid else ""
    if isinstance(value, bool):
        raise TcpipValueError(option, value, f"expected an integer, got a boolean{suffix}")
    if isinstance(value, int):
        return value
    # ASCII decimal only: str.isdigit() also takes '²' (which int() then rejects with a bare ValueError) and other scripts'
    # digits, and lstrip("+-") let '+-5' through to the same crash.
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return int(value.strip())
    raise TcpipValueError(option, value, f"expected an integer{suffix}")


def type_name(value: object) -> str:
    """``str``, ``int``, ``dict``, ... for a value and for any subclass of those.

    ansible-core 2.19 hands plugins tagged subclasses of the builtin types (``_AnsibleTaggedStr``, ``_AnsibleTaggedInt``)
    for values that come from playbooks and variables; ``type(value).__name__`` would put those internal names in a message.
    """
    for cls in type(value).__mro__:
        if cls.__module__ == "builtins" and cls is not object:
            return "None" if value is None else cls.__name__
    return type(value).__name__
