"""API documentation: the merged OpenAPI document, Swagger UI and ReDoc, served with no CDN."""

from __future__ import annotations

import importlib.util
import mimetypes
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path as PathParam
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from common import errors, http, observability, openapi
from common.observability import logger

app = http.make_app()

HERE = Path(__file__).resolve().parent
# Locally this module is functions.docs.app; in Lambda (CodeUri functions/) it is docs.app and
# its siblings are search.app, bookings.app...: import them with the same prefix.
PACKAGE_PREFIX = __name__.rpartition('docs.app')[0]  # the gateway may load clones: docs.app__env2
ASSETS = {
    'swagger-ui-bundle.js': ('swagger_ui', 'static/swagger-ui-bundle.js'),
    'swagger-ui.css': ('swagger_ui', 'static/swagger-ui.css'),
    'redoc.standalone.js': ('fastapi_offline', 'static/redoc.standalone.js'),
}
CACHE_FOREVER = {'Cache-Control': 'public, max-age=31536000, immutable'}


def _asset_path(name: str) -> Path:
    bundled = HERE / 'static' / name  # the Lambda artifact (functions/docs/Makefile)
    if bundled.exists():
        return bundled
    package, relative = ASSETS[name]
    spec = importlib.util.find_spec(package)  # locates the package without importing its code
    if spec is None or not spec.submodule_search_locations:
        raise errors.NotFound(f'{name} is not installed (make install)')
    return Path(next(iter(spec.submodule_search_locations))) / relative


def documented_functions() -> list[str]:
    """Every function folder next to this one (each has an app.py with a resolver)."""
    return sorted(p.parent.name for p in HERE.parent.glob('*/app.py') if p.parent != HERE)


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    modules = [importlib.import_module(f'{PACKAGE_PREFIX}{name}.app') for name in documented_functions()]
    # HTTP functions have a resolver named app; stream/schedule handlers have none.
    apps = [m.app for m in modules if hasattr(getattr(m, 'app', None), 'get_openapi_schema')]
    return openapi.build([*apps, app])


@app.get(
    '/api/openapi.json',
    tags=['docs'],
    summary='This OpenAPI document',
    description="Every operation of every function, generated from the handlers' own pydantic models.",
)
def openapi_document() -> Response[dict[str, Any]]:
    document = {**_document(), 'servers': [{'url': http.base_path(app) or '/'}]}
    return Response(status_code=200, content_type='application/json', body=document)


_SWAGGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="{base}/api/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{base}/api/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({{url: "{base}/api/openapi.json", dom_id: "#swagger-ui",
  deepLinking: true, persistAuthorization: true, tryItOutEnabled: false}});</script>
</body></html>"""

_REDOC = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="{base}/api/openapi.json"></redoc>
<script src="{base}/api/docs/assets/redoc.standalone.js"></script></body></html>"""


def _page(template: str) -> Response[str]:
    return Response(
        status_code=200,
        content_type='text/html; charset=utf-8',
        body=template.format(title=openapi.TITLE, base=http.base_path(app)),
    )


HTML: dict[int, OpenAPIResponse] = {
    200: {'description': 'An HTML page', 'content': {'text/html': {'schema': {'type': 'string'}}}}
}


@app.get(
    '/api/docs',
    tags=['docs'],
    summary='Swagger UI',
    description='This document in Swagger UI, served from a pinned package (works offline).',
    responses=HTML,
)
def swagger_ui() -> Response[str]:
    return _page(_SWAGGER)


@app.get(
    '/api/redoc',
    tags=['docs'],
    summary='ReDoc',
    description='This document in ReDoc, served from a pinned package (works offline).',
    responses=HTML,
)
def redoc() -> Response[str]:
    return _page(_REDOC)


ASSET_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        'description': 'A static asset of Swagger UI or ReDoc',
        'content': {media: {'schema': {'type': 'string'}} for media in ('text/css', 'text/javascript')},
    }
}


@app.get(
    '/api/docs/assets/<asset>',
    tags=['docs'],
    summary='A script or stylesheet of the documentation pages',
    description='`swagger-ui-bundle.js`, `swagger-ui.css` or `redoc.standalone.js`; cached for a year.',
    openapi_extensions=http.problems(errors.NotFound),
    responses=ASSET_RESPONSES,
)
def asset(asset: Annotated[str, PathParam(max_length=64)]) -> Response[str]:
    if asset not in ASSETS:
        raise errors.NotFound('No such asset')
    content_type = mimetypes.guess_type(asset)[0] or 'text/plain'
    return Response(
        status_code=200, content_type=content_type, body=_asset_path(asset).read_text(), headers=CACHE_FOREVER
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@observability.metrics.log_metrics
@observability.trace_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Every route here is public and nothing here reads the table: no dependencies to build (an
    # event for any other route is refused with 401, see http.resolve).
    return http.resolve(app, event, context, None)
