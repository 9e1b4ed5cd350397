import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# The device lock and the on-disk caches of this test session live apart from a real app's (~/.cache/gconv), and
# every server and process the tests start inherits the same folder.
import os  # noqa: E402
import tempfile  # noqa: E402

os.environ.setdefault("GCONV_STATE", tempfile.mkdtemp(prefix="gconv-state-"))

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """AppTest runs a page's script in the test's own context, so a page in zh would leave zh behind: reset it."""
    yield
    from gconv.i18n import use
    use("en")
