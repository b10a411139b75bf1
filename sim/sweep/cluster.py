"""Running a sweep's tasks on Dask distributed: a local cluster of processes, or a scheduler.

Each task is one :func:`sim.sweep.runs.play` call with a key of its own (combination and
seed), submitted once; Dask reschedules the tasks of a worker that dies, and each future gives
its result once, so a run is neither lost nor counted twice. A run that raises becomes an error
row; the others go on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sim.errors import BadInputError
from sim.sweep.runs import Task, error_row, play

__all__ = ["run_tasks", "client_for", "default_workers"]

Row = dict[str, Any]


def default_workers() -> int:
    """One worker per core."""
    return os.cpu_count() or 1


@contextmanager
def client_for(*, workers: int | None = None, scheduler: str | None = None,
               processes: bool = True) -> Iterator[Any]:
    """A Dask client: on the scheduler at ``scheduler`` (``tcp://host:port``), or on a local
    cluster of ``workers`` worker processes (one thread each; default one per core), closed
    afterwards. Raises BadInputError if the scheduler cannot be reached."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise BadInputError(f"--scheduler {scheduler}: cannot reach a Dask scheduler "
                                f"there ({exc})") from exc
        try:
            yield client
        finally:
            client.close()
        return
    n = default_workers() if workers is None else workers
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                           dashboard_address=None, silence_logs=logging.ERROR,
                           host="127.0.0.1" if processes else None)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def run_tasks(client: Any, source_text: str, origin: str, tasks: Sequence[Task],
              on_row: Callable[[Row], None], *,
              run: Callable[[str, str, Task], Row] = play) -> int:
    """Run every task on ``client``'s cluster, calling ``on_row`` with each row as its run
    finishes (in any order). Returns how many runs raised (recorded as error rows)."""
    from distributed import as_completed

    text = client.scatter(source_text, broadcast=True) if tasks else source_text
    futures = {client.submit(run, text, origin, task, key=task.key, pure=False): task
               for task in tasks}
    failed = 0
    try:
        for future in as_completed(futures):
            task = futures[future]
            if future.status == "finished":
                row = future.result()
            else:
                failed += 1
                row = error_row(task, future.exception())
            on_row(row)
            future.release()
    finally:
        for future in futures:
            if not future.done():
                future.cancel()
    return failed
