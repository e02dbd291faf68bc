# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SOAP bodies of a PowerShell (PSRP) shell and of WS-Man Get, shaped like the ones Windows sent in pypsrp's
recorded test responses (jborean93/pypsrp v0.9.1, ``tests/tests_pypsrp/responses/*.yml``, captured from real hosts).

* CreateResponse (``test_psrp_open_runspace.yml``): the client's ShellId, ResourceUri Microsoft.PowerShell, Owner,
  ClientIP, ProcessId, IdleTimeOut, InputStreams ``stdin pr``, OutputStreams ``stdout``, MaxIdleTimeOut, Locale,
  DataLocale, CompressionMode, ProfileLoaded, Encoding, BufferMode, State, ShellRunTime, ShellInactivity.
* ReceiveResponse: one ``rsp:Stream Name="stdout"`` per PSRP fragment; the pool's carry no CommandId and no
  CommandState, a pipeline's carry its CommandId, and the answer that hands out the pipeline's final state ends with
  ``CommandState .../Done`` and ``ExitCode`` 0 (the recorded Windows answers give 0 whatever the pipeline did:
  ``test_psrp_error_failed.yml`` has a Failed pipeline with ExitCode 0) [DOC: MS-PSRP 3.1.5.3.9; MS-WSMV 3.1.4.14].
* GetResponse of ``wsman/1/config`` (``test_wsman_update_envelope_size_500.yml``: a default Server 2016 host), with
  this host's authentication, AllowUnencrypted and quota values; of ``windows/shell`` + ShellId
  (``test_psrp_is_alive_*.yml``): the shell's fields.
"""

from __future__ import annotations

import base64
from xml.sax.saxutils import escape, quoteattr

from . import soap

IDLE_TIMEOUT = "PT7200.000S"
MAX_IDLE_TIMEOUT = "PT2147483.647S"


def shell_fields(shell_id: str, owner: str, client_ip: str, process_id: int) -> str:
    """The rsp:Shell children of a PowerShell shell, in Windows' order."""
    return (
        f"<rsp:ShellId>{shell_id}</rsp:ShellId><rsp:ResourceUri>{soap.RESOURCE_POWERSHELL}</rsp:ResourceUri>"
        f"<rsp:Owner>{escape(owner)}</rsp:Owner><rsp:ClientIP>{escape(client_ip)}</rsp:ClientIP><rsp:ProcessId>{process_id}</rsp:ProcessId>"
        f"<rsp:IdleTimeOut>{IDLE_TIMEOUT}</rsp:IdleTimeOut><rsp:InputStreams>stdin pr</rsp:InputStreams><rsp:OutputStreams>stdout</rsp:OutputStreams>"
        f"<rsp:MaxIdleTimeOut>{MAX_IDLE_TIMEOUT}</rsp:MaxIdleTimeOut><rsp:Locale>en-US</rsp:Locale><rsp:DataLocale>en-US</rsp:DataLocale>"
        "<rsp:CompressionMode>NoCompression</rsp:CompressionMode><rsp:ProfileLoaded>Yes</rsp:ProfileLoaded><rsp:Encoding>UTF8</rsp:Encoding>"
        "<rsp:BufferMode>Block</rsp:BufferMode><rsp:State>Connected</rsp:State>"
        "<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity>"
    )


def create_response(req: soap.WsmanRequest, shell_id: str, address: str, fields: str) -> bytes:
    body = (
        f"<x:ResourceCreated><a:Address>{escape(address)}</a:Address><a:ReferenceParameters>"
        f"<w:ResourceURI>{soap.RESOURCE_POWERSHELL}</w:ResourceURI><w:SelectorSet>"
        f'<w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>'
        f"<rsp:Shell>{fields}</rsp:Shell>"
    )
    return soap.envelope(soap.RESPONSE_ACTIONS[soap.ACTION_CREATE], req.message_id, body)


def receive_response(req: soap.WsmanRequest, command_id: str | None, fragments: list[bytes], done: bool) -> bytes:
    cid = f" CommandId={quoteattr(command_id)}" if command_id else ""
    parts = ["<rsp:ReceiveResponse>"]
    parts += [f'<rsp:Stream Name="stdout"{cid}>{base64.b64encode(fragment).decode()}</rsp:Stream>' for fragment in fragments]
    if command_id and done:
        parts.append(f'<rsp:CommandState{cid} State="{soap.STATE_DONE}"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState>')
    parts.append("</rsp:ReceiveResponse>")
    return soap.envelope(soap.RESPONSE_ACTIONS[soap.ACTION_RECEIVE], req.message_id, "".join(parts))


def receive_budget(req: soap.WsmanRequest) -> int:
    """Fragment bytes one ReceiveResponse may carry: base64 of them, plus the SOAP around, within MaxEnvelopeSize."""
    return max(4096, (req.max_envelope_size - 4096) * 3 // 4)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def config_response(req: soap.WsmanRequest, basic: bool, allow_unencrypted: bool, max_operations: int, max_shells: int) -> bytes:
    """GetResponse of winrm/config as recorded from Windows (see the module docstring), with this host's values."""
    cfg = ""
    body = (
        f'<cfg:Config xmlns:cfg="{soap.NS_CONFIG}"><cfg:MaxEnvelopeSizekb>500</cfg:MaxEnvelopeSizekb><cfg:MaxTimeoutms>60000</cfg:MaxTimeoutms>'
        "<cfg:MaxBatchItems>32000</cfg:MaxBatchItems><cfg:MaxProviderRequests>4294967295</cfg:MaxProviderRequests>"
        "<cfg:Client><cfg:NetworkDelayms>5000</cfg:NetworkDelayms><cfg:URLPrefix>wsman</cfg:URLPrefix><cfg:AllowUnencrypted>false</cfg:AllowUnencrypted>"
        "<cfg:Auth><cfg:Basic>true</cfg:Basic><cfg:Digest>true</cfg:Digest><cfg:Kerberos>true</cfg:Kerberos><cfg:Negotiate>true</cfg:Negotiate>"
        "<cfg:Certificate>true</cfg:Certificate><cfg:CredSSP>false</cfg:CredSSP></cfg:Auth><cfg:DefaultPorts><cfg:HTTP>5985</cfg:HTTP>"
        "<cfg:HTTPS>5986</cfg:HTTPS></cfg:DefaultPorts><cfg:TrustedHosts></cfg:TrustedHosts></cfg:Client>"
        "<cfg:Service><cfg:RootSDDL>O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)</cfg:RootSDDL>"
        f"<cfg:MaxConcurrentOperations>4294967295</cfg:MaxConcurrentOperations><cfg:MaxConcurrentOperationsPerUser>{max_operations}"
        "</cfg:MaxConcurrentOperationsPerUser><cfg:EnumerationTimeoutms>240000</cfg:EnumerationTimeoutms><cfg:MaxConnections>300</cfg:MaxConnections>"
        f"<cfg:MaxPacketRetrievalTimeSeconds>120</cfg:MaxPacketRetrievalTimeSeconds><cfg:AllowUnencrypted>{_flag(allow_unencrypted)}</cfg:AllowUnencrypted>"
        f"<cfg:Auth><cfg:Basic>{_flag(basic)}</cfg:Basic><cfg:Kerberos>true</cfg:Kerberos><cfg:Negotiate>true</cfg:Negotiate>"
        "<cfg:Certificate>false</cfg:Certificate><cfg:CredSSP>false</cfg:CredSSP><cfg:CbtHardeningLevel>Relaxed</cfg:CbtHardeningLevel></cfg:Auth>"
        "<cfg:DefaultPorts><cfg:HTTP>5985</cfg:HTTP><cfg:HTTPS>5986</cfg:HTTPS></cfg:DefaultPorts><cfg:IPv4Filter>*</cfg:IPv4Filter>"
        "<cfg:IPv6Filter>*</cfg:IPv6Filter><cfg:EnableCompatibilityHttpListener>false</cfg:EnableCompatibilityHttpListener>"
        "<cfg:EnableCompatibilityHttpsListener>false</cfg:EnableCompatibilityHttpsListener><cfg:CertificateThumbprint></cfg:CertificateThumbprint>"
        "<cfg:AllowRemoteAccess>true</cfg:AllowRemoteAccess></cfg:Service>"
        "<cfg:Winrs><cfg:AllowRemoteShellAccess>true</cfg:AllowRemoteShellAccess><cfg:IdleTimeout>7200000</cfg:IdleTimeout>"
        "<cfg:MaxConcurrentUsers>2147483647</cfg:MaxConcurrentUsers><cfg:MaxShellRunTime>2147483647</cfg:MaxShellRunTime>"
        "<cfg:MaxProcessesPerShell>2147483647</cfg:MaxProcessesPerShell><cfg:MaxMemoryPerShellMB>2147483647</cfg:MaxMemoryPerShellMB>"
        f"<cfg:MaxShellsPerUser>{max_shells}</cfg:MaxShellsPerUser></cfg:Winrs></cfg:Config>"
    )
    return soap.envelope(soap.RESPONSE_ACTIONS[soap.ACTION_GET], req.message_id, cfg + body)


def shell_response(req: soap.WsmanRequest, fields: str) -> bytes:
    """GetResponse of one shell (pypsrp's is_alive reads rsp:Shell/rsp:State)."""
    return soap.envelope(soap.RESPONSE_ACTIONS[soap.ACTION_GET], req.message_id, f"<rsp:Shell>{fields}</rsp:Shell>")
