# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Windows prints for the commands the engine sends: docs/windows-facts.md literals, and renderers that reproduce them.

The literals are copied byte for byte from docs/windows-facts.md (confidence mark next to each). The renderers build the same
layouts for other numbers; the fake host (fake_host.py) answers with them, and test_snapshot.py checks that each
renderer reproduces the FACTS literal exactly, so the fake host cannot drift away from what Windows prints.
"""

from __future__ import annotations

import unicodedata

TCPIP_KEY_LONG = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"
OS_VERSION_KEY_LONG = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
# The boot identity's key and the collection's own key, as reg prints them (the §4.1 layout).
BOOT_ID_KEY_LONG = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management\\PrefetchParameters"
MARKER_KEY_LONG = "HKEY_LOCAL_MACHINE\\SOFTWARE\\portscale.tcpip"

# §1.2 [OBS-H]: default range, English; the ipv6 variant prints the same text.
DYNAMIC_TCP = "\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n"
DYNAMIC_UDP = "\r\nProtocol udp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 49152\r\nNumber of Ports : 16384\r\n\r\n"
# §1.2 [OBS-H]: a range an installer widened to 1024 (below the netsh minimum for setting).
DYNAMIC_TCP_WIDENED = "\r\nProtocol tcp Dynamic Port Range\r\n---------------------------------\r\nStart Port      : 1024\r\nNumber of Ports : 64511\r\n\r\n"
# §1.3 French [OBS-M] (DataDog fixture): labels padded to 20 characters.
DYNAMIC_TCP_FR = (
    "\r\nPlage de ports dynamique du protocole tcp\r\n---------------------------------\r\n"
    "Port de d\u00e9marrage   : 49152\r\nNombre de ports     : 16384\r\n\r\n"
)

# §2.2 [OBS-H]; §2.4 and §3.4 texts (trailing bytes [INF]).
OK = "Ok.\r\n\r\n"
NETSH_ELEVATION = "The requested operation requires elevation (Run as administrator).\r\n\r\n"
NETSH_BAD_PARAMETER = "The parameter is incorrect.\r\n\r\n"
PORT_IN_USE = "The process cannot access the file because it is being used by another process.\r\n\r\n"
ELEMENT_NOT_FOUND = "Element not found.\r\n\r\n"          # [INF]
ACCESS_DENIED = "Access is denied.\r\n\r\n"               # [INF]

# §3.2 [OBS-H]: GitHub Actions runner; every table line carries trailing spaces.
EXCLUDED_TCP = (
    "\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port      \r\n----------    --------      \r\n"
    "        80          80      \r\n"
    "      5986        5986      \r\n"
    "     47001       47001      \r\n"
    "     56638       56737      \r\n"
    "     56738       56837      \r\n"
    "\r\n* - Administered port exclusions.\r\n\r\n"
)
EXCLUDED_TCP_ROWS = [(80, 80, False), (5986, 5986, False), (47001, 47001, False), (56638, 56737, False), (56738, 56837, False)]
# §3.2 [OBS-H]: the same runner after `add excludedportrange protocol=tcp startport=55679 numberofports=1`.
EXCLUDED_TCP_ADMINISTERED = (
    "\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port      \r\n----------    --------      \r\n"
    "        80          80      \r\n"
    "      5986        5986      \r\n"
    "     47001       47001      \r\n"
    "     55679       55679     *\r\n"
    "\r\n* - Administered port exclusions.\r\n\r\n"
)
EXCLUDED_TCP_ADMINISTERED_ROWS = [(80, 80, False), (5986, 5986, False), (47001, 47001, False), (55679, 55679, True)]
# §3.3 German [OBS-M, two captures agree], as pasted (no trailing spaces).
EXCLUDED_TCP_DE = (
    "\r\nPortausschlussbereiche f\u00fcr das Protokoll \"tcp\"\r\n\r\n"
    "Startport      Endport\r\n"
    "----------    --------\r\n"
    "     28380       28380\r\n"
    "     49711       49810\r\n"
    "     50000       50059     *\r\n"
    "\r\n* - Verwaltete Portausschl\u00fcsse.\r\n"
)
EXCLUDED_TCP_DE_ROWS = [(28380, 28380, False), (49711, 49810, False), (50000, 50059, True)]
# §3.3 Chinese [OBS-M]: title, blank, headers, dash line, rows, blank, footnote.
EXCLUDED_TCP_ZH = (
    "\r\n\u534f\u8bae tcp \u7aef\u53e3\u6392\u9664\u8303\u56f4\r\n\r\n"
    "\u5f00\u59cb\u7aef\u53e3    \u7ed3\u675f\u7aef\u53e3\r\n"
    "----------    --------\r\n"
    "      1080        1179      \r\n"
    "      5357        5357      \r\n"
    "     50000       50059     *\r\n"
    "\r\n* - \u7ba1\u7406\u7684\u7aef\u53e3\u6392\u9664\u3002\r\n\r\n"
)
EXCLUDED_TCP_ZH_ROWS = [(1080, 1179, False), (5357, 5357, False), (50000, 50059, True)]

# §4.1 [OBS-H layout, Wine]: single values.
REG_MAX_USER_PORT = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\r\n    MaxUserPort    REG_DWORD    0xfffe\r\n\r\n"
REG_TIMED_WAIT_DELAY = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\r\n    TcpTimedWaitDelay    REG_DWORD    0x1e\r\n\r\n"
# §4.2 [OBS-H] (stderr, exit 1); §4.4 [OBS-M].
REG_NOT_FOUND = "ERROR: The system was unable to find the specified registry key or value.\r\n"
REG_OK = "The operation completed successfully.\r\n\r\n"
REG_ACCESS_DENIED = "ERROR: Access is denied.\r\n"

# §6.1 [OBS-H].
NETSTAT = (
    "\r\nActive Connections\r\n\r\n"
    "  Proto  Local Address          Foreign Address        State           PID\r\n"
    "  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1044\r\n"
    "  TCP    127.0.0.1:52346        127.0.0.1:18081        TIME_WAIT       0\r\n"
    "  TCP    [::]:135               [::]:0                 LISTENING       1044\r\n"
    "  UDP    0.0.0.0:5353           *:*                                    3204\r\n"
)
NETSTAT_ROWS = [
    ("TCP", "0.0.0.0:135", "0.0.0.0:0", "LISTENING", "1044"),
    ("TCP", "127.0.0.1:52346", "127.0.0.1:18081", "TIME_WAIT", "0"),
    ("TCP", "[::]:135", "[::]:0", "LISTENING", "1044"),
    ("UDP", "0.0.0.0:5353", "*:*", "", "3204"),
]
# What a netstat that does not know a switch prints instead of the table (its usage text starts like this) [INF].
NETSTAT_USAGE = ("\r\nDisplays protocol statistics and current TCP/IP network connections.\r\n\r\n"
                 "NETSTAT [-a] [-b] [-e] [-f] [-n] [-o] [-p proto] [-r] [-s] [-t] [interval]\r\n\r\n"
                 "  -a            Displays all connections and listening ports.\r\n"
                 "  -n            Displays addresses and port numbers in numerical form.\r\n"
                 "  -o            Displays the owning process ID associated with each connection.\r\n")
NETSTAT_ROW_FORMAT = "  %-5s  %-22s %-22s %-15s %s"

# Windows builds (CurrentBuildNumber) the tests use.
BUILD_2003 = 3790
BUILD_2012 = 9200
BUILD_2012_R2 = 9600
BUILD_2022 = 20348


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def _pad(label: str, width: int) -> str:
    return label + " " * (width - _display_width(label))


# Per locale: title (with the protocol), start label, count label, and the column the colon sits at (docs/windows-facts.md §1.2/§1.3).
_DYNAMIC_LAYOUTS = {
    "en-US": ("Protocol {p} Dynamic Port Range", "Start Port", "Number of Ports", 16),
    "fr-FR": ("Plage de ports dynamique du protocole {p}", "Port de d\u00e9marrage", "Nombre de ports", 20),
    # CJK pads by display width [OBS-M rule, §1.3]; the words are built from the layout rules, not a capture.
    "zh-CN": ("\u534f\u8bae {p} \u52a8\u6001\u7aef\u53e3\u8303\u56f4", "\u542f\u52a8\u7aef\u53e3", "\u7aef\u53e3\u6570", 16),
}


def dynamic_port_text(protocol: str, start: int, count: int, locale: str = "en-US") -> str:
    """``netsh int ipvX show dynamicport <protocol>`` (§1.2 layout)."""
    title, start_label, count_label, column = _DYNAMIC_LAYOUTS[locale]
    return (f"\r\n{title.format(p=protocol)}\r\n{'-' * 33}\r\n"
            f"{_pad(start_label, column)}: {start}\r\n{_pad(count_label, column)}: {count}\r\n\r\n")


def _exclusion_row(start: int, end: int, administered: bool, trailing: bool) -> str:
    text = "%10d  %10d     %s" % (start, end, "*" if administered else " ")
    return (text if trailing else text.rstrip()) + "\r\n"


def exclusion_table_text(protocol: str, rows: list[tuple[int, int, bool]], locale: str = "en-US") -> str:
    """``netsh int ipvX show excludedportrange protocol=<protocol>`` (§3.2 byte layout, §3.3 localized tables)."""
    if locale == "en-US":
        head = (f"\r\nProtocol {protocol} Port Exclusion Ranges\r\n\r\nStart Port    End Port      \r\n"
                "----------    --------      \r\n")
        return head + "".join(_exclusion_row(*row, trailing=True) for row in rows) + "\r\n* - Administered port exclusions.\r\n\r\n"
    if locale == "de-DE":
        head = f"\r\nPortausschlussbereiche f\u00fcr das Protokoll \"{protocol}\"\r\n\r\nStartport      Endport\r\n----------    --------\r\n"
        return head + "".join(_exclusion_row(*row, trailing=False) for row in rows) + "\r\n* - Verwaltete Portausschl\u00fcsse.\r\n"
    if locale == "zh-CN":
        head = (f"\r\n\u534f\u8bae {protocol} \u7aef\u53e3\u6392\u9664\u8303\u56f4\r\n\r\n"
                "\u5f00\u59cb\u7aef\u53e3    \u7ed3\u675f\u7aef\u53e3\r\n----------    --------\r\n")
        return head + "".join(_exclusion_row(*row, trailing=True) for row in rows) + "\r\n* - \u7ba1\u7406\u7684\u7aef\u53e3\u6392\u9664\u3002\r\n\r\n"
    raise ValueError(f"no exclusion table sample for {locale}")


def reg_query_text(key_long: str, values: list[tuple[str, str, str]], subkeys: tuple[str, ...] = ()) -> str:
    """``reg query <key>`` (§4.1, §4.3): blank line, key, value lines, blank line, then subkey paths."""
    text = f"\r\n{key_long}\r\n" + "".join(f"    {name}    {kind}    {data}\r\n" for name, kind, data in values) + "\r\n"
    return text + "".join(f"{key_long}\\{subkey}\r\n" for subkey in subkeys)


def os_build_text(build: int) -> str:
    """``reg query "HKLM\\...\\Windows NT\\CurrentVersion" /v CurrentBuildNumber`` (§4.1 layout; the value is a REG_SZ [INF])."""
    return reg_query_text(OS_VERSION_KEY_LONG, [("CurrentBuildNumber", "REG_SZ", str(build))])


def netstat_text(rows: list[tuple[str, str, str, str, str]]) -> str:
    """``netstat -ano`` (§6.1): title, header and one printf-formatted line per row."""
    header = NETSTAT_ROW_FORMAT % ("Proto", "Local Address", "Foreign Address", "State", "PID")
    return "\r\nActive Connections\r\n\r\n" + header + "\r\n" + "".join((NETSTAT_ROW_FORMAT % row) + "\r\n" for row in rows)


def whoami_groups_text(elevated: bool) -> str:
    """``whoami /groups /fo csv /nh`` of a local administrator over WinRM: the full token (High Mandatory Level) or the
    UAC-filtered one (Medium). The SIDs are documented (Microsoft, Well-known SIDs); names and attributes [INF]."""
    level = '"Mandatory Label\\High Mandatory Level","Label","S-1-16-12288",""' if elevated else \
        '"Mandatory Label\\Medium Mandatory Level","Label","S-1-16-8192",""'
    admins = "Mandatory group, Enabled by default, Enabled group, Group owner" if elevated else "Group used for deny only"
    return ('"Everyone","Well-known group","S-1-1-0","Mandatory group, Enabled by default, Enabled group"\r\n'
            f'"BUILTIN\\Administrators","Alias","S-1-5-32-544","{admins}"\r\n'
            '"BUILTIN\\Users","Alias","S-1-5-32-545","Mandatory group, Enabled by default, Enabled group"\r\n'
            f"{level}\r\n")


# ---------------------------------------------------------------------------------------------------- wevtutil, tasklist
# Public captures for the wevtutil and tasklist parsers (issue 17). What each one is and how far to trust it:
#
# A Tcpip 4227 as Event Viewer's "Event Xml" shows it, pasted in microsoft/AL#4468 (2019-01-16; Business Central on
# docker): the provider, the qualifiers, the SystemTime with 9 fractional digits. The issue text stops after
# "<Data>\n    </Data>" ("And:" follows); the closing "</EventData></Event>" is added [INF]. Indentation as pasted [OBS-M].
TCPIP_4227_EVENT_VIEWER_XML = (
    '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">\n'
    '  <System>\n'
    '    <Provider Name="Tcpip" />\n'
    '    <EventID Qualifiers="32768">4227</EventID>\n'
    '    <Level>3</Level>\n'
    '    <Task>0</Task>\n'
    '    <Keywords>0x80000000000000</Keywords>\n'
    '    <TimeCreated SystemTime="2019-01-16T02:01:10.611477100Z" />\n'
    '    <EventRecordID>14996</EventRecordID>\n'
    '    <Channel>System</Channel>\n'
    '    <Security />\n'
    '  </System>\n'
    '  <EventData>\n'
    '    <Data>\n'
    '    </Data>\n'
    '  </EventData>\n'
    '</Event>\n'
)
# A System-log event as the Event Log API renders it for consumers (EvtRender: one line, single quotes, no whitespace):
# Service Control Manager 7036 from a Chronicle log exporter's Go test data (getRawFieldCases, "String body")
# [OBS-M: real host name WIN-L6PC55MPB98 and binary data; one source].
SCM_7036_RENDERED_XML = (
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Service Control Manager' "
    "Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' EventSourceName='Service Control Manager'/><EventID Qualifiers='16384'>7036"
    "</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8080000000000000</Keywords>"
    "<TimeCreated SystemTime='2024-11-08T18:51:13.504187700Z'/><EventRecordID>3562</EventRecordID><Correlation/>"
    "<Execution ProcessID='604' ThreadID='4792'/><Channel>System</Channel><Computer>WIN-L6PC55MPB98</Computer><Security/>"
    "</System><EventData><Data Name='param1'>Print Spooler</Data><Data Name='param2'>stopped</Data>"
    "<Binary>530070006F006F006C00650072002F0031000000</Binary></EventData></Event>"
)
# open-telemetry/opentelemetry-collector-contrib pkg/stanza/operator/input/windows/testdata/xmlSample.xml: a classic
# provider's event (EventSourceName) with 7 fractional digits, pretty-printed with trailing spaces [OBS-M], byte-exact.
SPP_16384_XML_SAMPLE = (
    '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"> \n'
    '    <System> \n'
    '        <Provider Name="Microsoft-Windows-Security-SPP" Guid="{E23B33B0-C8C9-472C-A5F9-F2BDFEA0F156}" '
    'EventSourceName="Software Protection Platform Service" /> \n'
    '        <EventID Qualifiers="16384">16384</EventID> \n'
    '        <Version>0</Version> \n'
    '        <Level>4</Level> \n'
    '        <Task>0</Task> \n'
    '        <Opcode>0</Opcode> \n'
    '        <Keywords>0x80000000000000</Keywords> \n'
    '        <TimeCreated SystemTime="2022-04-22T10:20:52.3778625Z" /> \n'
    '        <EventRecordID>23401</EventRecordID> \n'
    '        <Correlation /> \n'
    '        <Execution ProcessID="0" ThreadID="0" /> \n'
    '        <Channel>Application</Channel> \n'
    '        <Computer>computer</Computer> \n'
    '        <Security /> \n'
    '    </System> \n'
    '    <EventData> \n'
    '        <Data>2022-04-28T19:48:52Z</Data> \n'
    '        <Data>RulesEngine</Data> \n'
    '    </EventData> \n'
    '</Event>\n'
)
# `tasklist /fo:csv | more` on a Windows 10 lab machine (PowerShell 5.1.19041), pasted in public course notes [OBS-M: the
# rows byte for byte as pasted; the paste lost the CRs, and "-- More --" is more.com's]. With the header, as /nh was not given.
TASKLIST_CSV_CAPTURE = (
    '"Image Name","PID","Session Name","Session#","Mem Usage"\n'
    '"System Idle Process","0","Services","0","8 K"\n'
    '"System","4","Services","0","96 K"\n'
    '"Secure System","72","Services","0","22,332 K"\n'
    '"Registry","132","Services","0","37,876 K"\n'
    '"smss.exe","504","Services","0","964 K"\n'
    '"csrss.exe","876","Services","0","2,940 K"\n'
    '"wininit.exe","452","Services","0","3,712 K"\n'
    '"csrss.exe","576","Console","1","4,948 K"\n'
    '"winlogon.exe","916","Console","1","6,600 K"\n'
    '"services.exe","976","Services","0","7,636 K"\n'
)
# `tasklist /nh /v /fo csv` as a 2018 script documents its input ("typical output looks like") [OBS-M]: nine columns,
# the user and CPU-time columns among them; only columns 1 and 2 are read.
TASKLIST_VERBOSE_CSV = (
    '"System Idle Process","0","Services","0","24 K","Unknown","NT AUTHORITY\\SYSTEM","3751:56:47","N/A"\n'
    '"System","4","Services","0","26,376 K","Unknown","N/A","1:30:10","N/A"\n'
    '"smss.exe","392","Services","0","1,836 K","Unknown","NT AUTHORITY\\SYSTEM","0:00:00","N/A"\n'
)
