# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PSRP (PowerShell Remoting Protocol, MS-PSRP) for the simulator's WS-Management endpoint, on psrpcore's server side.

``session`` holds one runspace pool (a PowerShell shell) and its pipelines; ``records`` serialises the shell layer's
error records and Write-Host messages the way Windows PowerShell 5.1 does. The WS-Man actions that carry PSRP are in
``wsman/psrp_dispatch.py``; scripts run in ``shell/runspace.py``. Imported only when a client opens a PowerShell shell,
so hosts that only serve WinRS never need the ``psrpcore`` package.
"""

from .session import PsrpPipeline, PsrpSession, PsrpUnsupported

__all__ = ["PsrpPipeline", "PsrpSession", "PsrpUnsupported"]
