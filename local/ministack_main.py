"""Run ministack with a listen backlog that absorbs the local gateway's bursts of connections, and
with its SES keeping the names of the attachments it was sent.

Executed by path with the emulators' interpreter (``.venv-emu``), as ``local/emulators.py``
starts it.

- Backlog: ministack serves through hypercorn, whose listen backlog is 100: when the gateway's
  handlers open more connections than that at once (200 guests arriving together in `make load`),
  the connections beyond it are dropped by the kernel and retried by TCP after 1, 3, 7, 15, 31 s,
  and those requests stall for as long. The gateway itself listens with a backlog of 1024.
- Attachments: ministack's SES v2 ``SendEmail`` with raw content records the subject, text and
  HTML parts it parsed and drops the rest (ministack/services/ses_v2.py, ``_parse_raw_mime`` keeps
  text/plain and text/html only), so ``GET /_ministack/ses/messages`` cannot say that a booking
  confirmation carried its ``invite.ics``. Here each raw message's attachment file names are kept
  by message id and added to that listing as ``Attachments`` (what ``/_local/mailbox`` serves).
  Nothing else of ministack changes; the message itself is still ministack's own record.
"""

import base64
import json
from email import message_from_bytes, policy

from hypercorn.config import Config

Config.backlog = 1024

from ministack import app  # noqa: E402 - after the backlog is set
from ministack.app import main  # noqa: E402
from ministack.services import ses_v2  # noqa: E402

_attachments: dict[str, list[str]] = {}
_send = ses_v2.handle_request
_list = app._handle_ses_messages_request


def _names(raw_b64: str) -> list[str]:
    message = message_from_bytes(base64.b64decode(raw_b64), policy=policy.default)
    return [name for part in message.iter_attachments() if (name := part.get_filename())]


async def _ses_v2_keeping_attachment_names(method, path, headers, body, query_params):
    response = await _send(method, path, headers, body, query_params)
    if method == 'POST' and path.rstrip('/').endswith('/outbound-emails') and response and response[0] == 200:
        try:
            raw = (json.loads(body or b'{}').get('Content') or {}).get('Raw', {}).get('Data')
            if raw:
                _attachments[json.loads(response[2])['MessageId']] = _names(raw)
        except Exception:  # noqa: S110 - never break a send over the listing's extra field
            pass
    return response


async def _ses_messages_with_attachments(method, path, headers, query_params):
    response = await _list(method, path, headers, query_params)
    if response is None or response[0] != 200:
        return response
    status, response_headers, payload = response
    document = json.loads(payload)
    for listed in (document.get('messages') or {}).values():
        for message in listed:
            message['Attachments'] = _attachments.get(message.get('MessageId'), [])
    return status, response_headers, json.dumps(document).encode()


ses_v2.handle_request = _ses_v2_keeping_attachment_names
app._handle_ses_messages_request = _ses_messages_with_attachments

if __name__ == '__main__':
    main()
