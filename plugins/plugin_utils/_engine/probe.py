# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_port_probe: prove outbound TCP capacity with a bounded burst of real connections on the host.

Two command executions at most: one read (the snapshot batch with the connection table, for the free ports that
set the safety cap) and one run of the probe script (probe_script.py). Check mode stops after the read.

Safety on production hosts, applied before anything is opened and reported in ``capped``:

* hard caps: at most 200,000 sockets and 600 s (the contract's bounds; larger requests are reduced);
* the share cap: unless ``allow_exhaustion`` is set, the probe takes at most ``max_free_share`` percent of the ports
  that were free when it read the host (its own listener counts as one), so the services on the host keep the rest.
  With SO_REUSE_UNICASTPORT / SO_PORT_SCALABILITY and K explicit local addresses each port number serves K sockets,
  so the socket limit is K times the port budget.

What the read predicts (``capacity_towards_target``) is per destination: the probe connects to one endpoint, so its
sockets need distinct local ports among themselves (a 4-tuple cannot repeat). At least the free ports (its own
listener takes one); at most, where Windows may reuse ports (connect() without an explicit bind, or
SO_REUSE_UNICASTPORT), also the ports held only by connections to other destinations (capacity.py).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import math
import re
import typing as t

from .._windows.facts import PORT_MAX
from .._windows.host import Combo, combo_key
from .._windows.values import TcpipValueError, to_int, user_value
from .._wire.probe_script import MAX_COUNT, MAX_LOCAL_ADDRESSES, MAX_TIMEOUT_MS, RESULT_MARKER, SCHEMA_VERSION, render
from .._wire.reader import HostRead, SnapshotRequest, read_host
from .._wire.remote import Execute, RemoteError, run_script
from .capacity import RangeCapacity, destination_text, host_capacity, time_wait
from .contract import ReadOnlyEngine

LOOPBACK = {4: "127.0.0.1", 6: "::1"}
_SCOPE_ID = re.compile(r"[0-9]{1,10}")   # ASCII digits only (str.isdigit would take other scripts' digits)
# The largest share of the free ports a probe may take without allow_exhaustion: the host keeps at least a tenth for
# its own traffic while the probe holds its sockets.
MAX_FREE_SHARE = 90
EXHAUSTION_CODES = (10055, 10048)   # WSAENOBUFS, WSAEADDRINUSE: no ephemeral port left (docs/windows-facts.md §7.1)
RESULT_KEYS = ("schema", "requested", "opened", "closed", "first_failure_index", "error", "timed_out", "elapsed_ms", "rate_per_sec",
               "local_port_min", "local_port_max", "addresses_used", "opened_per_address", "listener_port", "target")


@dataclasses.dataclass(frozen=True)
class ProbeRequest:
    count: int                       # after the hard cap
    timeout_ms: int                  # after the hard cap
    ip_version: int
    target_host: str
    target_port: int
    reuse_unicast_port: bool
    port_scalability: bool
    local_addresses: tuple[str, ...]
    max_free_share: int
    allow_exhaustion: bool
    fail_below: int | None
    requested_count: int             # what the task asked for
    hard_caps: tuple[dict[str, t.Any], ...] = ()

    @property
    def combo(self) -> Combo:
        return (f"ipv{self.ip_version}", "tcp")

    @property
    def port_scaling(self) -> int:
        """Sockets one port number can serve: K with a scalability option and K explicit addresses, else 1."""
        if self.local_addresses and (self.reuse_unicast_port or self.port_scalability):
            return len(self.local_addresses)
        return 1

    @property
    def destination(self) -> str | None:
        """The endpoint the probe connects to when it is not its own (new) listener, as capacity.py names destinations."""
        return destination_text(self.target_host, self.target_port) if self.target_port else None

    @property
    def may_reuse_ports(self) -> bool:
        """connect() without an explicit bind has SO_REUSE_UNICASTPORT behaviour where the option exists (SOL_SOCKET
        socket options); an explicit bind shares ports only with the option set."""
        return not self.local_addresses or self.reuse_unicast_port

    def snapshot_request(self) -> SnapshotRequest:
        return SnapshotRequest(combos=(self.combo,), exclusions=True, netstat=True, netstat_bound=True)


def _canonical_address(option: str, text: object, ip_version: int) -> str:
    if not isinstance(text, str):
        raise TcpipValueError(option, text, "expected an IP address literal")
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        raise TcpipValueError(option, text, "expected an IP address literal (host names are not accepted)") from None
    if address.version != ip_version:
        raise TcpipValueError(option, text, f"expected an IPv{ip_version} address (ip_version={ip_version})")
    # Python keeps any text after '%' as an IPv6 scope id ('::1%$(Stop-Computer)' parses), and str() gives it back, so
    # it would reach the host. Windows scope ids are interface numbers: allow those only.
    scope = getattr(address, "scope_id", None)
    if scope is not None and not _SCOPE_ID.fullmatch(scope):
        raise TcpipValueError(option, text, "an IPv6 scope id must be an interface number (fe80::1%12)")
    return str(address)


def request_from_args(args: dict[str, t.Any]) -> ProbeRequest:
    caps: list[dict[str, t.Any]] = []
    # Every message names the valid range: Ansible's int type lets booleans through, and they land here.
    count_valid = f"open at least one connection (more than {MAX_COUNT} is reduced to {MAX_COUNT})"
    requested = to_int("count", args["count"], count_valid)
    if requested < 1:
        raise TcpipValueError("count", requested, count_valid)
    count = min(requested, MAX_COUNT)
    if count < requested:
        caps.append({"limit": "max_count", "requested": requested, "applied": count,
                     "reason": f"a probe opens at most {MAX_COUNT} connections"})
    timeout_valid = f"give at least 1 second (more than {MAX_TIMEOUT_MS // 1000} is reduced to {MAX_TIMEOUT_MS // 1000})"
    timeout = to_int("timeout", args["timeout"], timeout_valid)
    if timeout < 1:
        raise TcpipValueError("timeout", timeout, timeout_valid)
    timeout_ms = min(timeout * 1000, MAX_TIMEOUT_MS)
    if timeout_ms < timeout * 1000:
        caps.append({"limit": "max_timeout", "requested": timeout, "applied": timeout_ms // 1000,
                     "reason": f"a probe runs at most {MAX_TIMEOUT_MS // 1000} s"})
    ip_version = to_int("ip_version", args["ip_version"], "4 or 6")
    if ip_version not in (4, 6):
        raise TcpipValueError("ip_version", ip_version, "4 or 6")
    port_valid = f"0 (the probe's own listener) or a port up to {PORT_MAX}"
    target_port = to_int("target_port", args["target_port"], port_valid)
    if not 0 <= target_port <= PORT_MAX:
        raise TcpipValueError("target_port", target_port, port_valid)
    target = args.get("target_host")
    target_host = LOOPBACK[ip_version] if target in (None, "") else _canonical_address("target_host", target, ip_version)
    addresses = tuple(_canonical_address("local_addresses", a, ip_version) for a in args.get("local_addresses") or ())
    if len(set(addresses)) != len(addresses):
        repeated = sorted({a for a in addresses if addresses.count(a) > 1})
        raise TcpipValueError.refusal("local_addresses", f"give each address once ({', '.join(repeated)} is repeated)")
    if len(addresses) > MAX_LOCAL_ADDRESSES:
        raise TcpipValueError.refusal("local_addresses", f"{len(addresses)} addresses given; at most {MAX_LOCAL_ADDRESSES}")
    share_valid = (f"a percentage from 1 to {MAX_FREE_SHARE} (a probe leaves the host at least {100 - MAX_FREE_SHARE}% of its "
                   "free ports; to go further, set allow_exhaustion: true)")
    share = to_int("max_free_share", args["max_free_share"], share_valid)
    if not 1 <= share <= MAX_FREE_SHARE:
        raise TcpipValueError("max_free_share", share, share_valid)
    fail_below_valid = f"between 0 and the number of connections the probe may open ({count})"
    fail_below = None if args.get("fail_below") is None else to_int("fail_below", args["fail_below"], fail_below_valid)
    if fail_below is not None and not 0 <= fail_below <= count:
        raise TcpipValueError("fail_below", fail_below, fail_below_valid)
    return ProbeRequest(count=count, timeout_ms=timeout_ms, ip_version=ip_version, target_host=target_host, target_port=target_port,
                        reuse_unicast_port=bool(args["reuse_unicast_port"]), port_scalability=bool(args["port_scalability"]),
                        local_addresses=addresses, max_free_share=share, allow_exhaustion=bool(args["allow_exhaustion"]),
                        fail_below=fail_below, requested_count=requested, hard_caps=tuple(caps))


@dataclasses.dataclass(frozen=True)
class ProbePlan:
    count: int                       # sockets the probe will try to open
    free_ports: int | None           # free ports of the range when the host was read
    port_budget: int | None          # ports the share cap allows the clients (None: no share cap)
    socket_limit: int | None
    capped: tuple[dict[str, t.Any], ...]
    range_text: str
    towards_target: dict[str, int | None] | None = None   # expected_capacity()

    def safety(self, request: ProbeRequest) -> dict[str, t.Any]:
        return {"max_free_share": request.max_free_share, "allow_exhaustion": request.allow_exhaustion,
                "free_ports": self.free_ports, "port_budget": self.port_budget, "socket_limit": self.socket_limit,
                "sockets_per_port": request.port_scaling, "max_count": MAX_COUNT, "max_timeout": MAX_TIMEOUT_MS // 1000}


def expected_capacity(request: ProbeRequest, capacity: RangeCapacity | None, bound_sockets_listed: bool = True) -> dict[str, int | None] | None:
    """How many connections towards its target the read predicts the probe can open before no port is left (count and
    time budget aside), as bounds: ``at_least`` the free ports (null when BOUND sockets could not be counted, since free
    is then too high), ``at_most`` also the ports held only by connections to other destinations where Windows may reuse
    them. Less the probe's own listener; times K with K explicit addresses and a scalability option."""
    if capacity is None:
        return None
    listener_cost = 1 if request.target_port == 0 else 0
    most = capacity.ports_at_most(request.destination) if request.may_reuse_ports else capacity.free
    scale = request.port_scaling
    least = max(0, capacity.free - listener_cost) * scale
    return {"at_least": least if bound_sockets_listed else None, "at_most": max(0, most - listener_cost) * scale}


def plan_probe(request: ProbeRequest, capacity: RangeCapacity | None, os_build: int, bound_sockets_listed: bool = True) -> ProbePlan:
    """Apply the share cap to the request, from the free ports of the range the probe draws from."""
    capped = list(request.hard_caps)
    if capacity is None:
        if not request.allow_exhaustion:
            raise TcpipValueError.refusal(
                "max_free_share", f"the free ports of the {combo_key(request.combo)} range cannot be read on Windows build {os_build} "
                "(no netsh dynamic port range), so the share cap cannot be applied; set allow_exhaustion: true to probe with only "
                "the hard caps")
        return ProbePlan(request.count, None, None, None, tuple(capped), "unknown")
    free = capacity.free
    listener_cost = 1 if request.target_port == 0 else 0
    budget = max(0, free * request.max_free_share // 100 - listener_cost)
    limit = budget * request.port_scaling
    count = request.count
    if not request.allow_exhaustion and count > limit:
        capped.append({"limit": "free_share", "requested": count, "applied": limit,
                       "reason": f"at most {request.max_free_share}% of the {free} free ports of {capacity.port_range} "
                                 f"({budget} port(s){' after the listener' if listener_cost else ''}"
                                 f"{f', {request.port_scaling} sockets each' if request.port_scaling > 1 else ''}); "
                                 "set allow_exhaustion: true to go further"})
        count = limit
    return ProbePlan(count, free, None if request.allow_exhaustion else budget, None if request.allow_exhaustion else limit,
                     tuple(capped), str(capacity.port_range), expected_capacity(request, capacity, bound_sockets_listed))


def probe_params(request: ProbeRequest, count: int) -> dict[str, t.Any]:
    """The contract's input (docs/probe-contract.md §2); every value is an int, a bool or a canonical IP literal."""
    return {"schema": SCHEMA_VERSION, "count": count, "timeout_ms": request.timeout_ms, "target_host": request.target_host,
            "target_port": request.target_port, "reuse_unicast_port": request.reuse_unicast_port,
            "port_scalability": request.port_scalability, "local_addresses": list(request.local_addresses),
            "ip_version": request.ip_version}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    # math.isfinite rejects NaN and both infinities, which a JSON-shaped result line can carry.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _error_problem(error: object) -> str | None:
    if error is None:
        return None
    if not isinstance(error, dict) or set(error) != {"code", "name", "message"}:
        return "error must be null or an object with code, name and message"
    if not _is_int(error["code"]) or not 0 <= error["code"] <= 0xFFFFFFFF:
        return "error.code must be a Winsock code (an integer)"
    if not isinstance(error["name"], str) or not isinstance(error["message"], str):
        return "error.name and error.message must be strings"
    return None


def result_shape_problem(result: dict[str, t.Any], requested: int) -> str | None:
    """What in the host's result line breaks the contract's types and bounds (docs/probe-contract.md §3), or None.

    The line comes from the host: a count outside the request, a string where a number belongs or a half-formed error
    must fail the task with a clear message, not pass and not crash the report."""
    counts = {key: result[key] for key in ("requested", "opened", "closed")}
    if not all(_is_int(value) for value in counts.values()):
        return "requested, opened and closed must be integers"
    if counts["requested"] != requested or not 0 <= counts["opened"] <= requested or not 0 <= counts["closed"] <= requested:
        return f"the counts do not fit the request of {requested} (requested {counts['requested']}, opened {counts['opened']}, closed {counts['closed']})"
    index = result["first_failure_index"]
    if index is not None and (not _is_int(index) or index != counts["opened"]):
        return "first_failure_index must be null or equal opened"
    problem = _error_problem(result["error"])
    if problem:
        return problem
    if (index is None) != (result["error"] is None):
        return "first_failure_index and error must be both null or both set"
    if not isinstance(result["timed_out"], bool) or not _is_number(result["elapsed_ms"]) or not _is_number(result["rate_per_sec"]):
        return "timed_out must be a boolean and elapsed_ms, rate_per_sec numbers"
    for key in ("local_port_min", "local_port_max"):
        if result[key] is not None and not (_is_int(result[key]) and 0 <= result[key] <= PORT_MAX):
            return f"{key} must be null or a port"
    if not _is_int(result["listener_port"]) or not 0 <= result["listener_port"] <= PORT_MAX:
        return "listener_port must be a port"
    if not isinstance(result["target"], str) or not isinstance(result["addresses_used"], list) \
            or not all(isinstance(a, str) for a in result["addresses_used"]):
        return "target must be a string and addresses_used a list of strings"
    per_address = result["opened_per_address"]
    if not isinstance(per_address, dict) or not all(isinstance(k, str) and _is_int(v) and 0 <= v <= requested for k, v in per_address.items()):
        return "opened_per_address must map addresses to counts"
    return None


def parse_probe_output(rc: int, stdout: str, stderr: str, requested: int) -> dict[str, t.Any]:
    """The result JSON of the one marker line; RemoteError for anything the contract does not allow (§1.5)."""
    lines = [line.strip() for line in stdout.splitlines() if line.startswith(RESULT_MARKER)]
    problem = None
    if rc != 0:
        problem = f"the probe script exited {rc}"
    elif len(lines) != 1:
        problem = f"the probe script printed {len(lines)} result lines instead of one"
    if problem is None:
        try:
            result = json.loads(lines[0][len(RESULT_MARKER):])
        except ValueError:
            result = None
        if not isinstance(result, dict):
            problem = "the probe's result line is not a JSON object"
        elif result.get("schema") != SCHEMA_VERSION:
            problem = f"the probe answered schema {user_value(result.get('schema'))}, not {SCHEMA_VERSION}"
        elif any(key not in result for key in RESULT_KEYS):
            problem = f"the probe's result lacks {', '.join(k for k in RESULT_KEYS if k not in result)}"
        else:
            problem = result_shape_problem(result, requested)
            if problem is None:
                return result
    said = (stderr or "").strip() or (stdout or "").strip() or "(no output)"
    raise RemoteError(f"{problem}: {said}", rc, stdout, stderr)


def _failure_text(outcome: dict[str, t.Any], request: ProbeRequest) -> str:
    error = outcome.get("error")
    if error:
        return (f"attempt {outcome['first_failure_index']} failed with {error.get('code')} {error.get('name')}: "
                f"{error.get('message')}")
    if outcome.get("timed_out"):
        return f"the {request.timeout_ms // 1000} s time budget ran out"
    return "it stopped early without an error"


def _expected_text(plan: ProbePlan) -> str:
    expected = plan.towards_target
    if not expected:
        return ""
    least, most = expected["at_least"], expected["at_most"]
    if least == most:
        return f" (the read predicted {most} towards it)"
    return f" (the read predicted {'?' if least is None else least} to {most} towards it)"


def _explain(request: ProbeRequest, plan: ProbePlan, outcome: dict[str, t.Any]) -> str:
    text = f"{plan.free_ports} port(s) of the {combo_key(request.combo)} range {plan.range_text} were free before the probe."
    error = outcome.get("error") or {}
    if error.get("code") in EXHAUSTION_CODES:
        text += (f" No ephemeral port was left for connections to {outcome['target']}{_expected_text(plan)}: widen the range "
                 "(portscale.tcpip.win_dynamic_port_range), shorten TIME_WAIT (portscale.tcpip.win_tcpip_parameters) or find the "
                 "process holding ports (portscale.tcpip.win_port_info).")
    elif error.get("code") == 10061 and outcome["opened"] > 0:
        text += " 10061 in the middle of a burst means the listener's backlog overflowed, not a port shortage."
    return text


def evaluate(request: ProbeRequest, plan: ProbePlan, outcome: dict[str, t.Any]) -> dict[str, t.Any]:
    """The task result for a probe that ran; ``failed``/``msg`` set when it must fail."""
    result: dict[str, t.Any] = {key: outcome[key] for key in RESULT_KEYS if key != "schema"}
    result.update(changed=False, probed=True, requested=request.requested_count, count=plan.count, free_ports_before=plan.free_ports,
                  capacity_towards_target=plan.towards_target, capped=list(plan.capped), safety=plan.safety(request),
                  fail_below=request.fail_below, warnings=[])
    opened = outcome["opened"]
    if outcome["closed"] != opened:
        result["warnings"].append(f"The probe opened {opened} socket(s) but reports {outcome['closed']} closed.")
    error = outcome.get("error") or {}
    if error and opened == 0 and error.get("code") not in EXHAUSTION_CODES:
        result.update(failed=True, passed=False,
                      msg=f"The probe could not open any connection to {outcome['target']}: {_failure_text(outcome, request)}")
        return result
    if request.fail_below is None:
        result["passed"] = None
        return result
    result["passed"] = opened >= request.fail_below
    if not result["passed"]:
        result.update(failed=True, msg=(f"The probe opened {opened} of {plan.count} connection(s) to {outcome['target']}, fewer than "
                                        f"fail_below={request.fail_below}: {_failure_text(outcome, request)}. {_explain(request, plan, outcome)}"))
    return result


def _not_probed(request: ProbeRequest, plan: ProbePlan, check_mode: bool) -> dict[str, t.Any]:
    params = probe_params(request, plan.count)
    return {"changed": False, "probed": False, "requested": request.requested_count, "count": plan.count,
            "free_ports_before": plan.free_ports, "capacity_towards_target": plan.towards_target,
            "capped": list(plan.capped), "safety": plan.safety(request),
            "fail_below": request.fail_below, "passed": None, "check_mode": check_mode,
            "would_probe": {key: value for key, value in params.items() if key != "schema"}, "warnings": []}


def run(execute: Execute, args: dict[str, t.Any], check_mode: bool, read: HostRead | None = None) -> dict[str, t.Any]:
    """Read the host, size the burst, run it. ``read``: a read made earlier in the same task (with the connection table
    and the probe's range), with nothing written since: the burst is sized from it and the host is not read again."""
    request = request_from_args(args)
    if read is None:
        read = read_host(execute, request.snapshot_request())
    if not read.bound_sockets_listed and not request.allow_exhaustion and read.snapshot.has_dynamicport:
        # BOUND sockets hold ports that netstat -ano does not list (it has no -q here), so the free count is too high by
        # an unknown amount and no share of it is known to be safe: a probe meant to take half exhausted such a host.
        raise TcpipValueError.refusal(
            "max_free_share", "this host's netstat cannot list BOUND sockets (no -q before Windows Server 2016 / 10), so its free "
            "ports cannot be counted and no share of them is known to be safe; nothing was probed. Set allow_exhaustion: "
            "true to probe with only the hard caps (count, timeout), knowing the probe may exhaust the range")
    capacity = host_capacity(read.snapshot, time_wait(read.snapshot).seconds).get(request.combo)
    plan = plan_probe(request, capacity, read.snapshot.os_build, read.bound_sockets_listed)
    if request.fail_below is not None and plan.count < request.fail_below:
        result = _not_probed(request, plan, check_mode)
        caps = "; ".join(c["reason"] for c in plan.capped)
        result.update(failed=True, passed=False,
                      msg=(f"Nothing was probed: the safety caps allow {plan.count} connection(s), fewer than fail_below="
                           f"{request.fail_below} ({caps}). {plan.free_ports} port(s) of the {combo_key(request.combo)} range "
                           f"{plan.range_text} are free: widen the range (portscale.tcpip.win_dynamic_port_range) or find what holds "
                           "them (portscale.tcpip.win_port_info), or set allow_exhaustion: true to probe up to the hard caps."))
        return result
    if check_mode or plan.count == 0:
        result = _not_probed(request, plan, check_mode)
        if plan.count == 0:
            result["warnings"].append("Nothing was probed: the safety caps leave no connection to open.")
        return result
    params = probe_params(request, plan.count)
    what = f"the probe script: {plan.count} connections to {params['target_host']}:{params['target_port']} from {combo_key(request.combo)}"
    rc, stdout, stderr = run_script(execute, what, render(params))
    return evaluate(request, plan, parse_probe_output(rc, stdout, stderr, plan.count))


ENGINE = ReadOnlyEngine(lambda host, args, check_mode: run(host.execute_script, args, check_mode))
