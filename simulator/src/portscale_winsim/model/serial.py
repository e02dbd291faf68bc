# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn the model's dataclass tree into JSON-ready values and back, driven by the type hints.

One generic converter instead of a hand-written from_dict per class, so a new field cannot be forgotten on one side.
"""

from __future__ import annotations

import dataclasses
import types
import typing


def to_jsonable(value):
    """Dataclasses become dicts (fields marked ``metadata={"transient": True}`` are skipped), tuples become lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if not f.metadata.get("transient")}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def from_jsonable(hint, data, where: str = "state"):
    """Build a value of type ``hint`` from JSON data; raise ValueError naming the path on a mismatch."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is typing.Any:
        return data
    if origin in (typing.Union, types.UnionType):
        if data is None and types.NoneType in args:
            return None
        candidates = [a for a in args if a is not types.NoneType]
        errors = []
        for candidate in candidates:
            try:
                return from_jsonable(candidate, data, where)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors))
    if origin is list:
        _expect(data, list, where)
        return [from_jsonable(args[0], v, f"{where}[{i}]") for i, v in enumerate(data)]
    if origin is tuple:
        _expect(data, list, where)
        return tuple(from_jsonable(args[0], v, f"{where}[{i}]") for i, v in enumerate(data))
    if origin is dict:
        _expect(data, dict, where)
        return {k: from_jsonable(args[1], v, f"{where}.{k}") for k, v in data.items()}
    if dataclasses.is_dataclass(hint):
        _expect(data, dict, where)
        hints = typing.get_type_hints(hint)
        fields = {f.name: f for f in dataclasses.fields(hint) if f.init and not f.metadata.get("transient")}
        unknown = set(data) - set(fields)
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        kwargs = {name: from_jsonable(hints[name], data[name], f"{where}.{name}") for name in fields if name in data}
        try:
            return hint(**kwargs)
        except TypeError as exc:
            raise ValueError(f"{where}: {exc}") from None
    if hint is bool:
        _expect(data, bool, where)
        return data
    if hint is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise ValueError(f"{where}: expected int, got {type(data).__name__}")
        return data
    if hint is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise ValueError(f"{where}: expected number, got {type(data).__name__}")
        return float(data)
    if hint is str:
        _expect(data, str, where)
        return data
    if hint is types.NoneType:
        if data is not None:
            raise ValueError(f"{where}: expected null")
        return None
    raise ValueError(f"{where}: unsupported type hint {hint!r}")


def _expect(data, kind, where):
    if not isinstance(data, kind):
        raise ValueError(f"{where}: expected {kind.__name__}, got {type(data).__name__}")
