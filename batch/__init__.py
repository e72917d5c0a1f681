"""`psigraph batch`: idempotent clip rendering on a concurrent.futures executor (process pool or Dask)."""
