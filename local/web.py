"""The web client under `make run`: web/ served at / next to /api, as CloudFront serves it.

What CloudFront does in AWS (template.yaml, WebDistribution), done here by the local gateway:
- a path with no file extension is the single-page site (index.html), like WebRewriteFunction;
- the response headers are the template's own response-headers policies, read from
  template.yaml (WebSecurityHeadersPolicy on the site, ApiSecurityHeadersPolicy on /api), so the
  two cannot drift. One difference, on purpose: when Stripe.js comes from localstripe's stand-in
  (STRIPE_JS_URL is not js.stripe.com) the CSP names localstripe's origin where production
  names Stripe's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from local import cfn

WEB_ROOT = cfn.ROOT / 'web'
STRIPE_JS_URL = 'https://js.stripe.com/v3/'
# The sources of the production CSP that belong to Stripe (replaced by localstripe's origin).
STRIPE_SOURCES = (
    'https://js.stripe.com',
    'https://*.js.stripe.com',
    'https://hooks.stripe.com',
    'https://api.stripe.com',
)
CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.json': 'application/json',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.webp': 'image/webp',
    '.ico': 'image/x-icon',
    '.txt': 'text/plain; charset=utf-8',
    '.woff2': 'font/woff2',
}
# Files are not fingerprinted (no build step): browsers revalidate every time (make web-upload
# sets the same on S3).
CACHE_CONTROL = 'no-cache'


def policy_headers(logical_id: str, template: dict[str, Any] | None = None) -> dict[str, str]:
    """The headers a CloudFront response-headers policy of template.yaml adds, by name."""
    config = (template or cfn.load())['Resources'][logical_id]['Properties']['ResponseHeadersPolicyConfig']
    security = config.get('SecurityHeadersConfig') or {}
    headers: dict[str, str] = {}
    if 'ContentSecurityPolicy' in security:
        headers['Content-Security-Policy'] = ' '.join(
            security['ContentSecurityPolicy']['ContentSecurityPolicy'].split()
        )
    if 'StrictTransportSecurity' in security:
        hsts = security['StrictTransportSecurity']
        value = f'max-age={hsts["AccessControlMaxAgeSec"]}'
        value += '; includeSubDomains' if hsts.get('IncludeSubdomains') else ''
        value += '; preload' if hsts.get('Preload') else ''
        headers['Strict-Transport-Security'] = value
    if 'ContentTypeOptions' in security:
        headers['X-Content-Type-Options'] = 'nosniff'
    if 'FrameOptions' in security:
        headers['X-Frame-Options'] = security['FrameOptions']['FrameOption']
    if 'ReferrerPolicy' in security:
        headers['Referrer-Policy'] = security['ReferrerPolicy']['ReferrerPolicy']
    for item in (config.get('CustomHeadersConfig') or {}).get('Items', []):
        headers[item['Header']] = item['Value']
    return headers


def with_stripe_origin(csp: str, stripe_js_url: str) -> str:
    """The CSP with Stripe's origins replaced by the origin Stripe.js is loaded from (unchanged
    for Stripe's own)."""
    parts = urlsplit(stripe_js_url)
    origin = f'{parts.scheme}://{parts.netloc}'
    if origin == 'https://js.stripe.com':
        return csp
    directives = []
    for directive in csp.split(';'):
        words = directive.split()
        if not words:
            continue
        sources: list[str] = []
        for word in words[1:]:
            chosen = origin if word in STRIPE_SOURCES else word
            if chosen not in sources:
                sources.append(chosen)
        directives.append(' '.join([words[0], *sources]))
    return '; '.join(directives)


@dataclass
class Site:
    root: Path
    site_headers: dict[str, str]
    api_headers: dict[str, str]

    @classmethod
    def from_environment(cls, root: Path = WEB_ROOT) -> Site:
        site = policy_headers('WebSecurityHeadersPolicy')
        stripe_js_url = os.environ.get('STRIPE_JS_URL') or STRIPE_JS_URL
        site['Content-Security-Policy'] = with_stripe_origin(site['Content-Security-Policy'], stripe_js_url)
        return cls(root=root, site_headers=site, api_headers=policy_headers('ApiSecurityHeadersPolicy'))

    @staticmethod
    def is_api(path: str) -> bool:
        return path == '/api' or path.startswith('/api/')

    def file_for(self, target: str) -> Path | None:
        """The file a GET of ``target`` serves, or None. Paths never leave the root."""
        path = unquote(urlsplit(target).path)
        parts = PurePosixPath(path).parts[1:]
        if any(part in ('..', '.') or part.startswith('.') for part in parts):
            return None
        if not parts or '.' not in parts[-1]:
            # The page routes in the browser: the console's under /admin/, the guest site's elsewhere
            # (as the template's WebRewriteFunction does).
            page = 'admin/index.html' if parts and parts[0] == 'admin' else 'index.html'
            found = self.root / page
            return found if found.is_file() else None
        candidate = self.root.joinpath(*parts)
        return candidate if candidate.is_file() else None

    def get(self, target: str) -> tuple[int, dict[str, str], bytes]:
        found = self.file_for(target)
        if found is None:
            body = b'Not found'
            return 404, {**self.site_headers, 'Content-Type': 'text/plain; charset=utf-8'}, body
        content_type = CONTENT_TYPES.get(found.suffix, 'application/octet-stream')
        headers = {**self.site_headers, 'Content-Type': content_type, 'Cache-Control': CACHE_CONTROL}
        return 200, headers, found.read_bytes()
