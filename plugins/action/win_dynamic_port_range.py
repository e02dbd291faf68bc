# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for portscale.tcpip.win_dynamic_port_range (documented in plugins/modules/win_dynamic_port_range.py)."""

from __future__ import annotations

from ansible_collections.portscale.tcpip.plugins.modules.win_dynamic_port_range import DOCUMENTATION
from ansible_collections.portscale.tcpip.plugins.plugin_utils._engine import dynamic_range
from ansible_collections.portscale.tcpip.plugins.plugin_utils._glue.action import PortscaleAction


class ActionModule(PortscaleAction):
    DOCUMENTATION = DOCUMENTATION
    ENGINE = dynamic_range.ENGINE
    MUTUALLY_EXCLUSIVE = (("count", "end"),)
    VALID = {
        "start": "an integer from 1025 to 65535",
        "count": "an integer, at least 255, with start + count at most 65536",
        "end": "an integer up to 65535, at least start + 254",
    }
