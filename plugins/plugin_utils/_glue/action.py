# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ansible glue every portscale.tcpip action plugin shares (kept thin: the logic lives in plain functions).

* arguments are validated against the spec derived from the module stub's DOCUMENTATION, before any remote call;
* scripts go to the host through the task's own connection, in the form that connection takes on every supported
  ansible-core (delivery.py): the script itself for winrm, a ``PowerShell -EncodedCommand`` line for psrp and ssh;
* connection problems become unreachable results (a WinRM service fault a failed one) whose message says whether
  anything may have changed: ansible-core's winrm connection wraps only timeouts in AnsibleConnectionFailure, so a
  cut connection or an HTTP 500 would otherwise surface as a bare "unexpected failure" traceback.
"""

from __future__ import annotations

import math
import re
import typing as t

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import NoLogError, UnsupportedError
from ansible.plugins.action import ActionBase
from ansible.release import __version__ as ansible_version

from .._engine.argspec import argument_spec_from_doc
from .._engine.contract import Args, Engine, Result
from .._engine.converge import ConvergeFailed, WriteOutcomeUnknown
from .._windows.values import TcpipValueError
from .._wire import log
from .._wire.delivery import delivery_for, refusal_hint
from .._wire.remote import RemoteError, TransportError, sentence

NOTHING_CHANGED = "Nothing was changed."
# The running ansible-core line, e.g. (2, 16): some connections hand scripts to the host differently per line.
CORE_VERSION = tuple(int(part) for part in ansible_version.split(".")[:2])


def non_finite_number(value: t.Any, path: str = "") -> tuple[str, float] | None:
    """The first ``.inf``/``.nan`` among the task's arguments (searched through lists and dicts), with its path."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = non_finite_number(item, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def plain_type_names(message: str) -> str:
    """ansible-core before 2.19 names types as Python prints them (``of type <class 'str'>``); say ``str`` like 2.19+."""
    return re.sub(r"<class '(\w+)'>", r"\1", message)


class PortscaleAction(ActionBase):
    """Subclasses set DOCUMENTATION (the stub's) and ENGINE (the engine module's ``ENGINE``); the action is the engine's
    ``Host`` (contract.py): ``execute_script`` and ``reconnect``."""

    TRANSFERS_FILES = False
    _requires_connection = True
    _supports_check_mode = True
    _supports_async = False

    DOCUMENTATION: str = ""
    ENGINE: t.ClassVar[Engine]
    MUTUALLY_EXCLUSIVE: t.Sequence[t.Sequence[str]] = ()
    # What each typed option accepts, added to Ansible's own type errors (which name the option and value, not the range).
    VALID: t.Mapping[str, str] = {}

    def __init_subclass__(cls, **kwargs):
        # Parse the stub's spec when the class is defined. The strategy imports each task's action class in the main
        # process (to read BYPASS_HOST_LOOP) before it forks the task's workers, so they inherit the parsed spec: once
        # per process instead of once per task and host (argspec.py caches it).
        super().__init_subclass__(**kwargs)
        if cls.DOCUMENTATION:
            argument_spec_from_doc(cls.DOCUMENTATION)

    def validate_argument_spec(self, argument_spec=None, mutually_exclusive=None, required_together=None,  # pylint: disable=too-many-arguments
                               required_one_of=None, required_if=None, required_by=None):
        """ActionBase's, except that it never fails with the bare error of ansible-core's no_log scan.

        ansible-core reports only the first error. For a list of dicts given as something else (``ranges: "5000-5010"``)
        that is the no_log scan's "dictionary requested, could not parse JSON or key=value", which names no option;
        the type check's error after it does ("Elements value for option 'ranges' is of type str ...").
        """
        options = {"mutually_exclusive": mutually_exclusive, "required_together": required_together, "required_one_of": required_one_of,
                   "required_if": required_if, "required_by": required_by}
        try:
            return super().validate_argument_spec(argument_spec, **options)
        except AnsibleActionFail:
            errors = list(ArgumentSpecValidator(argument_spec, **options).validate(self._task.args.copy()).errors)
            named = [error for error in errors if not isinstance(error, NoLogError)]
            if not errors or not isinstance(errors[0], NoLogError) or not named:
                raise
            prefix = f"Unsupported parameters for ({self._load_name}) module: " if isinstance(named[0], UnsupportedError) else ""
            raise AnsibleActionFail(prefix + named[0].msg, obj=self._task.args) from None

    def run_engine(self, args: Args, check_mode: bool) -> Result:
        return self.ENGINE.run(self, args, check_mode)

    def execute_script(self, script: str) -> tuple[int, str, str]:
        """Run a PowerShell script as one command execution; return (rc, stdout, stderr)."""
        command, stdin = delivery_for(self._connection.transport).command(script)
        try:
            res = self._low_level_execute_command(command, sudoable=False, in_data=stdin)
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
        infinite = non_finite_number(self._task.args)
        if infinite is not None:
            # ansible-core's int conversion raises OverflowError on YAML's .inf (a traceback, not a message).
            path, value = infinite
            spelled = ".nan" if math.isnan(value) else ".inf" if value > 0 else "-.inf"  # as YAML writes it
            option = path.rsplit(".", 1)[-1].split("[", 1)[0]
            valid = f" Valid values: {option}: {self.VALID[option]}." if option in self.VALID else ""
            raise AnsibleActionFail(f"{path} is {spelled}, not a finite number.{valid} {NOTHING_CHANGED}")
        try:
            _dummy, args = self.validate_argument_spec(
                argument_spec=argument_spec_from_doc(self.DOCUMENTATION),
                mutually_exclusive=[list(group) for group in self.MUTUALLY_EXCLUSIVE],
            )
        except AnsibleActionFail as error:
            named = dict.fromkeys(re.findall(r"argument '([^']+)'", error.message))
            hints = [f"{name}: {self.VALID[name]}" for name in named if name in self.VALID]
            valid = f" Valid values: {'; '.join(hints)}." if hints else ""
            raise AnsibleActionFail(f"{sentence(plain_type_names(error.message))}{valid} {NOTHING_CHANGED}") from None
        host = (task_vars or {}).get("inventory_hostname")
        try:
            with log.task_log(host):
                result.update(self.run_engine(dict(args), bool(self._task.check_mode)))
        except TcpipValueError as error:
            result.update(failed=True, changed=False, msg=f"{sentence(str(error))} {NOTHING_CHANGED}")
        except ConvergeFailed as error:
            result.update(error.result)
            result.update(failed=True, msg=str(error))
        except RemoteError as error:
            hint = refusal_hint(self._connection.transport, CORE_VERSION, not error.outputs)
            result.update(failed=True, changed=False, rc=error.rc, stdout=error.stdout, stderr=error.stderr,
                          msg=f"{sentence(str(error))}{hint} {NOTHING_CHANGED}")
        except TransportError as error:
            # Raised before any write was sent (reads, the probe): whatever failed, the host's settings are as they were.
            message = f"{sentence(str(error))} {NOTHING_CHANGED}"
            if error.unreachable:
                # from None: ansible-core would append the cause's text to the message a second time.
                raise AnsibleConnectionFailure(message) from None
            result.update(failed=True, changed=False, msg=message)
        except WriteOutcomeUnknown as error:
            result.update(error.result)
            # Unreachable as a result, not an exception (as ansible.windows' win_reboot action does): the result keeps
            # the writes that may have been applied, which an AnsibleConnectionFailure would drop.
            result.update(msg=str(error), **({"unreachable": True} if error.unreachable else {"failed": True}))
        if host and result.get("warnings"):
            # Ansible prints warnings without the host: with forks, a reader could not tell which host said what.
            result["warnings"] = [f"{host}: {warning}" for warning in result["warnings"]]
        return result
