"""Start and stop the local emulators (ministack for AWS, localstripe for Stripe) by PID.

They run from their own virtualenv (``.venv-emu``: ministack pins a botocore of its own) as
child processes bound to 127.0.0.1 on ports we choose, and die with their parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from local.cfn import ROOT

EMULATOR_PYTHON = Path(os.environ.get('EMULATOR_PYTHON', ROOT / '.venv-emu' / 'bin' / 'python'))
LOG_DIR = ROOT / '.local-run'


def _die_with_parent() -> None:
    """Linux: deliver SIGTERM to the child if the parent dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Emulator:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    def stop(self, timeout: float = 5.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)


def _python() -> str:
    if not EMULATOR_PYTHON.exists():
        sys.exit(f'{EMULATOR_PYTHON} not found: run `make emulators` (or `make run`, which installs it)')
    return str(EMULATOR_PYTHON)


_BASE_ENV = ('PATH', 'HOME', 'LANG', 'TMPDIR')


def _spawn(
    name: str, port: int, args: list[str], env: dict[str, str], ready_path: str, timeout: float, inherit: bool = True
) -> Emulator:
    LOG_DIR.mkdir(exist_ok=True)
    log_path = LOG_DIR / f'{name}-{port}.log'
    log = log_path.open('wb')
    process = subprocess.Popen(
        [_python(), *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**(os.environ if inherit else {k: v for k, v in os.environ.items() if k in _BASE_ENV}), **env},
        cwd=LOG_DIR,
        preexec_fn=_die_with_parent,
    )
    emulator = Emulator(name, port, process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'{name} exited with {process.returncode}; see {log_path}')
        try:
            with urllib.request.urlopen(f'{emulator.url}{ready_path}', timeout=1):  # noqa: S310 - our own http URL
                return emulator
        except urllib.error.HTTPError:
            return emulator  # it answers: up
        except OSError:
            time.sleep(0.1)
    emulator.stop()
    raise RuntimeError(f'{name} did not answer on port {port} within {timeout:.0f}s; see {log_path}')


def start_ministack(
    port: int,
    services: str = 'dynamodb,dynamodbstreams,events,sqs,ses',
    timeout: float = 30.0,
    extra_env: dict[str, str] | None = None,
    inherit_env: bool = True,
) -> Emulator:
    """ministack on 127.0.0.1:port; ``services=''`` enables every service. Without ``inherit_env``
    it gets only PATH, HOME, LANG, TMPDIR and ``extra_env`` (its Lambda processes inherit it)."""
    env = {
        'GATEWAY_PORT': str(port),
        'BIND_HOST': '127.0.0.1',
        'SERVICES': services,
        'LOG_LEVEL': 'WARNING',
        'MINISTACK_REGION': 'us-east-1',
        **(extra_env or {}),
    }
    script = str(Path(__file__).resolve().parent / 'ministack_main.py')
    return _spawn('ministack', port, [script], env, '/_ministack/health', timeout, inherit_env)


def start_localstripe(port: int, timeout: float = 30.0) -> Emulator:
    """localstripe on 127.0.0.1:port, from scratch, in memory (see local/localstripe_main.py)."""
    script = str(Path(__file__).resolve().parent / 'localstripe_main.py')
    return _spawn('localstripe', port, [script, '--port', str(port)], {}, '/v1/charges', timeout)


def serve_until_stopped(started: list[Emulator], stop: threading.Event) -> None:
    """Wait until ``stop`` is set (Ctrl-C) or one of the emulators exits, which sets it."""
    while not stop.is_set():
        for emulator in started:
            if emulator.process.poll() is not None:
                print(f'{emulator.name} exited ({emulator.process.returncode}); see {emulator.log_path}', flush=True)
                stop.set()
        stop.wait(0.5)


def port_in_use(port: int, host: str = '127.0.0.1') -> bool:
    """Something already listens there (a default port we must not silently share)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def register_localstripe_webhook(emulator: Emulator, url: str, secret: str, webhook_id: str = 'local') -> None:
    """Make localstripe sign its events with ``secret`` and POST them to ``url``."""
    import urllib.parse

    data = urllib.parse.urlencode({'url': url, 'secret': secret}).encode()
    request = urllib.request.Request(  # noqa: S310 - our own http URL
        f'{emulator.url}/_config/webhooks/{webhook_id}', data=data, method='POST'
    )
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - our own http URL
        pass
