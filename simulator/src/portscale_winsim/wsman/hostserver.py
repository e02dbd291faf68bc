# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One simulated host on the wire: its listener, connections, auth, faults, counters, commands and reboots."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import ssl
import threading
import typing as t

from ..results import CommandResult
from . import auth, faults, soap
from .dispatch import ActionFault, DispatchContext, dispatch
from .httpproto import MAX_HEADER_BYTES, HttpError, HttpRequest, build_response, read_request
from .netfaults import HttpCounters, NetworkFaults
from .shells import Command, Shell, ShellTable

log = logging.getLogger(__name__)

#: ``runner(model, command, arguments, stdin, codepage)``: the shell layer's ``run_command_line``.
Runner = t.Callable[[t.Any, str, str, bytes, int], CommandResult]

SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"
LISTEN_RETRIES = 40
#: HTTP.sys drops idle keep-alive connections after 2 minutes; a request must also arrive whole within that time.
IDLE_TIMEOUT = 120.0
MAX_CONNECTIONS = 256


@dataclasses.dataclass
class HostConfig:
    """Static settings of one host's endpoint."""

    name: str
    port: int
    scheme: str
    auth: auth.AuthSettings
    state_path: str
    max_shells: int = 30
    max_operations: int = 1500
    boot_seconds: float = 2.0
    reboot_grace: float = 1.0


@dataclasses.dataclass
class Reply:
    """What to send back for one request."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    close: bool = False
    drop: bool = False     # an injected fault: close the connection without answering
    crash: bool = False    # an injected fault: drop, and the host goes down (and reboots) at once
    delay_ms: int = 0      # an injected fault: answer this late


class HostServer:
    """Serves one host model on one loopback port; all methods run on the event loop thread."""

    def __init__(self, config: HostConfig, model: t.Any, runner: Runner, executor: concurrent.futures.Executor,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.model = model
        self.model_lock = threading.Lock()
        self.runner = runner
        self.executor = executor
        self.ssl_context = ssl_context
        self.shells = ShellTable(config.max_shells, config.max_operations)
        self.faults = NetworkFaults()
        self.counters = HttpCounters()
        self.rebooting = False
        self.boot_generation = 0  # bumped when the host goes down: commands started before then never run
        self._reboot_pending = False
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()
        #: Other listeners of this host (the SSH front end, ``sshfront``): objects with ``async listen()``,
        #: ``async stop_listening()`` and ``describe()``. They go up and down with the WS-Man listener, so a reboot
        #: or the ``refused`` fault takes the whole host off the network.
        self.front_ends: list[t.Any] = []

    # ----- listener -----------------------------------------------------------------------------------------
    @property
    def listening(self) -> bool:
        return self._server is not None

    async def listen(self) -> None:
        """Bind the host's port (retrying briefly: after a reboot the old socket may still be closing), then the front ends'."""
        if self._server is None:
            self._server = await self._bind()
        for front in self.front_ends:
            await front.listen()

    async def _bind(self) -> asyncio.base_events.Server:
        for attempt in range(LISTEN_RETRIES):
            try:
                return await asyncio.start_server(
                    self._serve_connection, host="127.0.0.1", port=self.config.port, ssl=self.ssl_context,
                    limit=MAX_HEADER_BYTES, reuse_address=True, backlog=128,
                )
            except OSError:
                if attempt == LISTEN_RETRIES - 1:
                    raise
                await asyncio.sleep(0.25)
        raise AssertionError("unreachable")

    async def stop_listening(self) -> None:
        """Refuse new connections and cut the open ones (what a host going down looks like)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            transport = writer.transport
            if transport is not None:
                transport.abort()
        self._writers.clear()
        for front in self.front_ends:
            await front.stop_listening()
        if server is not None:
            try:
                await asyncio.wait_for(server.wait_closed(), timeout=2)
            except asyncio.TimeoutError:
                log.warning("host %s: listener did not close in time", self.config.name)

    async def set_refused(self, refused: bool) -> None:
        self.faults.refused = refused
        if refused:
            await self.stop_listening()
        elif not self.rebooting:
            await self.listen()

    # ----- model ------------------------------------------------------------------------------------------
    def _save_locked(self) -> None:
        self.model.save(self.config.state_path)
        self.model.dirty = False

    async def with_model(self, func: t.Callable[[t.Any], t.Any]) -> t.Any:
        """Run ``func(model)`` under the host lock in a worker thread, then save if it changed the model."""
        def call() -> t.Any:
            with self.model_lock:
                value = func(self.model)
                if getattr(self.model, "dirty", False):
                    self._save_locked()
                return value
        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    async def save(self) -> None:
        await self.with_model(self._save_locked_model)

    def _save_locked_model(self, model: t.Any) -> None:
        del model
        self._save_locked()

    # ----- commands ---------------------------------------------------------------------------------------
    def _start_command(self, shell: Shell, command: Command) -> None:
        if command.started:
            return
        command.started = True
        task = asyncio.ensure_future(self._run_command(shell.codepage, command))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def run_locked(self, command: str, arguments: str, stdin: bytes, codepage: int,  # pylint: disable=too-many-arguments
                   through_cmd: bool = True) -> tuple[CommandResult, float | None]:
        """One command line on the model under the host lock (saved if it changed), and the reboot it left scheduled.

        Every front end (WS-Man here, SSH in ``sshfront``) goes through this, so they all drive one model the same way.
        ``through_cmd=False``: a process started without cmd.exe (sshd with PowerShell as its default shell).
        """
        with self.model_lock:
            if through_cmd:
                result = self.runner(self.model, command, arguments, stdin, codepage)
            else:
                result = self.runner(self.model, command, arguments, stdin, codepage, through_cmd=False)
            if getattr(self.model, "dirty", False):
                self._save_locked()
            # Left in the model until the reboot starts, so ``shutdown /a`` can still abort it.
            delay = getattr(self.model, "scheduled_reboot", None)
        return result, delay

    def _execute(self, command: Command, codepage: int) -> tuple[CommandResult, float | None]:
        return self.run_locked(command.command, command.arguments, b"".join(command.stdin), codepage)

    async def run_command_line(self, command: str, arguments: str, stdin: bytes, codepage: int,  # pylint: disable=too-many-arguments
                               through_cmd: bool = True) -> CommandResult:
        """For the other front ends: ``run_locked`` on the host's executor, then start the reboot it scheduled."""
        loop = asyncio.get_running_loop()
        result, delay = await loop.run_in_executor(self.executor, self.run_locked, command, arguments, stdin, codepage, through_cmd)
        if delay is not None:
            self.schedule_reboot(float(delay), scheduled_by_model=True)
        return result

    async def _run_command(self, codepage: int, command: Command) -> None:
        generation = self.boot_generation
        if self.faults.slow_command_ms:
            # A slow program: the output appears late, so Receive can hit OperationTimeout.
            self.counters.faults_injected["slow-command"] += 1
            await asyncio.sleep(self.faults.slow_command_ms / 1000)
        if generation != self.boot_generation:
            # The host went down while the program was starting: it never ran (a reboot kills every process).
            command.terminated = True
            command.done.set()
            return
        reboot_delay = None
        try:
            result, reboot_delay = await asyncio.get_running_loop().run_in_executor(self.executor, self._execute, command, codepage)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A simulator bug must be loud: the client gets an InternalError fault, the log gets the traceback.
            log.exception("host %s: command failed inside the simulator", self.config.name)
            command.error = f"{type(exc).__name__}: {exc}"
        else:
            command.result = result
        command.done.set()
        if reboot_delay is not None:
            self.schedule_reboot(float(reboot_delay), scheduled_by_model=True)

    # ----- PSRP pipelines ------------------------------------------------------------------------------------
    def _start_pipeline(self, shell: Shell, pipeline: t.Any) -> None:
        task = asyncio.ensure_future(self._run_pipeline(shell, pipeline))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _run_pipeline_locked(self, shell: Shell, pipeline: t.Any) -> tuple[t.Any, float | None]:
        """The pipeline's script under the host lock (saved if it changed the model), and the reboot it scheduled."""
        from ..shell.runspace import run_runspace_script  # pylint: disable=import-outside-toplevel

        with self.model_lock:
            result = run_runspace_script(self.model, pipeline.script, shell.psrp.state, input_objects=pipeline.input_objects,
                                         local_scope=pipeline.local_scope)
            if getattr(self.model, "dirty", False):
                self._save_locked()
            delay = getattr(self.model, "scheduled_reboot", None)
        return result, delay

    async def _run_pipeline(self, shell: Shell, pipeline: t.Any) -> None:
        """A PSRP pipeline: the same slow-command fault, host lock, saving and reboots as a WinRS command."""
        session = shell.psrp
        if pipeline.unsupported is not None:
            session.fail(pipeline, f"SIMULATOR-UNSUPPORTED: {pipeline.unsupported}")
            shell.psrp_changed.set()
            return
        generation = self.boot_generation
        if self.faults.slow_command_ms:
            self.counters.faults_injected["slow-command"] += 1
            await asyncio.sleep(self.faults.slow_command_ms / 1000)
        if generation != self.boot_generation or pipeline.command_id not in session.pipelines:
            return  # the host went down, or the client stopped the pipeline, while it was starting: it never ran
        reboot_delay = None
        try:
            result, reboot_delay = await asyncio.get_running_loop().run_in_executor(self.executor, self._run_pipeline_locked, shell, pipeline)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A simulator bug must be loud: the pipeline fails with the error, the log gets the traceback.
            log.exception("host %s: PSRP pipeline failed inside the simulator", self.config.name)
            session.fail(pipeline, f"SIMULATOR-ERROR: {type(exc).__name__}: {exc}")
        else:
            try:
                session.finish(pipeline, result)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                log.exception("host %s: PSRP pipeline output failed inside the simulator", self.config.name)
                session.abort(pipeline, f"SIMULATOR-ERROR: {type(exc).__name__}: {exc}")
        shell.psrp_changed.set()
        if reboot_delay is not None:
            self.schedule_reboot(float(reboot_delay), scheduled_by_model=True)

    # ----- reboot -----------------------------------------------------------------------------------------
    def schedule_reboot(self, delay: float, scheduled_by_model: bool = False) -> bool:
        """Start a reboot in the background; False when one is already pending or under way."""
        if self.rebooting or self._reboot_pending:
            return False
        self._reboot_pending = True
        # ``shutdown /r /t 0`` returns before Windows goes down; the grace lets the client read its output first.
        wait = max(delay, self.config.reboot_grace) if scheduled_by_model else delay
        task = asyncio.ensure_future(self._reboot(wait, scheduled_by_model))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _reboot(self, wait: float, scheduled_by_model: bool) -> None:
        try:
            await asyncio.sleep(wait)
        finally:
            self._reboot_pending = False
        if scheduled_by_model and not await self.with_model(_consume_scheduled_reboot):
            return  # aborted (shutdown /a) in the meantime
        self.rebooting = True
        self.boot_generation += 1
        try:
            await self.stop_listening()
            self.shells.clear()
            await asyncio.sleep(self.config.boot_seconds)
            await self.with_model(self._reboot_model)
            self.counters.reboots += 1
        finally:
            self.rebooting = False
        if not self.faults.refused:
            await self.listen()

    def _reboot_model(self, model: t.Any) -> None:
        model.scheduled_reboot = None
        model.reboot()
        self._save_locked()

    # ----- HTTP -------------------------------------------------------------------------------------------
    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counters.connections += 1
        if len(self._writers) >= MAX_CONNECTIONS:
            log.warning("host %s: more than %d connections; closing a new one", self.config.name, MAX_CONNECTIONS)
            writer.close()
            return
        self._writers.add(writer)
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        conn = auth.ConnectionAuth()
        try:
            while True:
                try:
                    request = await asyncio.wait_for(read_request(reader), timeout=IDLE_TIMEOUT)
                except asyncio.TimeoutError:
                    break
                except HttpError as exc:
                    await self._write(writer, Reply(exc.status, [], close=True))
                    break
                if request is None:
                    break
                self.counters.http_requests += 1
                self.counters.bytes_in += request.wire_bytes
                if self.faults.latency_ms:
                    await asyncio.sleep(self.faults.latency_ms / 1000)
                if self.faults.take("drop", None):
                    self.counters.faults_injected["drop"] += 1
                    break
                try:
                    reply = await self._handle(request, conn, peer[0])
                except Exception:  # pylint: disable=broad-exception-caught
                    log.exception("host %s: request handling failed inside the simulator", self.config.name)
                    reply = Reply(500, [], close=True)
                if reply.crash:
                    self.schedule_reboot(0)
                if reply.drop:
                    break
                delay = reply.delay_ms or self.faults.take_delay(None)
                if delay:
                    self.counters.faults_injected["delay"] += 1
                    await asyncio.sleep(delay / 1000)
                await self._write(writer, dataclasses.replace(reply, close=reply.close or not request.keep_alive))
                if reply.close or not request.keep_alive:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, TimeoutError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), timeout=1)
            except (asyncio.TimeoutError, ConnectionError, ssl.SSLError, OSError):
                pass

    async def _write(self, writer: asyncio.StreamWriter, reply: Reply) -> None:
        data = build_response(reply.status, reply.headers, reply.body, keep_alive=not reply.close)
        self.counters.responses_by_status[reply.status] += 1
        self.counters.bytes_out += len(data)
        writer.write(data)
        await writer.drain()

    def _unauthorized(self, headers: list[tuple[str, str]]) -> Reply:
        self.counters.auth_round_trips += 1
        return Reply(401, headers)

    async def _handle(self, request: HttpRequest, conn: auth.ConnectionAuth, client_ip: str) -> Reply:
        if request.target.split("?", 1)[0].lower() != "/wsman":
            return Reply(404, [])
        if request.method != "POST":
            return Reply(405, [("Allow", "POST")])
        settings = self.config.auth
        if self.faults.take_unauthorized():
            self.counters.faults_injected["unauthorized"] += 1
            conn.context = None
            return self._unauthorized(settings.challenge_headers())
        had_context = conn.encrypted_session
        result = auth.authenticate(settings, conn, request.headers.get("authorization"))
        if not result.ok:
            if request.headers.get("authorization") and not result.challenge:
                self.counters.auth_failures += 1
            return self._unauthorized(result.headers)
        if conn.encrypted_session and not had_context:
            self.counters.ntlm_handshakes += 1
        if not request.body:
            # pywinrm opens the NTLM context with an empty authenticated POST before encrypting anything.
            return Reply(200, [])
        content_type = request.headers.get("content-type", "")
        encrypted = auth.is_encrypted(content_type)
        if encrypted:
            if not conn.encrypted_session or conn.context is None:
                return Reply(400, [])
            try:
                payload = auth.unwrap_body(conn.context, request.body)
            except auth.EncryptionError as exc:
                log.info("host %s: rejected encrypted body: %s", self.config.name, exc)
                return Reply(400, [])
        else:
            if self.config.scheme == "http" and not settings.allow_unencrypted:
                # AllowUnencrypted=false: Windows refuses a clear-text SOAP body on HTTP with a bare 500.
                self.counters.faults_injected["unencrypted-rejected"] += 1
                return Reply(500, [])
            payload = request.body
        soap_reply = await self._soap(payload, result.user, client_ip)
        if soap_reply.drop:
            return soap_reply
        if encrypted and conn.context is not None:
            return dataclasses.replace(soap_reply, headers=[("Content-Type", auth.ENCRYPTED_CONTENT_TYPE)],
                                       body=auth.wrap_body(conn.context, soap_reply.body))
        return dataclasses.replace(soap_reply, headers=[("Content-Type", SOAP_CONTENT_TYPE)])

    async def _soap(self, payload: bytes, user: str, client_ip: str) -> Reply:
        try:
            req = soap.parse_request(payload)
        except soap.SoapParseError as exc:
            self.counters.requests_by_action["Invalid"] += 1
            return Reply(500, [], faults.fault_envelope(faults.invalid_xml(str(exc)), "", self.config.name))
        self.counters.requests_by_action[req.action_name] += 1
        for kind in ("crash", "drop"):
            if self.faults.take(kind, req.action_name):
                # Before dispatching: a dropped Command never starts; a dropped Receive loses the output of a command
                # that already ran (it started when its Command arrived), which is what a cut connection does.
                self.counters.faults_injected[kind] += 1
                return Reply(0, [], drop=True, crash=kind == "crash")
        if self.faults.take("error500", req.action_name) or self.faults.take("error500", None):
            self.counters.faults_injected["error500"] += 1
            fault = faults.internal_error("The WS-Management service cannot process the request. (fault injected by the simulator) ")
            return Reply(500, [], faults.fault_envelope(fault, req.message_id, self.config.name))
        ctx = DispatchContext(
            shells=self.shells,
            address=f"{self.config.scheme}://127.0.0.1:{self.config.port}/wsman",
            client_ip=client_ip,
            user=user,
            default_codepage=int(getattr(self.model, "oem_codepage", 437) or 437),
            start_command=self._start_command,
            start_pipeline=self._start_pipeline,
            server=self,
        )
        delay_ms = self.faults.take_delay(req.action_name)
        try:
            body = await dispatch(ctx, req)
        except ActionFault as exc:
            return Reply(500, [], faults.fault_envelope(exc.fault, req.message_id, self.config.name), delay_ms=delay_ms)
        return Reply(200, [], body, delay_ms=delay_ms)

    # ----- control ----------------------------------------------------------------------------------------
    async def shutdown(self) -> None:
        """Stop serving, let running commands finish (bounded) and save the model."""
        await self.stop_listening()
        self.shells.clear()
        pending = [task for task in self._tasks if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)
        await self.save()

    def describe(self) -> dict:
        return {
            "name": self.config.name,
            "address": "127.0.0.1",
            "port": self.config.port,
            "scheme": self.config.scheme,
            "auth": [name for name, on in (("basic", self.config.auth.basic), ("ntlm", self.config.auth.ntlm)) if on],
            "state_file": self.config.state_path,
            **{key: value for front in self.front_ends for key, value in front.describe().items()},
        }

    def status(self) -> dict:
        return {
            **self.describe(),
            "listening": self.listening,
            "rebooting": self.rebooting,
            "shells": self.shells.snapshot(),
            "faults": self.faults.to_dict(),
        }


def _consume_scheduled_reboot(model: t.Any) -> bool:
    """True (and cleared) when the model still wants the reboot it scheduled."""
    if getattr(model, "scheduled_reboot", None) is None:
        return False
    model.scheduled_reboot = None
    return True
