"""when_ended() acts once a process has ended, however it ended."""

import os
import signal
import subprocess
import sys
import threading

import pytest

from app.lifelines import running, wait_for_end, when_ended


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])


@pytest.mark.parametrize("pidfds", [True, False], ids=["pidfd", "polling"])
def test_then_runs_once_the_process_is_killed(
    monkeypatch: pytest.MonkeyPatch, pidfds: bool
) -> None:
    if not pidfds:
        monkeypatch.delattr(os, "pidfd_open")
    child = _sleeper()
    ended = threading.Event()
    thread = when_ended(child.pid, ended.set, name="test-watch")
    assert thread.daemon
    assert not ended.wait(0.3)  # still running: nothing happens
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert ended.wait(30)


def test_a_process_that_has_ended_is_waited_for_at_once() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not running(child.pid)
    wait_for_end(child.pid)  # returns: nothing to wait for


def test_this_process_is_running() -> None:
    assert running(os.getpid())
