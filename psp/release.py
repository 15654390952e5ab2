"""Which release of the code is running, as a digest of its Python source and templates.

Pages keep HTML and rows in the shared cache under revisions that the database raises
(exact while the data is unchanged); a new release may render or shape them differently.
The cache's key prefix holds this digest (psp.settings), so no release reads what another
one cached. Computed once per process from the files themselves, so nothing has to
remember to change a number.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

# The code that renders or shapes cached entries: every app's Python and the templates.
APPS = ("psp", "standards", "apprentices", "progress", "epa", "reports", "api", "demo")


def code_digest(base: Path) -> str:
    """12 hex digits over the path and content of every .py file of the apps and every
    file under templates/, in a fixed order."""
    files = [path for app in APPS for path in (base / app).rglob("*.py")]
    files += [path for path in (base / "templates").rglob("*") if path.is_file()]
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(base)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]
