# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet's control endpoint: HTTP + JSON on a loopback port, guarded by a token kept in the state dir."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import http.client
import json
import logging
import typing as t

from .wsman.httpproto import HttpError, build_response, read_request
from .wsman.netfaults import FaultSpecError

log = logging.getLogger(__name__)

CONTROL_TIMEOUT = 120.0
READ_ONLY_OPS = ("counters", "state", "commands")


class ControlError(Exception):
    """The control endpoint refused or failed an operation (client side)."""


class OperationError(Exception):
    """A control operation with bad arguments (server side; answered with HTTP 400)."""


class ControlServer:
    """Routes: ``GET /status``, ``POST /hosts/<name|all>/<op>`` (JSON args), ``GET /hosts/<name|all>/counters|state``,
    ``POST /shutdown``."""

    def __init__(self, fleet: t.Any, token: str) -> None:
        self.fleet = fleet
        self.token = token
        self.port = 0
        self._server: asyncio.base_events.Server | None = None

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._serve, host="127.0.0.1", port=port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), timeout=2)
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(read_request(reader), timeout=30)
            if request is None:
                return
            status, payload = await self._route(request.method, request.target, request.headers, request.body)
        except (HttpError, asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError) as exc:
            status, payload = 400, {"error": str(exc) or type(exc).__name__}
        body = (json.dumps(payload, sort_keys=True) + "\n").encode()
        with contextlib.suppress(ConnectionError):
            writer.write(build_response(status, [("Content-Type", "application/json")], body, keep_alive=False))
            await writer.drain()
        writer.close()

    async def _route(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        given = headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return 401, {"error": "bad or missing control token"}
        parts = [p for p in target.split("?", 1)[0].split("/") if p]
        try:
            args = json.loads(body) if body else {}
            if not isinstance(args, dict):
                raise ValueError("arguments must be a JSON object")
        except ValueError as exc:
            return 400, {"error": f"bad JSON: {exc}"}
        if method == "GET" and parts == ["status"]:
            return 200, self.fleet.status()
        if method == "POST" and parts == ["shutdown"]:
            asyncio.get_running_loop().call_soon(self.fleet.request_stop)
            return 200, {"stopping": True}
        # GET for the read-only operations, so playbooks can read counters with a controller-side lookup.
        readable = method == "GET" and len(parts) == 3 and parts[2] in READ_ONLY_OPS
        if (method == "POST" or readable) and len(parts) == 3 and parts[0] == "hosts":
            try:
                results = {}
                for host in self.fleet.targets(parts[1]):
                    results[host.config.name] = await self.fleet.host_op(host, parts[2], args)
            except (OperationError, FaultSpecError, ValueError, TypeError, KeyError) as exc:
                return 400, {"error": str(exc)}
            except Exception as exc:  # pylint: disable=broad-exception-caught
                log.exception("control operation %s failed", target)
                return 500, {"error": f"{type(exc).__name__}: {exc}"}
            return 200, {"hosts": results}
        return 404, {"error": f"no route for {method} {target}"}


class ControlClient:
    """Blocking client for the control endpoint (used by the CLI and by tests)."""

    def __init__(self, port: int, token: str, timeout: float = CONTROL_TIMEOUT) -> None:
        self.port = port
        self.token = token
        self.timeout = timeout

    def _call(self, method: str, path: str, args: dict | None = None) -> dict:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            body = json.dumps(args or {}).encode() if method == "POST" else None
            connection.request(method, path, body=body, headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            data = json.loads(response.read() or b"{}")
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise ControlError(f"control endpoint on port {self.port}: {exc}") from exc
        finally:
            connection.close()
        if response.status != 200:
            raise ControlError(data.get("error", f"HTTP {response.status}"))
        return data

    def status(self) -> dict:
        return self._call("GET", "/status")

    def shutdown(self) -> dict:
        return self._call("POST", "/shutdown")

    def call(self, target: str, op: str, **args: t.Any) -> dict:
        """Run ``op`` on one host or ``all``; returns ``{host_name: result}``."""
        return self._call("POST", f"/hosts/{target}/{op}", args)["hosts"]

    def one(self, target: str, op: str, **args: t.Any) -> t.Any:
        """Like ``call`` for a single host; returns that host's result."""
        return self.call(target, op, **args)[target]
