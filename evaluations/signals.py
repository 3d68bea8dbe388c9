"""Signals other parts of the portal listen to; sent only after the transaction commits.

``observations_changed`` fires when an import, a rollback or a publication changed outcome
data. Arguments: ``site`` (GranteeSite), ``metric_codes`` (set of str), ``areas`` (set of
str), ``batch`` (UploadBatch or None) and ``action`` ("imported", "rolled_back",
"published"). Analyses connect to it to mark themselves stale.
"""

from django.dispatch import Signal

observations_changed = Signal()
