"""Run ministack with a listen backlog that absorbs the local gateway's bursts of connections.

Executed by path with the emulators' interpreter (``.venv-emu``), as ``local/emulators.py``
starts it. ministack serves through hypercorn, whose listen backlog is 100: when the gateway's
handlers open more connections than that at once (200 guests arriving together in `make load`),
the connections beyond it are dropped by the kernel and retried by TCP after 1, 3, 7, 15, 31 s,
and those requests stall for as long. The gateway itself listens with a backlog of 1024.
"""

from hypercorn.config import Config

Config.backlog = 1024

from ministack.app import main  # noqa: E402 - after the backlog is set

if __name__ == '__main__':
    main()
