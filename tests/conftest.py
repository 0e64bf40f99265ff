"""Test configuration shared by every level: environment first, before any handler import."""

from __future__ import annotations

import os

TEST_ENV = {
    'AWS_ACCESS_KEY_ID': 'testing',
    'AWS_SECRET_ACCESS_KEY': 'testing',
    'AWS_SECURITY_TOKEN': 'testing',
    'AWS_SESSION_TOKEN': 'testing',
    'AWS_DEFAULT_REGION': 'us-east-1',
    'AWS_REGION': 'us-east-1',
    'STAGE': 'test',
    'TABLE_NAME': 'hotel-booking-test',
    'IDEMPOTENCY_TABLE_NAME': 'hotel-booking-idempotency-test',
    'POWERTOOLS_SERVICE_NAME': 'test',
    'POWERTOOLS_TRACE_DISABLED': 'true',
    'POWERTOOLS_METRICS_NAMESPACE': 'HotelBookingTest',
    'POWERTOOLS_LOG_LEVEL': 'WARNING',
    # EMF lines would interleave between threads of one test process; tests that assert
    # metrics switch them on for themselves.
    'POWERTOOLS_METRICS_DISABLED': 'true',
    # Tests read what they wrote at once; the warm-Lambda catalogue cache has its own test.
    'CATALOG_CACHE_SECONDS': '0',
    # argon2id still, at the lowest cost allowed, so registering users in tests is quick.
    'PASSWORD_HASH_MEMORY_KIB': '8192',
    'PASSWORD_HASH_TIME_COST': '1',
    # Off by default in code; the tests of auto_confirm need it (its refusal has its own test).
    'ALLOW_AUTO_CONFIRM': 'true',
}
for _key, _value in TEST_ENV.items():
    os.environ[_key] = _value
os.environ.pop('DYNAMODB_ENDPOINT_URL', None)

import local  # noqa: E402,F401 - puts layers/common on sys.path like the Lambda layer does
from common.security import key_set, new_signing_key  # noqa: E402

# The tokens' key pair of this test process (make run makes one per run, AWS keeps it in SSM).
SIGNING_KEY, PUBLIC_KEY = new_signing_key('test-key')
os.environ['JWT_SIGNING_KEY'] = SIGNING_KEY
os.environ['JWT_PUBLIC_KEYS'] = key_set(PUBLIC_KEY)

from tests.support import botocore_cache, moto_speed  # noqa: E402

# Every boto3 client made inside moto's mock_aws parses botocore's JSON models again (moto
# resets boto3's default session); shared once per process, a third of a moto test's CPU.
botocore_cache.install()
# moto snapshots a table once per item of a transaction; once per transaction is the same.
moto_speed.install()

pytest_plugins = ['tests.support.fixtures', 'tests.support.metrics', 'tests.support.faults', 'tests.support.mail']
