# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""reg.exe: ``query|add|delete`` on Tcpip\\Parameters and on the collection's own key (HKLM\\SOFTWARE\\portscale.tcpip),
``query`` on the CurrentVersion and PrefetchParameters keys (docs/windows-facts.md §4; model/registry.py for the last two).

Other keys, roots and options exist on Windows but are not modelled: they fail loudly (SIMULATOR-UNSUPPORTED) rather
than pretending a key is missing. Two interactive cases also fail loudly, because reg would prompt on the console and
block a non-interactive run: ``reg add`` over an existing value without ``/f`` ("Value X exists, overwrite(Yes/No)?")
and ``reg delete`` without ``/f`` ("Delete the registry value X (Yes/No)?") [INF, docs/windows-facts.md §4.4].
"""

from __future__ import annotations

import dataclasses
import typing as t

from ..model import registry as regmodel
from ..results import CommandResult
from .common import Run, flag_name
from .texts import Unsupported

LOCAL_MACHINE = "HKEY_LOCAL_MACHINE"
OTHER_ROOTS = ("HKCU", "HKEY_CURRENT_USER", "HKCR", "HKEY_CLASSES_ROOT", "HKU", "HKEY_USERS", "HKCC", "HKEY_CURRENT_CONFIG")
OTHER_OPERATIONS = ("export", "import", "copy", "compare", "save", "load", "unload", "restore", "flags")
WRITABLE_TYPES = ("REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_MULTI_SZ")
KNOWN_TYPES = WRITABLE_TYPES + ("REG_NONE", "REG_BINARY", "REG_DWORD_BIG_ENDIAN", "REG_DWORD_LITTLE_ENDIAN", "REG_QWORD", "REG_QWORD_LITTLE_ENDIAN")
MAX_DWORD = 0xFFFFFFFF


@dataclasses.dataclass(frozen=True)
class Switches:
    """Per operation: switches that take a value, bare switches, and the subset the simulator models."""

    with_value: tuple[str, ...]
    bare: tuple[str, ...]
    modelled: tuple[str, ...]


SWITCHES = {
    "query": Switches(("v", "t", "f", "se"), ("ve", "s", "k", "d", "c", "e", "z", "reg:32", "reg:64"), ("v", "reg:32", "reg:64")),
    "add": Switches(("v", "t", "s", "d"), ("ve", "f", "reg:32", "reg:64"), ("v", "t", "s", "d", "f", "reg:32", "reg:64")),
    "delete": Switches(("v",), ("ve", "va", "f", "reg:32", "reg:64"), ("v", "f", "reg:32", "reg:64")),
}


class InvalidSyntax(Exception):
    """reg's "ERROR: Invalid syntax." (the operation name goes into the usage hint)."""


@dataclasses.dataclass(frozen=True)
class KeyRef:
    """A key as typed (root expanded) and which modelled key it is: ``tcpip``, ``current_version``, ``prefetch`` or
    ``portscale``."""

    echo: str
    kind: str


def run_reg(run: Run) -> CommandResult:
    args = run.argv[1:]
    if not args or args[0].lower() not in SWITCHES:
        op = args[0].lower() if args else ""
        raise Unsupported(f"reg {op!r} is not modelled" if op in OTHER_OPERATIONS else "reg without query/add/delete is not modelled")
    op = args[0].lower()
    try:
        key_text, options = _parse(op, args[1:])
    except InvalidSyntax:
        return run.message("reg.invalid_syntax", op=op.upper())
    if key_text is None:
        return run.message("reg.invalid_syntax", op=op.upper())
    key = _resolve_key(run, key_text, op)
    if isinstance(key, CommandResult):
        return key
    return {"query": _query, "add": _add, "delete": _delete}[op](run, key, options)


def _parse(op: str, tokens: list[str]) -> tuple[str | None, dict[str, str | bool]]:
    spec = SWITCHES[op]
    key_text = None
    options: dict[str, str | bool] = {}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        name = flag_name(token)
        if name is None or name == "":
            if key_text is not None or index != 1:
                raise InvalidSyntax(token)
            key_text = token
            continue
        if name in options:
            raise InvalidSyntax(token)
        if name in spec.with_value:
            if index >= len(tokens):
                raise InvalidSyntax(token)
            options[name] = tokens[index]
            index += 1
        elif name in spec.bare:
            options[name] = True
        else:
            raise InvalidSyntax(token)
        if name not in spec.modelled:
            raise Unsupported(f"reg {op} /{name} is not modelled")
    return key_text, options


def _resolve_key(run: Run, text: str, op: str) -> KeyRef | CommandResult:
    if text.startswith("\\\\"):
        raise Unsupported("remote registry is not modelled")
    text = text[:-1] if text.endswith("\\") else text
    root, dummy, rest = text.partition("\\")
    if root.upper() in OTHER_ROOTS:
        raise Unsupported(f"registry root {root} is not modelled")
    if root.upper() not in ("HKLM", LOCAL_MACHINE):
        return run.message("reg.invalid_key", op=op.upper())
    echo = LOCAL_MACHINE + ("\\" + rest if rest else "")
    lowered = rest.lower()
    if lowered == regmodel.TCPIP_PARAMETERS.lower():
        return KeyRef(echo, "tcpip")
    if lowered == regmodel.CURRENT_VERSION.lower():
        return KeyRef(echo, "current_version")
    if lowered == regmodel.PREFETCH_PARAMETERS.lower():
        return KeyRef(echo, "prefetch")
    if lowered == regmodel.PORTSCALE_KEY.lower():
        return KeyRef(echo, "portscale")
    prefix = regmodel.TCPIP_PARAMETERS.lower() + "\\"
    if lowered.startswith(prefix):
        child = lowered[len(prefix):].split("\\", 1)[0]
        if child in (name.lower() for name in regmodel.TCPIP_SUBKEYS):
            raise Unsupported(f"the contents of Tcpip\\Parameters\\{child} are not modelled")
        return run.message("reg.not_found")
    raise Unsupported(f"registry key {echo} is not modelled")


def _values(run: Run, key: KeyRef):
    if key.kind == "tcpip":
        return run.model.registry
    if key.kind == "prefetch":
        return regmodel.prefetch_values(run.model.os, run.model.boot_id)
    if key.kind == "portscale":
        return run.model.portscale_key
    return regmodel.current_version_values(run.model.os)


def _format_data(value) -> str:
    if value.type == "REG_DWORD":
        return f"0x{value.data:x}"   # lower-case hex, no padding [OBS-H, docs/windows-facts.md §4.1]
    if value.type == "REG_MULTI_SZ":
        return "\\0".join(value.data)
    return str(value.data)


def _value_line(run: Run, value) -> str:
    return run.text("reg.value_line", name=value.name, type=value.type, data=_format_data(value))


def _query(run: Run, key: KeyRef, options) -> CommandResult:
    values = _values(run, key)
    if values is None:
        return run.message("reg.not_found")   # the collection's key before its first write
    if "v" in options:
        value = regmodel.find_value(values, str(options["v"]))
        if value is None:
            return run.message("reg.not_found")
        return run.output(run.text("reg.key_header", path=key.echo) + _value_line(run, value) + run.text("reg.blank"))
    parts = [run.text("reg.key_header", path=key.echo)]
    parts += [_value_line(run, value) for value in values]
    parts.append(run.text("reg.blank"))
    if key.kind == "tcpip":
        # Subkeys: one full path per line and no trailing blank line [OBS-H, Wine test3].
        parts += [run.text("reg.subkey_line", path=f"{key.echo}\\{name}") for name in regmodel.TCPIP_SUBKEYS]
    return run.output("".join(parts))


def _add(run: Run, key: KeyRef, options) -> CommandResult:
    if key.kind not in ("tcpip", "portscale"):
        raise Unsupported(f"writes to the {key.echo} key are not modelled (read-only here)")
    if "v" not in options:
        if not run.model.elevated:
            return run.message("reg.access_denied")
        if key.kind == "portscale" and run.model.portscale_key is None:
            run.model.portscale_key = []     # reg add <key> creates an empty key
            run.model.dirty = True
            run.wrote = True
        return run.message("reg.ok")     # the key exists already: nothing to create
    name = str(options["v"])
    value_type = str(options.get("t", "REG_SZ")).upper()
    if value_type not in KNOWN_TYPES:
        return run.message("reg.invalid_syntax", op="ADD")
    if value_type not in WRITABLE_TYPES:
        raise Unsupported(f"reg add /t {value_type} is not modelled")
    data = _convert(value_type, options)
    exists = regmodel.find_value(_values(run, key) or [], name) is not None
    if exists and "f" not in options:
        raise Unsupported(f"reg add without /f would prompt 'Value {name} exists, overwrite(Yes/No)?'")
    if not run.model.elevated:
        return run.message("reg.access_denied")
    ok = run.message("reg.ok")
    if key.kind == "portscale":
        run.model.set_portscale_value(name, value_type, data)
    else:
        run.model.set_registry_value(name, value_type, data)
    run.wrote = True
    return ok


def _convert(value_type: str, options):
    text = str(options.get("d", ""))
    if "s" in options and value_type != "REG_MULTI_SZ":
        raise Unsupported("reg add /s without REG_MULTI_SZ is not modelled")
    if value_type == "REG_DWORD":
        number = _dword(text)
        if number is None:
            raise Unsupported(f"reg add /t REG_DWORD /d {text!r}: the error text for invalid data has no sample")
        return number
    if value_type == "REG_MULTI_SZ":
        separator = str(options.get("s", "\\0"))
        return text.split(separator) if text else []
    return text


def _dword(text: str) -> int | None:
    """Decimal or 0x-prefixed hex, 0..0xFFFFFFFF [INF, docs/windows-facts.md §4.4]."""
    try:
        number = int(text, 16) if text.lower().startswith("0x") else int(text, 10) if text.isdigit() else None
    except ValueError:
        return None
    if number is None or not 0 <= number <= MAX_DWORD:
        return None
    return number


def _delete(run: Run, key: KeyRef, options) -> CommandResult:
    if key.kind not in ("tcpip", "portscale"):
        raise Unsupported(f"writes to the {key.echo} key are not modelled (read-only here)")
    if "v" not in options and key.kind != "portscale":
        raise Unsupported("deleting a whole key is not modelled (except the collection's own)")
    name = str(options["v"]) if "v" in options else None
    if "f" not in options:
        what = f"value {name}" if name else f"key {key.echo}"
        raise Unsupported(f"reg delete without /f would prompt 'Delete the registry {what} (Yes/No)?'")
    if not run.model.elevated:
        return run.message("reg.access_denied")
    ok, missing = run.message("reg.ok"), run.message("reg.not_found")
    deleted = run.model.delete_portscale_value(name) if key.kind == "portscale" else run.model.delete_registry_value(t.cast(str, name))
    if not deleted:
        return missing
    run.wrote = True
    return ok
