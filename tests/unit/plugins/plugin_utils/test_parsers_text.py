# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared parser helpers and the ParseError type."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import ParseError
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers.text import (
    as_text,
    is_dash_line,
    parse_decimal,
    single_dash_line_index,
    split_endpoint,
    split_lines,
)


def test_as_text_strips_bom_and_accepts_lines_and_bytes():
    assert as_text("p", "\ufeffabc") == "abc"
    assert as_text("p", ["a", "b"]) == "a\nb"
    assert as_text("p", b"\xef\xbb\xbfa\r\nb") == "a\r\nb"
    # Undecodable bytes become U+FFFD; the ASCII around them survives.
    assert as_text("p", b"x\x82y: 1") == "x\ufffdy: 1"


@pytest.mark.parametrize("data", [None, 5, {"stdout": ""}, ["a", 1]])
def test_as_text_refuses_other_types(data):
    with pytest.raises(ParseError) as info:
        as_text("parse_x", data)
    assert info.value.parser == "parse_x"
    assert "expected a string" in info.value.reason


def test_split_lines_only_on_cr_and_lf():
    assert split_lines("a\r\nb\nc\rd") == ["a", "b", "c", "d"]
    # NEL (\x85) and U+2028 are data here, not line breaks (str.splitlines would split on them).
    assert split_lines("a\x85b\u2028c") == ["a\x85b\u2028c"]


@pytest.mark.parametrize(
    "line, expected",
    [
        ("---------------------------------", True),
        ("----------    --------      ", True),
        ("  ---  ", True),
        ("--", False),
        ("-- x --", False),
        ("* - Administered port exclusions.", False),
        ("", False),
    ],
)
def test_is_dash_line(line, expected):
    assert is_dash_line(line) is expected


def test_single_dash_line_index():
    assert single_dash_line_index("p", "", ["title", "----  ----", "1 2"], "cmd") == 1


def test_single_dash_line_index_refuses_none_and_two():
    with pytest.raises(ParseError, match="no dash line .* output of 'cmd'"):
        single_dash_line_index("p", "x", ["x"], "cmd")
    with pytest.raises(ParseError, match="2 dash lines found") as info:
        single_dash_line_index("p", "", ["---", "x", "----  ----", "y"], "cmd")
    assert info.value.line_number == 3


def test_parse_decimal_ascii_only():
    assert parse_decimal("49152") == 49152
    assert parse_decimal("\u0664\u0662") is None  # Arabic-Indic digits
    assert parse_decimal("\u00b2") is None  # superscript two: str.isdigit() says True
    assert parse_decimal("") is None
    assert parse_decimal("-1") is None


@pytest.mark.parametrize(
    "token, expected",
    [
        ("0.0.0.0:135", ("0.0.0.0", 135, 4)),
        ("127.0.0.1:52346", ("127.0.0.1", 52346, 4)),
        ("[::]:0", ("::", 0, 6)),
        ("[::1]:49152", ("::1", 49152, 6)),
        ("[fe80::1%4]:135", ("fe80::1%4", 135, 6)),
        ("[fe80::a1b2:c3d4:e5f6:1234%12]:49669", ("fe80::a1b2:c3d4:e5f6:1234%12", 49669, 6)),
        ("*:*", ("*", None, None)),
        ("[::ffff:10.1.2.3]:443", ("::ffff:10.1.2.3", 443, 6)),
    ],
)
def test_split_endpoint(token, expected):
    assert split_endpoint(token) == expected


@pytest.mark.parametrize(
    "token, reason",
    [
        ("0.0.0.0", "no ':<port>'"),
        ("[::1]", "no ']:<port>'"),
        (":80", "empty address"),
        ("[]:80", "empty address"),
        ("DESKTOP-1:http", "numeric address"),
        ("1.2.3.4:http", "not a number"),
        ("[fe80::1%4 ]:80", "numeric address"),
        ("localhost:80", "numeric address"),
        ("1.2.3.4:65536", "above 65535"),
    ],
)
def test_split_endpoint_rejects(token, reason):
    with pytest.raises(ValueError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        split_endpoint(token)


def test_parse_error_fields_and_message():
    error = ParseError("parse_x", "bad thing", "line\r\ntext", 7)
    assert isinstance(error, ValueError)
    assert (error.parser, error.reason, error.excerpt, error.line_number) == ("parse_x", "bad thing", "line\r\ntext", 7)
    assert str(error) == "parse_x: bad thing (line 7: 'line\\r\\ntext')"


def test_parse_error_excerpt_is_bounded():
    error = ParseError("parse_x", "bad", "x" * 5000)
    assert error.line_number is None
    assert error.excerpt == "x" * 200 + "..."
    assert len(str(error)) < 300
    assert "text begins" in str(error)
