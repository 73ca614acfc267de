/*
 * Finding and running type rule modules (the .lua files of transforms/types), and picking
 * a pipeline's rule set from its plugins' names, its TypeRules setting and its
 * type_rules overrides.
 */
#include "type_rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lua_sandbox.h"
#include "mapping.h"
#include "report.h"

#define RULE_FILE_MAX ((size_t)1 << 20) /* bytes; a rule file is a few KiB */

#ifndef SLUICE_INSTALL_TYPES_DIR
#define SLUICE_INSTALL_TYPES_DIR "/usr/local/share/sluice/transforms/types"
#endif
#ifndef SLUICE_BUILD_TYPES_DIR
#define SLUICE_BUILD_TYPES_DIR "transforms/types"
#endif

static char *read_text(const char *path, size_t *len, sluice_error *err)
{
    FILE *f = fopen(path, "rb");
    char *text = f ? malloc(RULE_FILE_MAX + 1) : NULL;
    if (!f || !text) {
        error_set(err, SLUICE_FATAL, "cannot read type rules %s: %s", path,
                  f ? "out of memory" : strerror(errno));
        if (f)
            fclose(f);
        return NULL;
    }
    *len = fread(text, 1, RULE_FILE_MAX + 1, f);
    fclose(f);
    if (*len > RULE_FILE_MAX) {
        error_set(err, SLUICE_FATAL, "%s: type rule file larger than %zu bytes", path,
                  RULE_FILE_MAX);
        free(text);
        return NULL;
    }
    text[*len] = '\0';
    return text;
}

typedef struct load_ctx {
    const char *path, *text;
    type_rules *rs;
    sluice_error *err;
    int rc;
} load_ctx;

/* Under sandbox_call: (ctx, the returned table). */
static int compile(lua_State *L)
{
    load_ctx *c = lua_touserdata(L, 1);
    c->rc = type_rules_read(L, 2, c->path, c->text, 0, c->rs, c->err);
    return 0;
}

type_rules *type_rules_load_file(const char *path, sluice_error *err)
{
    size_t len;
    char *text = read_text(path, &len, err);
    if (!text)
        return NULL;
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    lua_State *L = dir ? sandbox_new(dir) : NULL;
    type_rules *rs = type_rules_new(slash ? slash + 1 : path);
    load_ctx c = {path, text, rs, err, -1};
    if (!L || !rs) {
        error_set(err, SLUICE_FATAL, "out of memory");
    } else {
        int n = sandbox_run(L, text, len, path, err);
        if (n >= 0 && (n == 0 || !lua_istable(L, -n))) {
            error_set(err, SLUICE_FATAL, "%s: a type rule file must return a table", path);
            error_hint(err, "End it with return { [\"source type\"] = { type = \"target type\" }, ... }.");
        } else if (n > 0 && sandbox_call(L, compile, &c, -n, path, err) != 0) {
            c.rc = -1;
        }
    }
    sandbox_close(L);
    free(dir);
    free(text);
    if (c.rc != 0) {
        type_rules_free(rs);
        return NULL;
    }
    return rs;
}

/* path of module `name` in the search folders; 0 when found. searched lists them. */
static int find_module(const char *name, char *path, size_t size, char *searched, size_t ssize)
{
    const char *env = getenv("SLUICE_TYPE_RULES_PATH");
    char dirs[8192];
    snprintf(dirs, sizeof dirs, "%s%s%s:%s", env ? env : "", env && *env ? ":" : "",
             SLUICE_INSTALL_TYPES_DIR, SLUICE_BUILD_TYPES_DIR);
    snprintf(searched, ssize, "%s", dirs);
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(path, size, "%s/%s.lua", d, name);
        if (access(path, R_OK) == 0)
            return 0;
    }
    return -1;
}

/* "source-mysql" → "mysql"; a path to a plugin keeps its file name only. */
static void engine_of(const char *plugin, const char *prefix, char *out, size_t size)
{
    const char *base = strrchr(plugin, '/');
    base = base ? base + 1 : plugin;
    if (strncmp(base, prefix, strlen(prefix)) == 0)
        base += strlen(prefix);
    size_t n = strcspn(base, ".");
    snprintf(out, size, "%.*s", (int)n, base);
}

static int is_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 4 && strcmp(s + n - 4, ".lua") == 0);
}

int type_rules_for_pipeline(const char *setting, const char *source_plugin,
                            const char *target_plugin, const char *base_dir,
                            const type_rules *overrides, type_rules **out, sluice_error *err)
{
    char path[4096], searched[8192], name[300];
    type_rules *rs = NULL;
    *out = NULL;
    if (setting && strcmp(setting, "none") == 0) {
        /* overrides alone */
    } else if (setting && is_path(setting)) {
        snprintf(path, sizeof path, "%s%s%s", setting[0] == '/' ? "" : base_dir,
                 setting[0] == '/' ? "" : "/", setting);
        if (!(rs = type_rules_load_file(path, err)))
            return -1;
    } else {
        char src[128], tgt[128];
        engine_of(source_plugin ? source_plugin : "", "source-", src, sizeof src);
        engine_of(target_plugin ? target_plugin : "", "sink-", tgt, sizeof tgt);
        snprintf(name, sizeof name, "%s_to_%s", src, tgt);
        if (find_module(setting ? setting : name, path, sizeof path, searched,
                        sizeof searched) == 0) {
            if (!(rs = type_rules_load_file(path, err)))
                return -1;
        } else if (setting) {
            error_set(err, SLUICE_FATAL, "setting TypeRules: no type rule module \"%s\"", setting);
            error_detail(err, "Looked for %s.lua in %s.", setting, searched);
            error_hint(err, "Name a module of transforms/types (pg_to_pg, mysql_to_pg, "
                            "mongo_to_pg), a file path, or \"none\".");
            return -1;
        }
    }
    if (overrides && overrides->n) {
        if (!rs && !(rs = type_rules_new(overrides->name)))
            return error_set(err, SLUICE_FATAL, "out of memory"), -1;
        if (type_rules_merge(rs, overrides) != 0) {
            type_rules_free(rs);
            return error_set(err, SLUICE_FATAL, "out of memory"), -1;
        }
    }
    *out = rs;
    return 0;
}

int type_rules_attach(struct pipeline_config *cfg, const char *setting, const char *source_plugin,
                      const char *target_plugin, sluice_error *err)
{
    const char *slash = strrchr(cfg->path, '/');
    char *dir = slash ? strndup(cfg->path, (size_t)(slash - cfg->path) + (slash == cfg->path))
                      : strdup(".");
    type_rules *rs = NULL;
    int rc = dir ? type_rules_for_pipeline(setting, source_plugin, target_plugin, dir,
                                           cfg->type_rules, &rs, err)
                 : (error_set(err, SLUICE_FATAL, "out of memory"), -1);
    free(dir);
    if (rc != 0)
        return -1;
    type_rules_free(cfg->type_rules);
    cfg->type_rules = rs;
    if (!rs)
        return 0;
    int identity = type_rules_identity(rs);
    report_log(SLUICE_LOG_INFO, "type rules %s: %zu entries%s", rs->name, rs->n,
               identity ? ", every type kept as it is" : "");
    if (identity)
        return 0; /* nothing to plan: tables keep their shape and their binary path */
    if (!cfg->mapping && !(cfg->mapping = mapping_new()))
        return error_set(err, SLUICE_FATAL, "out of memory"), -1;
    cfg->mapping->types = rs;
    return 0;
}
