"""Amazon SES (API v2) behind one small class: the only module that sends email.

The client is built on the first send with botocore's standard retry mode and a bounded number
of attempts (``SES_MAX_ATTEMPTS``): throttling (``TooManyRequestsException``) and SES's 5xx are
retried there, with jittered back-off. What still fails is sorted here (the errors are the
``Mailer`` port's, common/ports.py):

- ``EmailRejected``: SES refused this message for good (a malformed or, in the sandbox, unverified
  recipient; content it will not send). Sending it again would fail again.
- ``EmailDeferred``: anything else (still throttled, SES down, the account paused, the sender not
  verified, a missing configuration set): the message is fine, the account or the service is
  not. The caller lets it fail the invocation, so Lambda retries it and then parks the event in
  the dead-letter queue, from where it can be sent again once fixed. ``MessageRejected`` is this
  kind when SES names the sender among the identities that failed its check (an unverified
  sender rejects every message: that is the deployment's fault, not the guest's).

Neither carries SES's message text: it can quote the recipient's address, which is never logged.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from common.ports import EmailDeferred, EmailRejected

if TYPE_CHECKING:
    from common.config import Settings

# SendEmail errors about the message or its recipient (the SES API v2 reference; moto answers a
# malformed address with v1's InvalidParameterValue).
PERMANENT_ERRORS = frozenset({'MessageRejected', 'BadRequestException', 'InvalidParameterValue'})


class SesGateway:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.configuration_set = settings.ses_configuration_set or None
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The SES v2 client, built on first use (not at import, not at start)."""
        with self._lock:
            if self._client is None:
                current = self._settings
                self._client = client(current.ses_endpoint_url, current.aws_region, current.ses_max_attempts)
        return self._client

    def send(self, sender: str, recipient: str, raw: bytes) -> str:
        """Send a MIME message; SES's message id."""
        request: dict[str, Any] = {
            'FromEmailAddress': sender,
            'Destination': {'ToAddresses': [recipient]},
            'Content': {'Raw': {'Data': raw}},
        }
        if self.configuration_set:
            request['ConfigurationSetName'] = self.configuration_set
        try:
            return str(self.client.send_email(**request)['MessageId'])
        except ClientError as exc:
            error = exc.response.get('Error', {})
            code = str(error.get('Code') or 'Unknown')
            if code == 'MessageRejected' and sender.casefold() in str(error.get('Message', '')).casefold():
                raise EmailDeferred('SenderNotVerified') from None
            if code in PERMANENT_ERRORS:
                raise EmailRejected(code) from None
            raise EmailDeferred(code) from None
        except BotoCoreError as exc:  # unreachable endpoint, timeouts after the retries
            raise EmailDeferred(type(exc).__name__) from None


def client(endpoint_url: str | None, region: str, max_attempts: int) -> Any:
    """An SES v2 client: standard retry mode (throttling and 5xx), ``max_attempts`` in all."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={'mode': 'standard', 'total_max_attempts': max_attempts}, connect_timeout=3, read_timeout=10
    )
    return boto3.client('sesv2', endpoint_url=endpoint_url, region_name=region, config=config)
