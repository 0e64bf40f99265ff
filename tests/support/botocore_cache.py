"""botocore's service models, loaded once per test process instead of once per client.

moto's ``mock_aws`` sets ``boto3.DEFAULT_SESSION`` to None, so every ``boto3.client()`` made
inside a mock (the fixtures' table creation, the idempotency layer's client, the SES and
EventBridge gateways) builds a new botocore session whose loader parses the service's JSON
models again: about 0.1-0.3 s per client, several clients per moto test, a thousand moto tests.

botocore already caches these loads per loader (``instance_cache``) and treats what they return
as read-only; this shares them between loaders with the same search paths. Tests only: a
Lambda container makes its clients once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from botocore import loaders

_CACHED = (
    'list_available_services',
    'determine_latest_version',
    'list_api_versions',
    'load_service_model',
    'load_data_with_path',
)


def _shared(method: Callable[..., Any]) -> Callable[..., Any]:
    results: dict[tuple[Any, ...], Any] = {}

    @functools.wraps(method)
    def load(self: loaders.Loader, *args: Any, **kwargs: Any) -> Any:
        key = (tuple(self.search_paths), tuple(self.extras_types), args, tuple(sorted(kwargs.items())))
        if key not in results:
            results[key] = method(self, *args, **kwargs)
        return results[key]

    load.shared = True  # type: ignore[attr-defined]
    return load


def install() -> None:
    """Idempotent: wraps the loader's cached methods once."""
    for name in _CACHED:
        method = getattr(loaders.Loader, name)
        if not getattr(method, 'shared', False):
            setattr(loaders.Loader, name, _shared(method))
