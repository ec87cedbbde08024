"""sparta_core.aws.transfer: the multipart tuning and its setting, the bounded parallel
run (every call ends; the first failure in order is the one raised), progress lines."""

from __future__ import annotations

import threading
import time

import pytest

from sparta_core.aws import transfer
from sparta_core.errors import AwsError, ConfigError


def test_the_default_tuning_and_a_lower_threshold_from_the_environment():
    assert transfer.tuning({}) == transfer.Tuning(16 * 2**20, 8 * 2**20, 8)
    lowered = transfer.tuning({transfer.THRESHOLD_ENV: str(5 * 2**20)})
    assert (lowered.threshold, lowered.chunk) == (5 * 2**20, 5 * 2**20)
    config = lowered.transfer_config()
    assert (config.multipart_threshold, config.max_concurrency) == (5 * 2**20, 8)


@pytest.mark.parametrize("raw", ["lots", "0", "-1", "1.5"])
def test_a_bad_threshold_is_one_line_naming_the_setting(raw):
    with pytest.raises(ConfigError, match=f"{transfer.THRESHOLD_ENV} must be a whole number"):
        transfer.tuning({transfer.THRESHOLD_ENV: raw})


def test_parallel_calls_overlap_but_stay_within_the_limit_and_keep_their_order():
    running, most = 0, 0
    lock = threading.Lock()

    def call(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return n

    assert transfer.run_parallel([lambda n=n: call(n) for n in range(9)], limit=3) == list(
        range(9))
    assert most == 3


def test_the_first_failure_in_order_is_raised_after_every_call_ended():
    ended: list[str] = []

    def fail(name: str, delay: float) -> None:
        time.sleep(delay)
        ended.append(name)
        raise AwsError(f"uploading {name}: NoSuchBucket")

    def succeed() -> str:
        time.sleep(0.1)
        ended.append("ok")
        return "ok"

    calls = [lambda: fail("a.zip", 0.05), succeed, lambda: fail("b.zip", 0.0)]
    with pytest.raises(AwsError) as raised:
        transfer.run_parallel(calls)
    assert str(raised.value) == "uploading a.zip: NoSuchBucket (1 more failed too)"
    assert sorted(ended) == ["a.zip", "b.zip", "ok"]


def test_progress_reports_each_quarter_once_and_leaves_the_end_to_the_caller():
    lines: list[str] = []
    progress = transfer.Progress("code", 8 * 2**20, lines.append)
    for _ in range(16):
        progress(2**19)
    assert lines == [f"  upload code: {p}% of 8.0 MiB" for p in (25, 50, 75)]
