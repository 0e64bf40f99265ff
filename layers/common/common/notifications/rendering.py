"""An email's subject, text and HTML from its templates (Jinja2), with money and dates written
by Babel in the configured locale, and its .ics attachment.

Templates live in ``templates/``: ``<kind>.subject.txt``, ``<kind>.txt`` and ``<kind>.html``
(the last two extend ``_layout.txt`` / ``_layout.html``). HTML is autoescaped (whatever a guest
typed, their name included, arrives as text), text is not; a name a template uses that the
context lacks is an error (``StrictUndefined``), never an empty string in a sent email.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_interval, format_time, get_timezone_location
from babel.numbers import format_currency, get_currency_precision
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from common.notifications import invite as invites
from common.notifications.compose import Message
from common.notifications.mime import Attachment, RenderedEmail

TEMPLATES = Path(__file__).resolve().parent / 'templates'


class Formats:
    """Money and dates as the locale writes them (Babel, CLDR data)."""

    def __init__(self, locale: str) -> None:
        self.locale = Locale.parse(locale)

    def money(self, amount: int, currency: str) -> str:
        """Integer minor units of ``currency`` (cents, or yen: JPY has none)."""
        major = Decimal(amount).scaleb(-get_currency_precision(currency))
        return format_currency(major, currency, locale=self.locale)

    def day(self, value: date | datetime) -> str:
        """'Friday 12 March 2027' (a datetime in its own zone)."""
        return format_date(value.date() if isinstance(value, datetime) else value, 'full', locale=self.locale)

    def short_day(self, value: date) -> str:
        return format_date(value, 'EEE d MMM y', locale=self.locale)

    def dates(self, start: date, end: date) -> str:
        """'12 - 15 Mar 2027' (with the locale's dash and spaces)."""
        return format_interval(start, end, 'yMMMd', locale=self.locale)

    def time(self, value: datetime) -> str:
        return format_time(value, 'short', tzinfo=value.tzinfo, locale=self.locale)

    def zone(self, value: datetime) -> str:
        """'Lisbon time': the place a traveller knows, not an offset."""
        city = get_timezone_location(value.tzinfo, locale=self.locale, return_city=True)
        return f'{city} time'

    def moment(self, value: datetime) -> str:
        """'Wednesday, 10 March 2027 at 15:00 (Lisbon time)', in the zone ``value`` carries."""
        return f'{self.day(value)} at {self.time(value)} ({self.zone(value)})'


def environment(formats: Formats) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=('html',), disabled_extensions=('txt',), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(
        money=formats.money,
        day=formats.day,
        short_day=formats.short_day,
        time=formats.time,
        zone=formats.zone,
        moment=formats.moment,
    )
    env.globals['dates'] = formats.dates
    return env


def _one_line(text: str) -> str:
    """A header value: one line, no runs of spaces (a subject with a newline is refused by MIME)."""
    return re.sub(r'\s+', ' ', text).strip()


class Renderer:
    def __init__(self, locale: str = 'en_GB') -> None:
        self.formats = Formats(locale)
        self.env = environment(self.formats)

    def render(self, message: Message) -> RenderedEmail:
        context: dict[str, Any] = {**message.context, 'recipient': message.recipient, 'kind': message.kind.value}
        name = message.kind.value
        subject = _one_line(self.env.get_template(f'{name}.subject.txt').render(context))
        text = self.env.get_template(f'{name}.txt').render(context)
        html = self.env.get_template(f'{name}.html').render({**context, 'subject': subject})
        attachments: tuple[Attachment, ...] = ()
        if message.invite is not None:
            method = message.invite.method
            attachments = (
                Attachment(
                    'invite.ics' if method == 'REQUEST' else 'cancellation.ics',
                    f'text/calendar; method={method}; charset=UTF-8',
                    invites.ics(message.invite),
                ),
            )
        return RenderedEmail(subject, text, html, attachments)
