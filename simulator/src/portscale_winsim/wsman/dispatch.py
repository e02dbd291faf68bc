# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The WinRS actions (Create, Command, Send, Receive, Signal, Delete) on a host's shell table."""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import typing as t

from . import faults, soap
from .shells import MAX_STDIN_BYTES, Command, QuotaError, Shell, ShellTable

RSP = "{" + soap.NS_SHELL + "}"
SIGNAL_TERMINATE = soap.NS_SHELL + "/signal/terminate"


class ActionFault(Exception):
    """Answer the request with this SOAP fault (HTTP 500)."""

    def __init__(self, fault: faults.Fault) -> None:
        super().__init__(fault.message)
        self.fault = fault


@dataclasses.dataclass
class DispatchContext:
    """What the actions need from the host server."""

    shells: ShellTable
    address: str
    client_ip: str
    user: str
    default_codepage: int
    start_command: t.Callable[[Shell, Command], None]
    # PowerShell shells (psrp_dispatch.py): runs a pipeline whose CREATE_PIPELINE (and input) arrived whole, and the
    # HostServer, for the model's facts (profile, host name, elevation) and the auth settings a Get reports.
    start_pipeline: t.Callable[[Shell, t.Any], None] = lambda shell, pipeline: None
    server: t.Any = None


def _shell(ctx: DispatchContext, req: soap.WsmanRequest) -> Shell:
    shell_id = req.selectors.get("ShellId", "")
    shell = ctx.shells.shells.get(shell_id.upper())
    if shell is None:
        raise ActionFault(faults.shell_not_found(shell_id))
    return shell


def _command(shell: Shell, command_id: str) -> Command:
    command = shell.commands.get(command_id.upper())
    if command is None:
        raise ActionFault(faults.command_not_found(command_id))
    return command


def _quota(exc: QuotaError) -> ActionFault:
    return ActionFault(faults.quota_shells(exc.limit) if exc.kind == "shells" else faults.quota_operations(exc.limit))


def do_create(ctx: DispatchContext, req: soap.WsmanRequest) -> bytes:
    body_shell = req.body.find(f"{RSP}Shell")
    input_streams = (body_shell.findtext(f"{RSP}InputStreams") if body_shell is not None else None) or "stdin"
    output_streams = (body_shell.findtext(f"{RSP}OutputStreams") if body_shell is not None else None) or "stdout stderr"
    codepage_text = req.options.get("WINRS_CODEPAGE", "")
    if codepage_text and not codepage_text.isdigit():
        raise ActionFault(faults.invalid_request("The WS-Management service cannot process the request because the WINRS_CODEPAGE option is not valid. "))
    codepage = int(codepage_text) if codepage_text else ctx.default_codepage
    try:
        shell = ctx.shells.create(ctx.user, codepage, req.option_true("WINRS_NOPROFILE", False), input_streams.strip(), output_streams.strip())
    except QuotaError as exc:
        raise _quota(exc) from exc
    return soap.create_response(req, shell.shell_id, ctx.address, ctx.user, ctx.client_ip, shell.input_streams, shell.output_streams)


def do_command(ctx: DispatchContext, req: soap.WsmanRequest) -> bytes:
    shell = _shell(ctx, req)
    command_line = req.body.find(f"{RSP}CommandLine")
    if command_line is None:
        raise ActionFault(faults.invalid_xml("The CommandLine element is missing."))
    arguments = " ".join((arg.text or "") for arg in command_line.findall(f"{RSP}Arguments"))
    command = Command(
        command_id=soap.new_uuid(),
        command=(command_line.findtext(f"{RSP}Command") or "").strip(),
        arguments=arguments,
        console_mode_stdin=req.option_true("WINRS_CONSOLEMODE_STDIN", True),
        skip_cmd_shell=req.option_true("WINRS_SKIP_CMD_SHELL", False),
    )
    try:
        ctx.shells.add_command(shell, command)
    except QuotaError as exc:
        raise _quota(exc) from exc
    # With console-mode stdin the client sends no input: the process runs at once. Otherwise wait for End="true".
    if command.console_mode_stdin:
        command.stdin_closed = True
        ctx.start_command(shell, command)
    return soap.command_response(req, command.command_id)


def do_send(ctx: DispatchContext, req: soap.WsmanRequest) -> bytes:
    shell = _shell(ctx, req)
    streams = req.body.findall(f"{RSP}Send/{RSP}Stream")
    if not streams:
        raise ActionFault(faults.invalid_xml("The Send element has no Stream."))
    for stream in streams:
        command = _command(shell, stream.get("CommandId", ""))
        try:
            data = base64.b64decode((stream.text or "").strip(), validate=True)
        except binascii.Error as exc:
            raise ActionFault(faults.invalid_xml("The stdin stream is not valid base64.")) from exc
        if command.stdin_closed:
            raise ActionFault(faults.invalid_request("The WS-Management service cannot process the request because the stdin stream is closed. "))
        if command.stdin_size + len(data) > MAX_STDIN_BYTES:
            raise ActionFault(faults.invalid_request("The stdin stream is larger than the simulator accepts. "))
        command.stdin.append(data)
        command.stdin_size += len(data)
        if stream.get("End", "").lower() == "true":
            command.stdin_closed = True
            ctx.start_command(shell, command)
    return soap.empty_response(req, "<rsp:SendResponse></rsp:SendResponse>")


async def do_receive(ctx: DispatchContext, req: soap.WsmanRequest) -> bytes:
    shell = _shell(ctx, req)
    desired = req.body.find(f"{RSP}Receive/{RSP}DesiredStream")
    if desired is None:
        raise ActionFault(faults.invalid_xml("The Receive element has no DesiredStream."))
    command = _command(shell, desired.get("CommandId", ""))
    if not command.done.is_set():
        try:
            await asyncio.wait_for(command.done.wait(), timeout=req.operation_timeout)
        except asyncio.TimeoutError as exc:
            # Windows holds the Receive for OperationTimeout, then answers this fault; clients poll again.
            raise ActionFault(faults.operation_timeout()) from exc
    if command.terminated:
        raise ActionFault(faults.command_not_found(command.command_id))
    if command.error is not None:
        raise ActionFault(faults.internal_error(f"The simulator failed to run the command: {command.error} "))
    chunks, finished = command.next_chunks()
    exit_code = command.result.exit_code if finished and command.result is not None else None
    return soap.receive_response(req, command.command_id, chunks, exit_code)


def do_signal(ctx: DispatchContext, req: soap.WsmanRequest) -> bytes:
    shell = _shell(ctx, req)
    signal = req.body.find(f"{RSP}Signal")
    if signal is None:
        raise ActionFault(faults.invalid_xml("The Signal element is missing."))
    command = _command(shell, signal.get("CommandId", ""))
    # terminate, ctrl_c and ctrl_break all end our (synchronous) commands; the record is dropped,
    # but the operation stays counted until the shell is deleted, as on Windows.
    command.terminated = True
    command.done.set()
    shell.commands.pop(command.command_id, None)
    return soap.empty_response(req, "<rsp:SignalResponse></rsp:SignalResponse>")


def do_delete(ctx: DispatchContext, req: soap.WsmanRequest) -> bytes:
    shell = _shell(ctx, req)
    for command in shell.commands.values():
        command.terminated = True
        command.done.set()
    ctx.shells.delete(shell.shell_id)
    return soap.empty_response(req)


async def dispatch(ctx: DispatchContext, req: soap.WsmanRequest) -> bytes:
    """Run one action; raises ActionFault for anything Windows would answer with a fault."""
    if ((req.action == soap.ACTION_GET and req.resource_uri.lower() in (soap.RESOURCE_CONFIG.lower(), soap.RESOURCE_SHELLS.lower()))
            or req.resource_uri.lower().startswith(soap.NS_POWERSHELL.lower() + "/")):
        return await _dispatch_psrp(ctx, req)
    if req.resource_uri and req.resource_uri != soap.RESOURCE_CMD:
        raise ActionFault(faults.Fault(
            "s:Sender", "w:InvalidResourceURI", 2150858811,
            "The WS-Management service cannot process the request. The resource URI is missing or it has an incorrect format. ",
        ))
    handlers: dict[str, t.Callable[[DispatchContext, soap.WsmanRequest], bytes]] = {
        soap.ACTION_CREATE: do_create,
        soap.ACTION_COMMAND: do_command,
        soap.ACTION_SEND: do_send,
        soap.ACTION_SIGNAL: do_signal,
        soap.ACTION_DELETE: do_delete,
    }
    if req.action == soap.ACTION_RECEIVE:
        return await do_receive(ctx, req)
    handler = handlers.get(req.action)
    if handler is None:
        raise ActionFault(faults.action_not_supported(req.action))
    return handler(ctx, req)


async def _dispatch_psrp(ctx: DispatchContext, req: soap.WsmanRequest) -> bytes:
    """PowerShell shells (PSRP) and WS-Man Get, which pypsrp sends (psrp_dispatch.py, which imports this module)."""
    from . import psrp_dispatch  # pylint: disable=import-outside-toplevel,cyclic-import

    if req.action == soap.ACTION_GET:
        return psrp_dispatch.wsman_get(ctx, req)
    shell = None if req.action == soap.ACTION_CREATE else _shell(ctx, req)
    return await psrp_dispatch.dispatch(ctx, req, shell)
