import sys

import pytest

from juicer.engine import memory


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(memory, "_applied", [])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_task_processes_keep_freed_heap(fresh):
    assert memory.keep_freed_heap() is True
    assert memory.keep_freed_heap() is True  # once per process, the same answer


def test_the_setting_can_be_turned_off(fresh, monkeypatch):
    monkeypatch.setenv("JUICER_KEEP_FREED_HEAP", "0")
    assert memory.keep_freed_heap() is False
