"""The pages and endpoints of the indicators app, one module per page group (see urls.py).

Views parse input, call selectors or services, and render; nothing is computed here.

- ``dashboards``: the overview, a region's dashboard, a plan's page
- ``data``: the JSON and CSV behind every chart (docs/api.md)
- ``entry``: an official's entry form
- ``review``: the review queue and one region-quarter to approve, return or reopen
- ``reports``: the Excel report, the import template, upload → preview → confirm
- ``_common``: request parsing shared by the above
"""
