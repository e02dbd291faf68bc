# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Makes the simulated Windows host (``portscale_winsim``) importable for the unit tests.

Several unit tests run the plugins against the simulator's shell layer and host model. In a checkout (and in the copy
``make units`` runs ansible-test on) its sources are at ``simulator/src`` of the repository, which the collection
tarball does not carry: that folder goes first on ``sys.path`` when it exists, so the tests use this checkout's code.
Elsewhere (the unit tests of an installed collection) the package must be installed: ``pip install ./simulator``
from a checkout of the repository (docs/simulator.md).
"""

from __future__ import annotations

import os
import sys

SIMULATOR_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "simulator", "src")

if os.path.isdir(os.path.join(SIMULATOR_SRC, "portscale_winsim")) and SIMULATOR_SRC not in sys.path:
    sys.path.insert(0, SIMULATOR_SRC)
