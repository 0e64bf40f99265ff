"""A new Ed25519 key pair for the API's tokens (common.security), printed, never written to a file.

    python -m local.keys                 # shell exports: JWT_SIGNING_KEY, JWT_PUBLIC_KEYS
    python -m local.keys --kid 2027-03   # with a chosen key id

For a stage in AWS, put the private JWK in the SSM SecureString /hotel-booking/<stage>/jwt-signing-key
and the public key set in /hotel-booking/<stage>/jwt-public-keys (rollover: docs/accounts-and-security.md).
"""

from __future__ import annotations

import argparse
import shlex

from common.security import key_set, new_signing_key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--kid', default=None, help='key id (default: the date and a random tail)')
    args = parser.parse_args(argv)
    private, public = new_signing_key(args.kid)
    print(f'export JWT_SIGNING_KEY={shlex.quote(private)}')
    print(f'export JWT_PUBLIC_KEYS={shlex.quote(key_set(public))}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
