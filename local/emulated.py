"""`make run-emulated`: the same template.yaml deployed into ministack's CloudFormation.

The fidelity check of the template (DESIGN §11): ministack applies the SAM transform
(aws-sam-translator in .venv-emu), creates the tables, the REST API with its stage, every
function with the layer, the EventBridge schedule of the sweeper and the stream mapping of the
publisher, and runs the functions as local Python processes (LAMBDA_EXECUTOR=local) behind its API
Gateway. Limits met on the way are in docs/run-emulated.md.

Steps: build the functions and the layer with their own Makefiles (what `sam build` runs for
BuildMethod: makefile) for THIS machine (CPython 3.11, x86_64: ministack's interpreter runs them),
zip them into ministack's S3, rewrite CodeUri/ContentUri to those objects (what `sam package`
does), put the secrets in SSM, create the stack, seed the demo data into its table, register
localstripe's webhook to the stack's /api/webhook. Ctrl-C stops ministack and localstripe (by PID).

Environment: MINISTACK_PORT (free port), LOCALSTRIPE_PORT (free port), ADMIN_EMAIL,
ADMIN_PASSWORD, BOOKING_HOLD_SECONDS (900; the template's minimum is 30).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common.security import key_set, new_signing_key
from local import cfn, emulators
from local.gateway import free_port

BUILD_DIR = cfn.ROOT / '.aws-sam' / 'emulated'
STACK = 'hotel-booking-emulated'
STAGE = 'dev'
BUCKET = 'hotel-booking-artifacts'
SENDER_EMAIL = 'bookings@hotel-booking.example'
REGION = 'us-east-1'
# The layer's wheels for the interpreter ministack runs Python functions with (its own).
PY_TARGET = f'{sys.version_info.major}.{sys.version_info.minor}'
PLATFORMS = '--platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64'


# ---------------------------------------------------------------- build


def _fingerprint(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(cfn.ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _sources(directory: Path) -> list[Path]:
    return [
        p for p in directory.rglob('*') if p.is_file() and '__pycache__' not in p.parts and '.assets' not in p.parts
    ]


def _make(directory: Path, target: str, artifacts: Path, **variables: str) -> None:
    """What `sam build` runs for ``BuildMethod: makefile``: ``make build-<LogicalId>`` in the
    CodeUri with ARTIFACTS_DIR set."""
    if artifacts.exists():
        shutil.rmtree(artifacts)
    artifacts.mkdir(parents=True)
    args = ['make', '--no-print-directory', '-C', str(directory), target, f'ARTIFACTS_DIR={artifacts}']
    args += [f'{k}={v}' for k, v in variables.items()]
    done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise RuntimeError(f'{" ".join(args)} failed:\n{done.stderr[-3000:]}')


def build() -> dict[str, Path]:
    """Artifacts by logical id (the layer and every function), rebuilt only when their sources changed."""
    template = cfn.load()
    built: dict[str, Path] = {}
    units: list[tuple[str, Path, dict[str, str]]] = []
    for name, resource in template['Resources'].items():
        properties = resource.get('Properties') or {}
        if resource['Type'] == 'AWS::Serverless::LayerVersion':
            units.append((name, cfn.ROOT / properties['ContentUri'], {'PY_TARGET': PY_TARGET, 'PLATFORMS': PLATFORMS}))
        elif resource['Type'] == 'AWS::Serverless::Function':
            directory = cfn.ROOT / properties['CodeUri']
            # A function with dependencies of its own (the notifier) fetches them like the layer.
            own = {'PY_TARGET': PY_TARGET, 'PLATFORMS': PLATFORMS} if (directory / 'requirements.txt').exists() else {}
            units.append((name, directory, own))
    for name, directory, variables in units:
        artifacts = BUILD_DIR / name
        stamp = BUILD_DIR / f'{name}.stamp'
        sources = (
            _sources(directory) if name != 'DocsFunction' else [*directory.glob('*/app.py'), *directory.glob('docs/*')]
        )
        key = _fingerprint([p for p in sources if p.is_file()]) + json.dumps(variables, sort_keys=True)
        if not (stamp.exists() and stamp.read_text() == key and artifacts.exists()):
            _make(directory, f'build-{name}', artifacts, **variables)
            stamp.write_text(key)
        built[name] = artifacts
    return built


def zipped(directory: Path) -> bytes:
    """A deterministic zip of a directory (sorted, fixed timestamps), as Lambda takes it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in directory.rglob('*') if p.is_file()):
            info = zipfile.ZipInfo(str(path.relative_to(directory)), date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# ---------------------------------------------------------------- the template, packaged


def _long_form(value: Any) -> Any:
    """``!Ref X`` -> ``{"Ref": "X"}``, ``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``, ``!Sub``..."""
    if isinstance(value, cfn.Tagged):
        inner = _long_form(value.value)
        if value.tag == 'Ref':
            return {'Ref': inner}
        if value.tag == 'Condition':
            return {'Condition': inner}
        if value.tag == 'GetAtt' and isinstance(inner, str):
            inner = inner.split('.', 1)
        return {f'Fn::{value.tag}': inner}
    if isinstance(value, dict):
        return {k: _long_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_long_form(v) for v in value]
    return value


def unsupported(template: dict[str, Any]) -> dict[str, str]:
    """Resources ministack's CloudFormation refuses, with why (docs/run-emulated.md). Nothing in
    the template refers to them, so the rest deploys as written."""
    found = {}
    for name, resource in template['Resources'].items():
        if resource['Type'] == 'AWS::CloudWatch::Alarm' and 'Metrics' in resource['Properties']:
            found[name] = 'metric math alarms (Properties.Metrics) are not supported'
        elif resource['Type'].startswith('AWS::WAFv2::'):
            found[name] = 'WAF is not emulated (the web ACL is off unless WafRequestsPerIp is set)'
    return found


def widen_ses_statements(template: dict[str, Any]) -> dict[str, str]:
    """ministack authorizes an SES v2 SendEmail on resource ``*`` and does not resolve the
    ``ses:FromAddress`` condition key (ministack/core/iam_actions.py, iam_evaluator.py), where AWS
    authorizes it on the sender's identity and the configuration set: a statement scoped the AWS
    way is denied there. In the emulated stack only, such a statement gets ``Resource: '*'`` and no
    condition (docs/run-emulated.md); the rest of each policy is enforced as written."""
    widened = {}
    for name, resource in template['Resources'].items():
        if resource['Type'] != 'AWS::Serverless::Function':
            continue
        for policy in resource['Properties'].get('Policies') or []:
            for statement in (policy.get('Statement') or []) if isinstance(policy, dict) else []:
                actions = statement.get('Action')
                actions = [actions] if isinstance(actions, str) else actions or []
                if actions and all(a.startswith('ses:Send') for a in actions):
                    statement['Resource'] = '*'
                    statement.pop('Condition', None)
                    widened[name] = (
                        f'{", ".join(actions)} on * (ministack authorizes sends on *, without ses:FromAddress)'
                    )
    return widened


def packaged_template(locations: dict[str, dict[str, str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """template.yaml with each CodeUri/ContentUri pointing at its S3 object (``sam package``),
    less what the emulator cannot create (returned with the reasons), and the SES statements
    widened as the emulator needs (``widen_ses_statements``)."""
    template = _long_form(cfn.load())
    for name, location in locations.items():
        properties = template['Resources'][name]['Properties']
        key = 'ContentUri' if 'ContentUri' in properties else 'CodeUri'
        properties[key] = location
    left_out = unsupported(template)
    for name in left_out:
        del template['Resources'][name]
    for name, why in widen_ses_statements(template).items():
        print(f'emulated stack: {name} allowed {why}', flush=True)
    return template, left_out


# ---------------------------------------------------------------- deploy


@dataclass
class Deployed:
    endpoint: str
    outputs: dict[str, str]
    api_id: str

    @property
    def url(self) -> str:
        """The stage URL through ministack's path-style execute-api route (any HTTP client)."""
        return f'{self.endpoint}/_aws/execute-api/{self.api_id}/{STAGE}'

    @property
    def browser_url(self) -> str:
        """The stage URL in AWS's host style, ``{api}.execute-api.localhost:{port}/{stage}``:
        pages that link to ``/{stage}/...`` (Swagger UI, ReDoc) work there. Browsers and curl
        resolve ``*.localhost`` to the loopback; Python's resolver does not."""
        port = self.endpoint.rsplit(':', 1)[1]
        return f'http://{self.api_id}.execute-api.localhost:{port}/{STAGE}'


def _client(service: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id='test',
        aws_secret_access_key='test',  # noqa: S106 - ministack's root credentials (AUTH=true)
    )


def deploy(
    endpoint: str, secrets_by_name: dict[str, str], parameters: dict[str, str], timeout: float = 300
) -> Deployed:
    artifacts = build()
    s3 = _client('s3', endpoint)
    s3.create_bucket(Bucket=BUCKET)
    locations = {}
    for name, directory in artifacts.items():
        body = zipped(directory)
        key = f'{name}-{hashlib.sha256(body).hexdigest()[:16]}.zip'
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        locations[name] = {'Bucket': BUCKET, 'Key': key}
    ssm = _client('ssm', endpoint)
    for name, value in secrets_by_name.items():
        kind = 'String' if name.endswith('/jwt-public-keys') else 'SecureString'  # public keys are not secret
        ssm.put_parameter(Name=f'/{name}', Value=value, Type=kind, Overwrite=True)
    cloudformation = _client('cloudformation', endpoint)
    template, left_out = packaged_template(locations)
    for name, why in left_out.items():
        print(f'left out of the emulated stack: {name} ({why})', flush=True)
    # Over 51,200 bytes a template goes by S3 (TemplateURL), as `sam deploy` sends it in AWS.
    body = json.dumps(template).encode()
    key = f'template-{hashlib.sha256(body).hexdigest()[:16]}.json'
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    cloudformation.create_stack(
        StackName=STACK,
        TemplateURL=f'{endpoint}/{BUCKET}/{key}',
        Parameters=[{'ParameterKey': k, 'ParameterValue': v} for k, v in parameters.items()],
        Capabilities=['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'],
    )
    deadline = time.monotonic() + timeout
    while True:
        stack = cloudformation.describe_stacks(StackName=STACK)['Stacks'][0]
        status = stack['StackStatus']
        if status == 'CREATE_COMPLETE':
            break
        if status.endswith('FAILED') or status.startswith('ROLLBACK') or time.monotonic() > deadline:
            failures = [
                f'{e["LogicalResourceId"]}: {e.get("ResourceStatusReason", "")}'
                for e in cloudformation.describe_stack_events(StackName=STACK)['StackEvents']
                if e['ResourceStatus'].endswith('FAILED')
            ]
            raise RuntimeError(f'stack {status}:\n' + '\n'.join(failures))
        time.sleep(1)
    outputs = {o['OutputKey']: o['OutputValue'] for o in stack.get('Outputs', [])}
    resources = cloudformation.describe_stack_resources(StackName=STACK)['StackResources']
    api_id = next(r['PhysicalResourceId'] for r in resources if r['LogicalResourceId'] == 'HotelApi')
    _apply_gateway_responses(endpoint, api_id, template)
    _apply_any_methods(endpoint, api_id, template)
    _client('apigateway', endpoint).create_deployment(restApiId=api_id, stageName=STAGE, description='as declared')
    return Deployed(endpoint, outputs, api_id)


def _apply_gateway_responses(endpoint: str, api_id: str, template: dict[str, Any]) -> None:
    """SAM writes the API's GatewayResponses into the OpenAPI body it generates
    (``x-amazon-apigateway-gateway-responses``), which ministack's import skips: put the same
    declarations through the API Gateway API and redeploy the stage (docs/run-emulated.md)."""
    declared = template['Resources']['HotelApi']['Properties'].get('GatewayResponses') or {}
    apigateway = _client('apigateway', endpoint)
    for response_type, spec in declared.items():
        headers = (spec.get('ResponseParameters') or {}).get('Headers') or {}
        arguments: dict[str, Any] = {
            'restApiId': api_id,
            'responseType': response_type,
            'responseParameters': {f'gatewayresponse.header.{k}': v for k, v in headers.items()},
            'responseTemplates': spec.get('ResponseTemplates') or {},
        }
        if 'StatusCode' in spec:
            arguments['statusCode'] = str(spec['StatusCode'])
        apigateway.put_gateway_response(**arguments)


def _apply_any_methods(endpoint: str, api_id: str, template: dict[str, Any]) -> None:
    """The API's ANY methods (MOCK integrations answering 405 with ``Allow``), which ministack's
    OpenAPI import skips (it imports the usual verbs only): put each through the API Gateway API
    as the import would in AWS (docs/run-emulated.md)."""
    apigateway = _client('apigateway', endpoint)
    resources = {r['path']: r['id'] for r in apigateway.get_resources(restApiId=api_id, limit=500).get('items', [])}
    for path, method in cfn.declared_any_methods(template).items():
        resource = {'restApiId': api_id, 'resourceId': resources[path], 'httpMethod': 'ANY'}
        integration = method['x-amazon-apigateway-integration']
        answer = integration['responses']['default']
        status = answer['statusCode']
        apigateway.put_method(**resource, authorizationType='NONE')
        apigateway.put_method_response(
            **resource, statusCode=status, responseParameters=dict.fromkeys(answer['responseParameters'], False)
        )
        apigateway.put_integration(
            **resource, type=integration['type'].upper(), passthroughBehavior=integration['passthroughBehavior'].upper()
        )
        apigateway.put_integration_response(
            **resource,
            statusCode=status,
            selectionPattern='',
            responseParameters=answer['responseParameters'],
            responseTemplates=answer['responseTemplates'],
        )


def seed_demo(deployed: Deployed, admin_email: str, admin_password: str) -> dict[str, object]:
    """The demo data of `make run`, written into the stack's table with the API's own code."""
    os.environ.update(
        {
            'DYNAMODB_ENDPOINT_URL': deployed.endpoint,
            'TABLE_NAME': deployed.outputs['MainTableName'],
            'IDEMPOTENCY_TABLE_NAME': deployed.outputs['IdempotencyTableName'],
            'AWS_ACCESS_KEY_ID': 'test',
            'AWS_SECRET_ACCESS_KEY': 'test',
            'AWS_DEFAULT_REGION': REGION,
        }
    )
    from local import seed

    return seed.seed(datetime.now(UTC), admin_email, admin_password)


def upload_site(deployed: Deployed) -> str:
    """web/ into the stack's web bucket, as `make web-upload` does; the distribution's URL in
    ministack's host style (``{id}.cloudfront.localhost:{port}``)."""
    from local.web_upload import upload

    if 'WebBucketName' not in deployed.outputs:
        return '-'
    distribution = deployed.outputs['WebDistributionId']
    upload(
        _client('s3', deployed.endpoint),
        _client('cloudfront', deployed.endpoint),
        deployed.outputs['WebBucketName'],
        distribution,
    )
    label = deployed.outputs['WebUrl'].removeprefix('https://').split('.', 1)[0]
    port = deployed.endpoint.rsplit(':', 1)[1]
    return f'http://{label}.cloudfront.localhost:{port}/'


# ---------------------------------------------------------------- run


def main() -> int:
    ministack_port = int(os.environ.get('MINISTACK_PORT') or free_port())
    stripe_port = int(os.environ.get('LOCALSTRIPE_PORT') or free_port())
    admin_email = os.environ.get('ADMIN_EMAIL') or 'admin@example.com'
    admin_password = os.environ.get('ADMIN_PASSWORD') or secrets.token_urlsafe(12)
    stripe_key = f'sk_test_local_{secrets.token_hex(12)}'
    webhook_secret = f'whsec_local_{secrets.token_hex(24)}'
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    started: list[emulators.Emulator] = []
    try:
        t0 = time.monotonic()
        localstripe = emulators.start_localstripe(stripe_port)
        started.append(localstripe)
        # ministack hands its own environment to the function processes it starts: the one way to
        # point the deployed functions at localstripe (the template has no such parameter).
        ministack = emulators.start_ministack(
            ministack_port,
            services='',
            timeout=60,
            inherit_env=False,  # nothing of this shell (AWS credentials...) reaches the functions
            extra_env={
                'LAMBDA_EXECUTOR': 'local',
                # IAM enforced: each function calls AWS with its role's session, checked against
                # the template's policies (least privilege, for real).
                'AUTH': 'true',
                'AWS_ACCESS_KEY_ID': 'test',
                'AWS_SECRET_ACCESS_KEY': 'test',
                'STRIPE_API_BASE': localstripe.url,
                'MINISTACK_HOST': 'localhost',
            },
        )
        started.append(ministack)
        signing_key, public_key = new_signing_key()
        deployed = deploy(
            ministack.url,
            {  # the names the template builds from its Stage
                f'hotel-booking/{STAGE}/jwt-signing-key': signing_key,
                f'hotel-booking/{STAGE}/jwt-public-keys': key_set(public_key),
                f'hotel-booking/{STAGE}/stripe-secret-key': stripe_key,
                f'hotel-booking/{STAGE}/stripe-webhook-secret': webhook_secret,
            },
            {
                'Stage': STAGE,
                'AllowAutoConfirm': 'true',
                'BookingHoldSeconds': os.environ.get('BOOKING_HOLD_SECONDS', '900'),
                # The template's optional sender identity (ministack's SES verifies it at once).
                'SenderEmail': SENDER_EMAIL,
                'CreateSenderIdentity': 'true',
            },
        )
        summary = seed_demo(deployed, admin_email, admin_password)
        emulators.register_localstripe_webhook(localstripe, f'{deployed.url}/api/webhook', webhook_secret)
        site = upload_site(deployed)
        print(
            f'\nHotel booking API deployed into ministack in {time.monotonic() - t0:.1f}s\n'
            f'  API        {deployed.url}/api/health\n'
            f'  Browser    {deployed.browser_url}/api/docs\n'
            f"  Web        {site} (web/ in the stack's bucket, through its CloudFront: docs/run-emulated.md)\n"
            f'  Stack      {STACK} ({ministack.url}, pid {ministack.process.pid})\n'
            f'  Audit      AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test '
            f'make audit ENDPOINT={ministack.url} TABLE={deployed.outputs["MainTableName"]}\n'
            f'  Stripe     {localstripe.url} (localstripe, pid {localstripe.process.pid})\n'
            f'  Admin      {admin_email} / {admin_password} ({summary["admin"]})\n'
            f'  Email      {ministack.url}/_ministack/ses/messages (sent by NotifierFunction from {SENDER_EMAIL})\n'
            'Ctrl-C stops everything.\n'
            f'READY url={deployed.url} browser_url={deployed.browser_url} stripe_url={localstripe.url} web_url={site}',
            flush=True,
        )
        emulators.serve_until_stopped(started, stop)
        return 0
    finally:
        for emulator in reversed(started):
            emulator.stop()
        print('stopped', flush=True)


if __name__ == '__main__':
    sys.exit(main())
