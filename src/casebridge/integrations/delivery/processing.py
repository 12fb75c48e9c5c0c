"""Where stored deliveries will be processed: the seam, not yet the processing.

``process_pending()`` is a named no-op marker today. Nothing calls it: the worker does not run it,
no door waits for it, and every ``InboundEvent`` stays ``pending`` with its raw body. What it will
do comes with issue 11's typed domain events (WorkItemTransitioned, CaseEscalated, ...) and issue
14's sync on top of them:

* Azure DevOps work item hooks: recognise our own echoes (by revision and the service account),
  map the state change through the connection's mapping and apply it through the workflow engine,
  or record a visible sync conflict with the reasons when the engine refuses it;
* Azure Pipelines, GitHub and generic deployment events: a successful production deployment moves
  the work items of the release to awaiting validation, with environment and version;
* pull requests (Azure Repos, GitHub): link the PR on the items it names (BUG-7, FR-3, IMP-2,
  AB#123), record a peer review from an approving review (policy 5 still applies), and move the
  item on a merge where its workflow says so.

Each will take a batch of pending events (``SKIP LOCKED`` on PostgreSQL), be safe to run twice, and
mark each event done, ignored or failed with its error.
"""

from __future__ import annotations


def process_pending(*, limit: int = 100) -> int:
    """Process up to ``limit`` pending deliveries; returns how many were processed.

    A no-op marker today (returns 0 and touches nothing); see the module docstring.
    """
    del limit
    return 0
