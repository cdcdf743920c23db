"""collector_paused: the cyclic collector off while long-lived objects are built, back on
afterwards with those objects frozen (kgitops/collector.py)."""
from __future__ import annotations

import gc

from kgitops.collector import collector_paused


def test_the_collector_is_on_again_after_a_pause_and_what_survived_it_is_frozen() -> None:
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    with collector_paused():
        assert not gc.isenabled()
        kept = [[n] for n in range(1000)]  # lists: always tracked (a dict of atoms is not)
    assert all(gc.is_tracked(item) for item in kept)
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(kept)


def test_an_inner_pause_leaves_the_collector_off_until_the_outer_one_ends() -> None:
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    try:
        frozen_before = gc.get_freeze_count()
        with collector_paused():
            kept = [{"n": n} for n in range(100)]
        assert not gc.isenabled()
        assert gc.get_freeze_count() == frozen_before  # the outer owner of the pause decides
        assert len(kept) == 100
    finally:
        gc.enable()
