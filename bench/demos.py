"""Benchmark the demos: cold compute+render and cached serving, as ratios to baselines.

For each demo it prints the median time of a cold render (compute + plot + PNG of parameters
not drawn before, on the figure skeleton that the process keeps for the demo) beside two
bare matplotlib figures of the same size rendered in the same run: one axes with one line
("bare"), and as many axes as the demo draws, each with one line ("grid"); and the median
time to serve the cached PNG through the app beside a static file.

Usage: python bench/demos.py [--demo ID ...] [--repeat N] [--layout wide|narrow] [--clock cpu]

--clock cpu times the process's CPU instead of the wall clock: steadier when other work shares
the machine's cores.
"""

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from app import migrate
from app.config import Settings
from app.figures.cache import draw, one_native_thread
from app.figures.demo import Demo
from app.figures.encode import DPI
from app.figures.layout import LAYOUTS, Layout
from app.figures.registry import demos
from app.figures.style import LIGHT
from app.main import create_app

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def median_seconds(
    action: Callable[[], object], repeat: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Return the median time of repeat runs of action."""
    times = []
    for _ in range(repeat):
        started = clock()
        action()
        times.append(clock() - started)
    return statistics.median(times)


def bare_figure(figsize: tuple[float, float], axes: int = 1) -> bytes:
    """Render a bare figure of this size: `axes` axes side by side, each with one line."""
    figure = Figure(figsize=figsize)
    for ax in figure.subplots(1, axes, squeeze=False)[0]:
        ax.plot(np.linspace(0, 1, 100))
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_figure(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", action="append", help="only these demo ids")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--layout", choices=LAYOUTS, default="wide")
    parser.add_argument("--clock", choices=CLOCKS, default="wall")
    args = parser.parse_args()
    clock = CLOCKS[args.clock]
    one_native_thread()  # renders here run as in a render process
    layout: Layout = args.layout
    selected = {key: demo for key, demo in demos().items() if not args.demo or key in args.demo}
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(data_dir=Path(folder), _env_file=None))
        migrate.upgrade(app.state.engine)
        with TestClient(app) as client:
            static = median_seconds(
                lambda: client.get("/static/favicon.svg"), args.repeat * 5, clock
            )
            print(
                f"{'demo':24} {'axes':>4} {'bare ms':>8} {'grid ms':>8} {'cold ms':>8} "
                f"{'/bare':>6} {'/grid':>6} {'cached ms':>10} {'/static':>8}"
            )
            worst = 0.0
            grid_ratios = []
            for key, demo in selected.items():
                # A process's first render of a demo also builds the skeleton it reuses.
                draw(demo, demo.params(), "png", "light", layout)
                default = demo.figure(demo.compute(demo.params()), LIGHT, layout)
                panels = sum(1 for ax in default.axes if ax.get_label() != "<colorbar>")
                size = demo.panels.size(layout)
                bare_figure(size)  # warm the font cache for this size
                bare = median_seconds(partial(bare_figure, size), args.repeat, clock)
                grid = median_seconds(partial(bare_figure, size, panels), args.repeat, clock)
                seeds = iter(range(1, 10_000))  # a new seed each time: never a cached figure

                def cold_draw(demo: Demo[Any, Any] = demo, seeds: Iterator[int] = seeds) -> object:
                    return draw(demo, demo.params(seed=next(seeds)), "png", "light", layout)

                cold = median_seconds(cold_draw, args.repeat, clock)
                url = f"/api/v1/demos/{key}.png?layout={layout}"
                client.get(url)
                cached = median_seconds(partial(client.get, url), args.repeat * 5, clock)
                worst = max(worst, cold / bare)
                grid_ratios.append(cold / grid)
                print(
                    f"{key:24} {panels:4d} {bare * 1000:8.1f} {grid * 1000:8.1f} "
                    f"{cold * 1000:8.1f} {cold / bare:6.2f} {cold / grid:6.2f} "
                    f"{cached * 1000:10.2f} {cached / static:8.2f}"
                )
            print(
                f"static file {static * 1000:.2f} ms; worst cold/bare {worst:.2f}, "
                f"cold/grid median {statistics.median(grid_ratios):.2f}, worst {max(grid_ratios):.2f}"
            )


if __name__ == "__main__":
    main()
