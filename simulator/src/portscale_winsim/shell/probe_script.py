# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recognizing the probe script (docs/probe-contract.md: the one script emulated by contract instead of interpreted).

A script is a probe when its first line (after an optional `Set-StrictMode ...` line, which Ansible's
`_encode_script` may prepend) equals `probe.PROBE_HEADER`. Its parameters are the single-quoted JSON literal on
the one `$<PARAMS_VARIABLE> = '...'` line (PowerShell rules: `''` is a quote). The rest of the script is real
PowerShell for Windows and is not looked at.
"""

from __future__ import annotations

import json
import re

from .ps_parser import SINGLE_QUOTES, PsSyntaxError, parse_single_quoted


class ProbeScriptError(ValueError):
    """The script has the probe header but not a well-formed parameter line."""


def _lines(script: str) -> list[str]:
    return [line.strip() for line in re.split(r"\r\n|\n|\r", script)]


def is_probe(script: str, header: str) -> bool:
    """True when the first meaningful line is the probe header."""
    lines = [line for line in _lines(script) if line]
    if lines and re.match(r"(?i)^set-strictmode\s", lines[0]):
        lines = lines[1:]
    return bool(lines) and lines[0] == header.strip()


def probe_parameters(script: str, params_variable: str) -> dict:
    """The JSON object assigned to the parameters variable."""
    name = params_variable.lstrip("$")
    pattern = re.compile(r"^\$" + re.escape(name) + r"\s*=\s*", re.IGNORECASE)
    found = []
    for line in _lines(script):
        match = pattern.match(line)
        if match:
            found.append((line, match.end()))
    if len(found) != 1:
        raise ProbeScriptError(f"expected exactly one ${name} = '<json>' line, found {len(found)}")
    line, offset = found[0]
    if offset >= len(line) or line[offset] not in SINGLE_QUOTES:
        raise ProbeScriptError(f"${name} must be assigned a single-quoted string")
    try:
        literal, end = parse_single_quoted(line, offset)
    except PsSyntaxError as err:
        raise ProbeScriptError(f"${name}: {err.message}") from None
    if line[end:].strip() not in ("", ";"):
        raise ProbeScriptError(f"unexpected text after the ${name} literal: {line[end:]!r}")
    try:
        params = json.loads(literal)
    except ValueError as err:
        raise ProbeScriptError(f"${name} is not valid JSON: {err}") from None
    if not isinstance(params, dict):
        raise ProbeScriptError(f"${name} must hold a JSON object")
    return params
