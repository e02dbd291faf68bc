# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy one collection out of the `ansible` package's wheel into a private collections path (for `make demo`, and to
run the role's reboot against the simulator with a chosen ansible.windows).

There is no Galaxy server here; PyPI's `ansible` package ships every collection of the Ansible community package.
Only ``ansible.windows`` is needed (for ``win_reboot``), so only its files are extracted: the role itself runs without
it when reboots are not allowed.

Two ways to call it::

    # a wheel already downloaded into WHEEL_DIR (what mk/demo.mk does after its own `pip download`)
    python tools/demo/extract_collection.py WHEEL_DIR ansible windows DEST

    # download the pinned wheel (hash-checked) and extract, in one step, without make
    python tools/demo/extract_collection.py --requirement tools/demo/ansible-windows.txt DEST
    python tools/demo/extract_collection.py --requirement tools/demo/ansible-windows-3.2.0.txt DEST

DEST then works as ``ANSIBLE_COLLECTIONS_PATH`` (or ``collections_path``); the collection lands in
``DEST/ansible_collections/ansible/windows`` (replacing what an earlier run put there). The newest ``ansible`` wheels
declare Requires-Python >= 3.12 but are pure Python, so the download asks pip for a Python 3.12 wheel
(``--python-version 3.12 --only-binary :all:``) and works from any Python pip runs on.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

#: pip options that fetch the pure-Python `ansible` wheel whatever Python runs pip (its metadata asks for >= 3.12).
PIP_DOWNLOAD = ("download", "--disable-pip-version-check", "--quiet", "--no-deps", "--require-hashes",
                "--python-version", "3.12", "--only-binary", ":all:")


def extract(wheel_dir: str, namespace: str, name: str, dest: str) -> str:
    wheels = sorted(glob.glob(os.path.join(wheel_dir, "ansible-*.whl")))
    if len(wheels) != 1:
        raise SystemExit(f"expected one ansible-*.whl in {wheel_dir}, found {len(wheels)}")
    prefix = f"ansible_collections/{namespace}/{name}/"
    with zipfile.ZipFile(wheels[0]) as wheel:
        members = [member for member in wheel.namelist() if member.startswith(prefix) and ".." not in member.split("/")]
        if not members:
            raise SystemExit(f"{wheels[0]} has no {namespace}.{name} collection")
        target = os.path.join(dest, prefix)
        if os.path.isdir(target):
            shutil.rmtree(target)
        for member in members:
            wheel.extract(member, dest)
    return os.path.join(dest, prefix)


def download_and_extract(requirement: str, dest: str, collection: str = "ansible.windows", python: str = sys.executable) -> str:
    namespace, name = collection.split(".", 1)
    with tempfile.TemporaryDirectory(prefix="ansible-wheel-") as wheel_dir:
        subprocess.run([python, "-m", "pip", *PIP_DOWNLOAD, "-r", requirement, "-d", wheel_dir], check=True)
        return extract(wheel_dir, namespace, name, dest)


def _version(path: str) -> str:
    with open(os.path.join(path, "MANIFEST.json"), encoding="utf-8") as manifest:
        return json.load(manifest)["collection_info"]["version"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                     usage="%(prog)s WHEEL_DIR NAMESPACE NAME DEST | --requirement FILE [--collection NS.NAME] DEST")
    parser.add_argument("--requirement", "-r", help="a pinned requirement file for the `ansible` wheel (with --hash)")
    parser.add_argument("--collection", default="ansible.windows", help="with --requirement: the collection to extract")
    parser.add_argument("--python", default=sys.executable, help="with --requirement: the Python whose pip downloads")
    parser.add_argument("args", nargs="+", metavar="ARG")
    options = parser.parse_args(argv)
    if options.requirement:
        if len(options.args) != 1:
            parser.error("with --requirement, give only DEST")
        path = download_and_extract(options.requirement, options.args[0], options.collection, options.python)
    else:
        if len(options.args) != 4:
            parser.error("give WHEEL_DIR NAMESPACE NAME DEST")
        path = extract(*options.args)
    print(f"extracted {path} (version {_version(path)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
