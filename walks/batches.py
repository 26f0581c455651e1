"""Long lists in pieces: `IN (...)` lists and request batches of a bounded size (itertools.batched
arrives in Python 3.12)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def batched(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` values."""
    for start in range(0, len(values), size):
        yield values[start:start + size]
