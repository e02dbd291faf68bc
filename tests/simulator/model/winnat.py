# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where WinNAT/Hyper-V puts its 100-port reservations.

[OBS-H, FACTS §3.5] blocks of 100 ports, inside the *current* dynamic range, chosen at boot or when winnat starts,
different on every boot, never administered. How many blocks and exactly where is not documented; the simulator picks
2–4 blocks with a RNG seeded from (seed, boot_count, winnat start count) so a run is reproducible [INF].
The same blocks appear in the IPv4 and the IPv6 TCP tables; none in UDP [INF].
"""

from __future__ import annotations

import random

from .state import PortRange

BLOCK_SIZE = 100
MIN_BLOCKS = 2
MAX_BLOCKS = 4
# Bounded search: give up on a block after this many random tries (a crowded range simply gets fewer blocks).
TRIES_PER_BLOCK = 200


def plan_blocks(rng: random.Random, dyn: PortRange, occupied: bytearray) -> list[tuple[int, int]]:
    """Pick block (start, end) pairs inside ``dyn`` that avoid every port flagged in ``occupied`` (updated in place)."""
    blocks: list[tuple[int, int]] = []
    wanted = rng.randint(MIN_BLOCKS, MAX_BLOCKS)
    last_start = dyn.end - BLOCK_SIZE + 1
    if last_start < dyn.start:
        return blocks
    for dummy_block in range(wanted):
        for dummy_try in range(TRIES_PER_BLOCK):
            start = rng.randint(dyn.start, last_start)
            if not any(occupied[start:start + BLOCK_SIZE]):
                occupied[start:start + BLOCK_SIZE] = b"\x01" * BLOCK_SIZE
                blocks.append((start, start + BLOCK_SIZE - 1))
                break
    return sorted(blocks)
