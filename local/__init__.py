"""The local run (never deployed): gateway, emulator launcher, demo seed.

Like Lambda, which puts a layer's ``python/`` on the path, the local run imports the layer's
package (``layers/common``) and the functions from the repository root.
"""

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
for _path in (_ROOT / 'layers' / 'common', _ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
