# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small, bounded HTTP/1.1 request reader and response writer (keep-alive, Content-Length and chunked bodies)."""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_HEADER_COUNT = 100
MAX_CHUNK_LINE = 1024

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class HttpError(Exception):
    """A request we refuse to parse; the connection answers ``status`` and closes."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclasses.dataclass
class HttpRequest:
    """One parsed request; header names are lower case, repeated headers joined with ', '."""

    method: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes
    wire_bytes: int

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection


async def _read_line(reader: asyncio.StreamReader, limit: int) -> bytes:
    line = await reader.readuntil(b"\r\n")
    if len(line) > limit:
        raise HttpError(400, "line too long")
    return line


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, int]:
    """Read a chunked body; returns (body, bytes read on the wire)."""
    parts: list[bytes] = []
    total = 0
    wire = 0
    while True:
        line = await _read_line(reader, MAX_CHUNK_LINE)
        wire += len(line)
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError as exc:
            raise HttpError(400, "bad chunk size") from exc
        if size < 0 or total + size > MAX_BODY_BYTES:
            raise HttpError(413, "body too large")
        if size == 0:
            # Trailers (bounded), then the final CRLF.
            for dummy in range(MAX_HEADER_COUNT):
                trailer = await _read_line(reader, MAX_CHUNK_LINE)
                wire += len(trailer)
                if trailer == b"\r\n":
                    return b"".join(parts), wire
            raise HttpError(400, "too many trailers")
        data = await reader.readexactly(size + 2)
        wire += len(data)
        if data[-2:] != b"\r\n":
            raise HttpError(400, "bad chunk terminator")
        parts.append(data[:-2])
        total += size


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """Read one request; None when the peer closed the connection cleanly between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise HttpError(400, "truncated request head") from exc
    except asyncio.LimitOverrunError as exc:
        raise HttpError(400, "request head too large") from exc
    if len(head) > MAX_HEADER_BYTES:
        raise HttpError(400, "request head too large")
    lines = head[:-4].decode("latin-1").split("\r\n")
    request_line = lines[0].split(" ")
    if len(request_line) != 3 or not request_line[2].startswith("HTTP/1."):
        raise HttpError(400, "bad request line")
    if len(lines) - 1 > MAX_HEADER_COUNT:
        raise HttpError(400, "too many headers")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise HttpError(400, "bad header line")
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    wire = len(head)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body, body_wire = await _read_chunked(reader)
        wire += body_wire
    else:
        length_text = headers.get("content-length", "0")
        if not length_text.isdigit():
            raise HttpError(400, "bad Content-Length")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            raise HttpError(413, "body too large")
        body = await reader.readexactly(length) if length else b""
        wire += length
    return HttpRequest(request_line[0], request_line[1], request_line[2], headers, body, wire)


def build_response(status: int, headers: list[tuple[str, str]], body: bytes, keep_alive: bool = True) -> bytes:
    """Serialize a response the way HTTP.sys does for WinRM (Server header, Date, explicit length)."""
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}"]
    lines.append("Server: Microsoft-HTTPAPI/2.0")
    lines.append(f"Date: {email.utils.formatdate(usegmt=True)}")
    lines.extend(f"{name}: {value}" for name, value in headers)
    lines.append(f"Content-Length: {len(body)}")
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
