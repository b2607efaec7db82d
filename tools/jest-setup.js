// Jest runs test files in parallel workers on a few shared cores, beside Postgres, Redis and the
// worker processes that tests spawn: one OpenBLAS thread per process keeps them from
// oversubscribing the cores (OpenBLAS threads spin while they wait for work).
process.env.RETORT_BLAS_THREADS ??= '1';
