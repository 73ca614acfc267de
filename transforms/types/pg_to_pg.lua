-- Type rules: PostgreSQL to PostgreSQL.
--
-- Every PostgreSQL type maps to itself: the target column has the source's
-- type as PostgreSQL names it (format_type: "numeric(18,2)", "character
-- varying(40)", "timestamp(3) with time zone", "integer[]", user enums and
-- domains), and values pass untouched, so tables keep the binary COPY path.
--
-- This file returns a table keyed by source type pattern (see docs/mappings.md,
-- "Type rules"). An entry without `type` keeps the source type; "*" is the
-- entry for every type no other entry names. A pipeline replaces single
-- entries with its own type_rules table, e.g.
--   type_rules = { ["money"] = { type = "numeric(19,2)" } }
-- It runs once, in the sandbox (no io, os, require or load).
return {
  ["*"] = {},
}
