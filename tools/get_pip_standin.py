# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for ansible-test's get-pip bootstrap script, which it downloads from a host unreachable here.

ansible-test runs this file with the arguments it would give get-pip (for example
``--disable-pip-version-check --quiet pip==24.2 --no-setuptools --no-wheel``). We install pip from the
interpreter's bundled wheel (ensurepip), then let pip upgrade itself to the requested version from the
package index. ensurepip runs in a child process: calling ensurepip.bootstrap() in-process sets
PIP_CONFIG_FILE=/dev/null in os.environ, and the pip run after it would lose /etc/pip.conf (and with it
TLS verification settings).
Kept Python 2.7 compatible: ansible-test also bootstraps pip into old target interpreters.
"""

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel")


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--upgrade"] + args)


if __name__ == "__main__":
    main()
