# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulated Windows host's state (layer 2 of the simulator, see INTERFACES.md)."""

from __future__ import annotations

from .host import HostModel
from .load import PRESETS
from .locales import OEM_CODEPAGES
from .profiles import PROFILES, OsProfile, get_profile
from .state import ConnectionGroup, Exclusion, PortRange, RegistryValue

__all__ = [
    "HostModel", "PRESETS", "OEM_CODEPAGES", "PROFILES", "OsProfile", "get_profile",
    "ConnectionGroup", "Exclusion", "PortRange", "RegistryValue",
]
