"""Every write to quarterly counts, one module per area of the workflow; each service is atomic.

- ``counts``: an official saves a region-quarter (draft or submitted) and submits it
- ``review``: a reviewer approves, returns or reopens a submitted region-quarter
- ``imports``: an Excel import applied set-wise, all or nothing
- ``validation``: the pure rules every write shares (whole numbers, organizations ≤
  certificates, change warnings, open quarter, versions seen: StaleWrite)
- ``_common``: private helpers of the above (locked counts, version bump, audit events)

Import from the module itself (``from indicators.services.counts import counts_save``): nothing
is re-exported here.
"""
