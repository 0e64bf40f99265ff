"""Run localstripe bound to 127.0.0.1 only, with its store kept in memory.

Executed by path with the emulators' interpreter (``.venv-emu``), as ``local/emulators.py``
starts it. localstripe's own entry point binds every interface and pickles its whole store to
/tmp/localstripe.pickle on every write (slow, and shared by every localstripe on the machine):
neither is wanted for tests or a local run, which always start from scratch.
"""

import argparse
import logging

from aiohttp import web
from localstripe import resources, server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--host', default='127.0.0.1')
    args = parser.parse_args()
    resources.Store.dump_to_disk = lambda self: None  # in memory only
    access = logging.getLogger('aiohttp.access')
    access.setLevel(logging.INFO)
    access.addHandler(logging.StreamHandler())
    # A backlog like the gateway's (aiohttp's default is 128): bursts of connections are not dropped.
    web.run_app(server.app, host=args.host, port=args.port, access_log=access, print=None, backlog=1024)


if __name__ == '__main__':
    main()
