"""How the local gateway serves web/ (local/web.py): the template's headers, localstripe's
origin in the CSP, the page for every route, nothing outside the folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.web import Site, policy_headers, with_stripe_origin

CSP = (
    "default-src 'self'; script-src 'self' https://js.stripe.com https://*.js.stripe.com; "
    'frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com; '
    "connect-src 'self' https://api.stripe.com; frame-ancestors 'none'"
)


def test_stripe_origins_become_the_origin_stripe_js_is_loaded_from():
    assert with_stripe_origin(CSP, 'http://127.0.0.1:8420/js.stripe.com/v3/') == (
        "default-src 'self'; script-src 'self' http://127.0.0.1:8420; frame-src http://127.0.0.1:8420; "
        "connect-src 'self' http://127.0.0.1:8420; frame-ancestors 'none'"
    )
    assert with_stripe_origin(CSP, 'https://js.stripe.com/v3/') == CSP


def test_the_template_policies_become_headers():
    site = policy_headers('WebSecurityHeadersPolicy')
    api = policy_headers('ApiSecurityHeadersPolicy')
    assert set(site) - set(api) == {'Content-Security-Policy', 'Permissions-Policy', 'Cross-Origin-Opener-Policy'}
    assert site['Strict-Transport-Security'] == api['Strict-Transport-Security']


@pytest.fixture
def served(tmp_path: Path) -> Site:
    (tmp_path / 'index.html').write_text('<!doctype html>')
    (tmp_path / 'js').mkdir()
    (tmp_path / 'js' / 'app.js').write_text('export {}')
    (tmp_path / '.env').write_text('secret')
    (tmp_path.parent / 'outside.txt').write_text('outside')
    return Site(root=tmp_path, site_headers={'X-Frame-Options': 'DENY'}, api_headers={})


@pytest.mark.parametrize('target', ['/', '/rooms/lisbon-deluxe-king', '/bookings/abc/pay?x=1', '/signin'])
def test_routes_of_the_page_serve_index_html(served: Site, target: str):
    status, headers, body = served.get(target)
    assert (status, body) == (200, b'<!doctype html>')
    assert headers['Content-Type'] == 'text/html; charset=utf-8' and headers['X-Frame-Options'] == 'DENY'


def test_files_are_served_with_their_type(served: Site):
    status, headers, _ = served.get('/js/app.js')
    assert status == 200 and headers['Content-Type'].startswith('text/javascript')


@pytest.mark.parametrize(
    'target', ['/../outside.txt', '/js/../../outside.txt', '/%2e%2e/outside.txt', '/.env', '/nope.js']
)
def test_nothing_outside_the_folder_or_hidden_is_served(served: Site, target: str):
    assert served.get(target)[0] == 404


def test_api_paths_are_not_the_site():
    assert Site.is_api('/api/health') and Site.is_api('/api') and not Site.is_api('/apix') and not Site.is_api('/')


def test_the_console_routes_serve_its_own_page(served: Site):
    assert served.get('/admin/inventory')[0] == 404  # no console yet
    (served.root / 'admin').mkdir()
    (served.root / 'admin' / 'index.html').write_text('<!doctype html><title>console</title>')
    for target in ('/admin', '/admin/', '/admin/inventory/lisbon-deluxe-king'):
        assert served.get(target)[2] == b'<!doctype html><title>console</title>', target
    assert served.get('/administrator')[2] == b'<!doctype html>'
