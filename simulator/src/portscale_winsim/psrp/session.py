# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One PowerShell shell: a PSRP runspace pool and its pipelines, on psrpcore's server side.

The WS-Management layer (wsman/psrp_dispatch.py) hands this module the base64-decoded PSRP fragments a client sends
(Create's ``creationXml``, Command's ``Arguments``, Send's ``stdin`` / ``pr`` streams) and asks it for the fragments
that answer a Receive. psrpcore does the PSRP work: defragmenting, CLIXML (de)serialisation, the pool's negotiation
(SESSION_CAPABILITY, then APPLICATION_PRIVATE_DATA and RUNSPACEPOOL_STATE Opened: MS-PSRP 3.1.4.1, and the order
pypsrp's recorded ``test_psrp_open_runspace.yml`` shows), each pipeline's state messages, fragmenting the answers.

What the simulator adds, after the messages Windows sent in pypsrp's recorded test responses (v0.9.1,
``tests/tests_pypsrp/responses``):

* every message's XML starts with a UTF-8 byte order mark, as 5.1 writes it (``77u/`` in each recorded Stream);
* a pipeline sends no PIPELINE_STATE Running: its messages are the objects and calls, then one final state;
* one fragment per ``rsp:Stream`` element.

A pipeline runs when its CREATE_PIPELINE has arrived whole and, when the client said it has input (NoInput false),
its END_OF_PIPELINE_INPUT too: the shell layer runs the script (shell/runspace.py) and ``finish`` writes the result.

Not modelled, and refused loudly: a pipeline other than one script command without arguments or merges
(pypsrp's ``add_script``) fails with a ``SIMULATOR-UNSUPPORTED`` reason, GET_COMMAND_METADATA too (pypsrp's
``get_command_metadata`` then raises on the empty output); key exchange (PUBLIC_KEY: psrpcore would answer it, this
pool does not), SET_MAX/MIN_RUNSPACES, GET_AVAILABLE_RUNSPACES, RESET_RUNSPACE_STATE, CONNECT_RUNSPACEPOOL and host
responses the simulator never asked for break the pool (RUNSPACEPOOL_STATE Broken with the reason, which pypsrp
raises as InvalidPSRPOperation), so a client waiting for an answer fails instead of hanging.
"""

from __future__ import annotations

import collections
import dataclasses
import struct
import typing as t
import uuid

import psrpcore
from psrpcore.types import HostMethodIdentifier, PSInvocationState, PSPrimitiveDictionary, PSVersion, RunspacePoolState

from ..shell import runspace
from ..shell.ps_errors import ErrorRecord
from . import records

#: Bounds of one pool: pipelines alive at once (a Command each), PSRP bytes received (fragments are buffered until
#: their message is whole), pipeline input objects.
MAX_PIPELINES = 32
MAX_RECEIVED_BYTES = 16 * 1024 * 1024
MAX_INPUT_OBJECTS = 100_000
#: The largest fragment the server writes [INF: Windows sizes fragments to the client's MaxEnvelopeSize].
FRAGMENT_SIZE = 32 * 1024
_FRAGMENT_HEADER = struct.Struct(">QQBI")
_BOM = b"\xef\xbb\xbf"
#: RemoteStreamOptions.AddInvocationInfoToErrorRecord [DOC: MS-PSRP 2.2.3.11].
ADD_INVOCATION_INFO_TO_ERRORS = 1
#: The host UI methods a script's events may call (the others are host methods, sent even without a UI).
UI_METHODS = ("Write1", "WriteLine2")


class PsrpUnsupported(Exception):
    """A PSRP request the simulator does not model (the text says which)."""


class SimulatorRunspacePool(psrpcore.ServerRunspacePool):
    """psrpcore's server pool, with 5.1's byte order mark and without the answers the simulator refuses to give."""

    def prepare_message(self, message: t.Any, message_type: t.Any = None, pipeline_id: uuid.UUID | None = None,
                        stream_type: psrpcore.StreamType = psrpcore.StreamType.default) -> None:
        super().prepare_message(message, message_type, pipeline_id, stream_type)
        queued = self._send_buffer[-1]
        # 40 bytes of header (destination, type, RPID, PID), then the XML; 5.1 writes it with a BOM (module docstring).
        if len(queued) > 40:
            queued._data[40:40] = _BOM  # pylint: disable=protected-access  # psrpcore 0.3.1 PSRPMessage buffer

    def _process_PublicKey(self, event: t.Any) -> None:  # pylint: disable=invalid-name
        """No EncryptedSessionKey: key exchange breaks the pool instead (PsrpSession._handle)."""

    def _process_ConnectRunspacePool(self, event: t.Any) -> None:  # pylint: disable=invalid-name
        """No RUNSPACEPOOL_INIT_DATA: reconnecting is not modelled (PsrpSession._handle breaks the pool)."""


@dataclasses.dataclass
class PsrpPipeline:  # pylint: disable=too-many-instance-attributes
    """One pipeline (one WS-Man command of the PowerShell shell)."""

    command_id: str
    server: psrpcore.ServerPipeline
    created: bool = False               # its CREATE_PIPELINE (or GET_COMMAND_METADATA) arrived whole
    no_input: bool = True
    input_objects: list = dataclasses.field(default_factory=list)
    input_done: bool = False
    script: str = ""
    local_scope: bool = False
    invocation_info: bool = True        # RemoteStreamOptions asks for InvocationInfo on error records
    host: t.Any = None                  # the psrpcore HostInfo the pipeline runs with
    unsupported: str | None = None      # why the pipeline cannot run here
    started: bool = False
    finished: bool = False              # its final PIPELINE_STATE is queued
    done_sent: bool = False             # a Receive carried CommandState Done

    @property
    def ready(self) -> bool:
        return self.created and (self.no_input or self.input_done or self.unsupported is not None) and not self.started


def application_private_data(model: t.Any) -> dict:
    """APPLICATION_PRIVATE_DATA's PSVersionTable, shaped as in pypsrp's recordings (5.1.14393.2248 on Server 2016,
    5.1.17134.1 on Windows 10 1803): PSVersion and BuildVersion from the profile's build and UBR; hosts before Server
    2016 get WMF 5.1's 5.1.14409.1005 [INF: the simulator's PowerShell is 5.1 on every profile]."""
    profile = getattr(model, "os", None)
    build, ubr = (getattr(profile, "build", 20348), getattr(profile, "ubr", None) or 0)
    if build < 14393:
        build, ubr = 14409, 1005
    ps_version = PSVersion(f"5.1.{build}.{ubr}")
    table = PSPrimitiveDictionary({
        "PSVersion": ps_version,
        "PSEdition": "Desktop",
        "PSCompatibleVersions": [PSVersion("1.0"), PSVersion("2.0"), PSVersion("3.0"), PSVersion("4.0"), PSVersion("5.0"), ps_version],
        "CLRVersion": PSVersion("4.0.30319.42000"),
        "BuildVersion": PSVersion(f"10.0.{build}.{ubr}"),
        "WSManStackVersion": PSVersion("3.0"),
        "PSRemotingProtocolVersion": PSVersion("2.3"),
        "SerializationVersion": PSVersion("1.1.0.1"),
    })
    return {"PSVersionTable": table}


def split_fragments(data: bytes) -> list[bytes]:
    """A payload of whole fragments (MS-PSRP 2.2.4: 21-byte header, big-endian length) cut into single fragments."""
    fragments = []
    while data:
        length = _FRAGMENT_HEADER.unpack_from(data)[3]
        fragments.append(data[:_FRAGMENT_HEADER.size + length])
        data = data[_FRAGMENT_HEADER.size + length:]
    return fragments


#: Client messages the simulator refuses by breaking the pool [DOC: MS-PSRP 2.2.1 message type values].
REFUSED_MESSAGES = {
    0x00010005: "PUBLIC_KEY (key exchange for SecureString)",
    0x00010008: "CONNECT_RUNSPACEPOOL",
    0x00021002: "SET_MAX_RUNSPACES",
    0x00021003: "SET_MIN_RUNSPACES",
    0x00021007: "GET_AVAILABLE_RUNSPACES",
    0x0002100C: "RESET_RUNSPACE_STATE",
    0x00021101: "RUNSPACEPOOL_HOST_RESPONSE",
    0x00041101: "PIPELINE_HOST_RESPONSE",
}


def refused_message(data: bytes) -> str | None:
    """The name of a refused message whose first fragment is in ``data``: a start fragment (flag 0x1) begins with
    the message header, destination then message type, both little-endian (MS-PSRP 2.2.1, 2.2.4)."""
    offset = 0
    while offset + _FRAGMENT_HEADER.size <= len(data):
        _object_id, _fragment_id, flags, length = _FRAGMENT_HEADER.unpack_from(data, offset)
        body = data[offset + _FRAGMENT_HEADER.size:offset + _FRAGMENT_HEADER.size + length]
        if flags & 0x1 and len(body) >= 8:
            name = REFUSED_MESSAGES.get(struct.unpack_from("<I", body, 4)[0])
            if name is not None:
                return name
        offset += _FRAGMENT_HEADER.size + length
    return None


def _pipeline_shape(metadata: t.Any) -> str | None:
    """None for the one shape the simulator runs (a single script command: ``add_script``), else why not."""
    commands = list(metadata.commands)
    if len(commands) != 1:
        return f"a pipeline of {len(commands)} commands (only one script command is modelled)"
    command = commands[0]
    if not command.is_script:
        return f"a pipeline running the command {command.command_text!r} (only scripts are modelled)"
    if command.parameters:
        return "script arguments or parameters"
    merges = [getattr(command, f"_merge_{name}") for name in ("my", "to", "error", "warning", "verbose", "debug", "information")]
    if command.merge_unclaimed or any(int(merge) for merge in merges):
        return "stream merging options on a pipeline command"
    if metadata.is_nested:
        return "a nested pipeline"
    if metadata.redirect_shell_error_to_out:
        return "RedirectShellErrorOutputPipe"
    return None


class PsrpSession:  # pylint: disable=too-many-instance-attributes
    """The runspace pool of one PowerShell shell, its pipelines and the fragments waiting for the client."""

    def __init__(self, model: t.Any, process_id: int, user: str) -> None:
        self.pool = SimulatorRunspacePool(application_private_data(model))
        self.process_id = process_id
        self.computer = str(getattr(model, "hostname", "WIN")).upper()
        self.user = f"{self.computer}\\{user}"
        self.pipelines: dict[str, PsrpPipeline] = {}
        self.state = runspace.RunspaceState()
        self.received_bytes = 0
        self._queues: dict[uuid.UUID | None, collections.deque[bytes]] = collections.defaultdict(collections.deque)

    @property
    def broken(self) -> bool:
        return self.pool.state == RunspacePoolState.Broken

    # ----- from the client --------------------------------------------------------------------------------
    def _feed(self, data: bytes) -> None:
        self.received_bytes += len(data)
        if self.received_bytes > MAX_RECEIVED_BYTES:
            raise PsrpUnsupported(f"more than {MAX_RECEIVED_BYTES} bytes of PSRP data in one runspace pool")
        if self.broken:
            return  # what a client sends to a broken pool is not read any more
        refused = refused_message(data)
        if refused is not None:
            # Not handed to psrpcore at all: it would answer some of these (PUBLIC_KEY) and fail to read others.
            self.break_pool(f"SIMULATOR-UNSUPPORTED: the PSRP message {refused} is not modelled")
            return
        self.pool.receive_data(psrpcore.PSRPPayload(data, psrpcore.StreamType.default, None))
        while True:
            event = self.pool.next_event()
            if event is None:
                break
            self._handle(event)
        self._flush()

    def open(self, creation: bytes) -> None:
        """Create's creationXml: SESSION_CAPABILITY and INIT_RUNSPACEPOOL; psrpcore queues the answers."""
        self._feed(creation)
        if self.pool.state != RunspacePoolState.Opened:
            raise PsrpUnsupported("a creationXml without SESSION_CAPABILITY and INIT_RUNSPACEPOOL")

    def add_pipeline(self, command_id: str, first_fragment: bytes) -> PsrpPipeline:
        """Command: the pipeline's id is the client's CommandId; its first fragment rides in rsp:Arguments."""
        if self.broken:
            raise PsrpUnsupported("a pipeline on a broken runspace pool")
        if len(self.pipelines) >= MAX_PIPELINES:
            raise PsrpUnsupported(f"more than {MAX_PIPELINES} pipelines at once in one runspace pool")
        try:
            pipeline_id = uuid.UUID(command_id)
        except ValueError as exc:
            raise PsrpUnsupported(f"a CommandId {command_id!r} that is not a pipeline GUID") from exc
        if command_id.upper() in self.pipelines:
            raise PsrpUnsupported(f"a second pipeline with the CommandId {command_id}")
        pipeline = PsrpPipeline(command_id.upper(), psrpcore.ServerPipeline(self.pool, pipeline_id))
        self.pipelines[pipeline.command_id] = pipeline
        self._feed(first_fragment)
        return pipeline

    def receive(self, data: bytes) -> None:
        """Send on ``stdin`` (pool messages, the rest of a CREATE_PIPELINE, pipeline input) or ``pr`` (host responses)."""
        self._feed(data)

    def _pipeline_of(self, event: t.Any) -> PsrpPipeline | None:
        pipeline_id = getattr(event, "pipeline_id", None)
        return self.pipelines.get(str(pipeline_id).upper()) if pipeline_id else None

    def _handle(self, event: t.Any) -> None:
        if isinstance(event, (psrpcore.SessionCapabilityEvent, psrpcore.InitRunspacePoolEvent)):
            return  # psrpcore queued the answers
        pipeline = self._pipeline_of(event)
        if isinstance(event, psrpcore.CreatePipelineEvent) and pipeline is not None:
            metadata = event.pipeline
            pipeline.created = True
            pipeline.no_input = bool(metadata.no_input)
            pipeline.unsupported = _pipeline_shape(metadata)
            pipeline.host = metadata.host if not metadata.host.UseRunspaceHost else self.pool.host
            pipeline.invocation_info = bool(int(metadata.remote_stream_options) & ADD_INVOCATION_INFO_TO_ERRORS)
            if pipeline.unsupported is None:
                pipeline.script = metadata.commands[0].command_text
                pipeline.local_scope = bool(metadata.commands[0].use_local_scope)
            return
        if isinstance(event, psrpcore.GetCommandMetadataEvent) and pipeline is not None:
            pipeline.created = True
            pipeline.unsupported = "GET_COMMAND_METADATA (the command metadata of the runspace is not modelled)"
            return
        if isinstance(event, psrpcore.PipelineInputEvent) and pipeline is not None:
            if len(pipeline.input_objects) >= MAX_INPUT_OBJECTS:
                pipeline.unsupported = f"more than {MAX_INPUT_OBJECTS} pipeline input objects"
            else:
                pipeline.input_objects.append(event.data)
            return
        if isinstance(event, psrpcore.EndOfPipelineInputEvent) and pipeline is not None:
            pipeline.input_done = True
            return
        self.break_pool(f"SIMULATOR-UNSUPPORTED: the PSRP message {type(event).__name__.removesuffix('Event')} is not modelled")

    def break_pool(self, reason: str) -> None:
        """RUNSPACEPOOL_STATE Broken with the reason [DOC: MS-PSRP 2.2.2.9; pypsrp raises it as InvalidPSRPOperation]."""
        if self.pool.state in (RunspacePoolState.Opened, RunspacePoolState.Broken):
            record = records.error_record(runspace.unsupported_record(reason), "", stream=False, extended=False)
            self.pool.set_broken(record)
            self._flush()
        else:
            raise PsrpUnsupported(reason)

    # ----- running --------------------------------------------------------------------------------------------
    def finish(self, pipeline: PsrpPipeline, result: runspace.RunspaceResult) -> None:
        """A script's events as the pipeline's messages, in order, then its final state."""
        server = pipeline.server
        # No PIPELINE_STATE Running on the wire (module docstring): psrpcore's start() would queue one.
        server._change_state(PSInvocationState.Running, emit=False)  # pylint: disable=protected-access
        ui = pipeline.host is not None and not pipeline.host.IsHostUINull
        for kind, payload in result.events:
            if kind == runspace.OUTPUT:
                if isinstance(payload, ErrorRecord):
                    payload = records.error_record(payload, result.script, stream=True, extended=pipeline.invocation_info)
                server.write_output(payload)
            elif kind == runspace.ERROR:
                self._write_error(server, records.error_record(payload, result.script, stream=True, extended=pipeline.invocation_info))
            elif kind == runspace.INFORMATION:
                self._write_information(server, payload)
            elif kind == runspace.HOST and (ui or payload.method not in UI_METHODS):
                # [INF] Without a client host UI (HostInfo._isHostUINull) the server has no UI to call: Write-Host's
                # call is dropped (ServerRemoteHost creates no ServerRemoteHostUserInterface then).
                server.host_call(getattr(HostMethodIdentifier, payload.method), list(payload.arguments))
        if result.state == runspace.FAILED:
            reason = records.error_record(result.failure, result.script, stream=False, extended=False) if result.failure else None
            server._change_state(PSInvocationState.Failed, reason)  # pylint: disable=protected-access
        else:
            server.complete()
        pipeline.finished = True
        self._flush()

    @staticmethod
    def _write_error(server: psrpcore.ServerPipeline, record: records.RemotingErrorRecord) -> None:
        # ServerPipeline.write_error builds psrpcore's own ErrorRecord; queue ours as the ERROR_RECORD message instead.
        server.prepare_message(record, message_type=psrpcore.types.PSRPMessageType.ErrorRecord)

    def _write_information(self, server: psrpcore.ServerPipeline, message: runspace.HostMessage) -> None:
        """Write-Host's InformationRecord (source Write-Host, tag PSHOST); protocol 2.3 (5.1) clients only."""
        if getattr(self.pool.their_capability, "protocolversion", PSVersion("2.0")) < PSVersion("2.3"):
            return
        server.write_information(records.host_information_message(message.message, message.no_newline), "Write-Host",
                                 time_generated=records.now(), tags=["PSHOST"], user=self.user, computer=self.computer,
                                 process_id=self.process_id, native_thread_id=self.process_id + 4, managed_thread_id=10)

    def abort(self, pipeline: PsrpPipeline, reason: str) -> None:
        """Last resort when ``finish`` itself failed (a simulator bug): end the pipeline Failed with psrpcore's plain
        record, so the client gets an answer instead of waiting for ever."""
        server = pipeline.server
        if server.state == PSInvocationState.NotStarted:
            server._change_state(PSInvocationState.Running, emit=False)  # pylint: disable=protected-access
        record = psrpcore.types.ErrorRecord(Exception=psrpcore.types.NETException(Message=reason),
                                            CategoryInfo=psrpcore.types.ErrorCategoryInfo(), FullyQualifiedErrorId="SimulatorError")
        server._change_state(PSInvocationState.Failed, record)  # pylint: disable=protected-access
        pipeline.finished = True
        self._flush()

    def fail(self, pipeline: PsrpPipeline, reason: str) -> None:
        """A pipeline the simulator refuses to run: Failed with a SIMULATOR-UNSUPPORTED (or -ERROR) reason."""
        result = runspace.RunspaceResult(state=runspace.FAILED, failure=runspace.unsupported_record(reason))
        self.finish(pipeline, result)

    def release(self, command_id: str) -> PsrpPipeline | None:
        """Signal (terminate, ctrl_c) or Delete: the pipeline and its unsent messages are gone."""
        pipeline = self.pipelines.pop(command_id.upper(), None)
        if pipeline is not None:
            self.pool.pipeline_table.pop(pipeline.server.pipeline_id, None)
            self._queues.pop(pipeline.server.pipeline_id, None)
        return pipeline

    # ----- to the client ------------------------------------------------------------------------------------------
    def _flush(self) -> None:
        """psrpcore's pending messages as single fragments, queued per target (None: the pool, else a pipeline)."""
        while True:
            payload = self.pool.data_to_send(FRAGMENT_SIZE)
            if payload is None:
                return
            if payload.pipeline_id is not None and str(payload.pipeline_id).upper() not in self.pipelines:
                continue  # released while its messages were pending
            self._queues[payload.pipeline_id].extend(split_fragments(payload.data))

    def _target(self, command_id: str | None) -> uuid.UUID | None:
        return None if command_id is None else self.pipelines[command_id.upper()].server.pipeline_id

    def take(self, command_id: str | None, budget: int) -> list[bytes]:
        """Fragments for the pool (None) or a pipeline, at most ``budget`` bytes (at least one fragment)."""
        queue, taken, size = self._queues[self._target(command_id)], [], 0
        while queue and (not taken or size + len(queue[0]) <= budget):
            fragment = queue.popleft()
            taken.append(fragment)
            size += len(fragment)
        return taken

    def has_data(self, command_id: str | None) -> bool:
        return bool(self._queues.get(self._target(command_id)))
