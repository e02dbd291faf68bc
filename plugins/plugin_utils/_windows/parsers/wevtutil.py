# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parser for ``wevtutil qe <log> /f:xml``: the events as structure, never the rendered (localized) message
(docs/windows-facts.md §12.1).

wevtutil prints one ``<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>...</Event>`` element per
event, without an XML declaration or a root element around them (EvtRender's event XML, the same text log shippers
receive [OBS-H: the single-line, single-quoted event XML in fluent-bit's and open-telemetry's Windows test data]); what
separates two events is not relied on. Read from each event's ``System`` element: ``Provider/@Name``, ``EventID`` (its
``Qualifiers`` attribute ignored), ``TimeCreated/@SystemTime`` (UTC, ISO 8601 with up to 9 fractional digits and a
``Z``) and ``EventRecordID``. Nothing from ``EventData`` or ``RenderingInfo`` is read. No events is an empty output.

The text comes from the host: a DOCTYPE or an entity declaration is refused before any parsing (no entity expansion).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import xml.etree.ElementTree as ET

from .errors import ParseError
from .text import as_text, parse_decimal

PARSER = "parse_wevtutil_events"
EVENT_NAMESPACE = "http://schemas.microsoft.com/win/2004/08/events/event"
_SYSTEM_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$")


@dataclasses.dataclass(frozen=True)
class ParsedEvent:
    provider: str
    event_id: int
    time_created: datetime.datetime   # UTC, timezone-aware
    record_id: int | None

    @property
    def time_text(self) -> str:
        """``2019-01-16T02:01:10Z``: the UTC second the event was logged."""
        return self.time_created.strftime("%Y-%m-%dT%H:%M:%SZ")


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return element.find(f"{{{EVENT_NAMESPACE}}}{name}")


def _system_time(text: str | None, raw: str) -> datetime.datetime:
    found = _SYSTEM_TIME.match(text or "")
    if not found:
        raise ParseError(PARSER, f"TimeCreated/@SystemTime {text!r} is not a UTC ISO 8601 time", raw)
    year, month, day, hour, minute, second, fraction = found.groups()
    micro = int((fraction or "0").ljust(6, "0")[:6])
    try:
        return datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=datetime.timezone.utc)
    except ValueError as error:
        raise ParseError(PARSER, f"TimeCreated/@SystemTime {text!r}: {error}", raw) from None


def _event(element: ET.Element, raw: str) -> ParsedEvent:
    system = _child(element, "System")
    if system is None:
        raise ParseError(PARSER, "an Event element without a System element", raw)
    provider, event_id, created = _child(system, "Provider"), _child(system, "EventID"), _child(system, "TimeCreated")
    if provider is None or event_id is None or created is None:
        raise ParseError(PARSER, "an event without Provider, EventID or TimeCreated", raw)
    number = parse_decimal((event_id.text or "").strip())
    if number is None:
        raise ParseError(PARSER, f"EventID {event_id.text!r} is not a number", raw)
    record = _child(system, "EventRecordID")
    record_id = parse_decimal((record.text or "").strip()) if record is not None else None
    return ParsedEvent(provider.get("Name", ""), number, _system_time(created.get("SystemTime"), raw), record_id)


def parse_wevtutil_events(data: object) -> list[ParsedEvent]:
    """The events of a ``wevtutil qe ... /f:xml`` output, in the order printed (newest first with ``/rd:true``)."""
    text = as_text(PARSER, data).strip()
    if not text:
        return []
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise ParseError(PARSER, "a DOCTYPE or entity declaration is not event XML", text)
    try:
        root = ET.fromstring(f"<Events>{text}</Events>")
    except ET.ParseError as error:
        raise ParseError(PARSER, f"not well-formed event XML ({error})", text) from None
    events = []
    for element in root:
        if element.tag != f"{{{EVENT_NAMESPACE}}}Event":
            raise ParseError(PARSER, f"unexpected element {element.tag!r}; wevtutil /f:xml prints Event elements only", text)
        events.append(_event(element, ET.tostring(element, encoding="unicode")))
    if root.text and root.text.strip():
        raise ParseError(PARSER, "text outside the Event elements", root.text.strip())
    for element in root:
        if element.tail and element.tail.strip():
            raise ParseError(PARSER, "text outside the Event elements", element.tail.strip())
    return events
