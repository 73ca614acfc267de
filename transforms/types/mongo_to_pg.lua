-- Type rules: MongoDB (BSON) to PostgreSQL.
--
-- Keys are BSON type names as MongoDB's $type spells them ("double", "string",
-- "objectId", ...), matched without case; "mixed" is a field seen with more
-- than one type. Values are expected in canonical text: documents and arrays
-- as relaxed Extended JSON, objectId as 24 hex digits, dates as UTC
-- timestamps, binData as bytes.
--
-- Fields of an entry: type (target type; without it the type is kept), value
-- (int_to_bool | set_to_array | unsigned), zero_date, time_zone, error (the
-- type is refused at plan time). See docs/mappings.md, "Type rules". A
-- pipeline replaces single entries with its own type_rules table, e.g.
--   type_rules = { ["object"] = { type = "json" } }
--
-- Choices made here:
--   * object and array land in jsonb; so does a field of mixed types.
--   * decimal (Decimal128) lands in numeric; NaN and infinity are numeric values.
--   * timestamp (the internal replication type) lands in text, as are the
--     legacy types (regex, javascript, symbol, dbPointer, minKey, maxKey).
--   * undefined and null carry no value: text, always NULL (a table-mode
--     field seen only as null).
-- The file runs once, in the sandbox (no io, os, require or load).
return {
  ["double"] = { type = "double precision" },
  ["string"] = { type = "text" },
  ["object"] = { type = "jsonb" },
  ["array"] = { type = "jsonb" },
  ["bindata"] = { type = "bytea" },
  ["objectid"] = { type = "char(24)" },
  ["bool"] = { type = "boolean" },
  ["date"] = { type = "timestamptz" },
  ["null"] = { type = "text" },
  ["undefined"] = { type = "text" },
  ["int"] = { type = "integer" },
  ["long"] = { type = "bigint" },
  ["decimal"] = { type = "numeric" },
  ["timestamp"] = { type = "text" },
  ["regex"] = { type = "text" },
  ["javascript"] = { type = "text" },
  ["javascriptwithscope"] = { type = "text" },
  ["symbol"] = { type = "text" },
  ["dbpointer"] = { type = "text" },
  ["minkey"] = { type = "text" },
  ["maxkey"] = { type = "text" },
  ["mixed"] = { type = "jsonb" },
  -- not a BSON type: the _update_description column (option update_description)
  ["updatedescription"] = { type = "jsonb" },

  ["*"] = { error = "no type rule for this BSON type" },
}
