-- Type rules: MySQL 8 / MariaDB to PostgreSQL.
--
-- Keys are source types as MySQL's information_schema.COLUMNS.COLUMN_TYPE
-- spells them ("tinyint(1)", "int(11) unsigned", "decimal(18,2)",
-- "enum('a','b')"), matched without case and with "zerofill" ignored. A key
-- may capture integer parameters as {name} and use them in `type`:
--   ["varchar({n})"] = { type = "varchar({n})" }
-- Lookup order: the exact key, then the most specific {name} pattern, then the
-- name without its parameters ("int(11) unsigned" finds "int unsigned",
-- "enum('a','b')" finds "enum"), then "*".
--
-- Fields of an entry (all optional):
--   type       target type as PostgreSQL spells it; without it the type is kept
--   value      int_to_bool | set_to_array | unsigned   (run in C, per value)
--   zero_date  "null" | "error" | a date written instead ("1970-01-01 00:00:00")
--              for 0000-00-00 and partial zero dates (2020-00-15)
--   time_zone  a zone-less timestamp is local time there and gets its offset
--   error      the type is refused at plan time with this text
-- Every varchar(n)/char(n) target refuses a longer value (a row error that
-- fails the table): sluice never truncates.
--
-- Choices made here (override single entries in the pipeline's type_rules):
--   * tinyint(1) is MySQL's boolean: 0/1 become false/true, any other value is
--     a row error (map it to smallint to keep every value).
--   * unsigned types move to the next larger signed type; bigint unsigned to
--     numeric(20,0).
--   * zero dates become NULL, as AWS DMS does (a NOT NULL target column then
--     refuses the row, visibly).
--   * TIMESTAMP values are read with the session time zone UTC and land in
--     timestamptz; DATETIME has no zone and lands in timestamp.
--   * TIME lands in time: a value outside 00:00..24:00 (MySQL allows
--     -838:59:59..838:59:59) is refused by the target; use interval for those.
--   * ENUM lands in text (for a PostgreSQL enum type, create it and name it with
--     a change-data-type rule); SET lands in text[].
--   * BIT(n) lands in bit(n) (values as n binary digits).
--   * Spatial types are refused: PostGIS is not assumed. Map them yourself,
--     e.g. ["geometry"] = { type = "bytea" } keeps MySQL's internal bytes.
-- The file runs once, in the sandbox (no io, os, require or load).
local zero = "null"
local spatial = "spatial types have no PostgreSQL type without PostGIS"

return {
  -- integers
  ["tinyint(1)"] = { type = "boolean", value = "int_to_bool" },
  ["tinyint(1) unsigned"] = { type = "boolean", value = "int_to_bool" },
  ["tinyint"] = { type = "smallint" },
  ["tinyint unsigned"] = { type = "smallint" },
  ["smallint"] = { type = "smallint" },
  ["smallint unsigned"] = { type = "integer" },
  ["mediumint"] = { type = "integer" },
  ["mediumint unsigned"] = { type = "integer" },
  ["int"] = { type = "integer" },
  ["int unsigned"] = { type = "bigint" },
  ["integer"] = { type = "integer" },
  ["integer unsigned"] = { type = "bigint" },
  ["bigint"] = { type = "bigint" },
  ["bigint unsigned"] = { type = "numeric(20,0)", value = "unsigned" },

  -- exact and approximate numbers
  ["decimal({p},{s})"] = { type = "numeric({p},{s})" },
  ["decimal({p},{s}) unsigned"] = { type = "numeric({p},{s})" },
  ["decimal({p})"] = { type = "numeric({p},0)" },
  ["decimal"] = { type = "numeric" },
  ["decimal unsigned"] = { type = "numeric" },
  ["numeric({p},{s})"] = { type = "numeric({p},{s})" },
  ["float"] = { type = "real" },
  ["float unsigned"] = { type = "real" },
  ["double"] = { type = "double precision" },
  ["double unsigned"] = { type = "double precision" },
  ["real"] = { type = "double precision" },
  ["bit({n})"] = { type = "bit({n})" },
  ["bit"] = { type = "bit(1)" },
  ["year"] = { type = "smallint" },

  -- text
  ["char({n})"] = { type = "char({n})" },
  ["char"] = { type = "char(1)" },
  ["varchar({n})"] = { type = "varchar({n})" },
  ["tinytext"] = { type = "text" },
  ["text"] = { type = "text" },
  ["mediumtext"] = { type = "text" },
  ["longtext"] = { type = "text" },
  ["enum"] = { type = "text" },
  ["set"] = { type = "text[]", value = "set_to_array" },
  ["json"] = { type = "jsonb" },

  -- bytes
  ["binary({n})"] = { type = "bytea" },
  ["binary"] = { type = "bytea" },
  ["varbinary({n})"] = { type = "bytea" },
  ["tinyblob"] = { type = "bytea" },
  ["blob"] = { type = "bytea" },
  ["mediumblob"] = { type = "bytea" },
  ["longblob"] = { type = "bytea" },

  -- dates and times
  ["date"] = { type = "date", zero_date = zero },
  ["datetime"] = { type = "timestamp", zero_date = zero },
  ["datetime({fsp})"] = { type = "timestamp({fsp})", zero_date = zero },
  ["timestamp"] = { type = "timestamptz", zero_date = zero, time_zone = "UTC" },
  ["timestamp({fsp})"] = { type = "timestamptz({fsp})", zero_date = zero, time_zone = "UTC" },
  ["time"] = { type = "time" },
  ["time({fsp})"] = { type = "time({fsp})" },

  -- MariaDB
  ["uuid"] = { type = "uuid" },
  ["inet4"] = { type = "inet" },
  ["inet6"] = { type = "inet" },

  -- spatial
  ["geometry"] = { error = spatial },
  ["point"] = { error = spatial },
  ["linestring"] = { error = spatial },
  ["polygon"] = { error = spatial },
  ["multipoint"] = { error = spatial },
  ["multilinestring"] = { error = spatial },
  ["multipolygon"] = { error = spatial },
  ["geometrycollection"] = { error = spatial },
  ["geomcollection"] = { error = spatial },

  ["*"] = { error = "no type rule for this MySQL type" },
}
