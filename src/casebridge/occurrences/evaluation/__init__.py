"""``casebridge eval``: quality of the product's retrieval and log parsing against baselines.

Only the ``eval`` command imports this package; it needs the ``eval`` dependency group
(drain3, rank-bm25, numpy), which ``uv sync`` installs in a checkout and the product does not
need. :mod:`.dupdata` reads duplicate-report data sets, :mod:`.duplicates` compares our
similar-case retrieval with BM25, :mod:`.logs` compares the log parser with drain3.
"""
