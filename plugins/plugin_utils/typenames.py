# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The name of a value's type as a user should read it in an error message."""

from __future__ import annotations


def type_name(value: object) -> str:
    """``str``, ``int``, ``dict``, ... for a value and for any subclass of those.

    ansible-core 2.19 hands plugins tagged subclasses of the builtin types (``_AnsibleTaggedStr``, ``_AnsibleTaggedInt``)
    for values that come from playbooks and variables; ``type(value).__name__`` would put those internal names in a message.
    """
    for cls in type(value).__mro__:
        if cls.__module__ == "builtins" and cls is not object:
            return "None" if value is None else cls.__name__
    return type(value).__name__
