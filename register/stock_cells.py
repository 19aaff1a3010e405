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
_CELLS = "register_stock_changed"

_CREATE = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {_EVENTS} (
  r bigint, kt bigint, kg text, k int, dc bigint, dorg bigint
) ON COMMIT DROP
"""

# The changed cells, recomputed whole: the events rolled up and cumulated (``delta``), plus
# the stored cells they touch exploded into (kind, key, certificates, organizations) entries
# (kind 0 the total, 1 a type by code, 2 a group), summed per key and folded back.
_CHANGED = f"""
CREATE TEMPORARY TABLE {_CELLS} ON COMMIT DROP AS
WITH ev AS (
  SELECT r, kt, kg, k, SUM(dc) AS dc, SUM(dorg) AS dorg FROM {_EVENTS}
  GROUP BY r, kt, kg, k HAVING SUM(dc) <> 0 OR SUM(dorg) <> 0
), anc AS (
  SELECT DISTINCT x.id AS r, a.id AS a
  FROM regions_region x
  CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM x.path), '/')) AS p(code)
  JOIN regions_region a ON a.code = p.code
  WHERE x.id IN (SELECT DISTINCT r FROM ev)
), up AS (
  SELECT anc.a AS r, ev.kt, ev.kg, ev.k, SUM(ev.dc) AS dc, SUM(ev.dorg) AS dorg
  FROM ev JOIN anc ON anc.r = ev.r GROUP BY anc.a, ev.kt, ev.kg, ev.k
), run AS (
  SELECT r, kt, kg, k, SUM(dc) OVER w AS c, SUM(dorg) OVER w AS o,
         LEAD(k) OVER (PARTITION BY r, kt, kg ORDER BY k) AS next
  FROM up WINDOW w AS (PARTITION BY r, kt, kg ORDER BY k ROWS UNBOUNDED PRECEDING)
), delta AS (
  SELECT run.r, q.q,
         CASE WHEN run.kt IS NOT NULL THEN 1 WHEN run.kg <> '' THEN 2 ELSE 0 END AS kind,
         COALESCE(ty.code, run.kg) AS key, run.c, run.o
  FROM run CROSS JOIN LATERAL generate_series(run.k, run.next - 1) AS q(q)
  LEFT JOIN register_certificationtype ty ON ty.id = run.kt
  WHERE run.next IS NOT NULL AND (run.c <> 0 OR run.o <> 0)
), cells AS (
  SELECT DISTINCT r, q FROM delta
), old AS (
  SELECT cells.r, cells.q, s.certificates, s.organizations, s.by_type, s.by_group
  FROM cells JOIN register_registerstock s
    ON s.region_id = cells.r AND s.year = cells.q / 4 AND s.quarter = cells.q % 4 + 1
), merged AS (
  SELECT r, q, kind, key, SUM(c) AS c, SUM(o) AS o FROM (
    SELECT r, q, kind, key, c, o FROM delta
    UNION ALL SELECT r, q, 0, '', certificates, organizations FROM old
    UNION ALL SELECT r, q, 1, e.key, (e.value ->> 0)::bigint, (e.value ->> 1)::bigint
      FROM old CROSS JOIN LATERAL jsonb_each(old.by_type) AS e
    UNION ALL SELECT r, q, 2, e.key, (e.value ->> 0)::bigint, (e.value ->> 1)::bigint
      FROM old CROSS JOIN LATERAL jsonb_each(old.by_group) AS e
  ) entries GROUP BY r, q, kind, key
)
SELECT r, q,
  COALESCE(SUM(c) FILTER (WHERE kind = 0), 0) AS certificates,
  COALESCE(SUM(o) FILTER (WHERE kind = 0), 0) AS organizations,
  COALESCE(jsonb_object_agg(key, jsonb_build_array(c, o))
    FILTER (WHERE kind = 1 AND (c <> 0 OR o <> 0)), '{{}}'::jsonb) AS by_type,
  COALESCE(jsonb_object_agg(key, jsonb_build_array(c, o))
    FILTER (WHERE kind = 2 AND (c <> 0 OR o <> 0)), '{{}}'::jsonb) AS by_group
FROM merged GROUP BY r, q
"""

_DELETE = f"""
DELETE FROM register_registerstock s USING {_CELLS} n
WHERE s.region_id = n.r AND s.year = n.q / 4 AND s.quarter = n.q % 4 + 1
"""

_INSERT = f"""
INSERT INTO register_registerstock
  (region_id, year, quarter, certificates, organizations, by_type, by_group)
SELECT r, q / 4, q % 4 + 1, certificates, organizations, by_type, by_group FROM {_CELLS}
WHERE certificates <> 0 OR organizations <> 0
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
        cursor.execute(f"DROP TABLE IF EXISTS {_CELLS}")
        cursor.execute(_CHANGED)
        cursor.execute(_DELETE)
        cursor.execute(_INSERT)
        cursor.execute(f"DROP TABLE {_CELLS}")
        cursor.execute(f"TRUNCATE {_EVENTS}")
