# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ansible glue every portscale.tcpip action plugin shares (kept thin: the logic lives in plain functions).

* arguments are validated against the spec derived from the module stub's DOCUMENTATION, before any remote call;
* scripts go to the host through the task's own connection as ``PowerShell -EncodedCommand`` (the way
  ansible.windows' reboot action does it), which the winrm, psrp and ssh+powershell connections all accept;
* connection problems become unreachable results (a WinRM service fault a failed one) whose message says whether
  anything may have changed: ansible-core's winrm connection wraps only timeouts in AnsibleConnectionFailure, so a
  cut connection or an HTTP 500 would otherwise surface as a bare "unexpected failure" traceback.
"""

from __future__ import annotations

import base64
import re
import typing as t

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure
from ansible.plugins.action import ActionBase

from .argspec import argument_spec_from_doc
from .converge import ConvergeFailed, WriteOutcomeUnknown, converge
from .remote import RemoteError, TransportError, sentence
from .tcpip import TcpipValueError

NOTHING_CHANGED = "Nothing was changed."
# The exact prefix ansible-core's winrm and psrp connections recognise as "already encoded, run as is".
POWERSHELL_PREFIX = "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand "


def encode_powershell(script: str) -> str:
    return POWERSHELL_PREFIX + base64.b64encode(script.encode("utf-16-le")).decode("ascii")


class PortscaleAction(ActionBase):
    """Subclasses set DOCUMENTATION (the stub's) and implement ``run_engine``."""

    TRANSFERS_FILES = False
    _requires_connection = True
    _supports_check_mode = True
    _supports_async = False

    DOCUMENTATION: str = ""
    MUTUALLY_EXCLUSIVE: t.Sequence[t.Sequence[str]] = ()
    # What each typed option accepts, added to Ansible's own type errors (which name the option and value, not the range).
    VALID: t.Mapping[str, str] = {}

    def run_engine(self, args: dict[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
        raise NotImplementedError

    def execute_script(self, script: str) -> tuple[int, str, str]:
        """Run a PowerShell script as one command execution; return (rc, stdout, stderr)."""
        try:
            res = self._low_level_execute_command(encode_powershell(script), sudoable=False)
        except AnsibleConnectionFailure as error:
            raise TransportError(str(error), unreachable=True) from error
        except OSError as error:
            # requests' ConnectionError and its kin (a cut connection, a refused reconnect) are OSErrors.
            raise TransportError(f"{type(error).__name__}: {error}", unreachable=True) from error
        except Exception as error:  # pylint: disable=broad-exception-caught
            # pywinrm's WinRMError / WSManFaultError (an HTTP 500 SOAP fault) and the like: the service answered.
            raise TransportError(f"the connection plugin failed: {type(error).__name__}: {error}", unreachable=False) from error
        return res.get("rc", -1), res.get("stdout", ""), res.get("stderr", "")

    def reconnect(self) -> None:
        """Drop and reopen the connection (a new WinRM shell and NTLM context; a new SSH master)."""
        try:
            self._connection.reset()
        except AnsibleConnectionFailure as error:
            raise TransportError(str(error), unreachable=True) from error
        except Exception as error:  # pylint: disable=broad-exception-caught
            raise TransportError(f"reconnecting failed: {type(error).__name__}: {error}", unreachable=True) from error

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        try:
            _dummy, args = self.validate_argument_spec(
                argument_spec=argument_spec_from_doc(self.DOCUMENTATION),
                mutually_exclusive=[list(group) for group in self.MUTUALLY_EXCLUSIVE],
            )
        except AnsibleActionFail as error:
            named = dict.fromkeys(re.findall(r"argument '([^']+)'", error.message))
            hints = [f"{name}: {self.VALID[name]}" for name in named if name in self.VALID]
            valid = f" Valid values: {'; '.join(hints)}." if hints else ""
            raise AnsibleActionFail(f"{sentence(error.message)}{valid} {NOTHING_CHANGED}") from None
        try:
            result.update(self.run_engine(dict(args), bool(self._task.check_mode)))
        except TcpipValueError as error:
            result.update(failed=True, changed=False, msg=f"{sentence(str(error))} {NOTHING_CHANGED}")
        except ConvergeFailed as error:
            result.update(error.result)
            result.update(failed=True, msg=str(error))
        except RemoteError as error:
            result.update(failed=True, changed=False, rc=error.rc, stdout=error.stdout, stderr=error.stderr,
                          msg=f"{sentence(str(error))} {NOTHING_CHANGED}")
        except TransportError as error:
            # Raised before any write was sent (reads, the probe): whatever failed, the host's settings are as they were.
            message = f"{sentence(str(error))} {NOTHING_CHANGED}"
            if error.unreachable:
                # from None: ansible-core would append the cause's text to the message a second time.
                raise AnsibleConnectionFailure(message) from None
            result.update(failed=True, changed=False, msg=message)
        except WriteOutcomeUnknown as error:
            if error.unreachable:
                raise AnsibleConnectionFailure(str(error)) from None
            result.update(error.result)
            result.update(failed=True, msg=str(error))
        return result


class ConfigurationAction(PortscaleAction):
    """A configuration module: ENGINE is a plugin_utils module with request_from_args(), plan() and observe()."""

    ENGINE: t.Any = None

    def run_engine(self, args: dict[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
        request = self.ENGINE.request_from_args(args)
        return converge(
            self.execute_script,
            request.snapshot_request(),
            lambda snapshot: self.ENGINE.plan(request, snapshot),
            lambda snapshot: self.ENGINE.observe(request, snapshot),
            check_mode,
            reconnect=self.reconnect,
        )
