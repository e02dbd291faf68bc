# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WS-Management SOAP 1.2 envelopes: parse a request, build responses shaped like Windows' WinRM service."""

from __future__ import annotations

import base64
import dataclasses
import re
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_ADDR = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_MSWSMAN = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
NS_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_FAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
NS_WMIERROR = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError"

ACTION_CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
ACTION_DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
ACTION_COMMAND = NS_SHELL + "/Command"
ACTION_SEND = NS_SHELL + "/Send"
ACTION_RECEIVE = NS_SHELL + "/Receive"
ACTION_SIGNAL = NS_SHELL + "/Signal"
ACTION_GET = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
ACTION_FAULT = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
RESOURCE_CMD = NS_SHELL + "/cmd"
#: The default PowerShell session configuration (Microsoft.PowerShell); its Create carries a PSRP ``creationXml``.
NS_POWERSHELL = "http://schemas.microsoft.com/powershell"
RESOURCE_POWERSHELL = NS_POWERSHELL + "/Microsoft.PowerShell"
#: WS-Man Get targets pypsrp 0.9.1 can send: the service configuration (``WSMan.get_server_config``, for
#: MaxEnvelopeSizekb) and a shell's state (``RunspacePool.is_alive``).
RESOURCE_CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"
RESOURCE_SHELLS = NS_SHELL
NS_CONFIG = RESOURCE_CONFIG

#: Short names used by counters and by action-specific fault injection.
ACTION_NAMES = {
    ACTION_CREATE: "Create",
    ACTION_DELETE: "Delete",
    ACTION_COMMAND: "Command",
    ACTION_SEND: "Send",
    ACTION_RECEIVE: "Receive",
    ACTION_SIGNAL: "Signal",
    ACTION_GET: "Get",
}
RESPONSE_ACTIONS = {
    ACTION_CREATE: ACTION_CREATE + "Response",
    ACTION_DELETE: ACTION_DELETE + "Response",
    ACTION_COMMAND: ACTION_COMMAND + "Response",
    ACTION_SEND: ACTION_SEND + "Response",
    ACTION_RECEIVE: ACTION_RECEIVE + "Response",
    ACTION_SIGNAL: ACTION_SIGNAL + "Response",
    ACTION_GET: ACTION_GET + "Response",
}
STATE_DONE = NS_SHELL + "/CommandState/Done"
STATE_RUNNING = NS_SHELL + "/CommandState/Running"

_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")
DEFAULT_OPERATION_TIMEOUT = 60.0
DEFAULT_MAX_ENVELOPE = 153600
MAX_OPERATION_TIMEOUT = 600.0


class SoapParseError(Exception):
    """The body is not a usable SOAP envelope."""


@dataclasses.dataclass
class WsmanRequest:
    """The parts of a request the server acts on."""

    action: str
    message_id: str
    resource_uri: str
    selectors: dict[str, str]
    options: dict[str, str]
    operation_timeout: float
    body: ET.Element
    #: The client's wsman:MaxEnvelopeSize (bytes; 153600 when absent, WinRM's default): a Receive answer must fit.
    max_envelope_size: int = DEFAULT_MAX_ENVELOPE

    @property
    def action_name(self) -> str:
        return ACTION_NAMES.get(self.action, "Other")

    def option_true(self, name: str, default: bool) -> bool:
        value = self.options.get(name)
        return default if value is None else value.strip().upper() == "TRUE"


def parse_duration(text: str | None) -> float:
    """xs:duration as WinRM sends it (``PT20S``, ``PT60.000S``) to seconds, bounded."""
    match = _DURATION.match((text or "").strip())
    if not match:
        return DEFAULT_OPERATION_TIMEOUT
    hours, minutes, seconds = match.groups()
    total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)
    return min(max(total, 0.0), MAX_OPERATION_TIMEOUT)


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def parse_request(data: bytes) -> WsmanRequest:
    """Parse a SOAP envelope; raises SoapParseError for anything that is not one."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SoapParseError(str(exc)) from exc
    if root.tag != f"{{{NS_SOAP}}}Envelope":
        raise SoapParseError("root element is not a SOAP 1.2 Envelope")
    header = root.find(f"{{{NS_SOAP}}}Header")
    body = root.find(f"{{{NS_SOAP}}}Body")
    if header is None or body is None:
        raise SoapParseError("Envelope lacks Header or Body")
    selectors = {
        sel.get("Name", ""): _text(sel)
        for sel in header.findall(f"{{{NS_WSMAN}}}SelectorSet/{{{NS_WSMAN}}}Selector")
    }
    options = {
        opt.get("Name", ""): _text(opt)
        for opt in header.findall(f"{{{NS_WSMAN}}}OptionSet/{{{NS_WSMAN}}}Option")
    }
    return WsmanRequest(
        action=_text(header.find(f"{{{NS_ADDR}}}Action")),
        message_id=_text(header.find(f"{{{NS_ADDR}}}MessageID")),
        resource_uri=_text(header.find(f"{{{NS_WSMAN}}}ResourceURI")),
        selectors=selectors,
        options=options,
        operation_timeout=parse_duration(header.findtext(f"{{{NS_WSMAN}}}OperationTimeout")),
        body=body,
        max_envelope_size=_envelope_size(header.findtext(f"{{{NS_WSMAN}}}MaxEnvelopeSize")),
    )


def _envelope_size(text: str | None) -> int:
    value = (text or "").strip()
    return min(max(int(value), 8192), 16 * 1024 * 1024) if value.isdigit() else DEFAULT_MAX_ENVELOPE


def new_uuid() -> str:
    """Windows prints shell, command and message ids as upper-case GUIDs."""
    return str(uuid.uuid4()).upper()


def envelope(action: str, relates_to: str, body_xml: str) -> bytes:
    """A response envelope with the namespace prefixes and header order Windows uses."""
    relates = f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>" if relates_to else ""
    text = (
        f'<s:Envelope xml:lang="en-US" xmlns:s="{NS_SOAP}" xmlns:a="{NS_ADDR}" xmlns:x="{NS_TRANSFER}" '
        f'xmlns:w="{NS_WSMAN}" xmlns:rsp="{NS_SHELL}" xmlns:p="{NS_MSWSMAN}">'
        f"<s:Header><a:Action>{escape(action)}</a:Action><a:MessageID>uuid:{new_uuid()}</a:MessageID>"
        f"<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>{relates}</s:Header>"
        f"<s:Body>{body_xml}</s:Body></s:Envelope>"
    )
    return text.encode("utf-8")


def create_response(req: WsmanRequest, shell_id: str, address: str, owner: str, client_ip: str,
                    input_streams: str, output_streams: str) -> bytes:
    body = (
        f"<x:ResourceCreated><a:Address>{escape(address)}</a:Address><a:ReferenceParameters>"
        f"<w:ResourceURI>{RESOURCE_CMD}</w:ResourceURI><w:SelectorSet>"
        f'<w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>'
        f"<rsp:Shell><rsp:ShellId>{shell_id}</rsp:ShellId><rsp:ResourceUri>{RESOURCE_CMD}</rsp:ResourceUri>"
        f"<rsp:Owner>{escape(owner)}</rsp:Owner><rsp:ClientIP>{escape(client_ip)}</rsp:ClientIP>"
        f"<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>{escape(input_streams)}</rsp:InputStreams>"
        f"<rsp:OutputStreams>{escape(output_streams)}</rsp:OutputStreams>"
        f"<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>"
    )
    return envelope(RESPONSE_ACTIONS[ACTION_CREATE], req.message_id, body)


def command_response(req: WsmanRequest, command_id: str) -> bytes:
    body = f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
    return envelope(RESPONSE_ACTIONS[ACTION_COMMAND], req.message_id, body)


def empty_response(req: WsmanRequest, body_xml: str = "") -> bytes:
    """Send, Signal and Delete answer with an (almost) empty body."""
    return envelope(RESPONSE_ACTIONS[req.action], req.message_id, body_xml)


@dataclasses.dataclass
class StreamChunk:
    """One ``rsp:Stream`` element: a base64 chunk, or an empty End marker."""

    name: str
    data: bytes
    end: bool = False


def receive_response(req: WsmanRequest, command_id: str, chunks: list[StreamChunk], exit_code: int | None) -> bytes:
    """ReceiveResponse: Stream elements, then CommandState (Done with ExitCode when exit_code is not None)."""
    parts = ["<rsp:ReceiveResponse>"]
    cid = quoteattr(command_id)
    for chunk in chunks:
        end = ' End="true"' if chunk.end else ""
        if chunk.data:
            parts.append(f'<rsp:Stream Name="{chunk.name}" CommandId={cid}{end}>{base64.b64encode(chunk.data).decode()}</rsp:Stream>')
        else:
            parts.append(f'<rsp:Stream Name="{chunk.name}" CommandId={cid}{end}></rsp:Stream>')
    if exit_code is None:
        parts.append(f'<rsp:CommandState CommandId={cid} State="{STATE_RUNNING}"></rsp:CommandState>')
    else:
        parts.append(f'<rsp:CommandState CommandId={cid} State="{STATE_DONE}"><rsp:ExitCode>{exit_code}</rsp:ExitCode></rsp:CommandState>')
    parts.append("</rsp:ReceiveResponse>")
    return envelope(RESPONSE_ACTIONS[ACTION_RECEIVE], req.message_id, "".join(parts))
