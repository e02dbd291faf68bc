# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``wevtutil qe System`` for the Tcpip exhaustion events, and ``tasklist /fo csv /nh`` (the process table).

Only the exact shapes the collection sends are modelled; any other query, option or log is SIMULATOR-UNSUPPORTED.
The events are the host model's (written when a load runs out of ports, model/host.py); the query is evaluated
against them: the event ID, ``timediff(@SystemTime) <= N`` against the simulator's clock, ``/rd:true`` (newest first)
and ``/c:N``.
"""

from __future__ import annotations

import datetime
import re
import time

from ..results import CommandResult
from .common import Run
from .texts import Unsupported

_QUERY = re.compile(r"^/q:\*\[System\[Provider\[@Name='Tcpip'\] and EventID=(\d+) and "
                    r"TimeCreated\[timediff\(@SystemTime\) <= (\d{1,12})\]\]\]$", re.IGNORECASE)
_COUNT = re.compile(r"^/c:(\d{1,6})$", re.IGNORECASE)
# Qualifiers and Level per event ID: 4227's from microsoft/AL#4468 [OBS-M]; 4231's [INF].
_EVENT_FIELDS = {4227: (32768, 3), 4231: (49152, 2)}


def _system_time(time_ms: int) -> str:
    """``2019-01-16T02:01:10.611477100Z``: UTC with 9 fractional digits, the last two 0 (100 ns ticks) [OBS-M AL#4468]."""
    moment = datetime.datetime.fromtimestamp(time_ms / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


def run_wevtutil(run: Run) -> CommandResult | None:
    """None on Server 2003, which has no wevtutil.exe (Vista and later): the shell then says the program is not recognized."""
    if run.model.os.legacy:
        return None
    args = run.argv[1:]
    if len(args) != 6 or [a.lower() for a in args[:2]] != ["qe", "system"]:
        raise Unsupported("only 'wevtutil qe System /q:<Tcpip query> /f:xml /c:N /rd:true' is modelled")
    query, fmt, count, direction = args[2:]
    found, bound = _QUERY.match(query), _COUNT.match(count)
    if not found or fmt.lower() != "/f:xml" or not bound or direction.lower() != "/rd:true":
        raise Unsupported("only 'wevtutil qe System /q:<Tcpip query> /f:xml /c:N /rd:true' is modelled")
    event_id, window_ms, limit = int(found.group(1)), int(found.group(2)), int(bound.group(1))
    if event_id not in _EVENT_FIELDS:
        raise Unsupported(f"Tcpip event {event_id} is not modelled (only 4227 and 4231)")
    if not run.model.elevated:
        # The System log's ACL lets administrators, Event Log Readers and interactive users read it; a network logon
        # with a UAC-filtered token is none of them [INF from the default channel access of System].
        return run.message("wevtutil.access_denied")
    now_ms = int(time.time() * 1000)
    chosen = [event for event in reversed(run.model.tcpip_events)
              if event.event_id == event_id and 0 <= now_ms - event.time_ms <= window_ms][:limit]
    qualifiers, level = _EVENT_FIELDS[event_id]
    text = "".join(run.text("wevtutil.event", qualifiers=qualifiers, event_id=event_id, level=level,
                            system_time=_system_time(event.time_ms), record_id=event.record_id) for event in chosen)
    return run.output(text)


def run_tasklist(run: Run) -> CommandResult:
    options = [arg.lower() for arg in run.argv[1:]]
    if options != ["/fo", "csv", "/nh"]:
        raise Unsupported("only 'tasklist /fo csv /nh' is modelled")
    rows = run.model.process_table()
    return run.output("".join(run.text("tasklist.row", image=image, pid=pid, session=session, session_no=number, mem=mem)
                              for image, pid, session, number, mem in rows))
