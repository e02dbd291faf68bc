# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WS-Management SOAP faults as Windows' WinRM service returns them (HTTP 500)."""

from __future__ import annotations

import dataclasses
from xml.sax.saxutils import escape

from . import soap

# Codes are HRESULTs from wsmerror.h, printed in decimal as WinRM does.
OPERATION_TIMEOUT = 2150858793  # 0x80338029 ERROR_WSMAN_OPERATION_TIMEDOUT (docs/windows-facts.md §9.4, OBS-H)
SHELL_NOT_FOUND = 2150858843  # 0x8033805B, seen with the "shell was not found" text [OBS-H, public CI logs]
ACTION_NOT_SUPPORTED = 2150858771  # 0x80338013 ERROR_WSMAN_ACTION_NOT_SUPPORTED [DOC wsmerror.h]
INVALID_XML = 2150858819  # 0x80338043 ERROR_WSMAN_INVALID_XML [DOC wsmerror.h]
INVALID_SELECTORS = 2150858813  # 0x8033803D ERROR_WSMAN_INVALID_SELECTORS [DOC]
QUOTA_MAX_SHELLS = 2150859173  # 0x803381A5 [OBS-H, vagrant/test-kitchen logs]
QUOTA_MAX_OPERATIONS = 2150859174  # 0x803381A6 [OBS-H, winrm-fs and pywinrm test fixture]
INTERNAL_ERROR = 2147500037  # 0x80004005 E_FAIL; used for injected faults and simulator errors [INF]

TIMEOUT_MESSAGE = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "


@dataclasses.dataclass(frozen=True)
class Fault:
    """One SOAP fault: SOAP code/subcode, the WSManFault code and message, optionally an MSFT_WmiError detail."""

    code: str
    subcode: str
    wsman_code: int
    message: str
    wmi_error: bool = False
    reason: str | None = None       # s:Reason when Windows words it differently from the WSManFault message
    detail_uri: str | None = None   # a w:FaultDetail URI before the WSManFault


def operation_timeout() -> Fault:
    return Fault("s:Receiver", "w:TimedOut", OPERATION_TIMEOUT, TIMEOUT_MESSAGE)


def shell_not_found(shell_id: str) -> Fault:
    return Fault(
        "s:Sender", "w:InvalidSelectors", SHELL_NOT_FOUND,
        f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the shell was not found on the server. "
        "Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. "
        "Provide the correct ShellId or create a new shell and retry the operation. ",
    )


def command_not_found(command_id: str) -> Fault:
    # Windows' exact text for an unknown CommandId was not found in public captures [INF].
    return Fault(
        "s:Sender", "w:InvalidSelectors", INVALID_SELECTORS,
        f"The WS-Management service cannot process the request because the request contained invalid selectors for the resource. "
        f"The CommandId {command_id} is not valid for this shell. ",
    )


def action_not_supported(action: str) -> Fault:
    return Fault(
        "s:Sender", "a:ActionNotSupported", ACTION_NOT_SUPPORTED,
        f"The WS-Management service does not support the specified action. Action: {action} ",
    )


def invalid_xml(detail: str) -> Fault:
    return Fault(
        "s:Sender", "w:SchemaValidationError", INVALID_XML,
        f"The WS-Management service cannot process the request because the XML is invalid. {detail} ",
    )


def invalid_request(message: str) -> Fault:
    return Fault("s:Sender", "w:InvalidParameter", 2150858810, message)


def quota_shells(limit: int) -> Fault:
    return Fault(
        "s:Receiver", "w:InternalError", QUOTA_MAX_SHELLS,
        f"The WS-Management service cannot process the request. This user is allowed a maximum number of {limit} concurrent shells, "
        "which has been exceeded. Close existing shells or raise the quota for this user. ",
    )


def quota_operations(limit: int) -> Fault:
    # Ansible re-creates the shell when MSFT_WmiError/error_Code is 0x803381A6, so this one carries the WMI detail.
    return Fault(
        "s:Receiver", "w:InternalError", QUOTA_MAX_OPERATIONS,
        f"The WS-Management service cannot process the request. This user is allowed a maximum number of {limit} concurrent operations, "
        "which has been exceeded. Close existing operations for this user, or raise the quota for this user. ",
        wmi_error=True,
    )


def internal_error(message: str) -> Fault:
    return Fault("s:Receiver", "w:InternalError", INTERNAL_ERROR, message)


#: The s:Reason Windows gives every invalid-selector fault, and the FaultDetail it adds [OBS-H: pypsrp's recorded
#: ``test_psrp_receive_failure.yml`` / ``test_winrs_bad_cmd_id.yml``].
INVALID_SELECTORS_REASON = ("The WS-Management service cannot process the request because the request contained invalid selectors "
                            "for the resource. ")
UNEXPECTED_SELECTORS = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors"
ACCESS_DENIED = 2147942405  # 0x80070005 E_ACCESSDENIED


def command_gone(command_id: str) -> Fault:
    """A PSRP Receive, Send or Signal for a pipeline that does not exist (any more) [OBS-H text, code and reason:
    pypsrp's recorded ``test_psrp_receive_failure.yml``]; the id is not part of Windows' text."""
    del command_id
    return Fault(
        "s:Sender", "w:InvalidSelectors", SHELL_NOT_FOUND,
        "The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. "
        "Either the command has completed execution or the client specified an invalid command identifier. ",
        reason=INVALID_SELECTORS_REASON, detail_uri=UNEXPECTED_SELECTORS,
    )


def unknown_configuration(resource_uri: str) -> Fault:
    """A PowerShell session configuration the host does not have [OBS-M: the code and text pypsrp users quote for
    ``Microsoft.Exchange`` in jborean93/pypsrp#41 and #47; the SOAP subcode is INF]."""
    return Fault(
        "s:Sender", "w:InvalidResourceURI", 2150858811,
        f"The WS-Management service cannot process the request. The resource URI ({resource_uri}) was not found in the "
        "WS-Management catalog. The catalog contains the metadata that describes resources, or logical endpoints. ",
    )


def access_denied() -> Fault:
    """What a user without administrator rights gets for the WinRM configuration [OBS-M: "Access is denied." with
    code 2147942405, s:Receiver / w:InternalError, in wazuh/wazuh-ansible#581; for the config resource INF]."""
    return Fault("s:Receiver", "w:InternalError", ACCESS_DENIED, "Access is denied. ")


def _wmi_error_xml(fault: Fault) -> str:
    ns = soap.NS_WMIERROR
    return (
        f'<p:MSFT_WmiError b:IsCIM_Error="true" xmlns:b="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd" '
        f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" '
        f'xmlns:p="{ns}" xsi:type="p:MSFT_WmiError_Type">'
        '<p:CIMStatusCode xsi:type="cim:cimUnsignedInt">27</p:CIMStatusCode>'
        f'<p:Message xsi:type="cim:cimString">{escape(fault.message)}</p:Message>'
        f'<p:MessageID xsi:type="cim:cimString">HRESULT 0x{fault.wsman_code:08x}</p:MessageID>'
        '<p:error_Category xsi:type="cim:cimUnsignedInt">30</p:error_Category>'
        f'<p:error_Code xsi:type="cim:cimUnsignedInt">{fault.wsman_code}</p:error_Code>'
        '<p:error_Type xsi:type="cim:cimString">HRESULT</p:error_Type>'
        "</p:MSFT_WmiError>"
    )


def fault_envelope(fault: Fault, relates_to: str, machine: str) -> bytes:
    """The full envelope (action ``.../wsman/fault``), as in pywinrm's Server 2022 fixture."""
    if fault.wmi_error:
        detail = _wmi_error_xml(fault)
    else:
        detail = (
            f'<f:WSManFault xmlns:f="{soap.NS_FAULT}" Code="{fault.wsman_code}" Machine="{escape(machine)}">'
            f"<f:Message>{escape(fault.message)}</f:Message></f:WSManFault>"
        )
    if fault.detail_uri:
        detail = f"<w:FaultDetail>{escape(fault.detail_uri)}</w:FaultDetail>{detail}"
    body = (
        f"<s:Fault><s:Code><s:Value>{fault.code}</s:Value><s:Subcode><s:Value>{fault.subcode}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{escape(fault.reason or fault.message)}</s:Text></s:Reason>'
        f"<s:Detail>{detail}</s:Detail></s:Fault>"
    )
    return soap.envelope(soap.ACTION_FAULT, relates_to, body)
