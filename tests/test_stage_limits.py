"""Resource limits: a stuck or dead worker process stops the analysis with one clear line."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from feedback_nlp.config import AnalysisConfig
from feedback_nlp.distributed import wait_result
from feedback_nlp.errors import ConfigError, StageError


def _pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def test_a_task_past_its_time_limit_is_stopped_not_waited_for() -> None:
    pool = _pool()
    future = pool.submit(time.sleep, 60)
    start = time.perf_counter()
    with pytest.raises(StageError, match=r"rows 0-9 ran for more than 1 s") as info:
        wait_result(future, pool, 1.0, "rows 0-9")
    assert time.perf_counter() - start < 30
    message = str(info.value)
    assert message.startswith("[E502]") and "worker_timeout" in message and "\n" not in message
    assert info.value.exit_code != 0


def test_a_dead_worker_is_a_clear_error() -> None:
    pool = _pool()
    future = pool.submit(os._exit, 1)
    with pytest.raises(StageError, match="worker process died while processing chunk 3"):
        wait_result(future, pool, 60.0, "chunk 3")


def test_a_finished_task_returns_its_result() -> None:
    with _pool() as pool:
        assert wait_result(pool.submit(pow, 2, 10), pool, 60.0, "rows 0-1") == 1024


def test_limits_are_validated() -> None:
    assert AnalysisConfig().worker_timeout == 1800.0
    assert AnalysisConfig(worker_timeout=None).worker_timeout is None
    with pytest.raises(ConfigError, match="worker_timeout"):
        AnalysisConfig(worker_timeout=0)
    with pytest.raises(ConfigError, match="n_jobs"):
        AnalysisConfig(n_jobs=0)
