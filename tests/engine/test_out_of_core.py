"""A Parquet dataset about 3x larger than the memory the process may use gives the same
results as in memory (PartitionedLog.from_parquet routes rows to partitions on disk).

The child process limits its address space with ``resource.setrlimit(RLIMIT_AS)`` to
its size after start-up plus ``ALLOWED``; the columns of the dataset take about 3x that
in memory. The same limit makes the in-memory path fail, which shows the limit bites.
Arrow uses the system allocator and glibc a fixed mmap threshold in the child, so freed
memory goes back to the OS and the address space measures what is really held.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
resource = pytest.importorskip("resource")

ROWS = 13_000_000
ALLOWED_MB = 70
BYTES_PER_ROW = 8 + 1 + 8  # entity int64, stage int8, ts int64

CHILD = r"""
import json, resource, sys
mode, path, allowed = sys.argv[1], sys.argv[2], int(sys.argv[3])
import pyarrow as pa, pyarrow.dataset, pyarrow.parquet as pq
import salesfunnel as sf
from salesfunnel import metrics

def size():
    for line in open("/proc/self/status"):
        if line.startswith("VmSize"):
            return int(line.split()[1]) * 1024

f = sf.Funnel("f", [sf.Stage("a"), sf.Stage("b"), sf.Stage("c"), sf.Stage("won", kind="won")])
pa.set_io_thread_count(1); pa.set_cpu_count(1)
pyarrow.dataset.dataset(path, format="parquet").count_rows()  # start Arrow's threads first
limit = size() + allowed * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

def results(log):
    return [metrics.conversion(log, workers=1).to_dict(),
            metrics.conversion(log, semantic="entered", workers=1).to_dict(),
            metrics.timing(log, workers=1).to_dict(),
            metrics.pipeline(log, workers=1).to_dict()]

try:
    if mode == "parquet":
        with sf.PartitionedLog.from_parquet(f, path, unit="ns", parts=96,
                                            batch_rows=65_536) as plog:
            out = results(plog)
    else:
        out = results(sf.EventLog.from_arrow(f, pq.read_table(path), unit="ns"))
except MemoryError:
    sys.exit(3)
print(json.dumps(out))
"""


def _write(directory: Path) -> None:
    rng = np.random.default_rng(11)
    files = 6
    per = ROWS // files
    for i in range(files):
        day = rng.integers(18_000, 19_000, per) * 86_400 + rng.integers(0, 24, per) * 3600
        pq.write_table(pa.table({"entity": rng.integers(0, ROWS // 4, per),
                                 "stage": rng.integers(0, 4, per).astype(np.int8),
                                 "ts": day * 10**9}),
                       directory / f"part-{i}.parquet", row_group_size=131_072)


def _child(mode: str, path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARROW_DEFAULT_MEMORY_POOL": "system", "SALESFUNNEL_WORKERS": "1",
           "MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_ARENA_MAX": "1",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-c", CHILD, mode, str(path), str(ALLOWED_MB)],
                          capture_output=True, text=True, env=env, timeout=600, check=False)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_dataset_three_times_the_allowed_memory_gives_the_in_memory_result(
        tmp_path: Path) -> None:
    import salesfunnel as sf
    from salesfunnel import metrics

    assert ROWS * BYTES_PER_ROW >= 2.9 * ALLOWED_MB * 2**20
    _write(tmp_path)
    f = sf.Funnel("f", [sf.Stage("a"), sf.Stage("b"), sf.Stage("c"),
                        sf.Stage("won", kind="won")])
    log = sf.EventLog.from_arrow(f, pq.read_table(tmp_path), unit="ns")
    expected = json.loads(json.dumps([
        metrics.conversion(log, workers=1).to_dict(),
        metrics.conversion(log, semantic="entered", workers=1).to_dict(),
        metrics.timing(log, workers=1).to_dict(),
        metrics.pipeline(log, workers=1).to_dict()]))
    del log
    bounded = _child("parquet", tmp_path)
    assert bounded.returncode == 0, bounded.stderr[-2000:]
    assert json.loads(bounded.stdout) == expected
    unbounded = _child("memory", tmp_path)
    assert unbounded.returncode == 3, "the limit should be too small for the in-memory path"


