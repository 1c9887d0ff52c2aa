"""Processes that end with the process that started them.

A process killed with SIGKILL cleans nothing up: the processes it started live on unless each
watches for its end. Render workers and the server processes of `prepdeck serve --workers N`
do, with when_ended().
"""

import os
import select
import threading
import time
from collections.abc import Callable


def when_ended(pid: int, then: Callable[[], object], name: str) -> threading.Thread:
    """Call then() on a daemon thread of this process once the process pid has ended."""

    def watch() -> None:
        wait_for_end(pid)
        then()

    thread = threading.Thread(target=watch, name=name, daemon=True)
    thread.start()
    return thread


def wait_for_end(pid: int) -> None:
    """Return once the process pid has ended (at once if it has already)."""
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):  # gone already, or no pidfds here: ask once a second
        while running(pid):
            time.sleep(1)
        return
    try:
        select.select([handle], [], [])  # readable once the process has ended
    finally:
        os.close(handle)


def running(pid: int) -> bool:
    """Return whether a process with this id exists."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or its id now another user's process
        return False
    return True
