"""The rules the OpenAPI document states, checked where they live (models, the edge, common.openapi)
without a running stack: tests/e2e/test_contract.py proves the document and the API agree over
HTTP; these pin each rule in a fraction of a second."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from common import errors, http, openapi
from common.config import settings
from common.domain import MIN_PASSWORD_LENGTH, BookingStatus
from common.models.admin import HotelPatch, RulePatch
from common.models.api import CheckoutBody, HoldBody, ProfilePatch, RegisterBody
from common.services import reports

HOLD = {'room_type_id': 'deluxe-king', 'check_in': '2030-01-10', 'check_out': '2030-01-12'}


# ------------------------------------------------------------------ models


@pytest.mark.parametrize('guests', [2, 2.0])
def test_an_integer_is_a_json_number_without_fraction(guests: Any):
    assert HoldBody.model_validate({**HOLD, 'guests': guests}).guests == 2


@pytest.mark.parametrize('guests', ['2', True, 2.5])
def test_a_string_a_boolean_or_a_fraction_is_not_an_integer(guests: Any):
    with pytest.raises(ValidationError) as refused:
        HoldBody.model_validate({**HOLD, 'guests': guests})
    assert refused.value.errors()[0]['loc'] == ('guests',)


def test_the_document_states_the_configured_rooms_limit_and_integer_bounds():
    schema = HoldBody.model_json_schema()['properties']
    assert schema['rooms']['maximum'] == settings().max_rooms_per_booking
    assert (schema['guests']['type'], schema['guests']['minimum'], schema['guests']['maximum']) == ('integer', 1, 100)


def test_a_patch_refuses_null_for_a_field_it_cannot_clear_and_takes_it_where_it_can():
    with pytest.raises(ValidationError, match='name cannot be null'):
        ProfilePatch.model_validate({'name': None})
    assert ProfilePatch.model_validate({'phone': None}).changes() == {'phone': None}


def test_the_document_shows_null_only_where_a_patch_can_clear_and_asks_for_a_change():
    profile = ProfilePatch.model_json_schema()
    assert 'anyOf' not in profile['properties']['name']
    assert {'type': 'null'} in profile['properties']['phone']['anyOf']
    assert 'minProperties' not in profile  # an empty profile patch changes nothing, and is fine
    assert HotelPatch.model_json_schema()['minProperties'] == 1
    assert {'type': 'null'} in RulePatch.model_json_schema()['properties']['min_stay']['anyOf']


def test_the_password_rule_is_stated_in_the_document_and_left_to_the_service():
    schema = RegisterBody.model_json_schema()['properties']['password']
    assert schema['minLength'] == MIN_PASSWORD_LENGTH
    # The model takes a short one: the service refuses it with 422 weak_password and the rule broken.
    RegisterBody.model_validate({'email': 'ada@example.com', 'password': 'short', 'name': 'Ada'})


@pytest.mark.parametrize('space', ['\u0085', '\ufeff', ' ', '\t'])
def test_an_email_with_whitespace_of_either_regex_engine_is_refused(space: str):
    with pytest.raises(ValidationError):
        RegisterBody.model_validate({'email': f'a{space}b@example.com', 'password': 'x' * 12, 'name': 'Ada'})


def test_a_profile_name_with_a_control_character_is_refused_as_the_document_says():
    with pytest.raises(ValidationError):
        ProfilePatch.model_validate({'name': 'Ada\x07'})
    pattern = ProfilePatch.model_json_schema()['properties']['name']['pattern']
    assert re.fullmatch(pattern, 'Ada\x07') is None
    assert re.fullmatch(pattern, 'Ada Lovelace')


def test_auto_confirm_pays_only_with_a_stripe_test_method():
    assert CheckoutBody.model_validate({'auto_confirm': True, 'payment_method': 'pm_card_visa'}).auto_confirm
    with pytest.raises(ValidationError, match='test methods'):
        CheckoutBody.model_validate({'auto_confirm': True, 'payment_method': 'pm_1Q0PsIJvEtkwdCNYMSaVuRz6'})
    assert CheckoutBody.model_validate({'payment_method': 'pm_1Q0PsIJvEtkwdCNYMSaVuRz6'}).payment_method


# ------------------------------------------------------------------ the edge


@pytest.mark.parametrize(
    ('raw', 'shown'),
    [
        ('Value error, must be a date as YYYY-MM-DD', 'must be a date as YYYY-MM-DD'),
        ('Assertion failed, rooms must be positive', 'rooms must be positive'),
        ('Input should be a valid integer', 'Input should be a valid integer'),
    ],
)
def test_a_validation_message_says_the_rule_without_pydantics_prefix(raw: str, shown: str):
    assert http._message(raw) == shown


def test_a_path_parameter_is_validated_as_the_text_the_client_meant():
    event = {'path': '/api/bookings/caf%C3%A9', 'httpMethod': 'GET'}
    assert http._with_decoded_path(event) == {'path': '/api/bookings/café', 'httpMethod': 'GET'}


def test_an_encoded_slash_stays_inside_its_segment():
    assert http._with_decoded_path({'path': '/api/bookings/a%2Fb'})['path'] == '/api/bookings/a%2Fb'
    plain = {'path': '/api/bookings/b-1'}
    assert http._with_decoded_path(plain) is plain


@pytest.mark.parametrize(
    ('key', 'valid'),
    [
        ('4f7c1b8e-3a52-4d8b-9a4e-2f0b6c1d9e77', True),
        ('a', True),
        ('order 42: retry', True),
        ('x' * 255, True),
        ('x' * 256, False),
        ('', False),
        (' leading', False),
        ('trailing ', False),
        ('caf\u00e9', False),
        ('tab\there', False),
    ],
)
def test_an_idempotency_key_is_1_to_255_printable_ascii_characters(key: str, valid: bool):
    assert (re.fullmatch(http.IDEMPOTENCY_KEY_PATTERN, key) is not None) is valid


def test_a_route_declares_the_codes_of_the_errors_it_raises_once_and_sorted():
    declared = http.problems(errors.SoldOut, errors.NotFound, errors.SoldOut)
    assert declared == {http.PROBLEMS_EXTENSION: ['not_found', 'sold_out']}


# ------------------------------------------------------------------ common.openapi


def test_a_public_read_answers_no_authentication_problems():
    codes = openapi._shared_codes('/api/hotels/{hotel_id}', 'get', {'parameters': [{}]})
    assert not codes & {'unauthorized', 'invalid_token', 'forbidden'}
    assert {'validation_error', 'route_not_found', 'service_unavailable'} <= codes


def test_a_protected_write_answers_authentication_and_body_problems():
    codes = openapi._shared_codes('/api/bookings', 'post', {'requestBody': {}})
    assert {'unauthorized', 'invalid_token', 'malformed_json', 'unsupported_media_type'} <= codes
    assert 'forbidden' not in codes
    assert 'forbidden' in openapi._shared_codes('/api/admin/hotels', 'get', {})
    assert 'service_unavailable' not in openapi._shared_codes('/api/openapi.json', 'get', {})


def test_the_documents_security_is_the_declaration_that_enforces_it():
    document: dict[str, Any] = {
        'paths': {
            '/api/bookings': {'get': {'responses': {'200': {}, '422': {'description': "powertools'"}}}},
            '/api/hotels': {'get': {'responses': {'200': {}}}},
            '/api/users/me/wishlist/{room_type_id}': {'delete': {'responses': {'204': {'content': {}}}}},
        }
    }
    paths = openapi.add_problem_responses(document)['paths']
    bookings, hotels = paths['/api/bookings']['get'], paths['/api/hotels']['get']
    assert bookings['security'] == [{'bearerAuth': []}]
    assert bookings['responses']['401']['x-problem-codes'] == ['invalid_token', 'unauthorized']
    assert '422' not in bookings['responses']  # no parameters: nothing to validate
    assert 'security' not in hotels
    assert '401' not in hotels['responses']
    assert 'content' not in paths['/api/users/me/wishlist/{room_type_id}']['delete']['responses']['204']
    assert hotels['responses']['default']['x-problem-codes'] == ['gateway_error', 'internal_error']


def test_every_domain_error_code_is_listed_under_its_status():
    listed = openapi.error_codes()
    for cls in errors.DomainError.__subclasses__():
        assert cls.code in listed[cls.status], cls
    assert listed[429] == sorted({'too_many_requests', *listed[429]})


def test_an_optional_parameter_is_absent_never_null():
    schema: dict[str, Any] = {'anyOf': [{'type': 'string', 'maxLength': 9}, {'type': 'null'}]}
    openapi._not_null(schema)
    assert schema == {'type': 'string', 'maxLength': 9}


# ------------------------------------------------------------------ one language, two statements


@pytest.mark.parametrize(
    ('raw', 'read'),
    [
        ('PENDING', {BookingStatus.PENDING}),
        ('confirmed, Cancelled', {BookingStatus.CONFIRMED, BookingStatus.CANCELLED}),
        (' expired ', {BookingStatus.EXPIRED}),
    ],
)
def test_a_status_filter_the_document_accepts_is_one_the_parser_reads(raw: str, read: set[BookingStatus]):
    from functions.admin.app import STATUSES

    assert re.fullmatch(STATUSES, raw)
    assert reports.parse_statuses(raw) == read


@pytest.mark.parametrize('raw', ['PAID', 'PEND ING', ',', 'PENDING,'])
def test_a_status_filter_the_document_refuses_never_reaches_the_parser(raw: str):
    """The resolver checks the pattern first (422 validation_error); a trailing comma, which the
    parser alone would skip, is refused there too."""
    from functions.admin.app import STATUSES

    assert re.fullmatch(STATUSES, raw) is None
