"""Configuration read once from the environment into a typed, validated model.

Every knob has a default that works locally; secrets have none. In AWS the secrets are read from
SSM Parameter Store / Secrets Manager (the ``*_PARAM`` variables), never from the template.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

# DynamoDB's TransactWriteItems limit is 100 items. A hold writes one item per night plus the
# booking, and a late re-hold does the same; one spare slot keeps room for a guard item.
TRANSACTION_ITEM_LIMIT = 100
MAX_STAY_HARD_LIMIT = TRANSACTION_ITEM_LIMIT - 2


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra='ignore')

    stage: str = 'local'
    aws_region: str = 'us-east-1'
    table_name: str = 'hotel-booking'
    idempotency_table_name: str = 'hotel-booking-idempotency'
    dynamodb_endpoint_url: str | None = None

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

    jwt_secret: str | None = Field(default=None, repr=False)
    jwt_secret_param: str | None = None
    jwt_issuer: str = 'hotel-booking'
    access_token_seconds: Annotated[int, Field(ge=60)] = 15 * 60
    refresh_token_seconds: Annotated[int, Field(ge=300)] = 7 * 24 * 3600
    password_hash_memory_kib: Annotated[int, Field(ge=8 * 1024)] = 19 * 1024
    password_hash_time_cost: Annotated[int, Field(ge=1)] = 2

    max_body_bytes: Annotated[int, Field(ge=1024, le=1024 * 1024)] = 16 * 1024
    page_size_default: Annotated[int, Field(ge=1, le=100)] = 20

    # Abuse limits (application counters in DynamoDB, fixed windows; 0 turns one off). Only
    # failures count for logins; every registration attempt that reaches the write counts.
    login_failures_per_email: Annotated[int, Field(ge=0)] = 10
    login_failures_per_ip: Annotated[int, Field(ge=0)] = 100
    login_failure_window_seconds: Annotated[int, Field(ge=60, le=24 * 3600)] = 15 * 60
    registrations_per_ip: Annotated[int, Field(ge=0)] = 300
    registration_window_seconds: Annotated[int, Field(ge=60, le=24 * 3600)] = 3600

    @model_validator(mode='after')
    def _secrets_have_a_source(self) -> Settings:
        if self.jwt_secret is not None and len(self.jwt_secret) < 32:
            raise ValueError('JWT_SECRET must be at least 32 characters')
        return self


def _from_environ(environ: dict[str, str]) -> Settings:
    fields = Settings.model_fields
    values = {name: environ[name.upper()] for name in fields if environ.get(name.upper(), '') != ''}
    return Settings.model_validate(values)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process-wide settings; tests call ``settings.cache_clear()`` after changing env."""
    return _from_environ(dict(os.environ))
