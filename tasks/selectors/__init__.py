"""Read side of tasks, one module per reader:

* ``access``: ``task_access_for`` (the permission rule below) and the visible plans;
* ``schedules``: a plan's reporting periods and deadlines;
* ``_common``: links of tasks and units, collectives expanded, reports by (task, unit, period);
* ``board``: the task board; ``pages``: the task, report and unit pages;
* ``due``: the reports due and awaiting review (the to-do and reminders hook, issue 14);
* ``rows``: the rows of the JSON, CSV and Excel outputs.

Permissions are answered in one place, ``access.task_access_for``; every view, export and data
endpoint asks it. The rule (docs/api.md, "Tasks"):

* a user sees a plan's tasks, reports and attachments if the plan's region is in the user's
  region scope (any role, as for the plan page), or if the user belongs to a unit whose region
  lies in the plan's region (a provincial department, a city government); otherwise the plan is
  a 404;
* only members of a lead unit report for it (drafts are seen by that unit only);
* only a reviewer of the plan's region accepts, returns or reopens reports.
"""
