"""The occurrence index and its ranking (no Django models here; the models are the app's).

* :mod:`.text`: text analysis shared by the index and the query (terms, trace signatures).
* :mod:`.profiles`: what is stored per case for re-ranking (:class:`~.profiles.CaseProfile`).
* :mod:`.search`: the full-text side, one implementation per database vendor, and the
  budgets of the candidate queries.
* :mod:`.ranking`: features, weights and the re-ranking of candidates into occurrences.

The reads (``occurrences.selectors``) and the writes (``occurrences.services.index``) use them.
"""
