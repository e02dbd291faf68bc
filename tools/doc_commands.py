# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the shell commands of README.md and docs/*.md the way a reader would (`make docs-test`, docs/development.md).

Every fenced block needs a language (``text`` for output and listings). A block in a shell language (console, bash,
sh, shell, powershell, ...) needs a marker on the line before its opening fence:

* ``<!-- doc-test: run [option ...] -->``: the block runs, as one bash script (``set -eo pipefail``), and every command
  in it must succeed;
* ``<!-- doc-test: skip REASON -->``: the block does not run here; the reason says why (a real Windows fleet, AWX, a
  developer target that `make test` runs on its own, ...).

``<!-- doc-test: file NAME -->`` before any other block writes that block to NAME in the document's directory, for the
run blocks after it (README's ``ports.yml``, for example).

Documents run in order (README.md first: it installs the collection) in one scratch HOME, each in a directory of its
own. PATH starts with the toolchain's venv (.venv: ansible-core 2.19, Python 3.11), so ``python``, ``ansible-*`` are
its. ANSIBLE_* and PYTHONPATH of the caller are dropped. ``pip install`` runs with ``--dry-run --no-index`` in that
venv: the requirements must be satisfied by the versions the tests run, and nothing is downloaded or changed. stdin
repeats the line ``doc-test-password``, the answer to prompts such as ``--ask-vault-pass``; there is no terminal. The
blocks of one document share their shell state as a reader's terminal would: what one block exports, the next has.

Run options:

* ``sim=DIR``: a one-host simulated fleet (NTLM) runs in DIR during the block (stopped afterwards);
* ``inventory=FILE``: with ``sim``, the simulator's inventory.yml is copied to FILE (standing in for a real inventory);
* ``tarball``: the collection tarball (``--tarball``) is copied into the directory first, as a release download;
* ``cwd=checkout``: the block runs at the root of a fresh git clone holding the working tree's files, committed;
* ``home=NAME``: the block runs with a fresh HOME of its own (an alternative installation);
* ``creates=PATH[,PATH...]``: these paths must exist afterwards (relative to the block's directory; ``~/`` is its HOME);
* ``expect=TEXT``: the block's output must contain TEXT (quote it when it has spaces).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
COMMAND_LANGUAGES = frozenset(("console", "bash", "sh", "shell", "shell-session", "zsh", "powershell", "pwsh", "ps1",
                               "ps", "bat", "batch", "cmd", "doscon"))
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
MARKER = re.compile(r"^[ \t]*<!--\s*doc-test:\s*(?P<kind>[a-z-]+)(?P<rest>.*?)\s*-->\s*$")
RUN_OPTIONS = frozenset(("sim", "inventory", "tarball", "cwd", "home", "creates", "expect"))
PIP_INSTALL = re.compile(r"\b(pip3?\s+install)\b")
STDIN_LINE = "doc-test-password"
# Not carried from one block to the next: each block gets its own.
KEPT_OUT = "HOME|PWD|OLDPWD|SHLVL|_"
BLOCK_TIMEOUT = 300
DROPPED_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")


@dataclasses.dataclass
class Block:
    doc: str
    line: int
    language: str
    text: str
    kind: str = ""
    reason: str = ""
    options: dict = dataclasses.field(default_factory=dict)

    @property
    def where(self):
        return f"{self.doc}:{self.line}"

    @property
    def is_command(self):
        return self.language in COMMAND_LANGUAGES


def parse(doc, text):
    """The fenced blocks of a Markdown text with their markers, and the convention's violations."""
    lines = text.split("\n")
    blocks, errors = [], []
    pending = None  # (line number, kind, rest) of a marker not yet attached
    index = 0
    while index < len(lines):
        line = lines[index]
        marker = MARKER.match(line)
        if marker:
            if pending:
                errors.append(f"{doc}:{pending[0]}: doc-test marker not followed by a fenced block")
            pending = (index + 1, marker.group("kind"), marker.group("rest").strip())
            index += 1
            continue
        fence = FENCE.match(line)
        if not fence:
            if line.strip() and pending:
                errors.append(f"{doc}:{pending[0]}: doc-test marker not followed by a fenced block")
                pending = None
            index += 1
            continue
        indent, chars = fence.group("indent"), fence.group("fence")
        language = fence.group("info").strip().split(" ")[0].lower()
        body, end = [], index + 1
        while end < len(lines):
            closing = lines[end].strip()
            if closing.startswith(chars[0] * len(chars)) and not closing.strip(chars[0]):
                break
            body.append(lines[end][len(indent):] if lines[end].startswith(indent) else lines[end].lstrip())
            end += 1
        if end >= len(lines):
            errors.append(f"{doc}:{index + 1}: fenced block never closed")
        block = Block(doc, index + 1, language, "\n".join(body) + "\n")
        if pending:
            _attach(block, pending, errors)
            pending = None
        _check(block, errors)
        blocks.append(block)
        index = end + 1
    if pending:
        errors.append(f"{doc}:{pending[0]}: doc-test marker not followed by a fenced block")
    return blocks, errors


def _attach(block, pending, errors):
    line, kind, rest = pending
    block.kind = kind
    if kind == "skip":
        block.reason = rest
    elif kind == "file":
        block.options = {"name": rest}
    elif kind == "run":
        try:
            words = shlex.split(rest)
        except ValueError as exc:
            errors.append(f"{block.doc}:{line}: cannot read the run options: {exc}")
            return
        for word in words:
            key, value = word.split("=", 1) if "=" in word else (word, "")
            if key not in RUN_OPTIONS:
                errors.append(f"{block.doc}:{line}: unknown run option {key!r} (known: {', '.join(sorted(RUN_OPTIONS))})")
            block.options[key] = value
    else:
        errors.append(f"{block.doc}:{line}: unknown doc-test marker {kind!r} (run, skip or file)")


def _check(block, errors):
    if not block.language:
        errors.append(f"{block.where}: fenced block without a language (use `text` for output or listings)")
    if block.is_command:
        if block.kind not in ("run", "skip"):
            errors.append(f"{block.where}: {block.language} block without <!-- doc-test: run --> or "
                          f"<!-- doc-test: skip REASON --> on the line before it")
        if block.kind == "skip" and len(block.reason.split()) < 3:
            errors.append(f"{block.where}: doc-test skip needs a reason (a few words)")
        if block.kind == "run" and "inventory" in block.options and "sim" not in block.options:
            errors.append(f"{block.where}: run option inventory= needs sim=")
        if block.kind == "run" and block.options.get("cwd", "checkout") != "checkout":
            errors.append(f"{block.where}: run option cwd= only takes checkout")
    elif block.kind in ("run", "skip"):
        errors.append(f"{block.where}: doc-test {block.kind} on a {block.language or 'plain'} block (only shell blocks run)")
    if block.kind == "file" and not re.fullmatch(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", block.options.get("name", "")):
        errors.append(f"{block.where}: doc-test file needs a relative file name")


SELF_CHECK = """
<!-- doc-test: run -->
```console
true
```

```console
echo unmarked
```

<!-- doc-test: skip -->
```bash
echo no reason
```

```
untagged
```
"""


def self_check():
    """The rule holds: an unmarked shell block, a skip without a reason and an untagged fence are errors."""
    errors = parse("self-check.md", SELF_CHECK)[1]
    wanted = ("self-check.md:7: console block without", "self-check.md:12: doc-test skip needs a reason",
              "self-check.md:16: fenced block without a language")
    if len(errors) != len(wanted) or not all(e.startswith(w) for e, w in zip(errors, wanted)):
        raise SystemExit(f"doc_commands.py's own check is broken: {errors}")


def documents(root):
    return [root / "README.md"] + sorted((root / "docs").glob("*.md"))


def read_all(root):
    blocks, errors = [], []
    for path in documents(root):
        found, wrong = parse(str(path.relative_to(root)), path.read_text(encoding="utf-8"))
        blocks.extend(found)
        errors.extend(wrong)
    return blocks, errors


class Runner:
    def __init__(self, args):
        self.args = args
        self.scratch = pathlib.Path(args.scratch).resolve()
        self.home = self.scratch / "home"
        self.venv_bin = pathlib.Path(args.venv).resolve() / "bin"
        self.checkout = None
        self.failures = []

    def env(self, home):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k not in DROPPED_ENV}
        env.update(HOME=str(home), PATH=f"{self.venv_bin}{os.pathsep}{env.get('PATH', '')}", ANSIBLE_NOCOLOR="1",
                   NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1")
        return env

    def simulator(self, *args):
        # portscale-winsim as the docs install it; make venv installs simulator/ into the toolchain's venv.
        return subprocess.run([str(self.venv_bin / "portscale-winsim"), *args], env=self.env(self.home), capture_output=True,
                              text=True, timeout=120, check=False)

    def stop_leftovers(self, folder):
        for fleet in folder.rglob("fleet.json"):
            self.simulator("stop", "--state-dir", str(fleet.parent))

    def make_checkout(self):
        if self.checkout:
            return self.checkout
        checkout = self.scratch / "checkout"
        git = ["git", "-c", "user.name=doc-test", "-c", "user.email=doc-test@localhost", "-c", "commit.gpgsign=false"]
        subprocess.run(git + ["clone", "-q", str(ROOT), str(checkout)], check=True)
        listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                check=True, capture_output=True).stdout.decode().split("\0")
        present = {name for name in listed if name and (ROOT / name).is_file()}
        for name in subprocess.run(["git", "-C", str(checkout), "ls-files", "-z"], check=True,
                                   capture_output=True).stdout.decode().split("\0"):
            if name and name not in present:
                (checkout / name).unlink(missing_ok=True)
        for name in sorted(present):
            target = checkout / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
        subprocess.run(git + ["-C", str(checkout), "add", "-A"], check=True)
        subprocess.run(git + ["-C", str(checkout), "commit", "-q", "--no-verify", "--allow-empty", "-m", "working tree"],
                       check=True)
        self.checkout = checkout
        return checkout

    @staticmethod
    def script(block, workdir, home):
        """The block as a bash script, in the shell state (exported variables) the document's earlier blocks left."""
        state = shlex.quote(str(workdir / ".doc-test-env"))
        return "\n".join((
            "set -eo pipefail",
            f"exec < <(yes {STDIN_LINE})",
            f"if [ -f {state} ]; then . {state}; fi",
            f"export HOME={shlex.quote(str(home))}",
            f"trap 'export -p | grep -v -E \"^declare -x ({KEPT_OUT})=\" > {state}' EXIT",
            "trap 'echo \"doc-test: exit code $? from: $BASH_COMMAND\" >&2' ERR",
            PIP_INSTALL.sub(r"\1 --dry-run --no-index", block.text),
        ))

    def run_block(self, block, workdir):
        opts = block.options
        home = self.scratch / opts["home"] if opts.get("home") else self.home
        home.mkdir(parents=True, exist_ok=True)
        cwd = self.make_checkout() if opts.get("cwd") == "checkout" else workdir
        if "tarball" in opts:
            shutil.copy2(self.args.tarball, workdir / pathlib.Path(self.args.tarball).name)
        sim_dir = None
        try:
            if opts.get("sim"):
                sim_dir = workdir / opts["sim"]
                started = self.simulator("start", "--state-dir", str(sim_dir), "--count", "1", "--auth", "ntlm",
                                         "--daemon", "--max-lifetime", "900")
                if started.returncode != 0:
                    return f"the simulator did not start:\n{started.stdout}{started.stderr}"
                if opts.get("inventory"):
                    shutil.copy2(sim_dir / "inventory.yml", workdir / opts["inventory"])
            proc = subprocess.Popen(["bash", "-c", self.script(block, workdir, home)], cwd=cwd, env=self.env(home),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    start_new_session=True)
            try:
                output = proc.communicate(timeout=BLOCK_TIMEOUT)[0]
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                output = proc.communicate()[0]
                return f"timed out after {BLOCK_TIMEOUT} s:\n{output}"
            if proc.returncode != 0:
                return f"exit code {proc.returncode}:\n{output}"
            missing = [p for p in filter(None, opts.get("creates", "").split(","))
                       if not (home / p[2:] if p.startswith("~/") else cwd / p).exists()]
            if missing:
                return f"the block did not create {', '.join(missing)}:\n{output}"
            if opts.get("expect") and opts["expect"] not in output:
                return f"the output lacks {opts['expect']!r}:\n{output}"
            if self.args.verbose:
                print(output)
            return None
        finally:
            if sim_dir is not None:
                self.simulator("stop", "--state-dir", str(sim_dir))

    def run_document(self, doc, blocks):
        workdir = self.scratch / "docs" / pathlib.Path(doc).stem
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            for block in blocks:
                if block.kind == "file":
                    target = workdir / block.options["name"]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(block.text, encoding="utf-8")
                    continue
                if not block.is_command:
                    continue
                if block.kind == "skip":
                    print(f"  {block.where}: not run ({block.reason})")
                    continue
                started = time.monotonic()
                error = self.run_block(block, workdir)
                took = time.monotonic() - started
                if error:
                    tail = "\n".join(error.rstrip("\n").split("\n")[-80:])
                    print(f"  {block.where}: FAILED after {took:.1f} s: {tail}")
                    self.failures.append(block.where)
                    return
                print(f"  {block.where}: ran in {took:.1f} s")
        finally:
            self.stop_leftovers(workdir)
            self.stop_leftovers(self.scratch / "checkout")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("mode", choices=("check", "run", "list"), help="check: the markers only; run: check, then run")
    parser.add_argument("--scratch", help="an empty directory to work in (run)")
    parser.add_argument("--venv", default=str(ROOT / ".venv"), help="the toolchain venv whose bin/ goes first on PATH")
    parser.add_argument("--tarball", help="the built collection tarball (run)")
    parser.add_argument("--only", action="append", default=[], help="run only these documents (README.md always runs)")
    parser.add_argument("--verbose", action="store_true", help="print the output of every block")
    args = parser.parse_args(argv)

    self_check()
    blocks, errors = read_all(ROOT)
    commands = [b for b in blocks if b.is_command]
    if args.mode == "list":
        for block in commands:
            print(f"{block.where} {block.language} {block.kind or '-'} {block.reason or ' '.join(f'{k}={v}' for k, v in block.options.items())}")
    if errors:
        print("doc-test markers (docs/development.md, 'Commands in the docs'):", file=sys.stderr)
        print("\n".join(errors), file=sys.stderr)
        return 1
    to_run = [b for b in commands if b.kind == "run"]
    print(f"doc commands: {len(commands)} shell blocks, {len(to_run)} to run, {len(commands) - len(to_run)} marked not-run")
    if args.mode != "run":
        return 0
    if not args.scratch or not args.tarball:
        parser.error("run needs --scratch and --tarball")
    runner = Runner(args)
    if runner.scratch.exists():
        shutil.rmtree(runner.scratch)
    runner.home.mkdir(parents=True)
    started = time.monotonic()
    for doc in dict.fromkeys(b.doc for b in blocks):
        if args.only and doc != "README.md" and doc not in args.only:
            continue
        print(doc)
        runner.run_document(doc, [b for b in blocks if b.doc == doc])
    print(f"doc commands: {time.monotonic() - started:.1f} s")
    if runner.failures:
        print(f"doc commands failed: {', '.join(runner.failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
