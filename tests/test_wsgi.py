"""config.wsgi, the module gunicorn serves: what it loads is frozen out of the garbage collector."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_loaded_application_is_frozen_out_of_collections():
    """A full collection then walks only what requests created, not Django and the apps (~70 ms on
    the benchmark machine, with every request queued on the worker waiting)."""
    code = (
        "import gc\n"
        "assert gc.get_freeze_count() == 0\n"
        "import config.wsgi\n"
        "print(gc.get_freeze_count(), len(gc.get_objects()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    frozen, still_tracked = map(int, done.stdout.split())
    assert frozen > 20_000
    assert still_tracked < 1_000
