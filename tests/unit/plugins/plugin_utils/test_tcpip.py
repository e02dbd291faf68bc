# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.ports import PortRange, dynamic_range_to_set
from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.values import TcpipValueError, to_int


@pytest.mark.parametrize(
    ("start", "count", "end", "expected"),
    [
        (49152, 16384, None, PortRange(49152, 16384)),
        (1025, 64511, None, PortRange(1025, 64511)),  # the BizTalk doc's "maximum allowed value"
        (10000, None, 10254, PortRange(10000, 255)),
        ("20000", "5000", None, PortRange(20000, 5000)),
        (65281, 255, None, PortRange(65281, 255)),  # ends exactly at 65535
    ],
)
def test_valid_ranges(start, count, end, expected):
    assert dynamic_range_to_set(start, count, end) == expected


@pytest.mark.parametrize(
    ("start", "count", "end", "option", "fragment"),
    [
        (1024, 1000, None, "start", "between 1025 and 65535"),
        (10000, 254, None, "count", "at least 255"),
        (65282, 255, None, "count", "at most 65536"),
        (10000, None, 9999, "end", "not be below start"),
        (10000, None, 10100, "end", "at least 255"),
        (10000, 500, 10499, "count/end", "exactly one"),
        (10000, None, None, "count/end", "exactly one"),
        (True, 500, None, "start", "boolean"),
        ("ten", 500, None, "start", "expected an integer"),
        (10000, 12.5, None, "count", "expected an integer"),
        (-5, 500, None, "start", "between 1025"),
    ],
)
def test_invalid_ranges_name_option_and_valid_range(start, count, end, option, fragment):
    with pytest.raises(TcpipValueError) as caught:
        dynamic_range_to_set(start, count, end)
    assert caught.value.option == option
    assert fragment in str(caught.value)


def test_port_range_geometry():
    default = PortRange(49152, 16384)
    assert default.end == 65535
    assert 49152 in default and 65535 in default and 49151 not in default
    assert default.overlap(PortRange.from_bounds(65500, 65600)) == 36
    assert default.overlap(PortRange(1024, 100)) == 0
    assert str(PortRange(50000, 60)) == "50000-50059 (60 ports)"


def test_to_int_refuses_booleans_and_words():
    assert to_int("x", " 42 ") == 42
    with pytest.raises(TcpipValueError):
        to_int("x", False)
    with pytest.raises(TcpipValueError):
        to_int("x", "4x2")


@pytest.mark.parametrize("text", ["\u00b2", "+-5", "\uff11\uff10\uff10\uff10\uff10", "10_000", "5000; Remove-Item x", "5000\n& calc", ""])
def test_to_int_takes_ascii_decimal_strings_only(text):
    # '²' and '+-5' used to pass the isdigit() check and crash int() with a bare ValueError (an unhandled task error).
    with pytest.raises(TcpipValueError):
        to_int("x", text)
    assert to_int("x", "+5000") == 5000 and to_int("x", "\t-5\n") == -5
