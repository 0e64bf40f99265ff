"""Amazon SES (API v2) behind one small class: the only module that sends email.

The client is built by the caller (a composition root) with botocore's standard retry mode and a
bounded number of attempts: throttling (``TooManyRequestsException``) and SES's 5xx are retried
there, with jittered back-off. What still fails is sorted here:

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

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

# SendEmail errors about the message or its recipient (the SES API v2 reference; moto answers a
# malformed address with v1's InvalidParameterValue).
PERMANENT_ERRORS = frozenset({'MessageRejected', 'BadRequestException', 'InvalidParameterValue'})


class EmailRejected(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class EmailDeferred(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(f'SES did not take the message: {code}')
        self.code = code


class SesGateway:
    def __init__(self, client: Any, configuration_set: str | None = None) -> None:
        self.client = client
        self.configuration_set = configuration_set or None

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
