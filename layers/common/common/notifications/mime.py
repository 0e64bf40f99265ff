"""The MIME message SES sends (RFC 5322/2045, built with the standard library's ``email``).

    multipart/mixed
      multipart/alternative: text/plain, text/html
      text/calendar; method=REQUEST|CANCEL (invite.ics / cancellation.ics), when the email has one

A calendar attachment with its ``method`` is what mail clients (Gmail, Outlook, Apple Mail) turn
into "add to calendar" / "remove from calendar". Headers are encoded by the library (a display
name with accents or quotes is safe); a header value with a line break is refused, not sent.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from common.notifications.compose import Party


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # with its parameters, e.g. 'text/calendar; method=REQUEST; charset=UTF-8'
    data: bytes


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


def ascii_address(address: str) -> str:
    """The address with an internationalised domain in Punycode, as SES takes it (``a@bü.de`` ->
    ``a@xn--b-hha.de``). A non-ASCII local part cannot be sent by SES: left as is, SES refuses it."""
    username, _, domain = address.strip().rpartition('@')
    with contextlib.suppress(UnicodeError):  # not a valid IDN: SES answers for it
        domain = domain.encode('idna').decode('ascii')
    return f'{username}@{domain}'


def _address(party: Party) -> Address:
    username, _, domain = ascii_address(party.address).rpartition('@')
    return Address(display_name=party.name or '', username=username, domain=domain)


def build(sender: Party, recipient: Party, email: RenderedEmail, reply_to: str | None = None) -> bytes:
    message = EmailMessage(policy=SMTP)
    message['From'] = _address(sender)
    message['To'] = _address(recipient)
    if reply_to:
        message['Reply-To'] = _address(Party(reply_to))
    message['Subject'] = email.subject
    message['Date'] = formatdate(usegmt=True)
    message.set_content(email.text, subtype='plain', charset='utf-8', cte='quoted-printable')
    message.add_alternative(email.html, subtype='html', charset='utf-8', cte='quoted-printable')
    for attachment in email.attachments:
        maintype, _, rest = attachment.content_type.partition('/')
        subtype, *params = [p.strip() for p in rest.split(';')]
        extra = dict(p.split('=', 1) for p in params if p and not p.startswith('charset='))
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename, params=extra
        )
    return message.as_bytes()
