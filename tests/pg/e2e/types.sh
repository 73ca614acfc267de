#!/usr/bin/env bash
# Type round trip PostgreSQL to PostgreSQL, by full load and by CDC: every
# built-in scalar type, arrays, numeric with 100+ digits and NaN/±Infinity, float
# and timestamp specials, bytea with zero bytes, json/jsonb, uuid, inet/cidr, enum
# and domain types, NULLs, awkward identifiers. Source and target are compared
# value by value (each row as text, under the same session settings).
# COPY_FORMAT=text runs the full load in COPY text; by default (auto) the tables
# whose types allow it move in PostgreSQL's binary form (ABI 1.3 native values).
. "$(dirname "$0")/common.sh"
export PGOPTIONS="-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres -c extra_float_digits=3"

src -f "$(dirname "$0")/../types.sql" > /dev/null
# enum and domain types exist at the target too (sink-pg keeps source type names it can resolve)
tgt -c "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'it''s \"odd\"');
        CREATE DOMAIN posint AS int CHECK (VALUE > 0); CREATE DOMAIN code AS varchar(8)"
FORMAT=${COPY_FORMAT:-auto}
write_pipeline types.lua full-load-and-cdc 'FlushIntervalMs = 50' \
  "schemas = \"public,Mixed Schema\", copy_format = \"$FORMAT\""
"$SLUICE" run types.lua > run.log 2>&1 & pid=$!
BG_PIDS+=("$pid")
for _ in $(seq 300); do grep -q "change capture: streaming" run.log && break; sleep 0.1; done
grep -q "change capture: streaming" run.log || fail "never reached CDC"
same_tables || fail "full load: values differ (see above)"
native=$(sed -n 's/.*full load: \([0-9]*\) of [0-9]* tables move in their native binary form.*/\1/p' run.log)
if [ "$FORMAT" = text ]; then
  [ "$native" = 0 ] || fail "copy_format = \"text\", yet ${native:-?} tables moved in binary form"
else
  [ "${native:-0}" -gt 0 ] || fail "no table moved in binary form (see run.log)"
fi
grep "is loaded as text" run.log || true
pass "full load in $FORMAT form: ${native} tables in binary form"
pass "full load: every value of every type equals the source's ($(awk -F'|' '{s += $2} END {print s}' source.digest) rows in $(wc -l < source.digest) tables)"

# The same values again, now through the change stream (pgoutput's text output).
src -c "INSERT INTO scalars SELECT id + 100000, b, i2, i4, i8, f4, f8, num, num_ps, m, c, vc, t, nm, ch,
          by, d, tm, tmtz, ts, tstz, iv, u, j, jb, x, ip, net, mac, mac8, bt, vb, pt, ln, ls, bx, pa,
          pg, ci, tv, tq, o, lsn, r4, rts, mr, x8, e, pi, cd FROM scalars WHERE id < 10"
src -c "INSERT INTO arrays SELECT id + 100000, ai, at, an, ab, ae, ats, a2, ajb, af, ad, lb FROM arrays"
src -c "UPDATE scalars SET t = t || ' ✓', num = num * 2, jb = jb || '{\"u\": 1}' WHERE id IN (1, 100001)"
src -c "DELETE FROM scalars WHERE id = 100006"
src -c "INSERT INTO \"Mixed Schema\".\"tëst \"\"q\"\" Tab\" VALUES (3, 'c\"d', 'ß', 3)"
src -c "INSERT INTO scalars (id, t) VALUES (999999, 'marker')"
for _ in $(seq 300); do [ "$(tgt -c 'SELECT count(*) FROM scalars WHERE id = 999999')" = 1 ] && break; sleep 0.1; done
kill -TERM "$pid"; wait "$pid" || fail "sluice exited $?"
same_tables || fail "CDC: values differ (see above)"
pass "CDC: inserts, updates and deletes of every type arrive value for value"
finish
