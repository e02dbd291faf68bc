# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy one collection out of the `ansible` package's wheel into a private collections path (for `make demo`).

There is no Galaxy server here; PyPI's `ansible` package ships every collection of the Ansible community package.
Only ``ansible.windows`` is needed (for ``win_reboot``), so only its files are extracted, and only for the demo: the
role itself runs without it when reboots are not allowed.
"""

from __future__ import annotations

import glob
import os
import sys
import zipfile


def extract(wheel_dir: str, namespace: str, name: str, dest: str) -> str:
    wheels = sorted(glob.glob(os.path.join(wheel_dir, "ansible-*.whl")))
    if len(wheels) != 1:
        raise SystemExit(f"expected one ansible-*.whl in {wheel_dir}, found {len(wheels)}")
    prefix = f"ansible_collections/{namespace}/{name}/"
    with zipfile.ZipFile(wheels[0]) as wheel:
        members = [member for member in wheel.namelist() if member.startswith(prefix) and ".." not in member.split("/")]
        if not members:
            raise SystemExit(f"{wheels[0]} has no {namespace}.{name} collection")
        for member in members:
            wheel.extract(member, dest)
    return os.path.join(dest, prefix)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        raise SystemExit("usage: extract_collection.py WHEEL_DIR NAMESPACE NAME DEST")
    print(f"extracted {extract(*sys.argv[1:])}")
