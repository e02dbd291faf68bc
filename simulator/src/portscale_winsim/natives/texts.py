# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every fixed text a native command prints, per locale, with its confidence mark and source (docs/windows-facts.md §0 marks).

What is a byte-for-byte copy of a public capture and what is not is in each entry's mark: OBS-H parts were seen
verbatim in a real capture (bytes included only where the capture keeps them, e.g. the trailing spaces of the English
excludedportrange table); OBS-M and DOC parts come from a likely-real paste or from Microsoft's prose; INF parts (often
the trailing blank lines, and every entry marked only INF) are inferred and not a copy of anything.
A locale missing from ``samples`` means the simulator has no text for it: the command fails loudly
(SIMULATOR-UNSUPPORTED) instead of inventing a translation. An English text is present even when it is only inferred
(marked INF). ``"*"`` marks texts with no translatable words (numbers, paths, type names).
``markdown_table()`` renders this catalogue as the provenance table for docs/simulator.md.
"""

from __future__ import annotations

import dataclasses

ANY_LOCALE = "*"


@dataclasses.dataclass(frozen=True)
class Text:
    """One message: templates per locale (``str.format`` fields), the stream, the exit code it goes with, provenance."""

    stream: str
    exit_code: int
    samples: dict[str, str]
    mark: str
    source: str


_DASHES = "-" * 33

TEXTS: dict[str, Text] = {
    # ---------------------------------------------------------------- netsh
    "netsh.dynamicport": Text("stdout", 0, {
        "en-US": "\r\nProtocol {proto} Dynamic Port Range\r\n" + _DASHES + "\r\nStart Port      : {start}\r\nNumber of Ports : {count}\r\n\r\n",
        # Dash count for fr-FR is uncertain (33 in DataDog's fixture, 43 elsewhere); 33 chosen (the more mature source).
        "fr-FR": ("\r\nPlage de ports dynamique du protocole {proto}\r\n" + _DASHES
                  + "\r\nPort de d\u00e9marrage   : {start}\r\nNombre de ports     : {count}\r\n\r\n"),
    }, "OBS-H (en-US; its trailing blank line OBS-M); OBS-M (fr-FR, dash count uncertain)",
       "docs/windows-facts.md §1.2, §1.3; still printed by 10.0.26200.8246 (microsoft/WSL#40984, OBS-M paste)"),
    # Windows 11 25H2 10.0.26200.8875 (microsoft/WSL#40984, Liumingxun's paste): labels padded to a colon at column 18,
    # `Start Port        : 1024` / `Number of Ports   : 13977`, same title and 33-dash line. The paste has no blank lines
    # around the block, but pastes of the classic layout drop them too (the same thread's 26200.8246 paste has none, while
    # the runner-images Packer log shows both, docs/windows-facts.md §1.2), so the classic framing is kept [INF].
    "netsh.dynamicport.wide": Text("stdout", 0, {
        "en-US": "\r\nProtocol {proto} Dynamic Port Range\r\n" + _DASHES + "\r\nStart Port        : {start}\r\nNumber of Ports   : {count}\r\n\r\n",
    }, "OBS-H (title, dash line, labels and their padding); INF (leading and trailing blank lines, CRLF)",
       "microsoft/WSL#40984 (Windows 10.0.26200.8875); docs/windows-facts.md §1.2"),
    "netsh.excluded.header": Text("stdout", 0, {
        "en-US": "\r\nProtocol {proto} Port Exclusion Ranges\r\n\r\nStart Port    End Port      \r\n----------    --------      \r\n",
        # de/zh copies lost trailing spaces like most copies of the English one; padded to 28 columns like en-US [INF].
        "de-DE": "\r\nPortausschlussbereiche f\u00fcr das Protokoll \"{proto}\"\r\n\r\nStartport      Endport      \r\n----------    --------      \r\n",
        "zh-CN": ("\r\n\u534f\u8bae {proto} \u7aef\u53e3\u6392\u9664\u8303\u56f4\r\n\r\n"
                  "\u5f00\u59cb\u7aef\u53e3    \u7ed3\u675f\u7aef\u53e3      \r\n----------    --------      \r\n"),
    }, "OBS-H (en-US); OBS-M (de-DE, zh-CN; their trailing spaces INF)", "docs/windows-facts.md §3.2, §3.3"),
    "netsh.excluded.row": Text("stdout", 0, {ANY_LOCALE: "{start:10d}  {end:10d}     {flag}\r\n"}, "OBS-H",
                               "docs/windows-facts.md §3.2 (same columns in every language, §3.3)"),
    "netsh.excluded.footer": Text("stdout", 0, {
        "en-US": "\r\n* - Administered port exclusions.\r\n\r\n",
        "de-DE": "\r\n* - Verwaltete Portausschl\u00fcsse.\r\n\r\n",
        "zh-CN": "\r\n* - \u7ba1\u7406\u7684\u7aef\u53e3\u6392\u9664\u3002\r\n\r\n",
    }, "OBS-H (en-US); OBS-M (de-DE, zh-CN); final blank line INF", "docs/windows-facts.md §3.2, §3.3"),
    "netsh.ok": Text("stdout", 0, {"en-US": "Ok.\r\n\r\n"}, "OBS-H", "docs/windows-facts.md §2.2, §3.4"),
    "netsh.elevation": Text("stdout", 1, {"en-US": "The requested operation requires elevation (Run as administrator).\r\n\r\n"},
                            "OBS-M text, INF trailing CRLFs", "docs/windows-facts.md §1.4, §2.4"),
    "netsh.parameter_incorrect": Text("stdout", 1, {"en-US": "The parameter is incorrect.\r\n\r\n"}, "INF", "docs/windows-facts.md §2.4"),
    "netsh.syntax": Text("stdout", 1, {"en-US": "The syntax supplied for this command is not valid. Check help for the correct syntax.\r\n\r\n"},
                         "OBS-M text, INF trailing CRLFs and exit code", "docs/windows-facts.md §2.4"),
    "netsh.not_found": Text("stdout", 1, {"en-US": "The following command was not found: {rest}.\r\n"},
                            "OBS-M text, INF trailing CRLF", "docs/windows-facts.md §2.4"),
    "netsh.in_use": Text("stdout", 1, {"en-US": "The process cannot access the file because it is being used by another process.\r\n\r\n"},
                         "DOC text, INF trailing CRLFs and exit code", "docs/windows-facts.md §3.4"),
    "netsh.access_denied": Text("stdout", 1, {"en-US": "Access is denied.\r\n\r\n"}, "INF", "docs/windows-facts.md §3.4"),
    "netsh.element_not_found": Text("stdout", 1, {"en-US": "Element not found.\r\n\r\n"}, "INF", "docs/windows-facts.md §3.4"),
    # ---------------------------------------------------------------- reg
    "reg.key_header": Text("stdout", 0, {ANY_LOCALE: "\r\n{path}\r\n"}, "OBS-H", "docs/windows-facts.md §4.1, §4.3 (Wine query.c)"),
    "reg.value_line": Text("stdout", 0, {ANY_LOCALE: "    {name}    {type}    {data}\r\n"}, "OBS-H (INF for empty REG_SZ trailing spaces)",
                           "docs/windows-facts.md §4.1"),
    "reg.subkey_line": Text("stdout", 0, {ANY_LOCALE: "{path}\r\n"}, "OBS-H", "docs/windows-facts.md §4.3 (Wine test3)"),
    "reg.blank": Text("stdout", 0, {ANY_LOCALE: "\r\n"}, "OBS-H", "docs/windows-facts.md §4.1, §4.3"),
    "reg.ok": Text("stdout", 0, {"en-US": "The operation completed successfully.\r\n\r\n"}, "OBS-M (INF for reg delete)", "docs/windows-facts.md §4.4"),
    "reg.not_found": Text("stderr", 1, {"en-US": "ERROR: The system was unable to find the specified registry key or value.\r\n"},
                          "OBS-H (stdout empty INF)", "docs/windows-facts.md §4.2"),
    "reg.access_denied": Text("stderr", 1, {"en-US": "ERROR: Access is denied.\r\n"}, "OBS-M", "docs/windows-facts.md §4.4"),
    "reg.invalid_key": Text("stderr", 1, {"en-US": "ERROR: Invalid key name.\r\nType \"REG {op} /?\" for usage.\r\n"}, "OBS-M", "docs/windows-facts.md §4.4"),
    "reg.invalid_syntax": Text("stderr", 1, {"en-US": "ERROR: Invalid syntax.\r\nType \"REG {op} /?\" for usage.\r\n"},
                               "INF (pattern of the OBS-M invalid-key text)", "docs/windows-facts.md §4.4"),
    # ---------------------------------------------------------------- netstat
    "netstat.title": Text("stdout", 0, {
        "en-US": "\r\nActive Connections\r\n\r\n",
        "de-DE": "\r\nAktive Verbindungen\r\n\r\n",
        "zh-CN": "\r\n\u6d3b\u52a8\u8fde\u63a5\r\n\r\n",
    }, "OBS-H (en-US, de-DE); INF (zh-CN title, not in FACTS)", "docs/windows-facts.md §6.1"),
    "netstat.header": Text("stdout", 0, {
        "en-US": "  Proto  Local Address          Foreign Address        State           PID\r\n",
        "de-DE": "  Proto  Lokale Adresse         Remoteadresse          Status           PID\r\n",
        "zh-CN": "  \u534f\u8bae  \u672c\u5730\u5730\u5740          \u5916\u90e8\u5730\u5740        \u72b6\u6001           PID\r\n",
    }, "OBS-H (en-US, de-DE); OBS-M (zh-CN)", "docs/windows-facts.md §6.1"),
    "netstat.row": Text("stdout", 0, {ANY_LOCALE: "  {proto:<5}  {local:<22} {remote:<22} {state:<15} {pid}\r\n"}, "OBS-H", "docs/windows-facts.md §6.1"),
    "netstat.usage": Text("stdout", 1, {"en-US": (
        "\r\nDisplays protocol statistics and current TCP/IP network connections.\r\n\r\n"
        "NETSTAT [-a] [-b] [-e] [-f] [-n] [-o] [-p proto] {q_usage}[-r] [-s] [-t] [interval]\r\n\r\n"
        "  -a            Displays all connections and listening ports.\r\n"
        "  -n            Displays addresses and port numbers in numerical form.\r\n"
        "  -o            Displays the owning process ID associated with each connection.\r\n"
        "  -p proto      Shows connections for the protocol specified by proto; proto\r\n"
        "                may be any of: TCP, UDP, TCPv6, or UDPv6.\r\n"
        "{q_help}"
        "\r\n")}, "INF (abridged reconstruction of netstat /?)", "brief; docs/windows-facts.md §6.1 lists the options"),
    # ---------------------------------------------------------------- net.exe (service control)
    "net.stopped": Text("stdout", 0, {"en-US": "The {display} service was stopped successfully.\r\n\r\n"}, "INF", "usual net.exe text"),
    "net.started": Text("stdout", 0, {"en-US": "The {display} service was started successfully.\r\n\r\n"}, "INF", "usual net.exe text"),
    "net.not_started": Text("stderr", 2, {"en-US": "The {display} service is not started.\r\n\r\n"
                                                   "More help is available by typing NET HELPMSG 3521.\r\n\r\n"},
                            "INF", "usual net.exe text"),
    "net.already_started": Text("stderr", 2, {"en-US": "The requested service has already been started.\r\n\r\n"
                                                       "More help is available by typing NET HELPMSG 2182.\r\n\r\n"}, "INF", "usual net.exe text"),
    "net.invalid_service": Text("stderr", 2, {"en-US": "The service name is invalid.\r\n\r\nMore help is available by typing NET HELPMSG 2185.\r\n\r\n"},
                                "INF", "usual net.exe text"),
    "net.access_denied": Text("stderr", 2, {"en-US": "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n"}, "INF", "usual net.exe text"),
    # ---------------------------------------------------------------- hostname, whoami, shutdown
    "hostname": Text("stdout", 0, {ANY_LOCALE: "{hostname}\r\n"}, "INF", "standard hostname.exe behaviour"),
    "whoami": Text("stdout", 0, {ANY_LOCALE: "{user}\r\n"}, "INF (lower-case domain\\user)", "standard whoami.exe behaviour"),
    # The groups of the token WinRM/OpenSSH give a local administrator: elevated (full token) or UAC-filtered. SIDs [DOC:
    # Microsoft "Well-known SIDs"; S-1-16-12288 High and S-1-16-8192 Medium Mandatory Level]; CSV columns name, type,
    # SID, attributes [DOC: whoami /fo csv]; names and attribute words as in English captures and test fixtures [INF].
    "whoami.groups.elevated": Text("stdout", 0, {"en-US": (
        '"Everyone","Well-known group","S-1-1-0","Mandatory group, Enabled by default, Enabled group"\r\n'
        '"NT AUTHORITY\\Local account and member of Administrators group","Well-known group","S-1-5-114",'
        '"Mandatory group, Enabled by default, Enabled group"\r\n'
        '"BUILTIN\\Administrators","Alias","S-1-5-32-544","Mandatory group, Enabled by default, Enabled group, Group owner"\r\n'
        '"BUILTIN\\Users","Alias","S-1-5-32-545","Mandatory group, Enabled by default, Enabled group"\r\n'
        '"NT AUTHORITY\\NETWORK","Well-known group","S-1-5-2","Mandatory group, Enabled by default, Enabled group"\r\n'
        '"NT AUTHORITY\\Authenticated Users","Well-known group","S-1-5-11","Mandatory group, Enabled by default, Enabled group"\r\n'
        '"NT AUTHORITY\\This Organization","Well-known group","S-1-5-15","Mandatory group, Enabled by default, Enabled group"\r\n'
        '"NT AUTHORITY\\Local account","Well-known group","S-1-5-113","Mandatory group, Enabled by default, Enabled group"\r\n'
        '"Mandatory Label\\High Mandatory Level","Label","S-1-16-12288",""\r\n')},
        "INF (rows and words); DOC (SIDs, CSV columns)", "Microsoft Well-known SIDs; whoami /fo csv"),
    "whoami.groups.filtered": Text("stdout", 0, {"en-US": (
        '"Everyone","Well-known group","S-1-1-0","Mandatory group, Enabled by default, Enabled group"\r\n'
        '"NT AUTHORITY\\Local account and member of Administrators group","Well-known group","S-1-5-114","Group used for deny only"\r\n'
        '"BUILTIN\\Administrators","Alias","S-1-5-32-544","Group used for deny only"\r\n'
        '"BUILTIN\\Users","Alias","S-1-5-32-545","Mandatory group, Enabled by default, Enabled group"\r\n'
        '"NT AUTHORITY\\NETWORK","Well-known group","S-1-5-2","Mandatory group, Enabled by default, Enabled group"\r\n'
        '"NT AUTHORITY\\Authenticated Users","Well-known group","S-1-5-11","Mandatory group, Enabled by default, Enabled group"\r\n'
        '"NT AUTHORITY\\This Organization","Well-known group","S-1-5-15","Mandatory group, Enabled by default, Enabled group"\r\n'
        '"NT AUTHORITY\\Local account","Well-known group","S-1-5-113","Mandatory group, Enabled by default, Enabled group"\r\n'
        '"Mandatory Label\\Medium Mandatory Level","Label","S-1-16-8192",""\r\n')},
        "INF (rows and words); DOC (SIDs, CSV columns)", "Microsoft Well-known SIDs; whoami /fo csv"),
    "chcp.active": Text("stdout", 0, {"en-US": "Active code page: {codepage}\r\n"}, "OBS-M (text); INF (CRLF)",
                        "php/php-src Windows tests (ext/standard/tests/file/windows_mb_path, EXPECTF 'Active code page: 65001')"),
    "shutdown.scheduled": Text("stdout", 0, {ANY_LOCALE: ""}, "INF (shutdown /r prints nothing on success)", "ansible.windows win_reboot"),
    "shutdown.already": Text("stderr", 1190, {"en-US": "{host}: A system shutdown has already been scheduled.(1190)\r\n"},
                             "INF (win_reboot keys on exit code 1190)", "ansible.windows win_reboot"),
    "shutdown.nothing_to_abort": Text("stderr", 1116, {"en-US": "{host}: Unable to abort the system shutdown because no shutdown was in progress.(1116)\r\n"},
                                      "INF", "Win32 error 1116 text"),
    "shutdown.access_denied": Text("stderr", 5, {"en-US": "{host}: Access is denied.(5)\r\n"}, "INF", "Win32 error 5 text"),
    # ---------------------------------------------------------------- wevtutil qe System /f:xml (Tcpip events)
    # One event of the classic provider Tcpip as EvtRender prints it. The elements and their values are those of the 4227
    # in microsoft/AL#4468 (Event Viewer's "Event Xml" of a Tcpip 4227: <Provider Name="Tcpip" />, <EventID
    # Qualifiers="32768">, <Level>3</Level>, <Task>0</Task>, <Keywords>0x80000000000000</Keywords>, a SystemTime with 9
    # fractional digits, <Channel>System</Channel>, <Security />, an empty <Data>) [OBS-M]; the single line with single-quoted
    # attributes and no whitespace is how the Event Log API renders event XML for wevtutil and log shippers [OBS-M: such
    # single-line System-log events in log shippers' test data]; the 4231's Qualifiers and Level, the CRLF after each event
    # and the closing of EventData are inferred [INF]. Nothing in it is localized: no message is rendered with /f:xml.
    "wevtutil.event": Text("stdout", 0, {ANY_LOCALE: (
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Tcpip'/>"
        "<EventID Qualifiers='{qualifiers}'>{event_id}</EventID><Level>{level}</Level><Task>0</Task>"
        "<Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='{system_time}'/><EventRecordID>{record_id}</EventRecordID>"
        "<Channel>System</Channel><Security/></System><EventData><Data></Data></EventData></Event>\r\n")},
        "OBS-M (elements and values of a Tcpip 4227); INF (single-line layout for this provider, 4231's Qualifiers and Level, CRLF)",
        "microsoft/AL#4468 (Event Viewer XML of Tcpip 4227); Microsoft \"Troubleshoot port exhaustion issues\" (4227, 4231)"),
    "wevtutil.access_denied": Text("stderr", 5, {"en-US": "Failed to read events. Access is denied.\r\n"},
                                   "INF (text and exit code = the Win32 error)", "wevtutil error pattern 'Failed to ...' ; Win32 error 5 text"),
    # ---------------------------------------------------------------- tasklist /fo csv /nh
    # CSV starts at the first byte with no blank line and no stderr, exit 0 [OBS-H: Wine's tasklist conformance test, which
    # also runs on Windows, wine-mirror/wine programs/tasklist/tests/tasklist.c test_format]; quoted image, PID, session name,
    # session number and "N K" memory with thousands separators, "System Idle Process","0","Services","0","8 K" first
    # [OBS-M: console pastes of tasklist /fo csv on Windows 10/11; the zh-CN table of yanquer/YQ-Rest-Doc
    # (tasklist.rst) keeps "Services" and "3,568 K" untranslated]; CRLF [INF].
    "tasklist.row": Text("stdout", 0, {
        "en-US": '"{image}","{pid}","{session}","{session_no}","{mem:,} K"\r\n',
        "zh-CN": '"{image}","{pid}","{session}","{session_no}","{mem:,} K"\r\n',
    }, "OBS-M (columns, quoting, en-US and zh-CN memory figures); INF (CRLF, the simulated processes)",
       "wine-mirror/wine programs/tasklist/tests/tasklist.c; yanquer/YQ-Rest-Doc tasklist.rst (zh-CN)"),
}


class Unsupported(Exception):
    """The simulator has no real sample for this output (or does not model this command): fail loudly."""


def render(key: str, locale: str, **fields) -> str:
    """The text for ``key`` in ``locale``; raise Unsupported when the catalogue has no text for that locale."""
    text = TEXTS[key]
    template = text.samples.get(locale, text.samples.get(ANY_LOCALE))
    if template is None:
        raise Unsupported(f"no real sample of '{key}' for locale {locale}")
    return template.format(**fields)


def markdown_table() -> str:
    """The provenance table (one row per text) for the simulator docs."""
    lines = ["| Text | Locales | Stream | Exit | Confidence | Source |", "|---|---|---|---|---|---|"]
    for key, text in TEXTS.items():
        locales = ", ".join("any" if loc == ANY_LOCALE else loc for loc in text.samples)
        lines.append(f"| `{key}` | {locales} | {text.stream} | {text.exit_code} | {text.mark} | {text.source} |")
    return "\n".join(lines)
