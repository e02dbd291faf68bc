# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP authentication (Basic, Negotiate/NTLM via pyspnego) and WinRM message encryption (MS-WSMV 2.2.9.1)."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hmac
import os
import struct

import spnego
import spnego.channel_bindings
import spnego.exceptions

MIME_BOUNDARY = b"--Encrypted Boundary"
ENCRYPTED_PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
ENCRYPTED_CONTENT_TYPE = f'multipart/encrypted;protocol="{ENCRYPTED_PROTOCOL}";boundary="Encrypted Boundary"'
MAX_AUTH_TOKEN = 16 * 1024


class EncryptionError(Exception):
    """An encrypted body we cannot unwrap (bad framing, bad signature, wrong length)."""


@dataclasses.dataclass(frozen=True)
class AuthSettings:
    """What a host accepts; one fleet-wide local account."""

    basic: bool
    ntlm: bool
    username: str
    password: str
    allow_unencrypted: bool
    channel_binding_data: bytes | None = None

    def challenge_headers(self) -> list[tuple[str, str]]:
        """The WWW-Authenticate headers of a plain 401, in Windows' order."""
        headers = []
        if self.ntlm:
            headers.append(("WWW-Authenticate", "Negotiate"))
        if self.basic:
            headers.append(("WWW-Authenticate", 'Basic realm="WSMAN"'))
        return headers


@dataclasses.dataclass
class ConnectionAuth:
    """Authentication state of one TCP connection (NTLM authenticates the connection, not the request)."""

    context: spnego.ContextProxy | None = None
    ntlm_user: str | None = None

    @property
    def encrypted_session(self) -> bool:
        return self.context is not None and self.context.complete


@dataclasses.dataclass
class AuthResult:
    """Either ``ok`` (with the account name), or a 401 to send back."""

    ok: bool
    user: str = ""
    headers: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    challenge: bool = False


def write_ntlm_user_file(state_dir: str, username: str, password: str) -> str:
    """Write the pyspnego acceptor's credential file (mode 0600) and point NTLM_USER_FILE at it."""
    path = os.path.join(state_dir, "ntlm-users")
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        # Clients send the user without a domain, or with "." (local account); accept both spellings.
        handle.write(f":{username}:{password}\n.:{username}:{password}\n")
    os.replace(tmp, path)
    os.environ["NTLM_USER_FILE"] = path
    return path


def _user_matches(settings: AuthSettings, given: str) -> bool:
    """Local account names: ``user``, ``.\\user`` or ``HOST\\user``, case-insensitive as on Windows."""
    name = given.split("\\", 1)[1] if "\\" in given else given
    return hmac.compare_digest(name.lower().encode(), settings.username.lower().encode())


def _check_basic(settings: AuthSettings, token: str) -> AuthResult:
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return AuthResult(False, headers=settings.challenge_headers())
    user, sep, password = decoded.partition(":")
    if sep and _user_matches(settings, user) and hmac.compare_digest(password.encode(), settings.password.encode()):
        return AuthResult(True, user=user)
    return AuthResult(False, headers=settings.challenge_headers())


def _step_ntlm(settings: AuthSettings, conn: ConnectionAuth, scheme: str, token: str) -> AuthResult:
    if len(token) > MAX_AUTH_TOKEN:
        return AuthResult(False, headers=settings.challenge_headers())
    try:
        in_token = base64.b64decode(token, validate=True)
    except binascii.Error:
        return AuthResult(False, headers=settings.challenge_headers())
    # A Negotiate (type 1) message always starts a fresh context, even on an authenticated connection.
    if conn.context is None or conn.context.complete or in_token[8:12] == b"\x01\x00\x00\x00":
        bindings = None
        if settings.channel_binding_data:
            bindings = spnego.channel_bindings.GssChannelBindings(application_data=settings.channel_binding_data)
        conn.context = spnego.server(protocol="ntlm", service="http", channel_bindings=bindings)
    try:
        out_token = conn.context.step(in_token)
    except (spnego.exceptions.SpnegoError, ValueError, struct.error):
        conn.context = None
        return AuthResult(False, headers=settings.challenge_headers())
    if not conn.context.complete:
        return AuthResult(False, headers=[("WWW-Authenticate", f"{scheme} {base64.b64encode(out_token or b'').decode()}")], challenge=True)
    conn.ntlm_user = conn.context.client_principal or settings.username
    return AuthResult(True, user=conn.ntlm_user)


def authenticate(settings: AuthSettings, conn: ConnectionAuth, authorization: str | None) -> AuthResult:
    """Check one request's Authorization header against the host's settings and the connection's state."""
    if not authorization:
        if conn.encrypted_session:
            return AuthResult(True, user=conn.ntlm_user or settings.username)
        return AuthResult(False, headers=settings.challenge_headers())
    scheme, dummy, token = authorization.strip().partition(" ")
    scheme_lower = scheme.lower()
    if scheme_lower == "basic" and settings.basic:
        return _check_basic(settings, token.strip())
    if scheme_lower in ("negotiate", "ntlm") and settings.ntlm:
        return _step_ntlm(settings, conn, "Negotiate" if scheme_lower == "negotiate" else "NTLM", token.strip())
    return AuthResult(False, headers=settings.challenge_headers())


def is_encrypted(content_type: str) -> bool:
    return content_type.lower().startswith("multipart/encrypted") and ENCRYPTED_PROTOCOL.lower() in content_type.lower()


def unwrap_body(context: spnego.ContextProxy, body: bytes) -> bytes:
    """Decrypt a multipart/encrypted request body (the mirror of pywinrm's ``Encryption._encrypt_message``)."""
    parts = [part for part in body.split(MIME_BOUNDARY + b"\r\n") if part]
    if len(parts) != 2:
        raise EncryptionError("expected one header part and one payload part")
    header, payload = parts
    try:
        expected_length = int(header.split(b"Length=")[1].strip())
    except (IndexError, ValueError) as exc:
        raise EncryptionError("no OriginalContent length") from exc
    if not payload.endswith(MIME_BOUNDARY + b"--\r\n"):
        raise EncryptionError("missing closing boundary")
    payload = payload[: -len(MIME_BOUNDARY + b"--\r\n")]
    prefix = b"\tContent-Type: application/octet-stream\r\n"
    if not payload.startswith(prefix) or len(payload) < len(prefix) + 4:
        raise EncryptionError("bad payload part")
    payload = payload[len(prefix):]
    signature_length = struct.unpack("<i", payload[:4])[0]
    if not 0 < signature_length <= 64:
        raise EncryptionError("bad signature length")
    signature = payload[4: 4 + signature_length]
    try:
        message = context.unwrap_winrm(signature, payload[4 + signature_length:])
    except spnego.exceptions.SpnegoError as exc:
        raise EncryptionError(f"cannot unwrap: {exc}") from exc
    if len(message) != expected_length:
        raise EncryptionError("decrypted length does not match OriginalContent")
    return message


def wrap_body(context: spnego.ContextProxy, message: bytes) -> bytes:
    """Encrypt a response body exactly as pywinrm frames its requests (it parses ours with the same code)."""
    wrapped = context.wrap_winrm(message)
    return (
        MIME_BOUNDARY + b"\r\n"
        b"\tContent-Type: " + ENCRYPTED_PROTOCOL.encode() + b"\r\n"
        b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + str(len(message)).encode() + b"\r\n"
        + MIME_BOUNDARY + b"\r\n"
        b"\tContent-Type: application/octet-stream\r\n"
        + struct.pack("<i", len(wrapped.header)) + wrapped.header + wrapped.data
        + MIME_BOUNDARY + b"--\r\n"
    )
