"""``GET /_local/mailbox?to=<address>``: the emails the local SES (ministack) was given, as JSON.

Local only: the gateway serves it next to the template's routes (never in template.yaml, never
under ``/api``). It reads ministack's own record of every SendEmail
(``GET /_ministack/ses/messages``; the attachment names are added by local/ministack_main.py)
and answers, newest last::

    {"messages": [{"id", "from", "to": [...], "subject", "text", "html", "attachments": ["invite.ics"], "sent_at"}]}

``to`` (optional) keeps the messages sent to that address (case-insensitive).
"""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime
from email.utils import getaddresses
from typing import Any
from urllib.parse import parse_qs

PATH = '/_local/mailbox'


def messages(ministack_url: str, to: str | None = None) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f'{ministack_url}/_ministack/ses/messages', timeout=5) as reply:  # noqa: S310 - ours
        document = json.loads(reply.read())
    found = []
    for listed in (document.get('messages') or {}).values():
        for message in listed:
            recipients = [address for _, address in getaddresses(message.get('To') or [])]
            if to and to.casefold() not in (r.casefold() for r in recipients):
                continue
            found.append(
                {
                    'id': message.get('MessageId'),
                    'from': message.get('Source'),
                    'to': recipients,
                    'subject': message.get('Subject') or '',
                    'text': message.get('BodyText') or '',
                    'html': message.get('BodyHtml') or '',
                    'attachments': message.get('Attachments') or [],
                    'sent_at': datetime.fromtimestamp(message.get('Timestamp') or 0, UTC).isoformat(),
                }
            )
    return sorted(found, key=lambda m: m['sent_at'])


class Mailbox:
    """The local route's handler: (status, headers, body) like the gateway's answers."""

    def __init__(self, ministack_url: str) -> None:
        self.ministack_url = ministack_url

    def __call__(self, method: str, query: str) -> tuple[int, dict[str, str], bytes]:
        if method not in ('GET', 'HEAD'):
            return 405, {'Allow': 'GET', 'Content-Type': 'application/json'}, b'{"message": "GET only"}'
        to = (parse_qs(query).get('to') or [None])[-1]
        body = json.dumps({'messages': messages(self.ministack_url, to)}, ensure_ascii=False).encode()
        return 200, {'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store'}, body
