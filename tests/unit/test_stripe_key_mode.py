"""Each stage takes the Stripe key of its mode only (issue 15): prod a live key, every other stage a
test key. A wrong one fails closed: payments answer 503, an error is logged (never the key) and
counted for the StripeKeyModeAlarm."""

from __future__ import annotations

import pytest

from common import errors
from common.config import Settings
from common.gateways.stripe import StripeGateway


@pytest.mark.parametrize(
    ('stage', 'key'),
    [('prod', 'sk_live_abc'), ('prod', 'rk_live_abc'), ('dev', 'sk_test_abc'), ('staging', 'sk_test_abc')],
)
def test_a_stage_uses_a_key_of_its_mode(stage: str, key: str):
    assert StripeGateway(Settings(stage=stage, stripe_secret_key=key)).secret_key() == key


@pytest.mark.parametrize(
    ('stage', 'key'),
    [
        ('prod', 'sk_test_abc'),  # guests would "pay" with 4242 and get CONFIRMED
        ('dev', 'sk_live_abc'),  # a test stack charging real cards
        ('staging', 'rk_live_abc'),
        ('local', 'sk_live_abc'),
        ('prod', 'not-a-key'),
    ],
)
def test_a_key_of_the_other_mode_fails_closed_with_503_and_an_error_log(stage: str, key: str, caplog):
    gateway = StripeGateway(Settings(stage=stage, stripe_secret_key=key))
    with pytest.raises(errors.PaymentProviderUnavailable) as refused:
        gateway.secret_key()
    assert refused.value.status == 503
    logged = caplog.text + ''.join(str(r.__dict__) for r in caplog.records)
    assert 'wrong mode' in logged
    assert key not in logged


def test_auto_confirm_is_off_unless_configured():
    # fail closed outside the template (make run and the tests set ALLOW_AUTO_CONFIRM themselves)
    assert Settings().allow_auto_confirm is False
