"""`make run`: the whole API on this machine, no AWS account, no Docker.

Starts ministack (DynamoDB) as a child process, creates the tables from template.yaml, seeds
the demo data, and serves the real handlers through the local gateway. Ctrl-C or SIGTERM
stops every child it started (by PID).

Environment: PORT (3000), HOST (127.0.0.1), MINISTACK_PORT (free port), BOOKING_HOLD_SECONDS,
ADMIN_EMAIL, ADMIN_PASSWORD, JWT_SIGNING_KEY / JWT_PUBLIC_KEYS (a new Ed25519 pair per run when
unset). See README.

Stripe: without STRIPE_SECRET_KEY, localstripe is started on LOCALSTRIPE_PORT (8420) and its
webhooks are registered to this gateway's /api/webhook, signed with a random local whsec_
secret. With STRIPE_SECRET_KEY (sk_test_...) and no STRIPE_API_BASE, real Stripe test mode is
used: forward its webhooks with `stripe listen --forward-to localhost:3000/api/webhook` and set
STRIPE_WEBHOOK_SECRET to the secret it prints. The expiry sweeper runs every
SWEEP_INTERVAL_SECONDS (60) with a real EventBridge scheduled event; housekeeping (the sale
window's daily roll) runs once at start.

Email: the notifier gets the bus's booking events through the template's EventBridge rules on
ministack and sends through ministack's SES, which keeps every message: read them at
/_local/mailbox?to=<address> (docs/notifications.md).
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

LOCAL_DEFAULTS = {
    'AWS_ACCESS_KEY_ID': 'local',
    'AWS_SECRET_ACCESS_KEY': 'local',
    'AWS_DEFAULT_REGION': 'us-east-1',
    'AWS_REGION': 'us-east-1',
    'STAGE': 'local',
    'TABLE_NAME': 'hotel-booking',
    'IDEMPOTENCY_TABLE_NAME': 'hotel-booking-idempotency',
    'POWERTOOLS_SERVICE_NAME': 'hotel-booking-local',
    'POWERTOOLS_TRACE_DISABLED': 'true',
    # Many requests share one process locally; EMF output would interleave. Metrics are
    # emitted in AWS (and asserted in tests with the metrics captured per invocation).
    'POWERTOOLS_METRICS_DISABLED': 'true',
    'POWERTOOLS_LOG_LEVEL': 'WARNING',
    # One process serves every concurrent request here (a Lambda serves one): with a pool smaller
    # than the concurrency, every call beyond it opens a TCP connection to ministack and drops it.
    'DYNAMODB_MAX_POOL_CONNECTIONS': '256',
    # Checkout's test-mode auto_confirm (still refused with a live key): off by default in code.
    'ALLOW_AUTO_CONFIRM': 'true',
}


def configure_environment(port: int, ministack_url: str) -> dict[str, str]:
    for key, value in LOCAL_DEFAULTS.items():
        os.environ.setdefault(key, value)
    os.environ['DYNAMODB_ENDPOINT_URL'] = ministack_url
    os.environ['EVENTS_ENDPOINT_URL'] = ministack_url
    os.environ['SES_ENDPOINT_URL'] = ministack_url
    # The emails' links: the guest site this gateway serves at / (issue 18).
    os.environ.setdefault('WEB_BASE_URL', f'http://{os.environ.get("HOST", "127.0.0.1")}:{port}')
    if not os.environ.get('JWT_SIGNING_KEY'):
        from common.security import key_set, new_signing_key

        # A key pair per run (in AWS: SSM, the private key readable by the auth function only).
        private, public = new_signing_key()
        os.environ['JWT_SIGNING_KEY'], os.environ['JWT_PUBLIC_KEYS'] = private, key_set(public)
    os.environ.setdefault('ADMIN_EMAIL', 'admin@example.com')
    if not os.environ.get('ADMIN_PASSWORD'):
        os.environ['ADMIN_PASSWORD'] = secrets.token_urlsafe(12)
    return dict(os.environ)


LOCALSTRIPE_DEFAULT_PORT = 8420


def configure_stripe(started: list[Any], gateway_port: int) -> str:
    """Point the handlers at localstripe (started here) unless a Stripe key was given."""
    from local import emulators

    if os.environ.get('STRIPE_SECRET_KEY'):
        target = os.environ.get('STRIPE_API_BASE') or 'api.stripe.com'
        if not os.environ.get('STRIPE_WEBHOOK_SECRET'):
            print(
                'warning: STRIPE_WEBHOOK_SECRET is not set: webhooks will be refused. Run\n'
                f'  stripe listen --forward-to localhost:{gateway_port}/api/webhook\n'
                'and set STRIPE_WEBHOOK_SECRET to the whsec_ secret it prints.',
                flush=True,
            )
        return f'{target} (STRIPE_SECRET_KEY from the environment)'
    # A default port is never silently replaced by another: say what to change instead.
    port = int(os.environ.get('LOCALSTRIPE_PORT') or LOCALSTRIPE_DEFAULT_PORT)
    if emulators.port_in_use(port):
        raise SystemExit(f'port {port} is already in use (another localstripe?): set LOCALSTRIPE_PORT to a free port')
    localstripe = emulators.start_localstripe(port)
    started.append(localstripe)
    secret = f'whsec_local_{secrets.token_hex(24)}'
    os.environ['STRIPE_API_BASE'] = localstripe.url
    os.environ['STRIPE_SECRET_KEY'] = f'sk_test_local_{secrets.token_hex(12)}'
    os.environ['STRIPE_WEBHOOK_SECRET'] = secret
    emulators.register_localstripe_webhook(localstripe, f'http://127.0.0.1:{gateway_port}/api/webhook', secret)
    # The web client's card form: localstripe's Stripe.js stand-in, served by localstripe.
    os.environ['STRIPE_PUBLISHABLE_KEY'] = f'pk_test_local_{secrets.token_hex(12)}'
    os.environ['STRIPE_JS_URL'] = f'{localstripe.url}/js.stripe.com/v3/'
    return f'{localstripe.url} (localstripe, pid {localstripe.process.pid}; webhooks -> /api/webhook)'


def main() -> int:
    from local import emulators
    from local.gateway import Gateway, free_port, serve

    host = os.environ.get('HOST', '127.0.0.1')
    port = int(os.environ.get('PORT', '3000'))
    ministack_port = int(os.environ.get('MINISTACK_PORT') or free_port())
    started: list[Any] = []
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        t0 = time.monotonic()
        ministack = emulators.start_ministack(ministack_port)
        started.append(ministack)
        configure_environment(port, ministack.url)
        stripe_target = configure_stripe(started, port)

        import boto3

        from local import dynamo, seed

        client = boto3.client('dynamodb', endpoint_url=ministack.url)
        dynamo.create_tables(client, dynamo.table_names())
        summary = seed.seed(datetime.now(UTC), os.environ['ADMIN_EMAIL'], os.environ['ADMIN_PASSWORD'])
        from local import housekeeping

        # As the daily schedule would (AWS: HousekeepingFunction at 00:15 UTC): the seed opened the
        # demo's windows already, so this run finds them whole and opens nothing.
        rolled = housekeeping.invoke()

        from local.background import start_notifier, start_publisher, start_search_view

        bus = os.environ.setdefault('EVENT_BUS_NAME', 'hotel-booking')
        start_publisher(ministack.url, os.environ['TABLE_NAME'], bus, stop)
        start_search_view(ministack.url, os.environ['TABLE_NAME'], stop)
        from common.config import settings

        sender = settings().sender_email
        # ministack's SES verifies an identity at once (in AWS: the template's SenderIdentity, or yours).
        boto3.client('sesv2', endpoint_url=ministack.url).create_email_identity(EmailIdentity=sender)
        _, dead_letters = start_notifier(ministack.url, bus, stop)
        from local.mailbox import PATH as MAILBOX
        from local.mailbox import Mailbox

        gateway = Gateway(local_routes={MAILBOX: Mailbox(ministack.url)})
        gateway.warm_up()
        dynamo.warm_clients()
        from local.web import Site

        server = serve(gateway, host, port, site=Site.from_environment())
        from local import sweeper

        schedule = sweeper.Schedule(settings().sweep_interval_seconds)
        schedule.start()
        base = f'http://{host}:{port}'
        print(
            f'\nHotel booking API ready in {time.monotonic() - t0:.1f}s\n'
            f'  Guest site {base}/\n'
            f'  API        {base}/api/health\n'
            f'  Docs       {base}/api/docs (Swagger UI), {base}/api/openapi.json\n'
            f'  Try it     make walkthrough (docs/walkthrough.sh: a booking paid, then cancelled)\n'
            f'  Search     {base}/api/rooms/search?check_in=YYYY-MM-DD&check_out=YYYY-MM-DD&guests=2\n'
            f'  DynamoDB   {ministack.url} (ministack, pid {ministack.process.pid})\n'
            f'  Audit      make audit ENDPOINT={ministack.url} TABLE={os.environ["TABLE_NAME"]}\n'
            f'  Scale      make seed-scale N=500 ENDPOINT={ministack.url} TABLE={os.environ["TABLE_NAME"]} '
            '(a city of 500 room types; search reads the view the stream keeps)\n'
            f'  Housekeep  {rolled["nights_opened"]} nights opened at start; again: '
            f'make housekeeping ENDPOINT={ministack.url} TABLE={os.environ["TABLE_NAME"]}\n'
            f'  Stripe     {stripe_target}\n'
            f'  Sweeper    every {schedule.interval:g}s (holds last {settings().booking_hold_seconds}s)\n'
            f'  Email      {base}{MAILBOX}?to=<address> (sent by the notifier from {sender} through\n'
            f'             ministack SES: {ministack.url}/_ministack/ses/messages; failed events: {dead_letters})\n'
            f'  Admin      {os.environ["ADMIN_EMAIL"]} / {os.environ["ADMIN_PASSWORD"]} ({summary["admin"]})\n'
            f'  Demo data  {summary["hotels"]} hotels, {summary["room_types"]} room types, '
            f'{summary["nights_opened"]} inventory nights opened\n'
            'Ctrl-C stops everything.\n',
            flush=True,
        )
        emulators.serve_until_stopped(started, stop)
        schedule.stop()
        server.shutdown()
        server.server_close()
        return 0
    finally:
        for emulator in reversed(started):
            emulator.stop()
        print('stopped', flush=True)


if __name__ == '__main__':
    sys.exit(main())
