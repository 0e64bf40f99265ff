"""Copy the web client's third-party browser code from node_modules (npm, pinned by
package-lock.json) into web/vendor, as plain ES modules the browser loads by relative URL.

No bundler: the only changes are preact/hooks' bare ``import ... from "preact"``, rewritten to the
sibling file (a bare specifier needs an import map, an inline script the CSP would refuse), and
uPlot's minified build (22 KiB gzipped; its ES module is not minified: 42 KiB), a script that sets
``var uPlot``, given an ``export default`` so the console's report page can ``import()`` it.
Run by `make install`; web/vendor is not committed.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / 'node_modules'
VENDOR = ROOT / 'web' / 'vendor'
# (package, file in the package, vendored name, {text to replace: replacement})
FILES = (
    ('preact', 'dist/preact.mjs', 'preact.js', {}),
    ('preact', 'hooks/dist/hooks.mjs', 'preact-hooks.js', {'from"preact"': 'from"./preact.js"'}),
    ('htm', 'dist/htm.mjs', 'htm.js', {}),
    ('uplot', 'dist/uPlot.iife.min.js', 'uplot.js', {'}();\n': '}();\nexport default uPlot;\n'}),
    ('uplot', 'dist/uPlot.min.css', 'uplot.css', {}),
)


def vendor() -> list[str]:
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    VENDOR.mkdir(parents=True)
    lines = []
    for package, relative, name, rewrites in FILES:
        text = (MODULES / package / relative).read_text()
        for old, new in rewrites.items():
            if old not in text:  # a new release changed its imports: look before upgrading
                raise SystemExit(f'{package}/{relative}: expected {old!r} to rewrite')
            text = text.replace(old, new)
        if 'from"' in text.replace('from"./', '') or "from '" in text:
            raise SystemExit(f'{package}/{relative}: a bare import is left')
        version = json.loads((MODULES / package / 'package.json').read_text())['version']
        (VENDOR / name).write_text(f'/* {package} {version} ({relative}), vendored by make install */\n{text}')
        lines.append(f'{name}: {package} {version}')
    for package in sorted({f[0] for f in FILES}):
        shutil.copy(MODULES / package / 'LICENSE', VENDOR / f'{package}.LICENSE.txt')
    return lines


if __name__ == '__main__':
    print('\n'.join(vendor()), file=sys.stderr)
