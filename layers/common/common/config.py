"""Configuration read once from the environment into a typed, validated model.

Every knob has a default that works locally; secrets have none. In AWS the secrets are read from
SSM Parameter Store / Secrets Manager (the ``*_PARAM`` variables), never from the template.

Only the edge reads the environment: ``settings()`` is called by the composition root
(``common.wiring``) and the HTTP edge, and the ``Settings`` it returns is passed to services,
repositories and gateways (an import-linter contract keeps it so).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.domain import MAX_STAY_HARD_LIMIT, CancellationPolicy, Penalty


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra='ignore')

    stage: str = 'local'
    aws_region: str = 'us-east-1'
    table_name: str = 'hotel-booking'
    idempotency_table_name: str = 'hotel-booking-idempotency'
    dynamodb_endpoint_url: str | None = None
    # HTTP connections kept per DynamoDB client. A Lambda serves one request at a time, so the
    # default is plenty; the local gateway serves hundreds at once in one process (local.run).
    dynamodb_max_pool_connections: Annotated[int, Field(ge=1, le=1024)] = 10

    booking_hold_seconds: Annotated[int, Field(ge=1, le=24 * 3600)] = 900
    max_stay_nights: Annotated[int, Field(ge=1, le=MAX_STAY_HARD_LIMIT)] = 30
    max_rooms_per_booking: Annotated[int, Field(ge=1, le=50)] = 9
    sale_window_days: Annotated[int, Field(ge=1, le=3 * 366)] = 365
    # The read-mostly catalogue (hotels, room types, price rules) may be served from a warm
    # Lambda's memory for this long. 0 disables the cache.
    catalog_cache_seconds: Annotated[float, Field(ge=0, le=60)] = 5.0
    pending_shards: Annotated[int, Field(ge=1, le=64)] = 4
    idempotency_ttl_seconds: Annotated[int, Field(ge=60)] = 24 * 3600

    hotel_timezone: str = 'UTC'
    check_in_hour: Annotated[int, Field(ge=0, le=23)] = 15
    check_out_hour: Annotated[int, Field(ge=0, le=23)] = 11

    # Tokens (EdDSA, common.security): the private JWK only where tokens are signed (the auth
    # function), the public keys (a JWKS, one or two keys with their kid) wherever they are checked.
    # Locally from the environment (make run makes a pair per run); in AWS the *_PARAM variables name
    # SSM parameters /hotel-booking/<stage>/jwt-signing-key (SecureString) and .../jwt-public-keys.
    jwt_signing_key: str | None = Field(default=None, repr=False)
    jwt_signing_key_param: str | None = None
    jwt_public_keys: str | None = None
    jwt_public_keys_param: str | None = None
    access_token_seconds: Annotated[int, Field(ge=60)] = 15 * 60
    refresh_token_seconds: Annotated[int, Field(ge=300)] = 7 * 24 * 3600
    # No session lasts longer than this from its sign-in, however often it is refreshed.
    session_max_seconds: Annotated[int, Field(ge=300, le=366 * 24 * 3600)] = 30 * 24 * 3600
    password_hash_memory_kib: Annotated[int, Field(ge=8 * 1024)] = 19 * 1024
    password_hash_time_cost: Annotated[int, Field(ge=1)] = 2

    # Integration events (BookingHeld, BookingConfirmed...) go to this EventBridge bus.
    event_bus_name: str = 'hotel-booking'
    events_endpoint_url: str | None = None
    # Browser origin allowed to call the API ('' = none); API Gateway answers the preflight.
    cors_allow_origin: str = ''
    max_body_bytes: Annotated[int, Field(ge=1024, le=1024 * 1024)] = 16 * 1024
    page_size_default: Annotated[int, Field(ge=1, le=100)] = 20

    # Payments (Stripe, DESIGN §9-§10). Locally the keys come from env (``make run`` points them at
    # localstripe); in AWS the ``*_PARAM`` variables name SSM SecureStrings read at run time.
    stripe_secret_key: str | None = Field(default=None, repr=False)
    stripe_secret_key_param: str | None = None
    stripe_webhook_secret: str | None = Field(default=None, repr=False)
    stripe_webhook_secret_param: str | None = None
    stripe_api_base: str | None = None  # unset = api.stripe.com
    stripe_max_network_retries: Annotated[int, Field(ge=0, le=5)] = 1
    stripe_timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 4.0
    stripe_webhook_tolerance_seconds: Annotated[int, Field(ge=1, le=3600)] = 300
    # What the web client's card form needs (GET /api/config): the publishable key (pk_..., not a
    # secret) and where Stripe.js is loaded from (make run: localstripe's stand-in).
    stripe_publishable_key: Annotated[str | None, Field(pattern=r'^pk_(test|live)_[A-Za-z0-9_]{1,200}$')] = None
    stripe_js_url: Annotated[str, Field(pattern=r'^https?://[^\s"\']+/$')] = 'https://js.stripe.com/v3/'
    # auto_confirm also needs a test-mode key; off unless configured (make run and the tests turn it
    # on; the template only outside prod, by parameter).
    allow_auto_confirm: bool = False
    # Cancellation policy: a full refund until this many hours before the check-in instant, then
    # the penalty below; no cancellation after check-in. Penalty: first_night (first night's
    # price x rooms), none, full_stay, or percent:<0-100> of the amount paid.
    cancellation_free_hours: Annotated[int, Field(ge=0, le=24 * 366)] = 48
    cancellation_penalty: Annotated[str, Field(pattern=r'^(first_night|none|full_stay|percent:(100|[1-9]?[0-9]))$')] = (
        'first_night'
    )
    # Stripe retries a webhook for up to 3 days: processed event ids are kept longer than that.
    stripe_event_ttl_seconds: Annotated[int, Field(ge=3 * 24 * 3600)] = 7 * 24 * 3600
    # A webhook delivery or refund in progress holds a lease this long; a crashed holder's work
    # is taken over once it lapses. Longer than a Lambda timeout.
    payment_lease_seconds: Annotated[int, Field(ge=5, le=900)] = 60
    webhook_max_body_bytes: Annotated[int, Field(ge=16 * 1024, le=6 * 1024 * 1024)] = 256 * 1024
    # A refund still owed this long after it was decided (the client never retried) is finished
    # by the sweeper.
    refund_retry_after_seconds: Annotated[int, Field(ge=0, le=24 * 3600)] = 120
    # A PaymentIntent the expiry could not cancel (Stripe down, or the payment processing) is
    # tried again by the sweeper this long after (then with back-off).
    open_intent_retry_seconds: Annotated[int, Field(ge=0, le=24 * 3600)] = 60
    # Work owed that failed (services/followups.py) is retried after 1, 2, 4... minutes, at most
    # this apart; a refusal Stripe repeats this many times goes to a person (PaymentNeedsAttention).
    followup_backoff_max_seconds: Annotated[int, Field(ge=60, le=24 * 3600)] = 3600
    followup_max_attempts: Annotated[int, Field(ge=1, le=100)] = 8

    # Expiry sweeper: bounded work per run; the next run continues.
    sweep_page_size: Annotated[int, Field(ge=1, le=1000)] = 100
    sweep_max_bookings: Annotated[int, Field(ge=1, le=100_000)] = 2000
    sweep_safety_margin_seconds: Annotated[float, Field(ge=0.5, le=60)] = 5.0
    # Every run keeps this much of its time for the work owed (refunds, PaymentIntents left open),
    # however many holds are due, and does at most this much of it.
    sweep_followup_seconds: Annotated[float, Field(ge=1, le=600)] = 15.0
    sweep_max_followups: Annotated[int, Field(ge=1, le=100_000)] = 500
    # The daily reconciler (services/reconciler.py): bookings checking in from this many days ago
    # (Stripe refunds a charge up to 180 days after it, and a stay is paid before it starts) to the
    # end of the sale window, a page at a time, at most this many per run (the next run continues).
    reconcile_lookback_days: Annotated[int, Field(ge=1, le=3 * 366)] = 200
    reconcile_page_size: Annotated[int, Field(ge=1, le=100)] = 25
    reconcile_max_bookings: Annotated[int, Field(ge=1, le=1_000_000)] = 5000
    sweep_interval_seconds: Annotated[float, Field(gt=0, le=3600)] = 60  # local run only (AWS: the schedule)

    # Daily housekeeping (issue 23): keeps SALE_WINDOW_DAYS of nights open ahead of every room
    # type; nights older than the retention are deleted by DynamoDB TTL (never decided by it:
    # readers ignore nights before the retention whether TTL has removed them yet or not). The
    # floor keeps every night a hold, a sweeper or a late payment could still touch.
    inventory_retention_days: Annotated[int, Field(ge=30, le=10 * 366)] = 730
    housekeeping_max_nights: Annotated[int, Field(ge=1, le=1_000_000)] = 50_000
    housekeeping_safety_margin_seconds: Annotated[float, Field(ge=0.5, le=120)] = 10.0

    # Notifications (issue 16, docs/notifications.md): SES v2 from the integration events.
    sender_email: Annotated[str, Field(pattern=r'^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$')] = (
        'bookings@hotel-booking.example'
    )
    # The guest site: links to /bookings/{id} and a search; '' = no links in the emails.
    web_base_url: Annotated[str, Field(pattern=r'^(https?://\S+)?$', max_length=500)] = ''
    email_locale: Annotated[str, Field(pattern=r'^[a-z]{2,3}(_[A-Z]{2})?$')] = 'en_GB'
    ses_endpoint_url: str | None = None
    ses_configuration_set: str = ''
    # SendEmail attempts in all (botocore standard mode: throttling and 5xx, jittered back-off).
    ses_max_attempts: Annotated[int, Field(ge=1, le=10)] = 4
    # A claimed email whose sender died is sent by a retry after this (longer than the timeout).
    notification_lease_seconds: Annotated[int, Field(ge=10, le=3600)] = 120
    # Sent-email records outlive Lambda's retries (6 h) and a redrive from the DLQ (14 days).
    notification_ttl_seconds: Annotated[int, Field(ge=24 * 3600)] = 15 * 24 * 3600

    # Abuse limits (application counters in DynamoDB, fixed windows; 0 turns one off). Only
    # failures count for logins; every registration attempt that reaches the write counts.
    # Failures are counted per (email, client IP) with the strict limit, per email with a much
    # higher ceiling: a stranger's guesses lock the stranger out, not the owner signing in from
    # elsewhere (docs/accounts-and-security.md, abuse limits).
    login_failures_per_email_and_ip: Annotated[int, Field(ge=0)] = 10
    login_failures_per_email: Annotated[int, Field(ge=0)] = 100
    login_failures_per_ip: Annotated[int, Field(ge=0)] = 100
    login_failure_window_seconds: Annotated[int, Field(ge=60, le=24 * 3600)] = 15 * 60
    registrations_per_ip: Annotated[int, Field(ge=0)] = 300
    registration_window_seconds: Annotated[int, Field(ge=60, le=24 * 3600)] = 3600

    # Fair holds (docs/holds.md): unpaid PENDING holds an account may have at once, checked in the
    # hold's own transaction; hold attempts per account and per client IP per hour. 0 = off.
    max_active_holds_per_user: Annotated[int, Field(ge=0, le=100)] = 3
    holds_per_user_per_hour: Annotated[int, Field(ge=0)] = 30
    holds_per_ip_per_hour: Annotated[int, Field(ge=0)] = 300

    @property
    def cancellation_policy(self) -> CancellationPolicy:
        return CancellationPolicy(self.cancellation_free_hours, Penalty.parse(self.cancellation_penalty))

    @model_validator(mode='after')
    def _sessions_outlive_their_tokens(self) -> Settings:
        if self.session_max_seconds < self.access_token_seconds:
            raise ValueError('SESSION_MAX_SECONDS must be at least ACCESS_TOKEN_SECONDS')
        return self


def _from_environ(environ: dict[str, str]) -> Settings:
    fields = Settings.model_fields
    values = {name: environ[name.upper()] for name in fields if environ.get(name.upper(), '') != ''}
    return Settings.model_validate(values)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process-wide settings; tests call ``settings.cache_clear()`` after changing env."""
    return _from_environ(dict(os.environ))
