import os

import pytest

# Test runs share one local stack and most tests call their cluster "it", so two runs at
# once (two engineers, two CI jobs) would have their applies refuse each other's lock;
# waiting for it serialises them instead. Lock tests set their own value.
os.environ.setdefault("KGITOPS_LOCK_WAIT", "120")


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
    # Tests that stop brokers run last, so that no other test meets a cluster still
    # catching up after the restart.
    items.sort(key=lambda item: item.get_closest_marker("stops_brokers") is not None)
