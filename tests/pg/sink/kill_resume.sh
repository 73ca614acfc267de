#!/usr/bin/env bash
# kill -9 at arbitrary moments (during the full load and during CDC), then
# restart: the target converges to the source, and no source transaction is
# committed twice. A trigger on the checkpoint table logs every position the
# sink commits: across all runs that log must be strictly increasing, because
# the data and the position commit together and a restart resumes after the
# last committed one.
. "$(dirname "$0")/common.sh"
make_db kill_resume

sql "CREATE SCHEMA sluice;
     CREATE TABLE sluice.sluice_checkpoint (key text PRIMARY KEY, position bytea NOT NULL,
                                            updated_at timestamptz NOT NULL DEFAULT now());
     CREATE TABLE public.ck_log (seq bigserial PRIMARY KEY, pos bigint NOT NULL);
     CREATE FUNCTION public.log_ck() RETURNS trigger LANGUAGE plpgsql AS \$\$
       BEGIN
         INSERT INTO public.ck_log (pos) VALUES (('x' || encode(NEW.position, 'hex'))::bit(64)::bigint);
         RETURN NEW;
       END \$\$;
     CREATE TRIGGER log_ck AFTER INSERT OR UPDATE ON sluice.sluice_checkpoint
       FOR EACH ROW EXECUTE FUNCTION public.log_ck();"

gen='tables = 4, rows = 60000, txns = 150000, ops_per_txn = 4, history = 10, chunk_rows = 15000'
args=(--tables 4 --rows 60000 --txns 150000 --ops-per-txn 4 --history 10)
write_pipeline kr.lua full-load-and-cdc "$gen" 'max_group_rows = 500' \
  'BatchRows = 200, FullLoadChunkRows = 15000, MaxFullLoadSubTasks = 2, FlushIntervalMs = 5'

phase() { grep -o '"phase": "[a-z-]*"' .sluice/kr/status.json 2>/dev/null | cut -d'"' -f4; }

# The first kills land during the full load; later ones wait until the run is in
# CDC, then strike at a different moment each time.
load_kills=0 cdc_kills=0
for attempt in $(seq 1 25); do
  "$SLUICE" run kr.lua >> run.log 2>&1 &
  pid=$!
  if [ "$attempt" -le 2 ]; then
    for _ in $(seq 1 200); do
      [ "$(phase)" = full-load ] && break
      sleep 0.02
    done
    sleep "0.$(( attempt * 2 ))"
  else
    for _ in $(seq 1 600); do
      [ "$(phase)" = cdc ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    sleep "0.$(( (attempt * 37) % 7 + 1 ))"
  fi
  if kill -0 "$pid" 2>/dev/null; then
    was=$(phase)
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ "$was" = cdc ]; then cdc_kills=$((cdc_kills + 1)); else load_kills=$((load_kills + 1)); fi
  else
    wait "$pid" || { tail -20 run.log; fail "run exited non-zero"; }
    break
  fi
  [ "$cdc_kills" -ge 6 ] && break
done
[ "$load_kills" -ge 1 ] && [ "$cdc_kills" -ge 3 ] ||
  fail "kills: $load_kills during the full load, $cdc_kills during CDC; the test did not exercise resume"
kills="$load_kills during the full load and $cdc_kills during CDC"
"$SLUICE" run kr.lua >> run.log 2>&1 || { tail -20 run.log; fail "final run exited $?"; }
check_target "${args[@]}"
pass "after $kills kill -9s and restarts the target equals the source"

[ "$(checkpoint_txn)" = 150000 ] || fail "checkpoint is txn $(checkpoint_txn), expected 150000"
bad=$(sql "SELECT count(*) FROM (SELECT pos, lag(pos) OVER (ORDER BY seq) AS prev FROM public.ck_log) l
           WHERE pos <= prev")
[ "$bad" = 0 ] || fail "$bad committed checkpoints did not move forward: a transaction was applied twice"
! grep -q "found no row" run.log || fail "a delete or update found no row: a change was applied twice"
commits=$(sql "SELECT count(*) FROM public.ck_log")
pass "$commits commits, every one past the one before: each source transaction committed once"
grep -q "resuming after it" run.log || fail "no run ever resumed CDC after a finished full load"
pass "runs resumed both the full load and the change stream"
finish
