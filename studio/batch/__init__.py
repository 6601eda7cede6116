"""Batches: the evidence report of many files, or many generations, in parallel.

``studio batch inspect`` and ``studio batch generate`` (:mod:`studio.batch.cli`), and the window's Batch
panel, run here: files are gathered (:mod:`~studio.batch.inputs`), handed to a pool of worker processes that
survives a worker's crash (:mod:`~studio.batch.pool`) or to Ray actors (:mod:`~studio.batch.raypool`), and
each row is made durable in the results file as it finishes (:mod:`~studio.batch.results`). No Qt here.
"""
