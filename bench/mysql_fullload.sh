#!/usr/bin/env bash
# bench/mysql_fullload.sh -- MySQL -> PG full load: sluice's source-mysql against
# the `mariadb --batch | psql COPY` limit and pgloader, in the same rounds, on
# the datasets of ../shared/bench (bench/pg_fullload.sh with SOURCE_ENGINE=mysql;
# its knobs apply: ROUNDS, DATASETS, JOBS, SLUICE).
#
# usage: bench/pg_setup.sh; bench/mysql_setup.sh; bench/mysql_fullload.sh
SOURCE_ENGINE=mysql exec bash "$(dirname "$0")/pg_fullload.sh" "$@"
