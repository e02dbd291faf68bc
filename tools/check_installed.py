# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a built collection tarball and its installed copy (run with ANSIBLE_COLLECTIONS_PATH set).

1. the tarball holds no build products (venvs, ansible-test output, caches, the build folder) and no simulator file,
   and stays within MAX_TARBALL_BYTES (the product, its integration targets and the user docs; issue 15);
2. the user-facing text in it (README, docs, module and filter docs, doc fragments, the role's argument specs) names
   a docs/*.md that is not in the tarball only through a link to the published docs;
3. every module and filter in the source tree is listed by ``ansible-doc -l`` from the installed copy,
   and each one's documentation renders.
"""

import os
import pathlib
import re
import subprocess
import sys
import tarfile

FORBIDDEN_PARTS = {".venv", ".venv-latest", "build", "output", "__pycache__", ".pytest_cache", ".git", ".ci", "tools",
                   # the simulated Windows host is the portscale-winsim package (simulator/), never in the tarball
                   "simulator", "portscale_winsim"}
# What a user downloads: the product and what runs from the tarball. Tests and docs that need a checkout are left out
# (galaxy.yml build_ignore), which is what keeps it this small.
MAX_TARBALL_BYTES = 200 * 1024
SOURCE = pathlib.Path(__file__).resolve().parent.parent


# Where a user reads: what a link in them names must be in the tarball, or be the published copy (galaxy.yml
# documentation). Code comments cite the repository's docs by path and are for developers.
USER_TEXT = re.compile(r"^(README\.md|docs/[^/]+\.md|plugins/(modules|filter|doc_fragments)/[^/]+\.py|roles/[^/]+/meta/[^/]+\.yml)$")
REPOSITORY_DOCS = {p.name for p in (pathlib.Path(__file__).resolve().parent.parent / "docs").glob("*.md")}
PUBLISHED = "https://github.com/portscale/tcpip/blob/main/docs/"
DOC_NAME = re.compile(r"(?<![\w/.-])(?:docs/)?([a-z][a-z0-9-]*)\.md\b")


def unshipped_doc_mentions(archive, names):
    """``file: name.md`` for each mention of a docs/ file the tarball lacks, outside a link to the published docs."""
    shipped = {pathlib.PurePosixPath(n).name for n in names if n.startswith("docs/")}
    found = []
    for name in names:
        if not USER_TEXT.match(name):
            continue
        text = archive.extractfile(name).read().decode("utf-8")
        for match in DOC_NAME.finditer(text):
            doc = f"{match.group(1)}.md"
            linked = text[match.end():match.end() + 2] in ("](", ",h") or text[:match.start()].endswith(PUBLISHED)
            if doc in REPOSITORY_DOCS and doc not in shipped and not linked:
                found.append(f"{name}: {doc}")
    return found


def plugin_names(kind):
    folder = SOURCE / "plugins" / kind
    return sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__") if folder.is_dir() else []


def ansible_doc(*args):
    bindir = os.path.dirname(sys.executable)
    result = subprocess.run([os.path.join(bindir, "ansible-doc"), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"ansible-doc {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def main(tarball):
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
        unshipped = unshipped_doc_mentions(archive, names)
    if unshipped:
        sys.exit(f"{tarball}: user-facing text names docs that are not in the tarball; link them to {PUBLISHED}: {unshipped}")
    leaked = [n for n in names if FORBIDDEN_PARTS & set(pathlib.PurePosixPath(n).parts)]
    if leaked:
        sys.exit(f"{tarball} ships files that build_ignore should exclude: {leaked[:10]}")
    size = os.path.getsize(tarball)
    print(f"tarball: {size / 1024:.1f} KiB, {len(names)} entries")
    if size > MAX_TARBALL_BYTES:
        sys.exit(f"{tarball} is {size} bytes, over {MAX_TARBALL_BYTES}: leave out what does not run from the tarball "
                 "(galaxy.yml build_ignore) or shrink it")
    for kind, doc_type in (("modules", "module"), ("filter", "filter")):
        expected = plugin_names(kind)
        listing = ansible_doc("-t", doc_type, "-l", "portscale.tcpip")
        missing = [name for name in expected if f"portscale.tcpip.{name}" not in listing]
        if missing:
            sys.exit(f"ansible-doc -t {doc_type} -l does not list {missing} from the installed collection:\n{listing}")
        for name in expected:
            ansible_doc("-t", doc_type, f"portscale.tcpip.{name}")
        print(f"installed copy: {len(expected)} {kind} plugin(s) listed and documented")


if __name__ == "__main__":
    main(sys.argv[1])
