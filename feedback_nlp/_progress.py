"""Progress reporting for long stages, decoupled from any terminal library.

Library code calls ``with progress.stage("Nettoyage", total=n) as step: step.advance(k)``.
The default reporter is silent; the CLI passes a tqdm bar on a TTY and plain lines
otherwise.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, TextIO


class Step(Protocol):
    def advance(self, n: int = 1) -> None: ...


class Progress(Protocol):
    def stage(self, name: str, total: int | None = None) -> AbstractContextManager[Step]: ...


class _NullStep:
    def advance(self, n: int = 1) -> None:
        return None


class SilentProgress:
    """Reports nothing (library default)."""

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Step]:
        yield _NullStep()


class TimingProgress:
    """Silent, but records the wall time of each stage in ``timings`` (seconds)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Step]:
        start = time.perf_counter()
        try:
            yield _NullStep()
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start


class _LineStep:
    def __init__(self) -> None:
        self.count = 0

    def advance(self, n: int = 1) -> None:
        self.count += n


class _StreamProgress:
    """What the printing reporters share: the stream written to and the stage timings."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.timings: dict[str, float] = {}


class LineProgress(_StreamProgress):
    """One plain line per finished stage (logs, CI, pipes)."""

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Step]:
        start = time.perf_counter()
        step = _LineStep()
        yield step
        elapsed = time.perf_counter() - start
        self.timings[name] = elapsed
        count = step.count or total
        suffix = f" {count:,} éléments".replace(",", " ") if count else ""
        print(f"[feedback-nlp] {name}:{suffix} en {elapsed:.1f} s", file=self.stream, flush=True)


class _BarStep:
    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def advance(self, n: int = 1) -> None:
        self.bar.update(n)


class BarProgress(_StreamProgress):
    """A tqdm bar per stage, with counts and elapsed time (interactive terminals)."""

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Step]:
        from tqdm import tqdm

        start = time.perf_counter()
        bar = tqdm(total=total, desc=name, unit=" él.", file=self.stream, leave=True,
                   bar_format="{desc}: {percentage:3.0f}%|{bar:20}| {n_fmt}/{total_fmt} [{elapsed}]"
                   if total else "{desc}: {n_fmt} [{elapsed}]")
        try:
            yield _BarStep(bar)
            if total and bar.n < total:
                bar.update(total - bar.n)
        finally:
            bar.close()
            self.timings[name] = time.perf_counter() - start


def default_progress(quiet: bool = False, stream: TextIO | None = None) -> Progress:
    """Bars on a TTY, plain lines otherwise, nothing when ``quiet``."""
    if quiet:
        return SilentProgress()
    stream = stream or sys.stderr
    return BarProgress(stream) if stream.isatty() else LineProgress(stream)
