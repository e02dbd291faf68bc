# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The WS-Management actions of a PowerShell shell (resource URI ``.../powershell/Microsoft.PowerShell``): PSRP over
WS-Man [DOC: MS-PSRP 3.1.5 (WS-Management transport), MS-WSMV 3.1.4], on the endpoint, authentication, message
encryption, shell table, quotas, counters and network faults the WinRS actions use (dispatch.py, hostserver.py).

Per client call (pypsrp 0.9.1 ``RunspacePool`` / ``PowerShell``, ansible-core's psrp connection on top of it):

* ``RunspacePool.open``: Create with ``rsp:Shell ShellId=<pool id>``, InputStreams ``stdin pr``, OutputStreams
  ``stdout`` and ``creationXml`` (SESSION_CAPABILITY + INIT_RUNSPACEPOOL); then Receive without CommandId until
  RUNSPACEPOOL_STATE Opened. Another configuration name gets the fault Windows gives for a resource URI that is not
  in its catalog (faults.unknown_configuration); so does a host profile without PowerShell remoting (server2003).
* ``PowerShell.invoke``: Command with ``CommandId=<pipeline id>``, an empty ``rsp:Command`` and the first fragment of
  CREATE_PIPELINE as ``rsp:Arguments``; further fragments and the input (PIPELINE_INPUT..., END_OF_PIPELINE_INPUT)
  with Send on ``stdin``; Receive with that CommandId until PIPELINE_STATE (the answer carrying it ends with
  CommandState Done). The script runs once its CREATE_PIPELINE and, if announced, all its input are there.
* host responses come with Send on ``pr``; ``PowerShell.close``: Signal ``.../signal/Terminate``;
  ``PowerShell.stop``: Signal ``powershell/signal/ctrl_c`` (pypsrp's spelling, which a real host accepted in
  pypsrp's recorded ``test_psrp_nested_command.yml``; PowerShell's own constant is ``powershell/signal/crtl_c``,
  accepted too). Both release the pipeline (ansible-core stops the previous pipeline that way before each command).
* ``RunspacePool.close``: Delete. ``is_alive`` and ``WSMan.get_server_config``: Get (wsman_get in this module).

A Receive with nothing to hand out waits up to the request's OperationTimeout, then answers the timeout fault that
clients poll through (pypsrp ignores 2150858793 while a pipeline runs). Each pipeline counts as one operation
against MaxConcurrentOperationsPerUser while it exists (ansible-core's comment: stopping a pipeline decrements the
concurrent command counter).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import typing as t
import zlib

from . import faults, psrp_soap, soap
from .dispatch import ActionFault, DispatchContext
from .shells import QuotaError, Shell

RSP = "{" + soap.NS_SHELL + "}"
SIGNAL_TERMINATE = (soap.NS_SHELL + "/signal/terminate").lower()
#: PowerShell's stop signal: ``powershell/signal/crtl_c`` (sic) in WSManNativeApi.cs and MS-PSRP; pypsrp sends
#: ``ctrl_c``.
SIGNAL_STOP = ("powershell/signal/crtl_c", "powershell/signal/ctrl_c")


def _session(shell: Shell) -> t.Any:
    return shell.psrp


def _fragments(text: str | None, what: str) -> bytes:
    try:
        return base64.b64decode((text or "").strip(), validate=True)
    except binascii.Error as exc:
        raise ActionFault(faults.invalid_xml(f"The {what} is not valid base64.")) from exc


def _unsupported(exc: Exception) -> ActionFault:
    """PSRP data the simulator cannot take: a loud fault carrying the reason."""
    text = str(exc)
    prefix = "" if text.startswith("SIMULATOR-") else "SIMULATOR-UNSUPPORTED: "
    return ActionFault(faults.invalid_request(f"The WS-Management service cannot process the request. {prefix}{text} "))


def _process_id(shell_id: str) -> int:
    """The wsmprovhost.exe process id the Create answer shows [INF: any stable number]."""
    return 1000 + zlib.crc32(shell_id.encode("ascii", "replace")) % 8000


def do_create(ctx: DispatchContext, req: soap.WsmanRequest) -> bytes:
    from ..psrp import PsrpSession, PsrpUnsupported  # pylint: disable=import-outside-toplevel  # psrpcore only when PSRP is used

    model = ctx.server.model
    if req.resource_uri.lower() != soap.RESOURCE_POWERSHELL.lower() or getattr(getattr(model, "os", None), "legacy", False):
        raise ActionFault(faults.unknown_configuration(req.resource_uri))
    body_shell = req.body.find(f"{RSP}Shell")
    creation = body_shell.find("{%s}creationXml" % soap.NS_POWERSHELL) if body_shell is not None else None
    if creation is None:
        raise ActionFault(faults.invalid_xml("A PowerShell shell needs a creationXml element (the runspace pool's negotiation)."))
    shell_id = (body_shell.get("ShellId") or soap.new_uuid()).upper()
    if shell_id in ctx.shells.shells:
        raise ActionFault(faults.invalid_request(f"The WS-Management service cannot process the request. A shell {shell_id} already exists. "))
    process_id = _process_id(shell_id)
    session = PsrpSession(model, process_id, ctx.user)
    try:
        session.open(_fragments(creation.text, "creationXml"))
    except (PsrpUnsupported, ValueError) as exc:
        raise _unsupported(exc) from exc
    except Exception as exc:  # pylint: disable=broad-exception-caught  # psrpcore's errors on malformed PSRP data
        raise _unsupported(f"PSRP data psrpcore cannot read: {type(exc).__name__}: {exc}") from exc
    try:
        shell = ctx.shells.create(ctx.user, int(getattr(model, "oem_codepage", 437) or 437), False, "stdin pr", "stdout", shell_id=shell_id)
    except QuotaError as exc:
        raise ActionFault(faults.quota_shells(exc.limit)) from exc
    shell.psrp = session
    shell.psrp_changed.set()
    return psrp_soap.create_response(req, shell.shell_id, ctx.address, psrp_soap.shell_fields(shell.shell_id, ctx.user, ctx.client_ip, process_id))


def _start_ready(ctx: DispatchContext, shell: Shell) -> None:
    for pipeline in list(_session(shell).pipelines.values()):
        if pipeline.ready:
            pipeline.started = True
            ctx.start_pipeline(shell, pipeline)


def _feed(shell: Shell, call: t.Callable[[], t.Any]) -> t.Any:
    from ..psrp import PsrpUnsupported  # pylint: disable=import-outside-toplevel

    try:
        return call()
    except PsrpUnsupported as exc:
        raise _unsupported(exc) from exc
    except Exception as exc:  # pylint: disable=broad-exception-caught
        raise _unsupported(f"PSRP data psrpcore cannot read: {type(exc).__name__}: {exc}") from exc
    finally:
        shell.psrp_changed.set()


def do_command(ctx: DispatchContext, req: soap.WsmanRequest, shell: Shell) -> bytes:
    session = _session(shell)
    command_line = req.body.find(f"{RSP}CommandLine")
    if command_line is None:
        raise ActionFault(faults.invalid_xml("The CommandLine element is missing."))
    arguments = [arg.text or "" for arg in command_line.findall(f"{RSP}Arguments")]
    command_id = command_line.get("CommandId") or ""
    if len(arguments) != 1 or not command_id:
        raise _unsupported("a PowerShell shell Command without a CommandId and one Arguments element (the pipeline's first fragment)")
    if ctx.shells.operations_in_use() >= ctx.shells.max_operations:
        raise ActionFault(faults.quota_operations(ctx.shells.max_operations))
    first = _fragments(arguments[0], "command argument")
    _feed(shell, lambda: session.add_pipeline(command_id, first))
    shell.operations += 1
    _start_ready(ctx, shell)
    return soap.command_response(req, command_id)


def do_send(ctx: DispatchContext, req: soap.WsmanRequest, shell: Shell) -> bytes:
    session = _session(shell)
    streams = req.body.findall(f"{RSP}Send/{RSP}Stream")
    if not streams:
        raise ActionFault(faults.invalid_xml("The Send element has no Stream."))
    for stream in streams:
        command_id = stream.get("CommandId")
        if command_id and command_id.upper() not in session.pipelines:
            raise ActionFault(faults.command_gone(command_id))
        if stream.get("Name") not in ("stdin", "pr"):
            raise _unsupported(f"a Send on the stream {stream.get('Name')!r} (a PowerShell shell reads stdin and pr)")
        data = _fragments(stream.text, "stream")
        _feed(shell, lambda data=data: session.receive(data))
    _start_ready(ctx, shell)
    return soap.empty_response(req, "<rsp:SendResponse></rsp:SendResponse>")


async def do_receive(ctx: DispatchContext, req: soap.WsmanRequest, shell: Shell) -> bytes:
    session = _session(shell)
    desired = req.body.find(f"{RSP}Receive/{RSP}DesiredStream")
    if desired is None:
        raise ActionFault(faults.invalid_xml("The Receive element has no DesiredStream."))
    command_id = (desired.get("CommandId") or "").upper() or None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + req.operation_timeout
    while True:
        if ctx.shells.shells.get(shell.shell_id) is not shell:
            raise ActionFault(faults.shell_not_found(shell.shell_id))
        pipeline = session.pipelines.get(command_id) if command_id else None
        if command_id is not None and (pipeline is None or (pipeline.done_sent and not session.has_data(command_id))):
            raise ActionFault(faults.command_gone(command_id))
        if session.has_data(command_id) or (pipeline is not None and pipeline.finished):
            break
        remaining = deadline - loop.time()
        if remaining <= 0:
            # Windows holds a Receive with nothing to send for OperationTimeout, then answers this fault; clients poll.
            raise ActionFault(faults.operation_timeout())
        shell.psrp_changed.clear()
        try:
            await asyncio.wait_for(shell.psrp_changed.wait(), timeout=remaining)
        except asyncio.TimeoutError:
            continue
    fragments = session.take(command_id, psrp_soap.receive_budget(req))
    done = pipeline is not None and pipeline.finished and not session.has_data(command_id)
    if done:
        pipeline.done_sent = True
    return psrp_soap.receive_response(req, command_id, fragments, done)


def do_signal(ctx: DispatchContext, req: soap.WsmanRequest, shell: Shell) -> bytes:
    del ctx
    session = _session(shell)
    signal = req.body.find(f"{RSP}Signal")
    if signal is None:
        raise ActionFault(faults.invalid_xml("The Signal element is missing."))
    command_id = signal.get("CommandId", "")
    code = (signal.findtext(f"{RSP}Code") or "").strip()
    if command_id.upper() not in session.pipelines:
        raise ActionFault(faults.command_gone(command_id))
    if code.lower() != SIGNAL_TERMINATE and code not in SIGNAL_STOP:
        raise _unsupported(f"the signal {code!r} on a PowerShell pipeline (Terminate and powershell/signal/crtl_c are modelled)")
    # A pipeline not started yet never runs; a finished one is forgotten, its unsent messages with it.
    if session.release(command_id) is not None:
        shell.operations = max(0, shell.operations - 1)
    shell.psrp_changed.set()
    return soap.empty_response(req, "<rsp:SignalResponse/>")


def do_delete(ctx: DispatchContext, req: soap.WsmanRequest, shell: Shell) -> bytes:
    session = _session(shell)
    for command_id in list(session.pipelines):
        session.release(command_id)
    ctx.shells.delete(shell.shell_id)
    return soap.empty_response(req)


HANDLERS = {soap.ACTION_COMMAND: do_command, soap.ACTION_SEND: do_send, soap.ACTION_SIGNAL: do_signal, soap.ACTION_DELETE: do_delete}


async def dispatch(ctx: DispatchContext, req: soap.WsmanRequest, shell: Shell | None) -> bytes:
    """A request on a PowerShell resource URI (dispatch.py routes it here with its shell, None for Create)."""
    if req.action == soap.ACTION_CREATE:
        return do_create(ctx, req)
    if shell is None or shell.psrp is None:
        raise ActionFault(faults.shell_not_found(req.selectors.get("ShellId", "")))
    if req.action == soap.ACTION_RECEIVE:
        return await do_receive(ctx, req, shell)
    handler = HANDLERS.get(req.action)
    if handler is None:
        # Disconnect, Reconnect, Connect (disconnected sessions), Enumerate: not modelled.
        raise ActionFault(faults.action_not_supported(req.action))
    return handler(ctx, req, shell)


def wsman_get(ctx: DispatchContext, req: soap.WsmanRequest) -> bytes:
    """Get of the service configuration (admins only) or of one shell's state (psrp_soap)."""
    resource = req.resource_uri.lower()
    if resource == soap.RESOURCE_CONFIG.lower():
        if not getattr(ctx.server.model, "elevated", True):
            raise ActionFault(faults.access_denied())
        settings = ctx.server.config.auth
        return psrp_soap.config_response(req, settings.basic, settings.allow_unencrypted, ctx.shells.max_operations, ctx.shells.max_shells)
    if resource == soap.RESOURCE_SHELLS.lower():
        shell_id = req.selectors.get("ShellId", "").upper()
        shell = ctx.shells.shells.get(shell_id)
        if shell is None:
            raise ActionFault(faults.Fault("s:Sender", "w:InvalidSelectors", faults.SHELL_NOT_FOUND, faults.INVALID_SELECTORS_REASON,
                                           detail_uri=faults.UNEXPECTED_SELECTORS))
        if shell.psrp is None:
            raise _unsupported("a Get of a cmd shell's state")
        return psrp_soap.shell_response(req, psrp_soap.shell_fields(shell.shell_id, shell.owner, ctx.client_ip, shell.psrp.process_id))
    raise ActionFault(faults.action_not_supported(req.action))
