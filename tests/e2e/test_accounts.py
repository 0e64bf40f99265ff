"""The local stack over HTTP: profile, wishlist and sign-out, as the README's walk-through shows."""

from __future__ import annotations

import pytest
import requests

from tests.support import factories
from tests.support.fixtures import LocalStack

pytestmark = pytest.mark.e2e


def test_profile_wishlist_and_sign_out(local_stack: LocalStack):
    base = f'{local_stack.url}/api'
    email = f'{factories.unique("guest")}@example.com'
    credentials = {'email': email, 'password': 'a long password'}
    assert requests.post(f'{base}/auth/register', json={**credentials, 'name': 'Grace Hopper'}, timeout=10).ok
    tokens = requests.post(f'{base}/auth/login', json=credentials, timeout=10).json()
    session = requests.Session()
    session.headers['Authorization'] = f'Bearer {tokens["access"]}'

    patched = session.patch(f'{base}/users/me', json={'phone': '+351 912 345 678'}, timeout=10)
    assert patched.status_code == 200 and patched.json()['phone'] == '+351 912 345 678'
    refused = session.patch(f'{base}/users/me', json={'role': 'admin'}, timeout=10)
    assert refused.status_code == 422 and refused.headers['Content-Type'] == 'application/problem+json'

    added = session.post(f'{base}/users/me/wishlist', json={'room_type_id': 'lisbon-deluxe-king'}, timeout=10)
    assert added.status_code == 201
    again = session.post(f'{base}/users/me/wishlist', json={'room_type_id': 'lisbon-deluxe-king'}, timeout=10)
    assert again.status_code == 200
    items = session.get(f'{base}/users/me/wishlist', timeout=10).json()['items']
    assert [(i['room_type_id'], i['currency']) for i in items] == [('lisbon-deluxe-king', 'EUR')]
    assert session.delete(f'{base}/users/me/wishlist/lisbon-deluxe-king', timeout=10).status_code == 204

    reviews = requests.get(f'{base}/room-types/lisbon-deluxe-king/reviews', params={'limit': 5}, timeout=10)
    assert reviews.status_code == 200 and 'items' in reviews.json()

    out = session.post(f'{base}/auth/logout', json={'refresh': tokens['refresh']}, timeout=10)
    assert out.status_code == 204
    assert session.get(f'{base}/users/me', timeout=10).status_code == 401
    assert requests.post(f'{base}/auth/refresh', json={'refresh': tokens['refresh']}, timeout=10).status_code == 401
