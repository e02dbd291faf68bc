# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HostModel: the state of one simulated Windows host and the operations the native commands perform on it."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import tempfile
import time
import zlib

from ..command_log import CommandLog
from . import ports as portmath
from . import registry as reg
from . import winnat
from .load import Placement, parse_load, place_apps, place_system, process_table
from .locales import OEM_CODEPAGES, check_locale
from .profiles import OsProfile, get_profile
from .serial import from_jsonable, to_jsonable
from .state import (
    DEFAULT_COUNT, DEFAULT_START, DEFAULT_TIME_WAIT, IP_VERSIONS, LEGACY_DEFAULT_MAX_USER_PORT, PROTOCOLS,
    ConnectionGroup, DynamicRange, EffectiveTcp, Exclusion, InjectedFault, LoadSpec, PortRange, RegistryValue, TcpipEvent, range_key,
)

STATE_VERSION = 1
# FILETIME: 100 ns ticks since 1601-01-01; offset of the Unix epoch.
_FILETIME_UNIX_EPOCH = 116444736000000000
# Vista+ MaxUserPort rewrite start port [OBS-M nmap PR #3499: 1024/64511 for 0xfffe]; 2003 starts at 1025 [DOC].
REWRITE_START = 1024
LEGACY_START = 1025
# The System log keeps the newest events only (a log has a maximum size) [INF: the bound is the simulator's].
MAX_TCPIP_EVENTS = 1000
# Tcpip's exhaustion events [DOC: netevent.h EVENT_TCPIP_TCP_TIME_WAIT_COLLISION 0x80001083 = 4227; Microsoft
# "Troubleshoot port exhaustion issues" names 4227 and 4231].
EVENT_TIME_WAIT_COLLISION = 4227
EVENT_PORTS_EXHAUSTED = 4231


def _now_filetime() -> int:
    return _FILETIME_UNIX_EPOCH + int(time.time() * 10_000_000)


def _default_range() -> DynamicRange:
    return DynamicRange(PortRange(DEFAULT_START, DEFAULT_COUNT), PortRange(DEFAULT_START, DEFAULT_COUNT))


def _check_reuse_update(os_profile: OsProfile, installed: bool | None) -> None:
    """An installed SO_REUSE_UNICASTPORT update only exists on a profile that names one (KB 3149157 on 2012 R2)."""
    if installed is not None and not isinstance(installed, bool):
        raise ValueError(f"reuse_update must be true, false or null, not {installed!r}")
    if installed is not None and os_profile.reuse_unicast_port_update is None:
        where = "has it built in" if os_profile.reuse_unicast_port else "has no update that adds it"
        raise ValueError(f"profile {os_profile.key} {where}: SO_REUSE_UNICASTPORT cannot be set per host there")


def _hyperv_option(hyperv) -> tuple[bool, str]:
    """``hyperv`` of ``create`` → (Hyper-V NAT present, WinNAT reservation profile)."""
    if hyperv is None or hyperv is False:
        return False, winnat.TYPICAL
    if hyperv is True:
        return True, winnat.TYPICAL
    if isinstance(hyperv, str):
        word = hyperv.strip().lower()
        if word in ("true", "false"):
            return word == "true", winnat.TYPICAL
        if word == winnat.HEAVY:
            return True, winnat.HEAVY
    raise ValueError(f"hyperv must be true, false or {winnat.HEAVY!r}, not {hyperv!r}")


@dataclasses.dataclass
class HostModel:  # pylint: disable=too-many-instance-attributes,too-many-public-methods
    """One simulated host. Every field except the transient ``dirty`` and ``command_log`` survives ``to_dict``/``from_dict``."""

    name: str
    profile: str
    locale: str
    elevated: bool
    hyperv: bool
    seed: int
    hostname: str
    username: str
    ipv4_address: str
    ipv6_address: str
    ranges: dict[str, DynamicRange]
    exclusions: list[Exclusion]
    registry: list[RegistryValue]
    effective: EffectiveTcp
    winnat_running: bool
    load_spec: LoadSpec
    connections: list[ConnectionGroup] = dataclasses.field(default_factory=list)
    faults: list[InjectedFault] = dataclasses.field(default_factory=list)
    counters: dict[str, int] = dataclasses.field(default_factory=lambda: {"commands_run": 0, "native_commands": 0, "writes": 0})
    scheduled_reboot: int | None = None
    boot_count: int = 0
    boot_time: int = 0
    winnat_starts: int = 0
    # How many blocks HNS/WinNAT reserves at boot on a Hyper-V host: ``typical`` or ``heavy`` (model/winnat.py).
    winnat_profile: str = winnat.TYPICAL
    # Whether the profile's SO_REUSE_UNICASTPORT update (KB 3149157 on 2012 R2) is installed; None = the profile's
    # default (profiles.py). Only meaningful on a profile that names such an update.
    reuse_unicast_port_update: bool | None = None
    # The values of HKLM\SOFTWARE\portscale.tcpip (the collection's markers); None while the key does not exist.
    portscale_key: list[RegistryValue] | None = None
    # The System log's Tcpip events (oldest first, at most MAX_TCPIP_EVENTS) and the next EventRecordID. Written only
    # when a load runs out of ports (``_place_load``); the probe never writes them. Older state files have neither.
    tcpip_events: list[TcpipEvent] = dataclasses.field(default_factory=list)
    next_event_record: int = 1
    state_version: int = STATE_VERSION
    # Not persisted: the server saves the model when this is set, then clears it.
    dirty: bool = dataclasses.field(default=False, compare=False, metadata={"transient": True})
    # Not persisted either: what the host received since it started (command_log.py), read by security tests.
    command_log: CommandLog = dataclasses.field(default_factory=CommandLog, compare=False, repr=False, metadata={"transient": True})

    # ----------------------------------------------------------------- construction and persistence

    @classmethod
    def create(cls, name: str, profile: str = "server2022", locale: str = "en-US", elevated: bool = True,
               hyperv: bool | str | None = None, load="idle", seed: int = 0, reuse_update: bool | None = None) -> "HostModel":
        """A freshly booted host (boot_count 1) with default settings and the given load.

        ``hyperv``: None or False (no Hyper-V/WSL/Docker NAT, every profile's default), True (a few WinNAT blocks in
        the TCP ranges) or ``"heavy"`` (a host with VMs, WSL and containers: 14–40 TCP blocks and UDP blocks too).
        ``reuse_update``: whether the update that adds SO_REUSE_UNICASTPORT (KB 3149157 on ``server2012r2``) is
        installed; None keeps the profile's default. Refused on a profile without such an update.
        """
        os_profile = get_profile(profile)
        check_locale(locale)
        hyperv, winnat_profile = _hyperv_option(hyperv)
        if hyperv and not os_profile.winnat:
            raise ValueError(f"profile {profile} has no winnat driver; hyperv=True is not possible")
        _check_reuse_update(os_profile, reuse_update)
        # A stable per-host address inside TEST-NET-2 / the documentation prefix, so hosts differ but runs repeat.
        host_octet = 10 + zlib.crc32(name.encode("utf-8")) % 200
        ranges = {range_key(v, p): _default_range() for v in IP_VERSIONS for p in PROTOCOLS}
        model = cls(
            name=name, profile=profile, locale=locale, elevated=elevated, hyperv=hyperv, seed=seed,
            hostname=name, username="Administrator" if elevated else "portscale",
            ipv4_address=f"198.51.100.{host_octet}", ipv6_address=f"2001:db8::{host_octet:x}",
            ranges=ranges, exclusions=[], registry=reg.default_tcpip_values(name, os_profile),
            effective=EffectiveTcp(), winnat_running=False, load_spec=parse_load(load), winnat_profile=winnat_profile,
            reuse_unicast_port_update=reuse_update,
        )
        model.reboot()
        model.scheduled_reboot = None
        return model

    @classmethod
    def from_dict(cls, data: dict) -> "HostModel":
        """Inverse of ``to_dict``; rejects unknown keys and wrong types with the path of the problem."""
        if not isinstance(data, dict) or data.get("state_version") != STATE_VERSION:
            raise ValueError(f"host state must be a dict with state_version {STATE_VERSION}")
        model = from_jsonable(cls, data, "host")
        _check_reuse_update(get_profile(model.profile), model.reuse_unicast_port_update)
        check_locale(model.locale)
        winnat.check_profile(model.winnat_profile)
        return model

    def to_dict(self) -> dict:
        """JSON-ready state (plain dicts, lists, ints, strings)."""
        return to_jsonable(self)

    @classmethod
    def load(cls, path: str) -> "HostModel":
        """Read a state file written by ``save``."""
        with open(path, encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))

    def save(self, path: str) -> None:
        """Write atomically (temp file in the same folder, then rename) so a crash never leaves half a file."""
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".host-", suffix=".json", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.to_dict(), handle, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    # ----------------------------------------------------------------- simple views

    @property
    def os(self) -> OsProfile:
        return get_profile(self.profile)

    @property
    def reuse_unicast_port(self) -> bool:
        """Whether setsockopt(SO_REUSE_UNICASTPORT) succeeds here (else WSAENOPROTOOPT 10042): built in on Windows 10 /
        Server 2016 and later, on 2012 R2 only with KB 3149157 [DOC, profiles.py]. Where it succeeds, connect() without
        an explicit bind has the option set by default [DOC, SOL_SOCKET socket options]."""
        os_profile = self.os
        if os_profile.reuse_unicast_port:
            return True
        if os_profile.reuse_unicast_port_update is None:
            return False
        installed = self.reuse_unicast_port_update
        return os_profile.reuse_unicast_port_update_default if installed is None else installed

    @property
    def oem_codepage(self) -> int:
        return OEM_CODEPAGES[self.locale]

    def dynamic_range(self, ip_version: int, protocol: str, store: str = "active") -> PortRange:
        entry = self.ranges[range_key(ip_version, protocol)]
        return entry.active if store == "active" else entry.persistent

    def exclusion_rows(self, ip_version: int, protocol: str, store: str = "active") -> list[Exclusion]:
        """Rows as ``show excludedportrange`` lists them: active = everything in force; persistent = stored ``*`` rows [INF]."""
        rows = [r for r in self.exclusions if r.ip_version == ip_version and r.protocol == protocol]
        if store == "persistent":
            rows = [r for r in rows if r.administered and r.persistent]
        return sorted(rows, key=lambda r: (r.start, r.end))

    def connection_groups(self, protocol: str, ip_version: int) -> list[ConnectionGroup]:
        return [g for g in self.connections if g.protocol == protocol and g.ip_version == ip_version]

    def free_ports(self, ip_version: int, protocol: str = "tcp") -> list[int]:
        """Ports of the active dynamic range that are neither excluded (any row) nor in use (any state)."""
        flags = portmath.occupied_map(self.exclusions, self.connections, ip_version, protocol)
        return portmath.free_in_range(self.dynamic_range(ip_version, protocol), flags)

    def registry_value(self, name: str) -> RegistryValue | None:
        return reg.find_value(self.registry, name)

    @property
    def boot_id(self) -> int:
        """PrefetchParameters\\BootId: raised at every boot (model/registry.py for the sources); the boot count here."""
        return self.boot_count

    # ----------------------------------------------------------------- boot

    def reboot(self) -> None:
        """Restart: active-only settings are lost, registry values take effect, MaxUserPort rewrites the TCP ranges,
        WinNAT/HNS reserve new blocks inside the new ranges (they move at every boot, docs/windows-facts.md §3.5) and the load is
        placed again."""
        self.boot_count += 1
        self.boot_time = max(_now_filetime(), self.boot_time + 1)
        self.scheduled_reboot = None
        self.exclusions = [r for r in self.exclusions if r.administered and r.persistent]
        for entry in self.ranges.values():
            entry.active = PortRange(entry.persistent.start, entry.persistent.count)
        self.effective = EffectiveTcp(
            time_wait_delay=reg.boot_dword(self.registry, "TcpTimedWaitDelay", self.os.time_wait_min, reg.TIME_WAIT_MAX) or DEFAULT_TIME_WAIT,
            max_user_port=reg.boot_dword(self.registry, "MaxUserPort", *reg.MAX_USER_PORT_RANGE),
        )
        self._apply_max_user_port()
        for ip_version in IP_VERSIONS:
            for port in self.os.system_excluded_ports:
                self.exclusions.append(Exclusion(ip_version, "tcp", port, port, "system"))
        self.winnat_running = self.hyperv
        self._place_load(replan_winnat=True)
        self.dirty = True

    def _apply_max_user_port(self) -> None:
        """The boot-time effect of MaxUserPort.

        Server 2003: the range *is* 1025..MaxUserPort (default 5000), TCP and UDP [DOC KB 196271, docs/windows-facts.md §5.1/§5.2].
        Vista+: with MaxUserPort present, the active TCP ranges (IPv4 and IPv6, UDP untouched) become
        1024..MaxUserPort, i.e. start 1024, count MaxUserPort − 1023 [OBS-M: nmap PR #3499 / WSL#13454 65534 → 1024/64511;
        the IPv6 and "UDP untouched" parts are INF]. Only the active value changes: removing MaxUserPort and rebooting
        brings back the netsh range [INF].
        """
        if self.os.legacy:
            end = self.effective.max_user_port or LEGACY_DEFAULT_MAX_USER_PORT
            legacy = PortRange(LEGACY_START, end - LEGACY_START + 1)
            for entry in self.ranges.values():
                entry.persistent = PortRange(legacy.start, legacy.count)
                entry.active = PortRange(legacy.start, legacy.count)
            return
        if self.effective.max_user_port is None:
            return
        for ip_version in IP_VERSIONS:
            self.ranges[range_key(ip_version, "tcp")].active = PortRange(REWRITE_START, self.effective.max_user_port - REWRITE_START + 1)

    def _place_load(self, replan_winnat: bool) -> None:
        self.connections = []
        place = self._placement(random.Random(f"{self.seed}:{self.boot_count}:load"))
        place_system(self.load_spec, place)
        if replan_winnat:
            self._replan_winnat()
            place.exclusions = self.exclusions
        place_apps(self.load_spec, place, self.effective.time_wait_delay)
        self._log_exhaustion(place.shortfalls)

    def _log_exhaustion(self, shortfalls: list[tuple[str, int]]) -> None:
        """A load that wants more ports than are free has run out of them: Tcpip logs 4231 ("A request to allocate an
        ephemeral port number from the global TCP port space has failed due to all such ports being in use." [DOC
        message text, borncity.com 2016-12-20 quoting it]), and when what ran out is the churn of short connections (the
        TIME_WAIT group) also 4227: the only local ports left were in TIME_WAIT towards the same remote endpoint [INF
        from the 4227 message, netevent.h EVENT_TCPIP_TCP_TIME_WAIT_COLLISION]. One event of each per placement (boot or
        new load) [INF: how often a real host logs them under sustained exhaustion is not documented]."""
        if not shortfalls:
            return
        ids = [EVENT_PORTS_EXHAUSTED] + ([EVENT_TIME_WAIT_COLLISION] if any(state == "TIME_WAIT" for state, _pid in shortfalls) else [])
        now = int(time.time() * 1000)
        for event_id in sorted(ids):
            self.log_tcpip_event(event_id, now)

    def log_tcpip_event(self, event_id: int, time_ms: int) -> None:
        """Append one Tcpip event (tests use it to place events in the past)."""
        if event_id not in (EVENT_TIME_WAIT_COLLISION, EVENT_PORTS_EXHAUSTED):
            raise ValueError(f"the simulator models Tcpip events {EVENT_TIME_WAIT_COLLISION} and {EVENT_PORTS_EXHAUSTED} only")
        self.tcpip_events.append(TcpipEvent(event_id, int(time_ms), self.next_event_record))
        self.next_event_record += 1
        del self.tcpip_events[:-MAX_TCPIP_EVENTS]
        self.dirty = True

    def process_table(self) -> list[tuple[str, int, str, int, int]]:
        """tasklist's rows: (image, pid, session name, session number, memory in K)."""
        return process_table(self.load_spec)

    def _placement(self, rng: random.Random) -> Placement:
        return Placement(
            ranges={key: entry.active for key, entry in self.ranges.items()}, exclusions=self.exclusions,
            connections=self.connections, ipv4_address=self.ipv4_address, ipv6_address=self.ipv6_address,
            with_ipv6=self.os.ipv6, rng=rng,
        )

    def _replan_winnat(self) -> None:
        """At boot: drop the old WinNAT blocks and, when Hyper-V NAT is present and winnat runs, choose new ones inside
        the current ranges, around exclusions, ports in use and the ports applications of the load listen on (those
        binds would fail with 10013 inside a block, docs/windows-facts.md §3.5)."""
        self.exclusions = [r for r in self.exclusions if r.kind != "winnat"]
        if not (self.hyperv and self.winnat_running):
            return
        for protocol in PROTOCOLS:
            plan = winnat.plan_for(self.winnat_profile, protocol)
            if plan is None:
                continue
            # The TCP seed string is the one used before UDP blocks existed, so typical hosts keep their blocks.
            rng = random.Random(f"{self.seed}:{self.boot_count}:{self.winnat_starts}:winnat" + ("" if protocol == "tcp" else f":{protocol}"))
            occupied = portmath.occupied_map(self.exclusions, self.connections, 4, protocol)
            v6 = portmath.occupied_map(self.exclusions, self.connections, 6, protocol)
            occupied = bytearray(a | b for a, b in zip(occupied, v6))
            if protocol == "tcp":
                portmath.mark(occupied, [port for app in self.load_spec.apps for port in app.listen])
            for start, end in winnat.plan_blocks(rng, self.dynamic_range(4, protocol), occupied, plan):
                for ip_version in IP_VERSIONS:
                    self.exclusions.append(Exclusion(ip_version, protocol, start, end, "winnat"))

    # ----------------------------------------------------------------- load and faults

    def set_load(self, load) -> None:
        """Replace the load (preset name or dict) and place it now, in the current ranges."""
        previous = (self.load_spec, self.connections)
        self.load_spec = parse_load(load)
        try:
            self._place_load(replan_winnat=False)
        except ValueError:
            self.load_spec, self.connections = previous   # a conflicting listener leaves the host as it was
            raise
        self.dirty = True

    def inject_command_failure(self, match: str, exit_code: int, stdout: bytes = b"", stderr: bytes = b"", times: int | None = None) -> None:
        """Make native commands whose normalised command line contains ``match`` fail (``times`` None = until cleared)."""
        if not match or (times is not None and times <= 0):
            raise ValueError("match must be non-empty and times positive or None")
        self.faults.append(InjectedFault(match.lower(), int(exit_code), stdout.hex(), stderr.hex(), times))
        self.dirty = True

    def clear_faults(self) -> None:
        self.faults = []
        self.dirty = True

    def take_fault(self, command_line: str) -> InjectedFault | None:
        """The first fault matching this command line; consumes one use of a counted fault."""
        line = command_line.lower()
        for fault in self.faults:
            if fault.match in line:
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                self.dirty = True
                return fault
        return None

    # ----------------------------------------------------------------- writes done by native commands

    def set_dynamic_range(self, ip_version: int, protocol: str, start: int, count: int, store: str) -> None:
        """netsh set dynamicport: applies at once; persistent also survives reboot; existing sockets keep their ports."""
        entry = self.ranges[range_key(ip_version, protocol)]
        entry.active = PortRange(start, count)
        if store == "persistent":
            entry.persistent = PortRange(start, count)
        self.dirty = True

    def add_exclusion(self, ip_version: int, protocol: str, start: int, count: int, store: str) -> str:
        """'ok', or 'in_use' when a port is used by a socket or already reserved (WinNAT, system or ``*`` row) [INF for the
        overlap-with-reservation text; docs/windows-facts.md §3.4]."""
        end = start + count - 1
        if any(port in range(start, end + 1) for port in portmath.used_ports(self.connections, ip_version, protocol)):
            return "in_use"
        if any(r.overlaps(start, end) for r in self.exclusions if r.ip_version == ip_version and r.protocol == protocol):
            return "in_use"
        self.exclusions.append(Exclusion(ip_version, protocol, start, end, "administered", persistent=(store == "persistent")))
        self.dirty = True
        return "ok"

    def delete_exclusion(self, ip_version: int, protocol: str, start: int, count: int) -> str:
        """'ok' for an exact ``*`` row; 'access_denied' when it touches a system/WinNAT row; else 'not_found' [INF]."""
        end = start + count - 1
        rows = [r for r in self.exclusions if r.ip_version == ip_version and r.protocol == protocol]
        for row in rows:
            if row.administered and row.start == start and row.end == end:
                self.exclusions.remove(row)
                self.dirty = True
                return "ok"
        if any(not r.administered and r.overlaps(start, end) for r in rows):
            return "access_denied"
        return "not_found"

    def set_registry_value(self, name: str, value_type: str, data) -> None:
        """Registry writes are visible at once; their TCP effect waits for reboot (see ``effective``)."""
        existing = self.registry_value(name)
        if existing is None:
            self.registry.append(RegistryValue(name, value_type, data))
        else:
            existing.type = value_type
            existing.data = data
        self.dirty = True

    def delete_registry_value(self, name: str) -> bool:
        existing = self.registry_value(name)
        if existing is None:
            return False
        self.registry.remove(existing)
        self.dirty = True
        return True

    def set_portscale_value(self, name: str, value_type: str, data) -> None:
        """reg add under HKLM\\SOFTWARE\\portscale.tcpip: creates the key when missing; values are case-insensitive."""
        values = self.portscale_key if self.portscale_key is not None else []
        existing = reg.find_value(values, name)
        if existing is None:
            values.append(RegistryValue(name, value_type, data))
        else:
            existing.type = value_type
            existing.data = data
        self.portscale_key = values
        self.dirty = True

    def delete_portscale_value(self, name: str | None) -> bool:
        """reg delete of one value (``name``) or of the whole key (None); False when it does not exist."""
        if self.portscale_key is None:
            return False
        if name is None:
            self.portscale_key = None
        else:
            existing = reg.find_value(self.portscale_key, name)
            if existing is None:
                return False
            self.portscale_key.remove(existing)
        self.dirty = True
        return True

    def stop_winnat(self) -> str:
        """'ok' or 'not_started'. Stopping drops the WinNAT reservations [OBS-H: the documented workaround, docs/windows-facts.md §3.4/§3.5;
        opentelemetry-collector PR #10839], the UDP ones too [INF: the public logs only show TCP tables]."""
        if not self.winnat_running:
            return "not_started"
        self.winnat_running = False
        self.exclusions = [r for r in self.exclusions if r.kind != "winnat"]
        self.dirty = True
        return "ok"

    def start_winnat(self) -> str:
        """'ok' or 'already_started'. Starting winnat does **not** re-create the blocks that stopping it removed: they
        stay gone until the next boot [OBS-H: opentelemetry-collector PR #10839, the CI log of ``Stop-Service winnat`` →
        add → ``Start-Service winnat`` → show, where the WinNAT blocks 56638-56837 are gone; docs/windows-facts.md §3.5]. HNS, Docker
        or WSL may reserve again when they set up their networks; that is not modelled (no source says when) [INF]."""
        if self.winnat_running:
            return "already_started"
        self.winnat_running = True
        self.winnat_starts += 1
        self.dirty = True
        return "ok"

    def schedule_reboot(self, seconds: int) -> bool:
        """shutdown /r: False when a shutdown is already scheduled."""
        if self.scheduled_reboot is not None:
            return False
        self.scheduled_reboot = seconds
        self.dirty = True
        return True

    def abort_reboot(self) -> bool:
        """shutdown /a: False when nothing was scheduled."""
        if self.scheduled_reboot is None:
            return False
        self.scheduled_reboot = None
        self.dirty = True
        return True
