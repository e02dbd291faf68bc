# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where WinNAT/HNS (Hyper-V, WSL, Docker, Windows containers) puts its 100-port reservations.

What the sources show:

* Blocks of 100 ports inside the *current* dynamic range, never administered, different after every reboot [OBS-H,
  docs/windows-facts.md §3.5; netbirdio/netbird#1607 "Reboot PC and the issue comes." ... "Reboot PC one more time,the issue solved.";
  OpenVPN/openvpn-gui#416 "they change randomly with reboots"]. The simulator plans them at boot.
* ``net stop winnat`` removes them, and starting winnat again does **not** bring them back [OBS-H:
  open-telemetry/opentelemetry-collector PR #10839, a CI log of show → ``Stop-Service winnat`` → add → ``Start-Service
  winnat`` → show, where the blocks 56638-56737 and 56738-56837 are gone from the second table]. When HNS, Docker or
  WSL reserve again without a reboot is not observed, so the simulator brings them back only at the next boot [INF].
* How many blocks and exactly where is not documented. Two profiles [INF for the choice of numbers]:

  - ``typical``: 2–4 TCP blocks, none in UDP (a GitHub runner shows two, PR #10839).
  - ``heavy``, a host with Hyper-V VMs, WSL and containers: 14–40 TCP blocks, often in runs of consecutive blocks
    (chocolatey-community/chocolatey-test-environment#68: 14 blocks in runs of 2, 6 and 6; microsoft/WSL#5306: 40
    blocks in runs of 4 to 8; localsend/localsend#125: 9), and UDP blocks too (luanti-org/luanti#11832: "windows is
    reserving a bunch of ports ... `netsh int ipv4 show excludedportrange protocol=udp` ... because I am running with
    HyperV"; netbirdio/netbird#1607: four consecutive 100-port blocks around WireGuard's UDP port 51820). The UDP count
    (4–8, runs of up to 4) is INF: no public UDP table gives one.

The same blocks appear in the IPv4 and the IPv6 table of their protocol [INF]. A RNG seeded from (seed, boot_count,
winnat start count) makes every run reproducible.
"""

from __future__ import annotations

import dataclasses
import random

from .state import PortRange

BLOCK_SIZE = 100
TYPICAL = "typical"
HEAVY = "heavy"
PROFILES = (TYPICAL, HEAVY)
# Bounded search: give up on a run after this many random tries (a crowded range simply gets fewer blocks).
TRIES_PER_BLOCK = 200


@dataclasses.dataclass(frozen=True)
class BlockPlan:
    """How many 100-port blocks to reserve in one protocol's range, and the longest run of consecutive blocks."""

    min_blocks: int
    max_blocks: int
    max_run: int = 1


# (winnat profile, protocol) → plan; a missing entry reserves nothing in that protocol.
PLANS: dict[tuple[str, str], BlockPlan] = {
    (TYPICAL, "tcp"): BlockPlan(2, 4),
    (HEAVY, "tcp"): BlockPlan(14, 40, max_run=8),
    (HEAVY, "udp"): BlockPlan(4, 8, max_run=4),
}


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ValueError(f"unknown WinNAT reservation profile {profile!r}; choose one of {', '.join(PROFILES)}")
    return profile


def plan_for(profile: str, protocol: str) -> BlockPlan | None:
    return PLANS.get((check_profile(profile), protocol))


def plan_blocks(rng: random.Random, dyn: PortRange, occupied: bytearray, plan: BlockPlan = PLANS[(TYPICAL, "tcp")]) -> list[tuple[int, int]]:
    """Pick block (start, end) pairs inside ``dyn`` that avoid every port flagged in ``occupied`` (updated in place).

    Blocks come in runs of 1..``plan.max_run`` consecutive blocks; a run that finds no room is dropped.
    """
    blocks: list[tuple[int, int]] = []
    wanted = rng.randint(plan.min_blocks, plan.max_blocks)
    placed = 0
    while placed < wanted:
        run = 1 if plan.max_run == 1 else min(rng.randint(1, plan.max_run), wanted - placed)
        placed += run
        span = run * BLOCK_SIZE
        last_start = dyn.end - span + 1
        if last_start < dyn.start:
            continue
        for dummy_try in range(TRIES_PER_BLOCK):
            start = rng.randint(dyn.start, last_start)
            if not any(occupied[start:start + span]):
                occupied[start:start + span] = b"\x01" * span
                blocks += [(first, first + BLOCK_SIZE - 1) for first in range(start, start + span, BLOCK_SIZE)]
                break
    return sorted(blocks)
