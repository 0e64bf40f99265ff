"""The merged OpenAPI document: generated from the handlers, complete, with problem responses."""

from __future__ import annotations

import pytest

from local import cfn
from tests.support.api import Api

METHODS = ('get', 'post', 'put', 'patch', 'delete')


@pytest.fixture(scope='module')
def document() -> dict:
    reply = Api().get('/api/openapi.json')
    assert reply.status == 200
    assert reply.header('Content-Type') == 'application/json'
    return reply.json


def _operations(document: dict):
    for path, item in document['paths'].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def test_the_template_and_the_document_list_the_same_routes(document):
    declared = {(r.method.lower(), r.path) for r in cfn.routes()}
    documented = {(method, path) for method, path, _ in _operations(document)}
    assert documented == declared


def test_it_is_openapi_3_1_with_the_bearer_scheme(document):
    assert document['openapi'].startswith('3.1')
    assert document['components']['securitySchemes']['bearerAuth'] == {
        'type': 'http',
        'scheme': 'bearer',
        'bearerFormat': 'JWT',
        'description': 'Access token from /api/auth/login',
    }


def test_signed_in_routes_declare_the_bearer_scheme_and_a_401(document):
    for method, path, operation in _operations(document):
        if path.startswith(('/api/bookings', '/api/users', '/api/admin')) or path == '/api/auth/logout':
            assert operation.get('security') == [{'bearerAuth': []}], (method, path)
            assert '401' in operation['responses'], (method, path)


def test_every_error_response_is_problem_json(document):
    problem = {'$ref': '#/components/schemas/Problem'}
    for method, path, operation in _operations(document):
        responses = operation['responses']
        assert 'default' in responses
        for status, response in responses.items():
            if status == 'default' or status.startswith(('4', '5')):
                assert response['content'] == {'application/problem+json': {'schema': problem}}, (method, path, status)
    codes = document['components']['schemas']['Problem']['properties']['code']['enum']
    assert {'sold_out', 'invalid_dates', 'not_found', 'validation_error', 'unauthorized'} <= set(codes)


def test_no_content_answers_are_documented_without_a_body(document):
    # A 204 documented with a media type makes clients (and the fuzzer) expect a body.
    no_content = [(m, p, o['responses']['204']) for m, p, o in _operations(document) if '204' in o['responses']]
    assert {(m, p) for m, p, _ in no_content} >= {
        ('delete', '/api/admin/hotels/{hotel_id}'),
        ('delete', '/api/users/me/wishlist/{room_type_id}'),
        ('post', '/api/auth/logout'),
    }
    assert [(m, p) for m, p, response in no_content if response.get('content')] == []


def test_every_request_body_has_an_example(document):
    schemas = document['components']['schemas']
    for method, path, operation in _operations(document):
        body = operation.get('requestBody')
        if not body:
            continue
        schema = body['content']['application/json']['schema']
        refs = [schema.get('$ref')] + [option.get('$ref') for option in schema.get('anyOf', [])]  # optional bodies
        ref = next(r for r in refs if r).rsplit('/', 1)[-1]
        assert schemas[ref].get('examples'), f'{method.upper()} {path}: {ref} has no example'


def test_swagger_ui_and_redoc_pages_use_local_assets_only():
    api = Api()
    for page, asset in (('/api/docs', 'swagger-ui-bundle.js'), ('/api/redoc', 'redoc.standalone.js')):
        reply = api.get(page)
        assert reply.status == 200 and reply.header('Content-Type').startswith('text/html')
        html = reply.body.decode()
        assert f'/api/docs/assets/{asset}' in html
        assert 'http://' not in html and 'https://' not in html  # nothing from a CDN
        served = api.get(f'/api/docs/assets/{asset}')
        assert served.status == 200 and len(served.body) > 100_000
    assert api.get('/api/docs/assets/../../etc/passwd').status == 404
    assert api.get('/api/docs/assets/secrets.txt').status == 404
