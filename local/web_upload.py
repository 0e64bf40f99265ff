"""`make web-upload STACK=...`: put web/ (with web/vendor from make install) in a deployed stack's
web bucket and invalidate its CloudFront cache.

The bucket and distribution come from the stack's outputs (WebBucketName, WebDistributionId). Every
object gets its content type (module scripts need a JavaScript one) and ``Cache-Control: no-cache``
(the files are not fingerprinted: browsers revalidate, CloudFront keeps them until the
invalidation). Files no longer in web/ are deleted after the upload.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from local.web import CACHE_CONTROL, CONTENT_TYPES, WEB_ROOT


def site_files(root: Path = WEB_ROOT) -> dict[str, Path]:
    """Object key -> file, for every file the site serves (no dotfiles)."""
    files = {}
    for path in sorted(root.rglob('*')):
        relative = path.relative_to(root)
        if path.is_file() and not any(part.startswith('.') for part in relative.parts):
            files[relative.as_posix()] = path
    if 'index.html' not in files or 'vendor/preact.js' not in files:
        raise SystemExit(f'{root} is incomplete: run make install first (it vendors web/vendor)')
    return files


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)['Stacks'][0]
    return {o['OutputKey']: o['OutputValue'] for o in described.get('Outputs', [])}


def upload(s3: Any, cloudfront: Any, bucket: str, distribution_id: str, root: Path = WEB_ROOT) -> dict[str, Any]:
    files = site_files(root)
    for key, path in files.items():
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=CONTENT_TYPES.get(path.suffix, 'application/octet-stream'),
            CacheControl=CACHE_CONTROL,
        )
    stale = []
    for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket):
        stale += [o['Key'] for o in page.get('Contents', []) if o['Key'] not in files]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': k} for k in stale[start : start + 1000]]})
    invalidation = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            'Paths': {'Quantity': 1, 'Items': ['/*']},
            'CallerReference': f'web-upload-{time.time_ns()}',
        },
    )
    return {'uploaded': len(files), 'deleted': len(stale), 'invalidation': invalidation['Invalidation']['Id']}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--stack', required=True, help='the deployed stack (sam deploy), e.g. hotel-booking-dev')
    args = parser.parse_args()
    import boto3

    outputs = stack_outputs(boto3.client('cloudformation'), args.stack)
    if 'WebBucketName' not in outputs:
        raise SystemExit(f'{args.stack} has no web site (deployed with WebSite=false?)')
    done = upload(
        boto3.client('s3'), boto3.client('cloudfront'), outputs['WebBucketName'], outputs['WebDistributionId']
    )
    print(f'{done["uploaded"]} files uploaded, {done["deleted"]} deleted; invalidation {done["invalidation"]}')
    print(f'the site: {outputs["WebUrl"]}')


if __name__ == '__main__':
    main()
