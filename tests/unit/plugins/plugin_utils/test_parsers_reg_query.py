# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""parse_reg_query against docs/windows-facts.md §4.1/§4.3 samples (Wine's reg.exe conformance tests) and a built Tcpip\\Parameters key."""

from __future__ import annotations

import pytest

from ansible_collections.portscale.tcpip.plugins.plugin_utils._windows.parsers import ParsedRegistryValue, ParseError, find_registry_value, parse_reg_query

KEY = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"

# docs/windows-facts.md §4.1 [OBS-H], byte-exact.
MAX_USER_PORT = "\r\n" + KEY + "\r\n    MaxUserPort    REG_DWORD    0xfffe\r\n\r\n"
TIMED_WAIT_DELAY = "\r\n" + KEY + "\r\n    TcpTimedWaitDelay    REG_DWORD    0x1e\r\n\r\n"

# docs/windows-facts.md §4.3, Wine test3 [OBS-H]: whole key with values and one subkey (no blank line after the subkeys).
WINE_WHOLE_KEY = (
    "\r\nHKEY_CURRENT_USER\\Software\\Wine\\reg_test\r\n"
    "    Test1    REG_SZ    Hello, World\r\n"
    "    Test2    REG_DWORD    0x123\r\n"
    "    Wine    REG_SZ    First instance\r\n\r\n"
    "HKEY_CURRENT_USER\\Software\\Wine\\reg_test\\subkey\r\n"
)
# docs/windows-facts.md §4.3, Wine test8a [OBS-H]: no values, only subkeys, and no header line for the key itself.
WINE_ONLY_SUBKEYS = "\r\nHKEY_CURRENT_USER\\Software\\Wine\\reg_test\\subkey1\r\nHKEY_CURRENT_USER\\Software\\Wine\\reg_test\\subkey2\r\n"

# Built from the layout rules (docs/windows-facts.md §4.1, §4.3 [INF for the value list]): a realistic Tcpip\Parameters key.
TCPIP_PARAMETERS = (
    "\r\n" + KEY + "\r\n"
    "    NV HostName    REG_SZ    WEB01\r\n"
    "    DataBasePath    REG_EXPAND_SZ    %SystemRoot%\\System32\\drivers\\etc\r\n"
    "    NameServer    REG_SZ    \r\n"
    "    ForwardBroadcasts    REG_DWORD    0x0\r\n"
    "    IPEnableRouter    REG_DWORD    0x0\r\n"
    "    Domain    REG_SZ    \r\n"
    "    Hostname    REG_SZ    WEB01\r\n"
    "    SearchList    REG_SZ\r\n"
    "    UseDomainNameDevolution    REG_DWORD    0x1\r\n"
    "    EnableICMPRedirect    REG_DWORD    0x1\r\n"
    "    DeadGWDetectDefault    REG_DWORD    0x1\r\n"
    "    DontAddDefaultGatewayDefault    REG_DWORD    0x0\r\n"
    "    ReservedPorts    REG_MULTI_SZ    1433-1434\\02869-2869\r\n"
    "    Dhcpv6DUID    REG_BINARY    000100012C8F0C5A00155D012A05\r\n"
    "    MaxUserPort    REG_DWORD    0xfffe\r\n"
    "    TcpTimedWaitDelay    REG_DWORD    0x1e\r\n"
    "    BigCounter    REG_QWORD    0x100000000\r\n"
    "    EmptyList    REG_MULTI_SZ    \r\n"
    "    Note    REG_SZ    spaced    out   \r\n"
    "\r\n"
    + "".join(KEY + "\\" + subkey + "\r\n" for subkey in ("Adapters", "DNSRegisteredAdapters", "Interfaces", "NsiObjectSecurity", "PersistentRoutes"))
    + KEY + "\\Winsock\r\n"
)
TCPIP_PARAMETERS_EXPECTED = {
    "NV HostName": ("REG_SZ", "WEB01"),
    "DataBasePath": ("REG_EXPAND_SZ", "%SystemRoot%\\System32\\drivers\\etc"),
    "NameServer": ("REG_SZ", ""),
    "ForwardBroadcasts": ("REG_DWORD", 0),
    "IPEnableRouter": ("REG_DWORD", 0),
    "Domain": ("REG_SZ", ""),
    "Hostname": ("REG_SZ", "WEB01"),
    "SearchList": ("REG_SZ", ""),
    "UseDomainNameDevolution": ("REG_DWORD", 1),
    "EnableICMPRedirect": ("REG_DWORD", 1),
    "DeadGWDetectDefault": ("REG_DWORD", 1),
    "DontAddDefaultGatewayDefault": ("REG_DWORD", 0),
    "ReservedPorts": ("REG_MULTI_SZ", ["1433-1434", "2869-2869"]),
    "Dhcpv6DUID": ("REG_BINARY", "000100012C8F0C5A00155D012A05"),
    "MaxUserPort": ("REG_DWORD", 65534),
    "TcpTimedWaitDelay": ("REG_DWORD", 30),
    "BigCounter": ("REG_QWORD", 2 ** 32),
    "EmptyList": ("REG_MULTI_SZ", []),
    "Note": ("REG_SZ", "spaced    out   "),
}


def as_pairs(values):
    return {name: (value.type, value.value) for name, value in values.items()}


@pytest.mark.parametrize(
    "text, expected",
    [
        (MAX_USER_PORT, {"MaxUserPort": ("REG_DWORD", 65534)}),
        (TIMED_WAIT_DELAY, {"TcpTimedWaitDelay": ("REG_DWORD", 30)}),
        (WINE_WHOLE_KEY, {"Test1": ("REG_SZ", "Hello, World"), "Test2": ("REG_DWORD", 0x123), "Wine": ("REG_SZ", "First instance")}),
        (WINE_ONLY_SUBKEYS, {}),
        (TCPIP_PARAMETERS, TCPIP_PARAMETERS_EXPECTED),
        ("", {}),
        ("\r\n", {}),
    ],
    ids=["max-user-port", "timed-wait-delay", "wine-whole-key", "wine-only-subkeys", "tcpip-parameters-built", "empty", "lone-crlf"],
)
def test_samples(text, expected):
    assert as_pairs(parse_reg_query(text)) == expected


def test_values_keep_printed_order():
    assert list(parse_reg_query(TCPIP_PARAMETERS))[:3] == ["NV HostName", "DataBasePath", "NameServer"]


@pytest.mark.parametrize(
    "transform",
    [
        lambda text: text.replace("\r\n", "\n"),
        lambda text: text.strip(),
        lambda text: "\ufeff" + text,
        lambda text: text.replace("\r\n", "\r\r\n"),
    ],
    ids=["lf", "strip", "bom", "cr-cr-lf"],
)
def test_line_end_variants(transform):
    assert as_pairs(parse_reg_query(transform(WINE_WHOLE_KEY))) == as_pairs(parse_reg_query(WINE_WHOLE_KEY))


def test_stripped_trailing_spaces_only_touch_string_data():
    stripped = "\r\n".join(line.rstrip() for line in TCPIP_PARAMETERS.split("\r\n"))
    expected = dict(TCPIP_PARAMETERS_EXPECTED, Note=("REG_SZ", "spaced    out"))
    assert as_pairs(parse_reg_query(stripped)) == expected


@pytest.mark.parametrize(
    "data, expected",
    [
        ("0x0", 0),
        ("0xa", 10),
        ("0x78", 120),
        ("0x1cf9", 7417),
        ("0xFFFFFFFF", 4294967295),
    ],
)
def test_dword_hex(data, expected):
    assert parse_reg_query("    V    REG_DWORD    " + data + "\r\n")["V"].value == expected


def test_multi_sz_single_item_and_digit_after_separator():
    # reg joins items with a literal backslash-zero; an item may start with a digit ("\\08.8.8.8").
    values = parse_reg_query("    Forwarders    REG_MULTI_SZ    1.1.1.1\\08.8.8.8\r\n    One    REG_MULTI_SZ    only\r\n")
    assert values["Forwarders"].value == ["1.1.1.1", "8.8.8.8"]
    assert values["One"].value == ["only"]


def test_default_value_and_unknown_types_are_kept_as_printed():
    values = parse_reg_query("\r\nHKEY_CURRENT_USER\\x\r\n    (Standard)    REG_SZ    v\r\n    N    REG_NONE    \r\n    L    REG_LINK    target\r\n")
    assert as_pairs(values) == {"(Standard)": ("REG_SZ", "v"), "N": ("REG_NONE", ""), "L": ("REG_LINK", "target")}


def test_to_dict_and_case_insensitive_lookup():
    values = parse_reg_query("    maxuserport    REG_DWORD    0x1388\r\n    List    REG_MULTI_SZ    a\\0b\r\n")
    assert values["maxuserport"].to_dict() == {"type": "REG_DWORD", "value": 5000}
    assert find_registry_value(values, "MaxUserPort") == ParsedRegistryValue("REG_DWORD", 5000)
    assert find_registry_value(values, "TcpTimedWaitDelay") is None
    assert values["List"].to_dict() == {"type": "REG_MULTI_SZ", "value": ["a", "b"]}


def test_bytes_and_lines_input():
    assert as_pairs(parse_reg_query(MAX_USER_PORT.encode("cp437"))) == {"MaxUserPort": ("REG_DWORD", 65534)}
    assert as_pairs(parse_reg_query(MAX_USER_PORT.split("\r\n"))) == {"MaxUserPort": ("REG_DWORD", 65534)}


RECURSIVE = (
    "\r\n" + KEY + "\r\n    MaxUserPort    REG_DWORD    0xfffe\r\n\r\n"
    + KEY + "\\Winsock\r\n    UseDelayedAcceptance    REG_DWORD    0x0\r\n\r\n"
)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("ERROR: The system was unable to find the specified registry key or value.\r\n", "neither a key path"),
        ("ERROR: Invalid key name.\r\nType \"REG QUERY /?\" for usage.\r\n", "neither a key path"),
        ("The operation completed successfully.\r\n\r\n", "neither a key path"),
        ("\r\n" + KEY + "\r\n  MaxUserPort  REG_DWORD  0xfffe\r\n", "neither a key path"),
        ("\r\n" + KEY + "\r\n    MaxUserPort    DWORD    0xfffe\r\n", "neither a key path"),
        (RECURSIVE, "more than one key"),
        ("    V    REG_DWORD    65534\r\n", "is not 0x<hex>"),
        ("    V    REG_DWORD    0xZZ\r\n", "is not 0x<hex>"),
        ("    V    REG_DWORD\r\n", "is not 0x<hex>"),
        ("    V    REG_QWORD    12\r\n", "is not 0x<hex>"),
        ("    V    REG_BINARY    0G\r\n", "is not hex bytes"),
        ("    V    REG_BINARY    ABC\r\n", "is not hex bytes"),
        ("    V    REG_SZ    a\r\n    V    REG_SZ    b\r\n", "listed twice"),
    ],
    ids=[
        "not-found", "invalid-key", "add-success", "two-space-indent", "type-not-reg", "recursive", "dword-decimal", "dword-bad-hex",
        "dword-empty", "qword-decimal", "binary-not-hex", "binary-odd", "duplicate",
    ],
)
def test_garbage_raises_parse_error(text, reason):
    with pytest.raises(ParseError) as info:
        parse_reg_query(text)
    assert reason in info.value.reason
    assert info.value.parser == "parse_reg_query"
    assert info.value.line_number is not None


def test_error_names_the_offending_line():
    with pytest.raises(ParseError) as info:
        parse_reg_query(RECURSIVE)
    assert info.value.line_number == 6
    assert info.value.excerpt == "    UseDelayedAcceptance    REG_DWORD    0x0"
