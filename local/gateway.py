"""A thin local stand-in for API Gateway (REST, Lambda proxy integration).

Routes come from template.yaml. Each HTTP request becomes the proxy event API Gateway would
send, and goes to the real handler in-process. Like Lambda, one execution environment serves
one request at a time: each function has a pool of environments (separate module instances,
so resolver state is never shared between concurrent requests) that grows with concurrency.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local import cfn
from local.web import Site

STAGE = 'local'
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
# A local-only route (``/_local/...``, never in template.yaml): (method, query) -> status, headers, body.
LocalRoute = Callable[[str, str], tuple[int, dict[str, str], bytes]]


class _PerThread:
    """A data descriptor whose value belongs to the calling thread."""

    def __init__(self, store: threading.local, name: str) -> None:
        self.store, self.name = store, name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        try:
            return getattr(self.store, self.name)
        except AttributeError:
            raise AttributeError(self.name) from None

    def __set__(self, obj: object, value: Any) -> None:
        setattr(self.store, self.name, value)


def _isolate_powertools_request_state() -> None:
    """powertools' resolver keeps the request on the CLASS (``BaseRouter.current_event = ...`` in
    ``ApiGatewayResolver.resolve``, aws_lambda_powertools/event_handler/api_gateway.py): one request
    per process, as in Lambda. This gateway runs the requests of many environments on threads of
    one process, where that state would be shared: a request could be validated with another's
    body and authorised with another's token. Make both attributes per thread, for class access
    (through the metaclass) and instance access (through the class) alike, so each thread sees
    only its own request, as each Lambda process would."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if isinstance(BaseRouter.__dict__.get('current_event'), _PerThread):
        return
    store = threading.local()
    names = ('current_event', 'lambda_context')
    for name in names:
        setattr(BaseRouter, name, _PerThread(store, name))  # app.current_event
    meta = type('PerThreadRouterMeta', (type(BaseRouter),), {n: _PerThread(store, n) for n in names})
    BaseRouter.__class__ = meta  # BaseRouter.current_event = ...


_isolate_powertools_request_state()


@dataclass
class LambdaContext:
    """The context object the Lambda runtime passes (the attributes powertools reads)."""

    function_name: str
    timeout_seconds: float = 10.0
    memory_limit_in_mb: int = 512
    function_version: str = '$LATEST'
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f'arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}'

    @property
    def log_group_name(self) -> str:
        return f'/aws/lambda/{self.function_name}'

    @property
    def log_stream_name(self) -> str:
        return 'local'

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000), 0)


class FunctionPool:
    """Execution environments of one function: each is its own instance of the handler module."""

    def __init__(self, module: str, attribute: str, *, fresh_modules: bool = False) -> None:
        self.module = module
        self.attribute = attribute
        # Every environment a fresh copy of the module, the first one too (tests that change what a
        # module reads at import, e.g. X-Ray on, as in Lambda).
        self.fresh_modules = fresh_modules
        self._free: list[Handler] = []
        self._lock = threading.Lock()
        self._count = 0

    def _new_environment(self) -> Handler:
        with self._lock:
            self._count += 1
            number = self._count
        if number == 1 and not self.fresh_modules:
            module = importlib.import_module(self.module)
        else:
            spec = importlib.util.find_spec(self.module)
            assert spec is not None and spec.origin is not None
            clone = importlib.util.spec_from_file_location(f'{self.module}__env{number}', spec.origin)
            assert clone is not None and clone.loader is not None
            module = importlib.util.module_from_spec(clone)
            clone.loader.exec_module(module)
        return getattr(module, self.attribute)

    def provision(self, environments: int) -> None:
        """Start execution environments until ``environments`` are free, as provisioned
        concurrency does: concurrent invocations then run warm handlers, not cold starts."""
        with self._lock:
            missing = environments - len(self._free)
        started = [self._new_environment() for _ in range(missing)]
        with self._lock:
            self._free.extend(started)

    def invoke(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        with self._lock:
            handler = self._free.pop() if self._free else None
        if handler is None:
            handler = self._new_environment()
        # Lambda's timer starts when the handler is invoked: a cold start's init is not part of it
        # (idempotency's in-progress expiry is the remaining time, so it matters under load).
        context.started = time.monotonic()
        try:
            return handler(event, context)
        finally:
            with self._lock:
                self._free.append(handler)


class Gateway:
    def __init__(
        self,
        template: dict[str, Any] | None = None,
        local_routes: dict[str, LocalRoute] | None = None,
        *,
        fresh_modules: bool = False,
    ) -> None:
        self.routes = cfn.routes(template)
        # Development aids of the local run only (e.g. /_local/mailbox), outside /api.
        self.local_routes = local_routes or {}
        assert all(path.startswith('/_local/') for path in self.local_routes)
        self._pools: dict[str, FunctionPool] = {}
        for route in self.routes:
            self._pools.setdefault(
                route.function, FunctionPool(route.module, route.handler, fresh_modules=fresh_modules)
            )
        # The API's own ANY methods (MOCK integrations): what a path answers to a method it does not take.
        self._any_methods = [
            (re.compile('^' + re.sub(r'\{(\w+)\}', r'[^/]+', path) + '$'), method)
            for path, method in cfn.declared_any_methods(template).items()
        ]

    def is_local(self, path: str) -> bool:
        return path.rstrip('/') in self.local_routes

    def warm_up(self) -> None:
        """Import every handler once (a cold start), so the first request is not slow."""
        for name, pool in self._pools.items():
            pool.invoke({'httpMethod': 'GET', 'path': '/__warmup__', 'headers': {}}, LambdaContext(name))

    def provision(self, method: str, path: str, environments: int) -> None:
        """``environments`` warm execution environments of the function serving ``method path``."""
        found = self.match(method, path)
        assert found is not None, f'no route for {method} {path}'
        self._pools[found[0].function].provision(environments)

    def match(self, method: str, path: str) -> tuple[cfn.Route, dict[str, str]] | None:
        # REST APIs ignore a trailing slash: /api/bookings/ is /api/bookings.
        normalised = path.rstrip('/') or '/'
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.match(normalised)
            if found:
                return route, found.groupdict()
        return None

    def any_method(self, path: str) -> dict[str, Any] | None:
        normalised = path.rstrip('/') or '/'
        return next((method for pattern, method in self._any_methods if pattern.match(normalised)), None)

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(target)
        local = self.local_routes.get(url.path.rstrip('/'))  # see is_local
        if local is not None:
            return local(method, url.query)
        matched = self.match(method, url.path)
        if matched is None and (declared := self.any_method(url.path)) is not None:
            return mock_response(declared['x-amazon-apigateway-integration'])
        if matched is None:
            problem = {
                'type': 'urn:hotel-booking:problem:route_not_found',
                'title': 'No such route',
                'status': 404,
                'detail': f'{method} {url.path}',
                'code': 'route_not_found',
            }
            return 404, {'Content-Type': 'application/problem+json'}, json.dumps(problem).encode()
        route, path_parameters = matched
        event = proxy_event(route, method, url.path, url.query, headers, body, path_parameters, source_ip)
        context = LambdaContext(route.function)
        result = self._pools[route.function].invoke(event, context)
        return http_response(result)


def mock_response(integration: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """What API Gateway answers for a MOCK integration with no request template: its default
    integration response (static header values in quotes, the body template as it is)."""
    response = integration['responses']['default']
    prefix = 'method.response.header.'
    headers = {
        name[len(prefix) :]: value.strip("'")
        for name, value in (response.get('responseParameters') or {}).items()
        if name.startswith(prefix)
    }
    body = (response.get('responseTemplates') or {}).get('application/json', '')
    return int(response['statusCode']), headers, body.encode()


def proxy_event(
    route: cfn.Route,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    path_parameters: dict[str, str],
    source_ip: str,
) -> dict[str, Any]:
    """The REST API (v1) Lambda proxy event, as API Gateway builds it."""
    multi_query = parse_qs(query, keep_blank_values=True)
    try:
        text, is_base64 = (body.decode('utf-8'), False) if body else (None, False)
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode(), True
    now = time.time()
    request_id = str(uuid.uuid4())
    return {
        'resource': route.path,
        'path': path,
        'httpMethod': method,
        'headers': headers or None,
        'multiValueHeaders': {k: [v] for k, v in headers.items()} or None,
        'queryStringParameters': {k: v[-1] for k, v in multi_query.items()} or None,
        'multiValueQueryStringParameters': multi_query or None,
        'pathParameters': path_parameters or None,
        'stageVariables': None,
        'requestContext': {
            'resourceId': 'local',
            'resourcePath': route.path,
            'httpMethod': method,
            'extendedRequestId': request_id,
            'requestTime': time.strftime('%d/%b/%Y:%H:%M:%S +0000', time.gmtime(now)),
            # The local gateway serves at the root like a custom domain: no stage in the URL.
            'path': path,
            'accountId': '000000000000',
            'protocol': 'HTTP/1.1',
            'stage': STAGE,
            'domainPrefix': 'localhost',
            'requestTimeEpoch': int(now * 1000),
            'requestId': request_id,
            'identity': {'sourceIp': source_ip, 'userAgent': headers.get('User-Agent')},
            'domainName': 'localhost',
            'apiId': 'local',
        },
        'body': text,
        'isBase64Encoded': is_base64,
    }


def http_response(result: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    status = int(result.get('statusCode', 502))
    headers = {k: str(v) for k, v in (result.get('headers') or {}).items()}
    for key, values in (result.get('multiValueHeaders') or {}).items():
        headers[key] = ', '.join(str(v) for v in values)
    body = result.get('body') or ''
    payload = base64.b64decode(body) if result.get('isBase64Encoded') else body.encode()
    return status, headers, payload


class _Server(ThreadingHTTPServer):
    # 100+ simultaneous clients must never see a connection reset (http.server's default is 5).
    request_queue_size = 1024
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client closing its keep-alive connection is not an error of ours.
        import sys

        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return
        super().handle_error(request, client_address)


# API Gateway's own limit on a request's payload; a larger declared length is refused unread.
MAX_REQUEST_BYTES = 10 * 1024 * 1024


def _content_length(header: str | None) -> int | tuple[int, dict[str, str], bytes]:
    """The body's length, or the answer refusing the request: 400 for a Content-Length that is not
    a non-negative integer (``-1`` made ``rfile.read`` wait for the connection to close), 413 past
    API Gateway's limit."""
    if header is None or header.strip() == '':
        return 0
    text = header.strip()
    if not (text.isascii() and text.isdigit()):  # digits only: no sign, no spaces, no '1_000'
        return _refusal(400, 'bad_request', 'Bad request', 'Content-Length must be a non-negative integer')
    length = int(text)
    if length > MAX_REQUEST_BYTES:
        return _refusal(413, 'payload_too_large', 'The request is too large', f'At most {MAX_REQUEST_BYTES} bytes')
    return length


def _refusal(status: int, code: str, title: str, detail: str) -> tuple[int, dict[str, str], bytes]:
    problem = {
        'type': f'urn:hotel-booking:problem:{code}',
        'title': title,
        'status': status,
        'detail': detail,
        'code': code,
    }
    return status, {'Content-Type': 'application/problem+json'}, json.dumps(problem).encode()


def serve(gateway: Gateway, host: str, port: int, site: Site | None = None) -> ThreadingHTTPServer:
    """Serve the API at /api, and with ``site`` the web client at / with the template's
    CloudFront headers (local/web.py)."""

    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        server_version = 'hotel-booking-local'

        def _dispatch(self) -> None:
            length = _content_length(self.headers.get('Content-Length'))
            if isinstance(length, tuple):  # refused: the body's framing is unknown, so the connection ends
                self.close_connection = True
                self._answer(*length)
                return
            body = self.rfile.read(length) if length else b''
            headers = dict(self.headers.items())
            path = urlsplit(self.path).path
            # The local-only routes (/_local/...) are the gateway's, not the site's.
            if site is not None and not site.is_api(path) and not gateway.is_local(path):
                if self.command in ('GET', 'HEAD'):
                    status, out_headers, payload = site.get(self.path)
                else:  # CloudFront's default behaviour allows GET and HEAD only
                    status, out_headers, payload = 405, {'Allow': 'GET, HEAD', **site.site_headers}, b''
                self._answer(status, out_headers, payload)
                return
            try:
                status, out_headers, payload = gateway.handle(
                    self.command, self.path, headers, body, self.client_address[0]
                )
            except Exception:  # the gateway answers like API Gateway would: a bare 502
                status, out_headers, payload = (
                    502,
                    {'Content-Type': 'application/json'},
                    b'{"message": "Internal server error"}',
                )
            if site is not None:
                out_headers = {**site.api_headers, **out_headers}
            self._answer(status, out_headers, payload)

        def _answer(self, status: int, out_headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else None)
            for key, value in out_headers.items():
                if key.lower() not in ('content-length', 'connection'):
                    self.send_header(key, value)
            self.send_header('Content-Length', str(len(payload)))
            if self.close_connection:
                self.send_header('Connection', 'close')
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _dispatch

        def __getattr__(self, name: str) -> Any:
            # Any other method (TRACE, PROPFIND...) reaches the router, which answers as API
            # Gateway does for a method it has no route for, instead of http.server's 501.
            if name.startswith('do_'):
                return self._dispatch
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = _Server((host, port), RequestHandler)
    threading.Thread(target=server.serve_forever, name='gateway', daemon=True).start()
    return server


def free_port(host: str = '127.0.0.1') -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
