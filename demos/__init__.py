"""One module per tab: UI and glue only.

Each tab module exposes `build()`, called once inside its `gr.Tab` by app.py, and `BENCH_CASES`, the
endpoint calls that scripts/bench.py times (compute alone and end to end).
"""

from collections.abc import Callable
from typing import NamedTuple


class BenchCase(NamedTuple):
    label: str  # row name in the benchmark table, e.g. "/estimators (defaults)"
    api_name: str  # "/estimators"
    fn: Callable  # the endpoint function, called directly to time the compute alone
    kwargs: dict  # keyword arguments, the same for the direct call and gradio_client
    floor: str  # which no-op floor it is compared with: "number->plot+table", "number->image", "sketch->image"
