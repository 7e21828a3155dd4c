#!/bin/bash
# The PostgreSQL schema beside the CSV (docs/FORMAT.md "PostgreSQL"), against
# a real PostgreSQL server: `psql -f <gen>/schema.pg.sql`, then per table
# `\copy "t" FROM '<gen>/<dir>/<dir>.csv' (FORMAT csv, HEADER)` from the
# mount, loads an awkward database (every storage class and declared type,
# NULL vs '', blobs with NULs, +-2^63, -0.0, +-Infinity, 5e-324, text with
# commas, quotes, CR, LF and \., columns mixing classes, WITHOUT ROWID,
# composite and NULL-holding keys, indexes of every kind, generated columns,
# STRICT, an FTS5 table, odd names) with every value equal to the
# source's, read by Python's sqlite3 and compared per PostgreSQL type
# (integers exact, reals bit for bit, bytea bytes, text bytes, NULL apart
# from ''), and with the types, keys and indexes the rules give.  A table
# whose text PostgreSQL cannot hold (NUL, invalid UTF-8) fails to load, as
# its comment says.  Each table's own schema.pg.sql loads alone too.
. "$(dirname "$0")/lib.sh"
INITDB=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n1) # the newest
[ -x "$INITDB" ] || skip "PostgreSQL server binaries missing (/usr/lib/postgresql/*/bin/initdb)"
PGBIN=$(dirname "$INITDB")
require_bins

R=$T/repo M=$T/mnt DB=$T/src.db PGCHECK=$ROOT/tests/pgcheck.py
"$PY" "$PGCHECK" make "$DB" || fail "building the source database"
"$STRATA" init "$R" >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z >/dev/null || fail "backup"
mount_fs "$R" "$M"
G=$M/latest
[ -f "$G/schema.pg.sql" ] || fail "the mount serves no $G/schema.pg.sql"
# the same bytes through strata cat
"$STRATA" cat "$R" latest/schema.pg.sql >"$T/cat.pg.sql" || fail "strata cat latest/schema.pg.sql"
cmp -s "$T/cat.pg.sql" "$G/schema.pg.sql" || fail "strata cat and the mount differ on schema.pg.sql"
"$STRATA" cat "$R" latest/vals/schema.pg.sql | cmp -s - "$G/vals/schema.pg.sql" ||
    fail "strata cat and the mount differ on vals/schema.pg.sql"
# what cannot load says so, naming the column
grep -q '^-- "badtext": column "t" holds text with NUL or invalid UTF-8' "$G/schema.pg.sql" ||
    fail "schema.pg.sql does not say that badtext.t cannot load"

# a server of our own: a cluster in $T (run by the postgres user if we are
# root: PostgreSQL refuses root), on a free loopback port; stopped on every
# way out (lib.sh's at_exit runs first)
PGD=$T/pgdata
mkdir -m 700 "$PGD"
if [ "$(id -u)" = 0 ]; then
    chmod 755 "$T" && chown postgres: "$PGD"
    pgrun() { runuser -u postgres -- "$@"; }
else
    pgrun() { "$@"; }
fi
pgrun "$PGBIN/initdb" -D "$PGD" -A trust -U postgres -E UTF8 --no-locale --no-sync >"$T/initdb.log" 2>&1 ||
    fail "initdb: $(tail -n5 "$T/initdb.log")"
pg_stop() {
    [ -f "$PGD/postmaster.pid" ] && pgrun "$PGBIN/pg_ctl" -D "$PGD" -m immediate stop >/dev/null 2>&1
    return 0
}
at_exit pg_stop
started=0
for _ in 1 2 3; do # a port found free may be taken before the server binds it
    PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if pgrun "$PGBIN/pg_ctl" -D "$PGD" -l "$PGD/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$PGD -c fsync=off" start >/dev/null; then
        started=1
        break
    fi
done
[ $started = 1 ] || fail "PostgreSQL did not start: $(tail -n5 "$PGD/server.log")"
unset PGDATABASE PGOPTIONS PGSERVICE PGSERVICEFILE PGPASSFILE PGSSLMODE
export PATH="$PGBIN:$PATH" PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGCLIENTENCODING=UTF8
note "PostgreSQL $("$PGBIN/postgres" -V | awk '{print $3}') on port $PORT"

"$PY" "$PGCHECK" check "$DB" "$G" || fail "the whole generation's schema.pg.sql and CSVs"
"$PY" "$PGCHECK" check-each "$DB" "$G" || fail "a table's own schema.pg.sql and CSV"
echo ok
