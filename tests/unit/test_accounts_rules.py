"""Account rules without I/O: password rules, token claims, limit settings, profile patches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from common import errors
from common.config import _from_environ
from common.domain import Role
from common.models.api import ProfilePatch, ReviewBody
from common.services import accounts
from tests.support.deps import deps


@pytest.fixture
def now() -> datetime:
    """PyJWT also checks exp/nbf against the wall clock: tokens here are issued at the test's own now."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.mark.parametrize(
    ('password', 'rule'),
    [
        ('123456789', 'min_length'),
        ('grace.hopper@navy.mil', 'not_email'),
        (' GRACE.HOPPER@NAVY.MIL ', 'not_email'),
        ('Grace.Hopper', 'not_email'),
    ],
)
def test_passwords_that_break_a_rule_say_which(password: str, rule: str):
    with pytest.raises(errors.WeakPassword) as refused:
        accounts.check_password_rules('Grace.Hopper@navy.mil', password)
    assert refused.value.extra['rule'] == rule
    assert password.strip() not in refused.value.detail


@pytest.mark.parametrize('password', ['0123456789', 'grace hopper 1906', 'navy.mil@grace.hopper'])
def test_passwords_that_keep_the_rules_pass(password: str):
    accounts.check_password_rules('grace.hopper@navy.mil', password)


def test_both_tokens_of_a_pair_share_one_session_and_a_token_alone_starts_its_own(now: datetime):
    pair = accounts._pair(deps(), 'u1', Role.GUEST, now)
    access = deps().tokens.decode(pair.access, 'access', now)
    refresh = deps().tokens.decode(pair.refresh, 'refresh', now)
    assert access['fam'] == refresh['fam']
    assert access['jti'] != refresh['jti']
    lone = deps().tokens.decode(deps().tokens.issue('u1', Role.GUEST, 'access', now).token, 'access', now)
    assert lone['fam'] != access['fam']


def test_a_token_is_valid_from_its_issue_to_just_before_its_expiry(now: datetime):
    token = deps().tokens.issue('u1', Role.GUEST, 'access', now).token
    assert deps().tokens.decode(token, 'access', now)['sub'] == 'u1'
    assert deps().tokens.decode(token, 'access', now + timedelta(seconds=899))['sub'] == 'u1'
    for when in (now - timedelta(seconds=1), now + timedelta(seconds=900)):
        with pytest.raises(errors.InvalidToken):
            deps().tokens.decode(token, 'access', when)


def test_limits_default_to_the_issue_and_refuse_negative_values():
    defaults = _from_environ({})
    assert (
        defaults.login_failures_per_email_and_ip,
        defaults.login_failures_per_email,
        defaults.login_failures_per_ip,
        defaults.registrations_per_ip,
    ) == (10, 100, 100, 300)
    assert (defaults.login_failure_window_seconds, defaults.registration_window_seconds) == (900, 3600)
    assert _from_environ({'LOGIN_FAILURES_PER_EMAIL': '0'}).login_failures_per_email == 0
    with pytest.raises(ValidationError):
        _from_environ({'REGISTRATIONS_PER_IP': '-1'})


def test_a_profile_patch_knows_which_fields_were_sent():
    assert ProfilePatch.model_validate({'phone': None}).changes() == {'phone': None}
    assert ProfilePatch.model_validate({'name': ' Ada '}).changes() == {'name': 'Ada'}
    assert ProfilePatch.model_validate({}).changes() == {}


@pytest.mark.parametrize('body', [{'email': 'x@example.com'}, {'role': 'admin'}, {'user_id': 'u2'}])
def test_a_profile_patch_refuses_identity_fields(body: dict):
    with pytest.raises(ValidationError, match='cannot be changed'):
        ProfilePatch.model_validate(body)


def test_a_review_comment_keeps_newlines_but_no_control_characters():
    assert ReviewBody.model_validate({'rating': 5, 'comment': 'Great.\nWould stay again.'}).comment.count('\n') == 1
    with pytest.raises(ValidationError):
        ReviewBody.model_validate({'rating': 5, 'comment': 'ring \x07'})
