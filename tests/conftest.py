"""Make the checkout importable as ``ansible_collections.hybridops.platform`` for the pytest suites.

scripts/lab-deps.sh links the checkout as .cache/collections/ansible_collections/hybridops/platform; when that link
is missing (a fresh clone), an equivalent one is made in a temporary directory.
"""

import os
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _collections_root():
    cached = ROOT / ".cache" / "collections"
    if (cached / "ansible_collections" / "hybridops" / "platform" / "galaxy.yml").exists():
        return cached
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="hybridops-collections-"))
    (tmp / "ansible_collections" / "hybridops").mkdir(parents=True)
    os.symlink(ROOT, tmp / "ansible_collections" / "hybridops" / "platform")
    return tmp


COLLECTIONS_ROOT = _collections_root()
if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))
