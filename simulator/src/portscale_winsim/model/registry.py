# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registry keys the simulator models, and their default contents.

Tcpip\\Parameters holds a realistic set of always-present values (the exact list varies by build [INF, docs/windows-facts.md §4.3]);
MaxUserPort and TcpTimedWaitDelay are absent by default [DOC, docs/windows-facts.md §4.3]. The CurrentVersion key is read-only here
and exists so a module can read the OS build with ``reg query``.

PrefetchParameters (read-only) holds ``BootId``, the boot identity portscale.tcpip compares its markers with: a
REG_DWORD the kernel raises at every boot. Microsoft documents a ``BootId`` member of the kernel's shared page
(KUSER_SHARED_DATA, ntddk.h) but not the registry value; public projects read this value as the per-boot counter
(zackees/running-process docs/v1-security-model.md, host_identity.rs, #757) [OBS-M]. The simulator shows the host's
boot count there (it rises by one at every boot, and the state file keeps it) [INF: the real value counts every boot
since installation]; the legacy Server 2003 profile has no BootId [INF]. ``EnablePrefetcher`` 3 ("Applaunch and Boot
enabled (Optimal and Default)", Microsoft TechNet wiki "Event ID 106: Microsoft-Windows-Diagnostics-Performance") is
only there so the listing is not BootId alone; a server's own default may differ [INF].

SOFTWARE\\portscale.tcpip is the collection's own key: absent until a ``reg add`` creates it; ``reg add``,
``query`` and ``delete`` of its values, and ``reg delete`` of the whole key, work like any key an administrator may
write under HKLM\\SOFTWARE [INF: the usual reg.exe behaviour, docs/windows-facts.md §4.4 texts].
"""

from __future__ import annotations

from .profiles import OsProfile
from .state import RegistryValue

TCPIP_PARAMETERS = "SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"
CURRENT_VERSION = "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
PREFETCH_PARAMETERS = "SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Memory Management\\PrefetchParameters"
PORTSCALE_KEY = "SOFTWARE\\portscale.tcpip"

# Subkeys of Tcpip\Parameters, in the order RegEnumKeyEx returns them (alphabetical) [INF, docs/windows-facts.md §4.3].
TCPIP_SUBKEYS = ("Adapters", "DNSRegisteredAdapters", "Interfaces", "NsiObjectSecurity", "PersistentRoutes", "Winsock")

# Values the TCP/IP driver reads at boot, with the range it accepts. Outside the range it keeps its default [INF].
MAX_USER_PORT_RANGE = (5000, 65534)      # [DOC KB 196271, docs/windows-facts.md §5.2]
TIME_WAIT_MAX = 300                      # [DOC KB 314053, docs/windows-facts.md §5.3]


def default_tcpip_values(hostname: str, profile: OsProfile) -> list[RegistryValue]:
    """Values present on a fresh install, in registry storage order [INF: a typical Server 2016+ listing]."""
    values = [
        RegistryValue("NV HostName", "REG_SZ", hostname),
        RegistryValue("DataBasePath", "REG_EXPAND_SZ", "%SystemRoot%\\System32\\drivers\\etc"),
        RegistryValue("NameServer", "REG_SZ", ""),
        RegistryValue("ForwardBroadcasts", "REG_DWORD", 0),
        RegistryValue("IPEnableRouter", "REG_DWORD", 0),
        RegistryValue("Domain", "REG_SZ", ""),
        RegistryValue("Hostname", "REG_SZ", hostname),
        RegistryValue("SearchList", "REG_SZ", ""),
        RegistryValue("UseDomainNameDevolution", "REG_DWORD", 1),
        RegistryValue("EnableICMPRedirect", "REG_DWORD", 1),
        RegistryValue("DeadGWDetectDefault", "REG_DWORD", 1),
        RegistryValue("DontAddDefaultGatewayDefault", "REG_DWORD", 0),
    ]
    if not profile.legacy:
        values.append(RegistryValue("EnableWsd", "REG_DWORD", 1))
    values += [
        RegistryValue("NV Domain", "REG_SZ", ""),
        RegistryValue("SyncDomainWithMembership", "REG_DWORD", 1),
    ]
    return values


def current_version_values(profile: OsProfile) -> list[RegistryValue]:
    """The read-only OS identification values (a subset of the real key) [INF for the order and the extras]."""
    values = [
        RegistryValue("SystemRoot", "REG_SZ", "C:\\WINDOWS" if profile.legacy else "C:\\Windows"),
        RegistryValue("CurrentBuild", "REG_SZ", profile.current_build),
        RegistryValue("CurrentBuildNumber", "REG_SZ", str(profile.build)),
    ]
    if profile.major_minor is not None:
        values += [
            RegistryValue("CurrentMajorVersionNumber", "REG_DWORD", profile.major_minor[0]),
            RegistryValue("CurrentMinorVersionNumber", "REG_DWORD", profile.major_minor[1]),
        ]
    values += [
        RegistryValue("CurrentVersion", "REG_SZ", profile.current_version),
        RegistryValue("ProductName", "REG_SZ", profile.product_name),
    ]
    if profile.ubr is not None:
        values.append(RegistryValue("UBR", "REG_DWORD", profile.ubr))
    return values


def prefetch_values(profile: OsProfile, boot_id: int) -> list[RegistryValue]:
    """PrefetchParameters as reg lists it: EnablePrefetcher, and BootId except on the legacy profile [INF order]."""
    values = [RegistryValue("EnablePrefetcher", "REG_DWORD", 3)]
    if not profile.legacy:
        values.append(RegistryValue("BootId", "REG_DWORD", boot_id))
    return values


def find_value(values: list[RegistryValue], name: str) -> RegistryValue | None:
    """Registry value names are case-insensitive."""
    wanted = name.lower()
    for value in values:
        if value.name.lower() == wanted:
            return value
    return None


def boot_dword(values: list[RegistryValue], name: str, low: int, high: int) -> int | None:
    """The value the driver would use at boot: a REG_DWORD inside [low, high], else None (default applies) [INF]."""
    value = find_value(values, name)
    if value is None or value.type != "REG_DWORD" or not isinstance(value.data, int):
        return None
    if low <= value.data <= high:
        return value.data
    return None
