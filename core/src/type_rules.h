/*
 * Type rules: how source type names become target type names, and which
 * value policy (value_policy.h) their values go through. A rule set is a Lua
 * module in transforms/types/<source>_to_<target>.lua returning a table keyed
 * by source type pattern ("varchar({n})" captures n); the pipeline's
 * type_rules table replaces single entries. Rule files run once, in the
 * sandbox, and are compiled into the structures below; rows never see Lua.
 */
#ifndef SLUICE_TYPE_RULES_H
#define SLUICE_TYPE_RULES_H

#include <stddef.h>

#include <lua.h>
#include <sluice/sluice.h>

#include "value_policy.h"

#define TYPE_RULES_MAX_CAPTURES 4
#define TYPE_RULES_CAPTURE_MAX 32 /* bytes of one captured parameter */

typedef struct type_rule {
    char *key;          /* the source pattern, normalized ("decimal({p},{s}) unsigned") */
    char *type;         /* the target type, with {name} for captures; NULL keeps the source's */
    char *error;        /* the type is refused with this text (a plan-time error) */
    char *zero_value;   /* zero_date = "<a date>" */
    tz_zone *zone;      /* time_zone */
    value_policy policy; /* convert, zero_date, zero_value, zone (max_chars is per column) */
    char *where;        /* "mysql_to_pg.lua:42", for messages */
    int literal;        /* characters of the key outside captures: more is more specific */
    int captures;
} type_rule;

typedef struct type_rules {
    char *name;         /* "mysql_to_pg.lua", or the pipeline file for overrides alone */
    type_rule *rules;
    size_t n;
} type_rules;

type_rules *type_rules_new(const char *name);
void type_rules_free(type_rules *rs);

/*
 * Reads the Lua table at idx (key = pattern, value = { type = ..., value = ...,
 * zero_date = ..., time_zone = ..., error = ... }) into rs, replacing entries
 * with the same key. text is the file's text (NULL when not at hand): errors
 * name the line of the key there, else `line`. 0, or -1 with err filled
 * ("path:line: type rule \"...\": ...").
 */
int type_rules_read(lua_State *L, int idx, const char *path, const char *text, int line,
                    type_rules *rs, sluice_error *err);

/* Runs a rule file in a fresh sandbox and compiles what it returns. NULL with err. */
type_rules *type_rules_load_file(const char *path, sluice_error *err);

/* Copies every entry of over into rs (same key: over's wins). 0 or -1 (memory). */
int type_rules_merge(type_rules *rs, const type_rules *over);

/* 1 when no rule changes a type, runs a policy or refuses a type (pg_to_pg). */
int type_rules_identity(const type_rules *rs);

/* Lower case, one space between words, none around "(", "," and ")", no
   "zerofill" (display only). Returns out. */
char *type_rules_normalize(const char *type, size_t len, char *out, size_t size);

/* The rule for a source type name and its captures (by capture order); NULL
   when none applies. Order: exact key, then the most literal pattern, then
   the name without its parameters ("tinyint(4) unsigned" → "tinyint unsigned"),
   then "*". */
const type_rule *type_rules_match(const type_rules *rs, const char *source_type,
                                  char captures[][TYPE_RULES_CAPTURE_MAX]);

/* The target type name of a rule for those captures; 0 or -1 when it does not fit. */
int type_rules_substitute(const type_rule *r, char captures[][TYPE_RULES_CAPTURE_MAX],
                          char *out, size_t size);

/*
 * The plan hook: column k of target came from source column `from`; when a
 * rule applies, the column gets the rule's type (source_type = the target
 * type name, canonical type from it) and *policy the rule's value policy;
 * *untouched is cleared when values may change. rs NULL: nothing happens.
 * 0, or -1 with err naming the rule, table and column.
 */
int type_rules_column(const type_rules *rs, const sluice_table *t, const sluice_column *from,
                      sluice_table *target, uint32_t k, value_policy *policy, int *untouched,
                      sluice_error *err);

/*
 * The rule set of a pipeline: the module `setting` names (TypeRules: a name
 * searched for, or a path with a "/" or ".lua", relative to base_dir; "none"
 * for no module), else <source>_to_<target> from the plugin names
 * ("source-mysql" → "mysql", "sink-pg" → "pg") when such a module exists;
 * then `overrides` (may be NULL) on top. *out is NULL when there is neither.
 * 0, or -1 with err.
 */
int type_rules_for_pipeline(const char *setting, const char *source_plugin,
                            const char *target_plugin, const char *base_dir,
                            const type_rules *overrides, type_rules **out, sluice_error *err);

/*
 * Loads the pipeline's rule set (type_rules_for_pipeline, modules searched in
 * $SLUICE_TYPE_RULES_PATH, the install dir, then the source tree's
 * transforms/types) into cfg->type_rules, merged over the file's type_rules.
 * When it changes anything, the mapping (made when there is none) plans every
 * table with it. 0, or -1 with err.
 */
struct pipeline_config;
int type_rules_attach(struct pipeline_config *cfg, const char *setting, const char *source_plugin,
                      const char *target_plugin, sluice_error *err);

#endif
