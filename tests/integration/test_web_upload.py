"""make web-upload against moto's S3 and CloudFront: every file of web/ with its type, stale files
removed, the cache invalidated."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from local.web_upload import site_files, upload


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    (tmp_path / 'js').mkdir()
    (tmp_path / 'vendor').mkdir()
    (tmp_path / 'index.html').write_text('<!doctype html>')
    (tmp_path / 'js' / 'app.js').write_text('export {}')
    (tmp_path / 'vendor' / 'preact.js').write_text('export {}')
    (tmp_path / '.DS_Store').write_text('x')
    return tmp_path


def test_the_real_web_folder_is_complete_after_make_install():
    files = site_files()
    assert {
        'index.html',
        'js/app.js',
        'css/site.css',
        'vendor/preact.js',
        'vendor/preact-hooks.js',
        'vendor/htm.js',
    } <= set(files)


@mock_aws
def test_upload_types_every_file_removes_stale_ones_and_invalidates(site_root: Path):
    s3 = boto3.client('s3', region_name='us-east-1')
    cloudfront = boto3.client('cloudfront', region_name='us-east-1')
    s3.create_bucket(Bucket='web')
    s3.put_object(Bucket='web', Key='js/old.js', Body=b'old')
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            'CallerReference': 'test',
            'Comment': '',
            'Enabled': True,
            'Origins': {
                'Quantity': 1,
                'Items': [
                    {'Id': 'web', 'DomainName': 'web.s3.amazonaws.com', 'S3OriginConfig': {'OriginAccessIdentity': ''}}
                ],
            },
            'DefaultCacheBehavior': {
                'TargetOriginId': 'web',
                'ViewerProtocolPolicy': 'redirect-to-https',
                'CachePolicyId': '658327ea-f89d-4fab-a63d-7e88639e58f6',
            },
        }
    )['Distribution']['Id']

    done = upload(s3, cloudfront, 'web', distribution, root=site_root)

    assert done['uploaded'] == 3 and done['deleted'] == 1
    keys = {o['Key'] for o in s3.list_objects_v2(Bucket='web')['Contents']}
    assert keys == {'index.html', 'js/app.js', 'vendor/preact.js'}
    script = s3.head_object(Bucket='web', Key='js/app.js')
    assert script['ContentType'].startswith('text/javascript') and script['CacheControl'] == 'no-cache'
    assert s3.head_object(Bucket='web', Key='index.html')['ContentType'] == 'text/html; charset=utf-8'
    (invalidation,) = cloudfront.list_invalidations(DistributionId=distribution)['InvalidationList']['Items']
    assert invalidation['Id'] == done['invalidation']
