"""The stay as an iCalendar object (RFC 5545), sent as an iTIP message (RFC 5546).

REQUEST when the booking is confirmed, CANCEL when it is cancelled: both carry the booking's one
``UID`` and its version as ``SEQUENCE``, so a calendar that added the stay removes it on the
cancellation, and ignores an older message that arrives late. The start and end are the check-in
and check-out instants with the hotel's ``TZID`` (and its VTIMEZONE, so a calendar without that
zone still places them right, across a daylight-saving change).
"""

from __future__ import annotations

from datetime import UTC, date

import icalendar

from common.notifications.compose import Invite, Party

PRODID = '-//hotel-booking//notifications 1.0//EN'


def _address(party: Party, **params: str) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f'mailto:{party.address}')
    if party.name:
        address.params['CN'] = party.name
    for key, value in params.items():
        address.params[key] = value
    return address


def ics(invite: Invite) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add('prodid', PRODID)
    calendar.add('version', '2.0')
    calendar.add('calscale', 'GREGORIAN')
    calendar.add('method', invite.method)
    event = icalendar.Event()
    event.add('uid', invite.uid)
    event.add('sequence', invite.sequence)
    event.add('dtstamp', invite.stamp.astimezone(UTC))
    event.add('dtstart', invite.start)
    event.add('dtend', invite.end)
    event.add('summary', invite.summary)
    event.add('location', invite.location)
    event.add('description', invite.description)
    if invite.url:
        event.add('url', invite.url)
    event.add('status', 'CANCELLED' if invite.method == 'CANCEL' else 'CONFIRMED')
    # A stay is not a meeting: it does not make the guest look busy for days.
    event.add('transp', 'TRANSPARENT')
    event.add('organizer', _address(invite.organizer))
    event.add(
        'attendee',
        _address(invite.attendee, ROLE='REQ-PARTICIPANT', PARTSTAT='ACCEPTED', RSVP='FALSE', CUTYPE='INDIVIDUAL'),
    )
    calendar.add_component(event)
    # Only the years the stay spans: the zone's whole history would triple the file.
    calendar.add_missing_timezones(
        first_date=date(invite.start.year - 1, 1, 1), last_date=date(invite.end.year + 1, 12, 31)
    )
    ics: bytes = calendar.to_ical()
    return ics
