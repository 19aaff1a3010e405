"""Every read-side aggregation of CertTrack, one module per reader; nothing here writes.

- ``values``: the stock grid (RegionValue, ValueGrid), computed or read from the roll-up cells:
  the only code that sums counts
- ``progress``: targets with their progress, milestone paths and forecasts, from a grid
- ``completeness``: who has reported (workflow statuses rolled up the tree), the heatmap rows
- ``entry``: a region-quarter's own counts, its history, the review queue and reporting rate
- ``reports``: what the Excel report and the import template show
- ``dashboards``: everything a region's dashboard shows
- ``plans``: plans in a user's scope, the overview's cards and a plan's page

Import from the module itself (``from indicators.selectors.values import subtree_values``):
nothing is re-exported here.
"""
