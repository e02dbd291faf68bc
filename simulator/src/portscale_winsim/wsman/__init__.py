# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WS-Management (WinRM) server side of the simulator: HTTP(S), Basic/NTLM auth, message encryption, WinRS shells."""

from .auth import AuthSettings, write_ntlm_user_file
from .hostserver import HostConfig, HostServer
from .netfaults import FAULT_KINDS, FaultSpecError, HttpCounters, NetworkFaults
from .tls import TlsFiles, channel_binding_data, ensure_tls_files, server_ssl_context

__all__ = [
    "AuthSettings", "FAULT_KINDS", "FaultSpecError", "HostConfig", "HostServer", "HttpCounters", "NetworkFaults",
    "TlsFiles", "channel_binding_data", "ensure_tls_files", "server_ssl_context", "write_ntlm_user_file",
]
