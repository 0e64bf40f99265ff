"""The site's security headers come from the template's CloudFront policy, in AWS and under
`make run` alike; page script cannot read the refresh token; the first load stays small."""

from __future__ import annotations

import json
import re

import pytest
import requests

from local import cfn
from local.web import policy_headers, with_stripe_origin
from tests.support import factories
from tests.support.browser import Site, gzip_size
from tests.support.fixtures import E2E_TARGET, LocalStack

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(E2E_TARGET == 'emulated', reason='the site is served by make run (docs/run-emulated.md)'),
]
FIRST_LOAD_BUDGET = 150 * 1024  # bytes of JS + CSS, compressed


def _directives(csp: str) -> dict[str, list[str]]:
    return {words[0]: words[1:] for words in (d.split() for d in csp.split(';')) if words}


def test_the_template_policy_allows_only_this_site_and_stripe():
    template = cfn.load()
    headers = policy_headers('WebSecurityHeadersPolicy', template)
    csp = _directives(headers['Content-Security-Policy'])

    sources = {s for values in csp.values() for s in values}
    assert {s for s in sources if s.startswith('http')} <= {
        'https://js.stripe.com',
        'https://*.js.stripe.com',
        'https://hooks.stripe.com',
        'https://api.stripe.com',
    }
    assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
    assert csp['default-src'] == ["'self'"] and csp['frame-ancestors'] == ["'none'"]
    assert csp['script-src'][0] == "'self'" and csp['object-src'] == ["'none'"]
    assert re.fullmatch(r'max-age=(\d+); includeSubDomains', headers['Strict-Transport-Security'])
    assert int(headers['Strict-Transport-Security'].split('=')[1].split(';')[0]) >= 365 * 24 * 3600
    assert headers['X-Frame-Options'] == 'DENY' and headers['X-Content-Type-Options'] == 'nosniff'

    distribution = template['Resources']['WebDistribution']['Properties']['DistributionConfig']
    assert distribution['DefaultCacheBehavior']['ResponseHeadersPolicyId'].value == 'WebSecurityHeadersPolicy'
    (api,) = distribution['CacheBehaviors']
    assert api['PathPattern'] == '/api/*' and api['ResponseHeadersPolicyId'].value == 'ApiSecurityHeadersPolicy'


def test_the_local_gateway_sends_the_template_headers(local_stack: LocalStack):
    config = requests.get(f'{local_stack.url}/api/config', timeout=10).json()
    expected = policy_headers('WebSecurityHeadersPolicy')
    expected['Content-Security-Policy'] = with_stripe_origin(
        expected['Content-Security-Policy'], config['stripe_js_url']
    )

    for path in ('/', '/rooms/lisbon-deluxe-king', '/js/app.js', '/css/site.css'):
        reply = requests.get(f'{local_stack.url}{path}', timeout=10)
        assert reply.status_code == 200, path
        assert {k: reply.headers.get(k) for k in expected} == expected, path

    # Under make run the card form is localstripe's stand-in, on localstripe's own origin.
    csp = _directives(expected['Content-Security-Policy'])
    assert csp['script-src'] == ["'self'", local_stack.stripe_url]
    api = requests.get(f'{local_stack.url}/api/health', timeout=10)
    assert {k: api.headers.get(k) for k in policy_headers('ApiSecurityHeadersPolicy')} == policy_headers(
        'ApiSecurityHeadersPolicy'
    )
    assert 'Content-Security-Policy' not in api.headers


def test_page_script_cannot_read_the_refresh_token_and_the_csp_is_enforced(site: Site, local_stack: LocalStack):
    email = f'{factories.unique("guest")}@example.com'
    body = {'email': email, 'password': 'a long password', 'name': 'Ada'}
    assert requests.post(f'{local_stack.url}/api/auth/register', json=body, timeout=10).status_code == 201
    page = site.page
    site.open('/signin?next=/bookings')
    page.get_by_label('Email').fill(email)
    page.get_by_label('Password').fill('a long password')
    page.get_by_role('button', name='Sign in').click()
    page.get_by_role('heading', name='My bookings').wait_for()

    (cookie,) = [c for c in page.context.cookies() if c['name'] == '__Secure-refresh']
    assert (cookie['httpOnly'], cookie['secure'], cookie['sameSite'], cookie['path']) == (
        True,
        True,
        'Strict',
        '/api/auth',
    )
    seen_by_script = page.evaluate(
        """async () => {
            const reply = await fetch('/api/auth/refresh', {method: 'POST', body: '{}',
                headers: {'Content-Type': 'application/json', 'X-Refresh-Token': 'cookie'}});
            return {cookie: document.cookie, local: JSON.stringify({...localStorage}),
                    session: JSON.stringify({...sessionStorage}), reply: await reply.json()};
        }"""
    )
    assert seen_by_script['reply']['access'] and seen_by_script['reply']['refresh'] is None
    jwt = re.compile(r'eyJ[\w-]+\.[\w-]+\.[\w-]+')
    for where in ('cookie', 'local', 'session'):
        assert not jwt.search(seen_by_script[where]), where
    assert cookie['value'] not in json.dumps(seen_by_script)

    # An injected inline script does not run: script-src is 'self' (and Stripe's origin) only.
    ran = page.evaluate(
        """() => new Promise(resolve => {
            document.addEventListener('securitypolicyviolation', e => resolve(e.violatedDirective), {once: true});
            const script = document.createElement('script');
            script.textContent = 'window.__injected = true';
            document.body.append(script);
            setTimeout(() => resolve(window.__injected ? 'ran' : 'silent'), 2000);
        })"""
    )
    assert ran.startswith('script-src')


def test_the_first_load_of_the_site_is_small(site: Site, capsys: pytest.CaptureFixture[str]):
    loaded: dict[str, int] = {}

    def sized(response) -> None:
        if response.request.resource_type in ('script', 'stylesheet') and response.ok:
            loaded[response.url] = gzip_size(response.body())

    site.page.on('response', sized)
    site.open('/')
    site.page.get_by_role('button', name='Search').wait_for()
    site.page.locator('.result').first.wait_for()

    total = sum(loaded.values())
    with capsys.disabled():
        print(f'\nfirst load of the guest site: {len(loaded)} JS/CSS files, {total / 1024:.1f} KiB gzipped')
    assert any(url.endswith('/vendor/preact.js') for url in loaded) and any(url.endswith('.css') for url in loaded)
    assert total <= FIRST_LOAD_BUDGET, loaded
