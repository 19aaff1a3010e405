"""The stock cells' change applied in SQL on PostgreSQL (register.stocks keeps the rule).

The sweeps of ``register.stocks`` put their events (region, type key, quarter number, ±
certificates, ± organizations) into a temporary table; :func:`apply_events` then, in a few
statements and without a row or a JSON document travelling to Python: adds the events up to
every ancestor (summed over regions), cumulates them over the quarters (a stock at a quarter
end is the sum of the events up to it, never a sum over time), adds that change to the stored
cells it touches (totals, and the ``by_type`` / ``by_group`` documents merged key by key), and
writes back only those cells; a cell whose stock falls to 0 is deleted, as it was never stored.
SQLite (a province's register) merges the same events in Python (``register.stocks._apply``).
"""

from __future__ import annotations

_EVENTS = "register_stock_events"
_DELTA = "register_stock_delta"
_CELLS = "register_stock_changed"

_CREATE = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {_EVENTS} (
  r bigint, kt bigint, kg text, k int, dc int, dorg int
) ON COMMIT DROP
"""

# The changed cells: the events rolled up and cumulated (``delta``: kind 0 the total, 1 a type
# by code, 2 a group), joined to the stored cell they change (if any); a cell's new documents
# are the stored ones without the changed keys, plus those keys' new values where not 0.
_DELTA_SQL = f"""
CREATE TEMPORARY TABLE {_DELTA} ON COMMIT DROP AS
WITH ev AS (
  SELECT r, kt, kg, k, SUM(dc)::int AS dc, SUM(dorg)::int AS dorg FROM {_EVENTS}
  GROUP BY r, kt, kg, k HAVING SUM(dc) <> 0 OR SUM(dorg) <> 0
), anc AS (
  SELECT DISTINCT x.id AS r, a.id AS a
  FROM regions_region x
  CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM x.path), '/')) AS p(code)
  JOIN regions_region a ON a.code = p.code
  WHERE x.id IN (SELECT DISTINCT r FROM ev)
), up AS (
  SELECT anc.a AS r, ev.kt, ev.kg, ev.k, SUM(ev.dc)::int AS dc, SUM(ev.dorg)::int AS dorg
  FROM ev JOIN anc ON anc.r = ev.r GROUP BY anc.a, ev.kt, ev.kg, ev.k
), run AS (
  SELECT r, kt, kg, k, SUM(dc) OVER w AS c, SUM(dorg) OVER w AS o,
         LEAD(k) OVER (PARTITION BY r, kt, kg ORDER BY k) AS next
  FROM up WINDOW w AS (PARTITION BY r, kt, kg ORDER BY k ROWS UNBOUNDED PRECEDING)
)
SELECT run.r, q.q,
  CASE WHEN run.kt IS NOT NULL THEN 1 WHEN run.kg <> '' THEN 2 ELSE 0 END AS kind,
  COALESCE(ty.code, run.kg) AS key, run.c, run.o
FROM run CROSS JOIN LATERAL generate_series(run.k, run.next - 1) AS q(q)
LEFT JOIN register_certificationtype ty ON ty.id = run.kt
WHERE run.next IS NOT NULL AND (run.c <> 0 OR run.o <> 0)
"""


def _merged(old: str, change: str) -> str:
    """SQL: the document ``old`` ({code: [certificates, organizations]}) with the entries of
    ``change`` added key by key, a key whose sum is [0, 0] left out."""
    return f"""((COALESCE({old}, '{{}}') - ARRAY(SELECT jsonb_object_keys({change})))
  || COALESCE((
    SELECT jsonb_object_agg(e.key, jsonb_build_array(x.c, x.o))
    FROM jsonb_each({change}) AS e CROSS JOIN LATERAL (
      SELECT COALESCE(({old} -> e.key ->> 0)::bigint, 0) + (e.value ->> 0)::bigint AS c,
             COALESCE(({old} -> e.key ->> 1)::bigint, 0) + (e.value ->> 1)::bigint AS o
    ) AS x WHERE x.c <> 0 OR x.o <> 0), '{{}}'))"""


# Per changed cell, its change in one row (the documents' entries as small documents), then
# joined to the stored cell: the delta table is analyzed first (its size is only known once it
# is filled; a wrong guess made the planner sort every stored cell to join it).
_CHANGED = f"""
CREATE TEMPORARY TABLE {_CELLS} ON COMMIT DROP AS
WITH per AS (
  SELECT r, q,
    COALESCE(SUM(c) FILTER (WHERE kind = 0), 0) AS dc,
    COALESCE(SUM(o) FILTER (WHERE kind = 0), 0) AS dorg,
    COALESCE(jsonb_object_agg(key, jsonb_build_array(c, o)) FILTER (WHERE kind = 1), '{{}}')
      AS dt,
    COALESCE(jsonb_object_agg(key, jsonb_build_array(c, o)) FILTER (WHERE kind = 2), '{{}}')
      AS dg
  FROM {_DELTA} GROUP BY r, q
)
SELECT p.r, p.q, s.id,
  COALESCE(s.certificates, 0) + p.dc AS certificates,
  COALESCE(s.organizations, 0) + p.dorg AS organizations,
  {_merged("s.by_type", "p.dt")} AS by_type,
  {_merged("s.by_group", "p.dg")} AS by_group
FROM per p LEFT JOIN register_registerstock s
  ON s.region_id = p.r AND s.year = p.q / 4 AND s.quarter = p.q % 4 + 1
"""

_UPDATE = f"""
UPDATE register_registerstock s
SET certificates = n.certificates, organizations = n.organizations,
    by_type = n.by_type, by_group = n.by_group
FROM {_CELLS} n WHERE s.id = n.id AND (n.certificates <> 0 OR n.organizations <> 0)
"""

_DELETE = f"""
DELETE FROM register_registerstock s USING {_CELLS} n
WHERE s.id = n.id AND n.certificates = 0 AND n.organizations = 0
"""

_INSERT = f"""
INSERT INTO register_registerstock
  (region_id, year, quarter, certificates, organizations, by_type, by_group)
SELECT r, q / 4, q % 4 + 1, certificates, organizations, by_type, by_group FROM {_CELLS}
WHERE id IS NULL AND (certificates <> 0 OR organizations <> 0)
"""


def start(connection) -> None:
    """An empty event table for this transaction (dropped at its end)."""
    with connection.cursor() as cursor:
        cursor.execute(_CREATE)
        cursor.execute(f"TRUNCATE {_EVENTS}")
        # the sweep's and the roll-up's sorts and hashes in memory, for this transaction
        cursor.execute("SET LOCAL work_mem = '64MB'")


def add_events(cursor, sweep_sql: str, params: list, sign: int) -> None:
    """The rows of a sweep (region, type id, group, quarter number, certificates,
    organizations) into the event table, multiplied by ``sign``."""
    cursor.execute(
        f"INSERT INTO {_EVENTS} (r, kt, kg, k, dc, dorg) "
        f"SELECT r, kt, kg, k, {int(sign)} * dc, {int(sign)} * dorg "
        f"FROM ({sweep_sql}) AS sweep(r, kt, kg, k, dc, dorg)",
        params,
    )


def apply_events(connection) -> None:
    """Add the events to the stored cells (see the module's docstring), then empty the table."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_DELTA}, {_CELLS}")
        cursor.execute(_DELTA_SQL)
        cursor.execute(f"ANALYZE {_DELTA}")
        cursor.execute(_CHANGED)
        cursor.execute(_UPDATE)
        cursor.execute(_DELETE)
        cursor.execute(_INSERT)
        cursor.execute(f"DROP TABLE {_DELTA}, {_CELLS}")
        cursor.execute(f"TRUNCATE {_EVENTS}")
