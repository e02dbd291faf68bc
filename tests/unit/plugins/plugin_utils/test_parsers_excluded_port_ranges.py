# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""parse_excluded_port_ranges against docs/windows-facts.md §3.2/§3.3 samples and localized tables built from the layout rules."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import ParsedExclusion, ParseError, parse_excluded_port_ranges

# docs/windows-facts.md §3.2 [OBS-H], byte-exact: every table line carries trailing spaces (28 columns).
EN_TCP = (
    "\r\nProtocol tcp Port Exclusion Ranges\r\n\r\n"
    "Start Port    End Port      \r\n"
    "----------    --------      \r\n"
    "        80          80      \r\n"
    "      5986        5986      \r\n"
    "     47001       47001      \r\n"
    "     56638       56737      \r\n"
    "     56738       56837      \r\n"
    "\r\n* - Administered port exclusions.\r\n\r\n"
)
EN_TCP_ROWS = [(80, 80, False), (5986, 5986, False), (47001, 47001, False), (56638, 56737, False), (56738, 56837, False)]

# docs/windows-facts.md §3.2, the same runner after `add excludedportrange ... startport=55679 numberofports=1`.
EN_TCP_ADMINISTERED = (
    "\r\nProtocol tcp Port Exclusion Ranges\r\n\r\n"
    "Start Port    End Port      \r\n"
    "----------    --------      \r\n"
    "        80          80      \r\n"
    "      5986        5986      \r\n"
    "     47001       47001      \r\n"
    "     55679       55679     *\r\n"
    "\r\n* - Administered port exclusions.\r\n\r\n"
)
EN_TCP_ADMINISTERED_ROWS = [(80, 80, False), (5986, 5986, False), (47001, 47001, False), (55679, 55679, True)]

# docs/windows-facts.md §3.2: protocol=udp changes only the title [OBS-H]; no exclusions at all [INF].
EN_UDP = EN_TCP.replace("Protocol tcp", "Protocol udp")
EN_EMPTY = (
    "\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port      \r\n----------    --------      \r\n"
    "\r\n* - Administered port exclusions.\r\n\r\n"
)

# docs/windows-facts.md §3.3 German [OBS-M, two captures] (as pasted: no trailing spaces).
DE_TCP = (
    "\r\nPortausschlussbereiche f\u00fcr das Protokoll \"tcp\"\r\n\r\n"
    "Startport      Endport\r\n"
    "----------    --------\r\n"
    "     28380       28380\r\n"
    "     49711       49810\r\n"
    "     50000       50059     *\r\n"
    "\r\n* - Verwaltete Portausschl\u00fcsse.\r\n"
)
DE_TCP_ROWS = [(28380, 28380, False), (49711, 49810, False), (50000, 50059, True)]

# docs/windows-facts.md §3.3 Chinese [OBS-M]: title, blank, headers, dash line, rows, blank, footnote.
ZH_TCP = (
    "\r\n\u534f\u8bae tcp \u7aef\u53e3\u6392\u9664\u8303\u56f4\r\n\r\n"
    "\u5f00\u59cb\u7aef\u53e3    \u7ed3\u675f\u7aef\u53e3\r\n"
    "----------    --------\r\n"
    "      1080        1179      \r\n"
    "      5357        5357      \r\n"
    "     50000       50059     *\r\n"
    "\r\n* - \u7ba1\u7406\u7684\u7aef\u53e3\u6392\u9664\u3002\r\n\r\n"
)
ZH_TCP_ROWS = [(1080, 1179, False), (5357, 5357, False), (50000, 50059, True)]


def row(start, end, administered):
    """One row as netsh prints it: %10d  %10d     %c (docs/windows-facts.md §3.2)."""
    return "%10d  %10d     %c\r\n" % (start, end, "*" if administered else " ")


def localized_table(title, headers, dashes, footnote, rows):
    return "\r\n" + title + "\r\n\r\n" + headers + "\r\n" + dashes + "\r\n" + "".join(row(*r) for r in rows) + "\r\n" + footnote + "\r\n\r\n"


# Built from the layout rules (docs/windows-facts.md §3.3: other locales translate every word and pad headers and dashes differently).
MIXED_ROWS = [(1024, 1123, False), (2869, 2869, False), (50000, 50059, True), (60000, 60000, True)]
ES_UDP = localized_table(
    "Intervalos de exclusi\u00f3n de puertos del protocolo udp",
    "Puerto de inicio    Puerto final",
    "----------------    ------------",
    "* - Exclusiones de puertos administradas.",
    MIXED_ROWS,
)
# French as it looks after cp850 bytes were decoded as cp1252 (docs/windows-facts.md §0: "Port de d\u201abut", "administr\u201as").
FR_CP850_MOJIBAKE = localized_table(
    "Plages d'exclusion de ports du protocole tcp",
    "Port de d\u201abut    Port de fin",
    "-------------    -----------",
    "* - Exclusions de ports administr\u201aes.",
    MIXED_ROWS,
)
KO_TCP = localized_table(
    "\ud504\ub85c\ud1a0\ucf5c tcp \ud3ec\ud2b8 \uc81c\uc678 \ubc94\uc704",
    "\uc2dc\uc791 \ud3ec\ud2b8    \ub05d \ud3ec\ud2b8",
    "----------    --------",
    "* - \uad00\ub9ac\ub418\ub294 \ud3ec\ud2b8 \uc81c\uc678\uc785\ub2c8\ub2e4.",
    MIXED_ROWS,
)
# A footnote that itself contains digits and a star must not be read as a row.
JA_TCP = localized_table(
    "\u30d7\u30ed\u30c8\u30b3\u30eb tcp \u30dd\u30fc\u30c8\u9664\u5916\u7bc4\u56f2",
    "\u958b\u59cb\u30dd\u30fc\u30c8    \u7d42\u4e86\u30dd\u30fc\u30c8",
    "----------    --------",
    "* - \u7ba1\u7406\u3055\u308c\u3066\u3044\u308b\u30dd\u30fc\u30c8\u9664\u5916 (1 *)\u3002",
    MIXED_ROWS,
)


def as_tuples(exclusions):
    return [(e.start, e.end, e.administered) for e in exclusions]


@pytest.mark.parametrize(
    "text, expected",
    [
        (EN_TCP, EN_TCP_ROWS),
        (EN_TCP_ADMINISTERED, EN_TCP_ADMINISTERED_ROWS),
        (EN_UDP, EN_TCP_ROWS),
        (EN_EMPTY, []),
        (DE_TCP, DE_TCP_ROWS),
        (ZH_TCP, ZH_TCP_ROWS),
        (ES_UDP, MIXED_ROWS),
        (FR_CP850_MOJIBAKE, MIXED_ROWS),
        (KO_TCP, MIXED_ROWS),
        (JA_TCP, MIXED_ROWS),
    ],
    ids=["en", "en-administered", "en-udp", "en-empty", "de", "zh", "es-built", "fr-cp850-mojibake-built", "ko-built", "ja-built"],
)
def test_samples(text, expected):
    assert as_tuples(parse_excluded_port_ranges(text)) == expected


def test_byte_exact_layout_matches_the_row_format():
    # The FACTS rows are exactly what "%10d  %10d     %c" prints; the built tables rely on that.
    assert EN_TCP_ADMINISTERED.endswith(row(55679, 55679, True) + "\r\n* - Administered port exclusions.\r\n\r\n")
    assert row(80, 80, False) == "        80          80      \r\n"


def strip_trailing_spaces(text):
    return "\r\n".join(line.rstrip(" ") for line in text.split("\r\n"))


@pytest.mark.parametrize(
    "transform",
    [
        lambda text: text,
        strip_trailing_spaces,
        lambda text: text.replace("\r\n", "\n"),
        lambda text: strip_trailing_spaces(text).replace("\r\n", "\n"),
        lambda text: text.strip(),
        lambda text: "\ufeff" + text,
        lambda text: text.replace("\r\n", "\r\r\n"),
        lambda text: text.replace("     *", " *"),
        lambda text: text.replace("          ", "\t"),
    ],
    ids=["byte-exact", "trailing-spaces-stripped", "lf", "stripped-and-lf", "strip", "bom", "cr-cr-lf", "narrow-star", "tabs"],
)
def test_whitespace_and_line_end_variants(transform):
    assert as_tuples(parse_excluded_port_ranges(transform(EN_TCP_ADMINISTERED))) == EN_TCP_ADMINISTERED_ROWS


def test_rows_keep_printed_order_and_carry_counts():
    text = localized_table("t", "a    b", "----    ----", "* - f", [(60000, 60099, False), (1025, 1025, True)])
    assert parse_excluded_port_ranges(text) == [
        ParsedExclusion(start=60000, end=60099, count=100, administered=False),
        ParsedExclusion(start=1025, end=1025, count=1, administered=True),
    ]


def test_to_dict():
    assert [e.to_dict() for e in parse_excluded_port_ranges(DE_TCP)][-1] == {"start": 50000, "end": 50059, "count": 60, "administered": True}


def test_bytes_and_lines_input():
    assert as_tuples(parse_excluded_port_ranges(DE_TCP.encode("cp850"))) == DE_TCP_ROWS
    assert as_tuples(parse_excluded_port_ranges(ZH_TCP.encode("gbk"))) == ZH_TCP_ROWS
    assert as_tuples(parse_excluded_port_ranges(EN_TCP.split("\r\n"))) == EN_TCP_ROWS


def test_many_rows():
    rows = [(1025 + 100 * i, 1025 + 100 * i + 99, i % 3 == 0) for i in range(600)]
    text = localized_table("t", "a    b", "----------    --------", "* - f", rows)
    assert as_tuples(parse_excluded_port_ranges(text)) == rows


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "no dash line"),
        ("The requested operation requires elevation (Run as administrator).\r\n\r\n", "no dash line"),
        ("        80          80      \r\n", "no dash line"),
        (EN_TCP + EN_UDP, "2 dash lines found"),
        (EN_TCP.replace("\r\n\r\n* - Administered", "\r\n* - Administered") + "     60000       60000     *\r\n", "after the end of the table"),
        (EN_TCP.replace("        80          80      ", "        80          80      \r\nsome text"), "after the end of the table"),
        (EN_TCP.replace("      5986        5986", "      5986        5985"), "not a port range"),
        (EN_TCP.replace("     47001       47001", "     47001       70000"), "not a port range"),
        (EN_TCP.replace("        80          80", "         0          80"), "not a port range"),
    ],
    ids=["empty", "elevation", "rows-without-dash", "two-tables", "row-after-footnote", "text-between-rows", "start-after-end", "past-65535", "port-0"],
)
def test_garbage_raises_parse_error(text, reason):
    with pytest.raises(ParseError) as info:
        parse_excluded_port_ranges(text)
    assert reason in info.value.reason
    assert info.value.parser == "parse_excluded_port_ranges"


def test_error_names_the_offending_row():
    with pytest.raises(ParseError) as info:
        parse_excluded_port_ranges(EN_TCP.replace("      5986        5986", "      5986        5985"))
    assert info.value.line_number == 7  # blank, title, blank, header, dash, 80, then this row
    assert info.value.excerpt == "      5986        5985      "
