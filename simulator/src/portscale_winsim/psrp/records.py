# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shell layer's error records and Write-Host messages as Windows PowerShell 5.1 serialises them for a client.

psrpcore does the CLIXML; this module fills the objects the way 5.1's ``ErrorRecord.ToPSObjectForRemoting`` does,
after the records Windows sent in pypsrp's recorded test responses (``tests/tests_pypsrp/responses/*.yml`` at
v0.9.1, captured from real hosts; MS-PSRP 2.2.3.15 ErrorRecord, 2.2.3.15.1 InvocationInfo):

* ``ToString`` is the message (escaped like any CLIXML string); ``Exception`` carries the .NET type chain, ``Message`` and ``HResult`` -2146233087
  (``test_psrp_error_failed.yml``: a WriteErrorException);
* ``ErrorCategory_*`` with ``ErrorCategory_Message`` = ErrorCategoryInfo.GetMessage(), e.g.
  ``NotSpecified: (:) [Write-Error], WriteErrorException`` (psrpcore 0.3.1 renders it without the colon after the
  category, so the record class below writes 5.1's text);
* ``InvocationInfo`` (the object) always; with the client's RemoteStreamOptions AddInvocationInfo (pypsrp's default,
  15) the error-stream records also carry ``SerializeExtendedInfo`` true and the flattened ``InvocationInfo_*`` and
  ``CommandInfo_*`` properties, which is where pypsrp reads ``command_name`` and ``invocation_position_message``
  (``test_psrp_stream_output_invocation.yml``); the reason of a Failed pipeline has ``SerializeExtendedInfo`` false
  (``test_psrp_error_failed.yml``);
* ``writeErrorStream`` true on records written to the error pipe (also when ``2>&1`` merged them into the output);
* ``ErrorDetails_ScriptStackTrace`` ``at <ScriptBlock>, <No file>: line N``.

Which command an error names (``CommandInfo_*``) [INF, from the records above and ansible-core's CI expectations]:
a native program's records name the application (``netsh.exe``; ansible#81277 shows ``powershell.exe : ...``), a
cmdlet's its cmdlet, anything else the script itself (CommandType Script, empty name: ansible-core's
``connection_psrp`` test expects ``error1\\r\\n    + CategoryInfo ...`` with no ``Write-Error :`` prefix).
"""

from __future__ import annotations

import datetime
import typing as t

from psrpcore.types import (
    CommandOrigin,
    CommandTypes,
    ErrorCategory,
    ErrorCategoryInfo,
    ErrorRecord,
    InvocationInfo,
    NETException,
    PSObject,
    SessionStateEntryVisibility,
    add_note_property,
)

from psrpcore.types._serializer import _serialize_string

from ..shell import ps_errors

#: HResult of System.Management.Automation.RuntimeException and its subclasses (COR_E_SYSTEM, 0x80131501), as in the
#: recorded WriteErrorException; System.NotSupportedException's is COR_E_NOTSUPPORTED (0x80131515).
HRESULT_RUNTIME = -2146233087
HRESULT_NOT_SUPPORTED = -2146233067
_SMA = "System.Management.Automation."
_RUNTIME_CHAIN = [_SMA + "RuntimeException", "System.SystemException", "System.Exception", "System.Object"]
#: Exception type chains by the record's reason (the exception's type name) [DOC: the .NET class hierarchy].
_CHAINS = {
    "RemoteException": [_SMA + "RemoteException"] + _RUNTIME_CHAIN,
    "CommandNotFoundException": [_SMA + "CommandNotFoundException"] + _RUNTIME_CHAIN,
    "ParameterBindingException": [_SMA + "ParameterBindingException"] + _RUNTIME_CHAIN,
    "ParameterBindingValidationException": [_SMA + "ParameterBindingValidationException", _SMA + "ParameterBindingException"] + _RUNTIME_CHAIN,
    "ItemNotFoundException": [_SMA + "ItemNotFoundException", _SMA + "SessionStateException"] + _RUNTIME_CHAIN,
    "ArgumentTransformationMetadataException": [_SMA + "ArgumentTransformationMetadataException", _SMA + "MetadataException"] + _RUNTIME_CHAIN,
    "ParseException": [_SMA + "ParseException"] + _RUNTIME_CHAIN,
    "RuntimeException": _RUNTIME_CHAIN,
    "NotSupportedException": ["System.NotSupportedException", "System.SystemException", "System.Exception", "System.Object"],
}
#: Where 5.1 finds native programs the subset starts by bare name [INF: System32 for every program the natives model].
SYSTEM32 = "C:\\Windows\\system32\\"


class RemotingErrorRecord(ErrorRecord):
    """psrpcore's ErrorRecord with 5.1's ErrorCategory_Message, ``writeErrorStream`` and ``CommandInfo_*``."""

    @classmethod
    def ToPSObjectForRemoting(cls, instance: t.Any, **kwargs: t.Any) -> PSObject:  # pylint: disable=invalid-name
        obj = ErrorRecord.ToPSObjectForRemoting(instance, **kwargs)
        add_note_property(obj, "ErrorCategory_Message", instance.category_message, force=True)
        if instance.serialize_extended_info and instance.command_info is not None:
            # psrpcore writes CommandInfo_* from MyCommand's attributes; MyCommand here is the string 5.1 shows for it.
            command_type, name, definition = instance.command_info
            add_note_property(obj, "CommandInfo_CommandType", command_type, force=True)
            add_note_property(obj, "CommandInfo_Definition", definition, force=True)
            add_note_property(obj, "CommandInfo_Name", name, force=True)
            add_note_property(obj, "CommandInfo_Visibility", SessionStateEntryVisibility.Public, force=True)
        if instance.write_error_stream:
            add_note_property(obj, "writeErrorStream", True)
        return obj


def _command_info(record: ps_errors.ErrorRecord, script: str) -> tuple[t.Any, str, str]:
    """(CommandType, Name, Definition) of the command an error names (module docstring)."""
    if record.error_id in ("NativeCommandError", "NativeCommandErrorMessage") and record.prefix:
        base = record.prefix.replace("/", "\\").rsplit("\\", 1)[-1]
        name = base if "." in base else base + ".exe"
        path = record.prefix if "\\" in record.prefix else SYSTEM32 + name
        return CommandTypes.Application, name, path
    if ",Microsoft.PowerShell.Commands." in record.error_id and record.activity:
        return CommandTypes.Cmdlet, record.activity, record.activity
    return CommandTypes.Script, "", script


def _exception(record: ps_errors.ErrorRecord, message: str) -> NETException:
    chain = _CHAINS.get(record.reason, [_SMA + record.reason] + _RUNTIME_CHAIN if record.reason.endswith("Exception") else _RUNTIME_CHAIN)
    exception = NETException(Message=message, HResult=HRESULT_NOT_SUPPORTED if record.reason == "NotSupportedException" else HRESULT_RUNTIME)
    exception.PSObject.type_names = list(chain)
    return exception


def _message(record: ps_errors.ErrorRecord) -> str:
    """ParseException.Message starts with the position (ps_errors.view_text); other records are their message."""
    if record.parser_error and record.position is not None:
        return ps_errors.position_message(record.position).replace("\n", "\r\n") + "\r\n" + record.message
    return record.message


def error_record(record: ps_errors.ErrorRecord, script: str, *, stream: bool, extended: bool) -> RemotingErrorRecord:
    """One record: ``stream`` for the error pipe (error stream or merged into output), False for a Failed
    pipeline's reason; ``extended`` when the client asked for invocation info (RemoteStreamOptions)."""
    message = _message(record)
    position = record.position
    if position is not None and not record.parser_error:
        line_no, column, line = ps_errors.line_and_column(position.text, position.start)
        position_text = ps_errors.position_message(position).replace("\n", "\r\n")
    else:
        line_no, column, line, position_text = (0, 0, "", "")
    command_type, name, definition = _command_info(record, script)
    invocation = InvocationInfo(
        BoundParameters={}, CommandOrigin=CommandOrigin.Internal, DisplayScriptPosition=None, ExpectingInput=False, HistoryId=1,
        InvocationName=record.prefix or "", Line=line, MyCommand=definition if command_type == CommandTypes.Script else name,
        OffsetInLine=column, PipelineLength=0, PipelinePosition=0, PositionMessage=position_text, PSCommandPath=None,
        PSScriptRoot="", ScriptLineNumber=line_no, ScriptName="", UnboundArguments=[],
    )
    category = getattr(ErrorCategory, record.category, ErrorCategory.NotSpecified)
    converted = RemotingErrorRecord(
        Exception=_exception(record, message),
        CategoryInfo=ErrorCategoryInfo(Category=category, Activity=record.activity or "", Reason=record.reason,
                                       TargetName=record.target_name, TargetType=record.target_type),
        TargetObject=record.target_name if record.target_type == "String" else None,
        FullyQualifiedErrorId=record.error_id,
        InvocationInfo=invocation,
        PipelineIterationInfo=[0, 0],
        ScriptStackTrace=f"at <ScriptBlock>, <No file>: line {max(line_no, 1)}",
    )
    # psrpcore 0.3.1 writes <ToString> without CLIXML's string escaping, so an XML parser would turn its CRLFs into
    # LFs; 5.1 escapes it like any string (``_x000D__x000A_``). Give psrpcore the escaped text.
    converted.PSObject.to_string = _serialize_string(message)
    converted.category_message = record.category_info()
    converted.command_info = (command_type, name, definition)
    converted.write_error_stream = stream
    converted.serialize_extended_info = stream and extended
    return converted


def host_information_message(message: str, no_newline: bool) -> PSObject:
    """Write-Host's MessageData: a System.Management.Automation.HostInformationMessage (its ToString is the text)."""
    data = PSObject()
    data.PSObject.type_names = [_SMA + "HostInformationMessage", "System.Object"]
    data.PSObject.to_string = _serialize_string(message)
    add_note_property(data, "Message", message)
    add_note_property(data, "ForegroundColor", None)
    add_note_property(data, "BackgroundColor", None)
    add_note_property(data, "NoNewLine", no_newline)
    return data


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
