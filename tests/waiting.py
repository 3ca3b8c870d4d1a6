"""Waiting for something to become true, with a deadline, instead of sleeping a guessed amount.

A fixed sleep is either too short on a busy machine (the test flakes) or too long on an idle one
(the suite crawls). Polling a condition is as fast as the machine allows and fails only at a
generous deadline, saying what never happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], *, seconds: float, every: float = 0.02) -> T | bool:
    """Poll `condition` until it returns something truthy (returned), or False once `seconds` have passed.

    Use as `assert wait_until(lambda: ..., seconds=10), "what never happened"`.
    """
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)
