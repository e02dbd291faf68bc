# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""parse_dynamic_port_range against docs/windows-facts.md §1.2/§1.3 samples and localized outputs built from the layout rules."""

from __future__ import annotations

import unicodedata

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import ParsedDynamicPortRange, ParseError, parse_dynamic_port_range

# docs/windows-facts.md §1.2 [OBS-H], byte-exact.
EN_TCP = "\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n"
EN_UDP = EN_TCP.replace("tcp", "udp")
# docs/windows-facts.md §1.2: a range widened by an installer (actions/runner-images PR #1442).
EN_WIDENED = "\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 1024\r\nNumber of Ports : 64511\r\n\r\n"
# docs/windows-facts.md §1.3 French [OBS-M], labels padded to 20 characters; and the 43-dash variant from another source.
FR_TCP = (
    "\r\nPlage de ports dynamique du protocole tcp\r\n---------------------------------\r\n"
    "Port de d\u00e9marrage   : 49152\r\nNombre de ports     : 16384\r\n\r\n"
)
FR_TCP_43_DASHES = FR_TCP.replace("-" * 33, "-" * 43)
# The French output read as cp1252 after netsh wrote it in cp850 (docs/windows-facts.md §0): "é" (0x82) shows as U+201A.
FR_TCP_CP850_MOJIBAKE = FR_TCP.replace("\u00e9", "\u201a")
# docs/windows-facts.md §1.3 German [UNV]: the two fixtures disagree on padding; both must parse.
DE_TCP_A = "\r\nProtokoll tcp Dynamischer Portbereich\r\n---------------------------------\r\nStartport       : 49152\r\nAnzahl von Ports: 16384\r\n\r\n"
DE_TCP_B = "\r\nProtokoll tcp Dynamischer Portbereich\r\n---------------------------------\r\nStartport      : 49152\r\nAnzahl von Ports : 16384\r\n\r\n"


def display_width(text):
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def cjk_output(title, start_label, count_label, start, count, colon=":"):
    """Build a CJK output the way docs/windows-facts.md §1.3 describes it: labels padded by display width to column 16."""
    def line(label, number):
        return label + " " * (16 - display_width(label)) + colon + " " + str(number)

    return "\r\n" + title + "\r\n" + "-" * 33 + "\r\n" + line(start_label, start) + "\r\n" + line(count_label, count) + "\r\n\r\n"


ZH_TCP = cjk_output("\u534f\u8bae tcp \u52a8\u6001\u7aef\u53e3\u8303\u56f4", "\u542f\u52a8\u7aef\u53e3", "\u7aef\u53e3\u6570", 49152, 16384)
ZH_TCP_FULLWIDTH_COLON = cjk_output(
    "\u534f\u8bae tcp \u52a8\u6001\u7aef\u53e3\u8303\u56f4", "\u542f\u52a8\u7aef\u53e3", "\u7aef\u53e3\u6570", 10000, 1000, colon="\uff1a"
)
JA_UDP = cjk_output(
    "\u30d7\u30ed\u30c8\u30b3\u30eb udp \u306e\u52d5\u7684\u30dd\u30fc\u30c8\u306e\u7bc4\u56f2",
    "\u958b\u59cb\u30dd\u30fc\u30c8",
    "\u30dd\u30fc\u30c8\u6570",
    50000,
    15536,
)
KO_TCP = cjk_output("tcp \ud504\ub85c\ud1a0\ucf5c \ub3d9\uc801 \ud3ec\ud2b8 \ubc94\uc704", "\uc2dc\uc791 \ud3ec\ud2b8", "\ud3ec\ud2b8 \uc218", 20000, 45536)


@pytest.mark.parametrize(
    "text, expected",
    [
        (EN_TCP, (49152, 16384, 65535)),
        (EN_UDP, (49152, 16384, 65535)),
        (EN_WIDENED, (1024, 64511, 65534)),
        (FR_TCP, (49152, 16384, 65535)),
        (FR_TCP_43_DASHES, (49152, 16384, 65535)),
        (FR_TCP_CP850_MOJIBAKE, (49152, 16384, 65535)),
        (DE_TCP_A, (49152, 16384, 65535)),
        (DE_TCP_B, (49152, 16384, 65535)),
        (ZH_TCP, (49152, 16384, 65535)),
        (ZH_TCP_FULLWIDTH_COLON, (10000, 1000, 10999)),
        (JA_UDP, (50000, 15536, 65535)),
        (KO_TCP, (20000, 45536, 65535)),
    ],
    ids=["en-tcp", "en-udp", "en-widened-1024", "fr", "fr-43-dashes", "fr-cp850-mojibake", "de-a", "de-b", "zh", "zh-fullwidth-colon", "ja", "ko"],
)
def test_samples(text, expected):
    result = parse_dynamic_port_range(text)
    assert (result.start, result.count, result.end) == expected


def test_cjk_samples_really_are_padded_by_display_width():
    # Guard the construction above: the colon sits at display column 16, so CJK labels have fewer characters.
    start_line = ZH_TCP.split("\r\n")[3]
    assert start_line.index(":") == 12
    assert display_width(start_line[:start_line.index(":")]) == 16


@pytest.mark.parametrize(
    "transform",
    [
        lambda text: text.replace("\r\n", "\n"),
        lambda text: text.rstrip(),
        lambda text: text.strip(),
        lambda text: "\n".join(line.strip() for line in text.split("\r\n")),
        lambda text: "\ufeff" + text,
        lambda text: text.replace("\r\n", "\r\r\n"),
        lambda text: text.replace("\r\n", "\r"),
        lambda text: text.replace(" : ", ":"),
        lambda text: text.replace("\r\n", "  \r\n"),
    ],
    ids=["lf", "no-trailing-crlf", "stripped", "lines-stripped", "bom", "cr-cr-lf", "cr-only", "no-spaces-at-colon", "trailing-spaces"],
)
def test_whitespace_and_line_end_variants(transform):
    assert parse_dynamic_port_range(transform(EN_TCP)) == ParsedDynamicPortRange(49152, 16384, 65535)


def test_bytes_and_lines_input():
    assert parse_dynamic_port_range(EN_TCP.encode("ascii")).start == 49152
    assert parse_dynamic_port_range(EN_TCP.split("\r\n")).count == 16384
    # GBK bytes decoded as UTF-8 with replacement still keep the digits and markers.
    assert parse_dynamic_port_range(ZH_TCP.encode("gbk")).to_dict() == {"start": 49152, "count": 16384, "end": 65535}


def test_to_dict():
    assert parse_dynamic_port_range(EN_WIDENED).to_dict() == {"start": 1024, "count": 64511, "end": 65534}


def test_numbers_come_from_the_lines_below_the_dash_line_not_from_the_title():
    text = EN_TCP.replace("Protocol tcp Dynamic Port Range", "Range 1: 2")
    assert parse_dynamic_port_range(text).start == 49152


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "no dash line"),
        ("   \r\n\r\n", "no dash line"),
        ("The requested operation requires elevation (Run as administrator).\r\n\r\n", "no dash line"),
        ("Ok.\r\n\r\n", "no dash line"),
        ("The following command was not found: int ipv4 show dynamicport tcpx.\r\n", "no dash line"),
        ("Start Port      : 49152\r\nNumber of Ports : 16384\r\n", "no dash line"),
        (EN_TCP + EN_UDP, "2 dash lines found"),
        (EN_TCP.replace("Number of Ports : 16384\r\n", ""), "found 1"),
        (EN_TCP.replace("\r\n\r\n", "\r\nExtra : 7\r\n\r\n"), "found 3"),
        (EN_TCP.replace("16384", "many"), "does not end in ': <number>'"),
        (EN_TCP.replace("16384", "-5"), "does not end in ': <number>'"),
        (EN_TCP + "garbage\r\n", "does not end in ': <number>'"),
        ("\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\n\r\n", "found 0"),
        (EN_TCP.replace("16384", "0"), "do not describe a port range"),
        (EN_TCP.replace("16384", "16385"), "do not describe a port range"),
        (EN_TCP.replace("49152", "0"), "do not describe a port range"),
        (EN_TCP.replace("49152", "70000"), "do not describe a port range"),
    ],
    ids=[
        "empty", "blank", "elevation", "ok", "not-found", "no-dash", "two-outputs", "one-number", "three-numbers", "word-value",
        "negative", "trailing-garbage", "no-numbers", "count-0", "past-65535", "start-0", "start-70000",
    ],
)
def test_garbage_raises_parse_error(text, reason):
    with pytest.raises(ParseError) as info:
        parse_dynamic_port_range(text)
    assert reason in info.value.reason
    assert info.value.parser == "parse_dynamic_port_range"
    assert str(info.value).startswith("parse_dynamic_port_range: ")


def test_error_names_the_offending_line():
    with pytest.raises(ParseError) as info:
        parse_dynamic_port_range(EN_TCP.replace("16384", "many"))
    assert info.value.line_number == 5
    assert info.value.excerpt == "Number of Ports : many"


@pytest.mark.parametrize("data", [None, 49152, {"stdout": EN_TCP}])
def test_wrong_input_type(data):
    with pytest.raises(ParseError, match="expected a string"):
        parse_dynamic_port_range(data)
