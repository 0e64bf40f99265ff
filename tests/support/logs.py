"""Capture what the application and its libraries log, as one stream."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

from common.observability import logger


@contextlib.contextmanager
def captured_logs(libraries_level: int) -> Iterator[io.StringIO]:
    """The application's JSON lines at DEBUG (through powertools' own formatter, with their extra
    keys) and every library logger at ``libraries_level`` and above; levels restored after."""
    stream = io.StringIO()
    app_handler = logging.StreamHandler(stream)
    app_handler.setFormatter(logger.registered_formatter)
    root_handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    app_level, root_level = logger.log_level, root.level
    logger.addHandler(app_handler)
    logger.setLevel('DEBUG')
    root.addHandler(root_handler)
    root.setLevel(libraries_level)
    try:
        yield stream
    finally:
        logger.removeHandler(app_handler)
        logger.setLevel(app_level)
        root.removeHandler(root_handler)
        root.setLevel(root_level)
