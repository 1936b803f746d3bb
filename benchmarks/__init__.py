"""Benchmarks for sancha (not part of the test suite). See docs/performance.md."""

import os

# openpyxl (the generator) and pandas import numpy, whose OpenBLAS starts a thread that spins for
# a while after it starts: on a 2-core machine it takes CPU from sancha's two busy processes
# (≈ 3 % of the samples of a profiled run here). sancha never imports numpy, and reading (raw,
# pandas) does no linear algebra: one BLAS thread, none spinning beside the measurement.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
