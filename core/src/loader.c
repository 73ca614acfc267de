/*
 * The plugin loader. Order of checks (PostgreSQL's dfmgr.c is the model):
 *   1. dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE): missing libraries and symbols fail here,
 *      not in the middle of a migration, and one plugin's symbols never resolve
 *      another's.
 *   2. sluice_plugin_abi(): the magic string, then the major version alone (the
 *      rest of the block may mean something else in another major), then sizes.
 *   3. sluice_plugin_init(host_api()): the descriptor, the option table and the
 *      vtable, each by its own header; then the required callbacks.
 * Each struct is copied, min(plugin size, core size) bytes, into a zeroed struct
 * of the core's size, so members the plugin did not know about read as NULL and
 * members the core does not know about are ignored.
 */
#include "loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host.h"
#include "report.h"

/* Bytes a struct needs to hold `member` and everything before it. */
#define END_OF(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

/* The smallest size ABI 1.0 allows for each struct: the end of its last 1.0 member. */
#define MIN_ABI_BLOCK END_OF(sluice_abi_block, magic)
#define MIN_PLUGIN END_OF(sluice_plugin, vtable)
#define MIN_OPTIONS END_OF(sluice_options, config_size)
#define MIN_OPTION END_OF(sluice_option, offset)
#define MIN_SOURCE_VT END_OF(sluice_source_vtable, position_parse)
#define MIN_SINK_VT END_OF(sluice_sink_vtable, flush)
#define MIN_TRANSFORM_VT END_OF(sluice_transform_vtable, map_batch)

#define REBUILD_HINT "Rebuild the plugin against the headers of this sluice release."
#define ENTRY_POINT_HINT                                                              \
    "Add SLUICE_PLUGIN_ABI_DEFINE() and a sluice_plugin_init() function to the "     \
    "plugin's source and rebuild it (see docs/plugin-abi.md), or check that the path " \
    "names a sluice plugin."

const char *plugin_kind_name(uint32_t kind)
{
    switch (kind) {
    case SLUICE_KIND_SOURCE: return "source";
    case SLUICE_KIND_SINK: return "sink";
    case SLUICE_KIND_TRANSFORM: return "transform";
    }
    return "unknown";
}

/* The pipeline section a plugin of this kind belongs in, for hints. */
static const char *kind_section(uint32_t kind)
{
    switch (kind) {
    case SLUICE_KIND_SOURCE: return "source";
    case SLUICE_KIND_SINK: return "target";
    case SLUICE_KIND_TRANSFORM: return "transforms";
    }
    return "?";
}

/* Returns the plugin's own element. Every sluice_option member is 1.0, so each
   element holds them all; a minor that appends one must make this copy instead. */
const sluice_option *plugin_option(const loaded_plugin *p, uint32_t i)
{
    if (p == NULL || i >= p->options.count || p->options.options == NULL)
        return NULL;
    /* option_size, not sizeof: the plugin's elements may be larger than ours. */
    return (const sluice_option *)((const char *)p->options.options +
                                   (size_t)i * p->options.option_size);
}

/* ---- the search path ---- */

static int path_has(char **dirs, size_t n, const char *dir)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(dirs[i], dir) == 0)
            return 1;
    return 0;
}

/* Appends each non-empty, not yet listed component of a colon-separated list. */
static void path_add_list(char ***dirs, size_t *n, size_t *cap, const char *list)
{
    if (list == NULL)
        return;
    const char *s = list;
    while (*s) {
        const char *colon = strchr(s, ':');
        size_t len = colon ? (size_t)(colon - s) : strlen(s);
        if (len > 0) {
            char *dir = strndup(s, len);
            if (dir && !path_has(*dirs, *n, dir)) {
                if (*n + 1 >= *cap) {
                    size_t ncap = *cap * 2;
                    char **grown = realloc(*dirs, ncap * sizeof *grown);
                    if (grown == NULL) {
                        free(dir);
                        return;
                    }
                    *dirs = grown;
                    *cap = ncap;
                }
                (*dirs)[(*n)++] = dir;
                (*dirs)[*n] = NULL;
            } else {
                free(dir);
            }
        }
        s += len;
        if (*s == ':')
            s++;
    }
}

char **loader_search_path(const char *setting_path)
{
    size_t n = 0, cap = 8;
    char **dirs = calloc(cap, sizeof *dirs);
    if (dirs == NULL)
        return NULL;
    path_add_list(&dirs, &n, &cap, setting_path);
    path_add_list(&dirs, &n, &cap, getenv("SLUICE_PLUGIN_PATH"));
    path_add_list(&dirs, &n, &cap, SLUICE_INSTALL_PLUGIN_DIR);
    path_add_list(&dirs, &n, &cap, SLUICE_BUILD_PLUGIN_DIR);
    return dirs;
}

void loader_free_path(char **dirs)
{
    if (dirs == NULL)
        return;
    for (char **d = dirs; *d; d++)
        free(*d);
    free(dirs);
}

/* ---- refusals ---- */

/* Every refusal is fatal: the pipeline cannot run without its plugins. */
#define refuse(err, ...) error_set((err), SLUICE_FATAL, __VA_ARGS__)

static void refuse_major(sluice_error *err, const char *path, const char *what,
                         const sluice_header *h)
{
    refuse(err, "incompatible plugin \"%s\": ABI version mismatch", path);
    error_detail(err, "sluice provides plugin ABI %d.x; %s was built for ABI %u.%u.",
                 SLUICE_ABI_MAJOR, what, (unsigned)h->major, (unsigned)h->minor);
    error_hint(err, REBUILD_HINT);
}

static void refuse_small(sluice_error *err, const char *path, const char *what,
                         const char *type, uint32_t size, size_t min)
{
    refuse(err, "incompatible plugin \"%s\": its %s is smaller than ABI 1.0 allows", path, what);
    error_detail(err, "Its %s is %u bytes; ABI 1.0 needs at least %zu bytes.", type,
                 (unsigned)size, min);
    error_hint(err, REBUILD_HINT);
}

/* Checks a struct header: same major, at least the 1.0 size. */
static int check_header(const sluice_header *h, const char *path, const char *what,
                        const char *type, size_t min, sluice_error *err)
{
    char whose[64];
    snprintf(whose, sizeof whose, "the plugin's %s", what);
    if (h->major != SLUICE_ABI_MAJOR) {
        refuse_major(err, path, whose, h);
        return -1;
    }
    if (h->size < min) {
        refuse_small(err, path, what, type, h->size, min);
        return -1;
    }
    return 0;
}

static void refuse_not_plugin(sluice_error *err, const char *path, const char *detail)
{
    refuse(err, "file \"%s\" is not a sluice plugin", path);
    error_detail(err, "%s", detail);
    error_hint(err, ENTRY_POINT_HINT);
}

/* ---- the checks, in order ---- */

static void *find_function(void *handle, const char *symbol)
{
    dlerror();
    return dlsym(handle, symbol);
}

static int check_abi_block(loaded_plugin *p, sluice_error *err)
{
    sluice_plugin_abi_fn abi_fn;
    *(void **)&abi_fn = find_function(p->handle, SLUICE_PLUGIN_ABI_SYMBOL);
    if (abi_fn == NULL) {
        refuse_not_plugin(err, p->path, "It does not export the function sluice_plugin_abi().");
        return -1;
    }
    const sluice_abi_block *block = abi_fn();
    if (block == NULL) {
        refuse_not_plugin(err, p->path, "Its function sluice_plugin_abi() returned NULL.");
        return -1;
    }
    /* Header and magic keep their place in every major, so they are safe to read. */
    if (strncmp(block->magic, SLUICE_ABI_MAGIC, sizeof block->magic) != 0) {
        refuse_not_plugin(err, p->path,
                          "The block its sluice_plugin_abi() returns does not carry the "
                          "magic string \"" SLUICE_ABI_MAGIC "\".");
        return -1;
    }
    if (block->header.major != SLUICE_ABI_MAJOR) {
        refuse_major(err, p->path, "the plugin", &block->header);
        return -1;
    }
    if (block->header.size < MIN_ABI_BLOCK) {
        refuse_small(err, p->path, "ABI block", "sluice_abi_block", block->header.size,
                     MIN_ABI_BLOCK);
        return -1;
    }
    size_t n = block->header.size < sizeof p->abi ? block->header.size : sizeof p->abi;
    memcpy(&p->abi, block, n);
    return 0;
}

static const sluice_plugin *call_init(loaded_plugin *p, sluice_error *err)
{
    sluice_plugin_init_fn init_fn;
    *(void **)&init_fn = find_function(p->handle, SLUICE_PLUGIN_INIT_SYMBOL);
    if (init_fn == NULL) {
        refuse_not_plugin(err, p->path, "It does not export the function sluice_plugin_init().");
        return NULL;
    }
    const sluice_plugin *desc = init_fn(host_api());
    if (desc == NULL) {
        refuse(err, "could not initialize plugin \"%s\"", p->path);
        error_detail(err, "Its function sluice_plugin_init() returned NULL.");
        error_hint(err, "sluice_plugin_init() has to return the plugin's descriptor, a "
                        "static sluice_plugin; a plugin that cannot run here should log why.");
        return NULL;
    }
    return desc;
}

static int check_descriptor(loaded_plugin *p, const sluice_plugin *desc, sluice_error *err)
{
    if (check_header(&desc->header, p->path, "descriptor", "sluice_plugin", MIN_PLUGIN, err))
        return -1;
    size_t n = desc->header.size < sizeof p->info ? desc->header.size : sizeof p->info;
    memcpy(&p->info, desc, n);

    const char *problem = NULL;
    if (p->info.kind < SLUICE_KIND_SOURCE || p->info.kind > SLUICE_KIND_TRANSFORM)
        problem = "its kind is not SLUICE_KIND_SOURCE, SLUICE_KIND_SINK or SLUICE_KIND_TRANSFORM";
    else if (p->info.name == NULL || p->info.name[0] == '\0')
        problem = "it has no name";
    else if (p->info.vtable == NULL)
        problem = "it has no vtable";
    if (problem) {
        refuse(err, "invalid plugin \"%s\": %s", p->path, problem);
        error_detail(err, "sluice_plugin_init() returned a descriptor that sluice cannot use.");
        error_hint(err, "Fill in kind, name and vtable of the plugin's sluice_plugin.");
        return -1;
    }
    /* Optional strings read as empty rather than NULL everywhere they are printed. */
    if (p->info.version == NULL)
        p->info.version = "";
    if (p->info.description == NULL)
        p->info.description = "";
    return 0;
}

static int check_kind(const loaded_plugin *p, sluice_kind want, sluice_error *err)
{
    if (want == 0 || p->info.kind == (uint32_t)want)
        return 0;
    const char *is = plugin_kind_name(p->info.kind);
    refuse(err, "plugin \"%s\" is a %s, not a %s", p->info.name, is, plugin_kind_name(want));
    error_detail(err, "It was loaded from file \"%s\".", p->path);
    error_hint(err, "A %s plugin belongs in the pipeline's %s section; name a %s plugin here.",
               is, kind_section(p->info.kind), plugin_kind_name(want));
    return -1;
}

/* Bytes an option of this type takes in the config struct; 0 for an unknown type. */
static size_t option_type_size(uint32_t type)
{
    switch (type) {
    case SLUICE_OPTION_STRING: return sizeof(const char *);
    case SLUICE_OPTION_INT: return sizeof(int64_t);
    case SLUICE_OPTION_BOOL: return sizeof(int);
    case SLUICE_OPTION_DOUBLE: return sizeof(double);
    }
    return 0;
}

/* The core writes option values into the plugin's config struct: check every slot. */
static int check_option(const loaded_plugin *p, uint32_t i, sluice_error *err)
{
    const sluice_option *o = plugin_option(p, i);
    size_t tsize = option_type_size(o->type);
    if (o->name == NULL || o->name[0] == '\0') {
        refuse(err, "invalid plugin \"%s\": option %u has no name", p->path, (unsigned)i);
    } else if (tsize == 0) {
        refuse(err, "invalid plugin \"%s\": option \"%s\" has unknown type %u", p->path,
               o->name, (unsigned)o->type);
    } else if (o->offset > p->options.config_size ||
               p->options.config_size - o->offset < tsize) {
        refuse(err, "invalid plugin \"%s\": option \"%s\" lies outside its config struct",
               p->path, o->name);
        error_detail(err, "The option's offset is %zu and its value takes %zu bytes; the "
                          "config struct is %zu bytes.",
                     o->offset, tsize, p->options.config_size);
    } else {
        return 0;
    }
    error_hint(err, "Fix the plugin's sluice_option array and rebuild it.");
    return -1;
}

static int check_options(loaded_plugin *p, sluice_error *err)
{
    const sluice_options *opts = p->info.options;
    if (opts == NULL) {
        /* No options: an empty table of the core's own shape. */
        p->options.header = (sluice_header)SLUICE_HEADER_INIT(sluice_options);
        p->options.option_size = sizeof(sluice_option);
        return 0;
    }
    if (check_header(&opts->header, p->path, "option table", "sluice_options", MIN_OPTIONS,
                     err))
        return -1;
    size_t n = opts->header.size < sizeof p->options ? opts->header.size : sizeof p->options;
    memcpy(&p->options, opts, n);
    if (p->options.count == 0)
        return 0;
    if (p->options.options == NULL) {
        refuse(err, "invalid plugin \"%s\": its option table has no options array", p->path);
        error_detail(err, "The table declares %u options but its options member is NULL.",
                     (unsigned)p->options.count);
        error_hint(err, "Fix the plugin's sluice_options and rebuild it.");
        return -1;
    }
    if (p->options.option_size < MIN_OPTION) {
        refuse_small(err, p->path, "option array element", "sluice_option",
                     p->options.option_size, MIN_OPTION);
        return -1;
    }
    for (uint32_t i = 0; i < p->options.count; i++)
        if (check_option(p, i, err))
            return -1;
    return 0;
}

/* The vtable's type name and 1.0 minimum size, and the core's size, by kind. */
static void vtable_sizes(uint32_t kind, const char **type, size_t *min, size_t *core)
{
    switch (kind) {
    case SLUICE_KIND_SOURCE:
        *type = "sluice_source_vtable", *min = MIN_SOURCE_VT, *core = sizeof(sluice_source_vtable);
        break;
    case SLUICE_KIND_SINK:
        *type = "sluice_sink_vtable", *min = MIN_SINK_VT, *core = sizeof(sluice_sink_vtable);
        break;
    default:
        *type = "sluice_transform_vtable", *min = MIN_TRANSFORM_VT,
        *core = sizeof(sluice_transform_vtable);
        break;
    }
}

static int check_vtable_header(loaded_plugin *p, sluice_error *err)
{
    const sluice_header *h = p->info.vtable;
    const char *type;
    size_t min, core;
    char what[32];
    vtable_sizes(p->info.kind, &type, &min, &core);
    snprintf(what, sizeof what, "%s vtable", plugin_kind_name(p->info.kind));
    if (check_header(h, p->path, what, type, min, err))
        return -1;
    memcpy(&p->vt, p->info.vtable, h->size < core ? h->size : core);
    return 0;
}

/* The first required callback the vtable leaves NULL, or NULL when all are set. */
static const char *missing_callback(const loaded_plugin *p)
{
#define REQUIRE(vt, member) \
    if ((vt).member == NULL) \
        return #member;
    switch (p->info.kind) {
    case SLUICE_KIND_SOURCE:
        REQUIRE(p->vt.source, open) REQUIRE(p->vt.source, close)
        REQUIRE(p->vt.source, discover) REQUIRE(p->vt.source, read_chunk)
        REQUIRE(p->vt.source, position_compare) REQUIRE(p->vt.source, position_format)
        break;
    case SLUICE_KIND_SINK:
        REQUIRE(p->vt.sink, open) REQUIRE(p->vt.sink, close)
        REQUIRE(p->vt.sink, get_checkpoint) REQUIRE(p->vt.sink, prepare_table)
        REQUIRE(p->vt.sink, write_rows) REQUIRE(p->vt.sink, finish_table)
        REQUIRE(p->vt.sink, apply) REQUIRE(p->vt.sink, flush)
        break;
    case SLUICE_KIND_TRANSFORM:
        REQUIRE(p->vt.transform, open) REQUIRE(p->vt.transform, close)
        REQUIRE(p->vt.transform, map_schema) REQUIRE(p->vt.transform, map_batch)
        break;
    }
#undef REQUIRE
    return NULL;
}

static int check_callbacks(const loaded_plugin *p, sluice_error *err)
{
    const char *member = missing_callback(p);
    if (member == NULL)
        return 0;
    const char *kind = plugin_kind_name(p->info.kind);
    refuse(err, "%s plugins have to register a %s callback", kind, member);
    error_detail(err, "Plugin \"%s\" in file \"%s\" leaves the %s member of its vtable NULL.",
                 p->info.name, p->path, member);
    error_hint(err, "Set %s in the plugin's sluice_%s_vtable and rebuild it.", member, kind);
    return -1;
}

/* ---- loading ---- */

loaded_plugin *plugin_load_file(const char *path, sluice_kind want_kind, sluice_error *err)
{
    sluice_error scratch;
    if (err == NULL)
        err = &scratch;
    struct stat st;
    int e = stat(path, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (e) {
        refuse(err, "could not access plugin file \"%s\": %s", path, strerror(e));
        error_hint(err, "Check the path, or name the plugin without a \"/\" to look for it "
                        "on the plugin search path.");
        return NULL;
    }
    loaded_plugin *p = calloc(1, sizeof *p);
    if (p == NULL || (p->path = strdup(path)) == NULL) {
        free(p);
        refuse(err, "out of memory");
        return NULL;
    }
    /* RTLD_NODELETE: client libraries (libpq, OpenSSL) keep thread-local state and
       atexit handlers that must outlive dlclose, or the process crashes at exit. */
    p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (p->handle == NULL) {
        const char *why = dlerror();
        refuse(err, "could not load plugin \"%s\"", path);
        error_detail(err, "%s.", why ? why : "dlopen() failed");
        error_hint(err, "Run \"ldd %s\" to see which shared library is missing; install it or "
                        "add its directory to LD_LIBRARY_PATH.", path);
        plugin_unload(p);
        return NULL;
    }
    const sluice_plugin *desc;
    if (check_abi_block(p, err) || (desc = call_init(p, err)) == NULL ||
        check_descriptor(p, desc, err) || check_kind(p, want_kind, err) ||
        check_options(p, err) || check_vtable_header(p, err) || check_callbacks(p, err)) {
        plugin_unload(p);
        return NULL;
    }
    return p;
}

/* "name" and "name.so" both mean the file name.so. */
static int candidate(char *buf, size_t size, const char *dir, const char *name)
{
    size_t len = strlen(name);
    const char *ext = len > 3 && strcmp(name + len - 3, ".so") == 0 ? "" : ".so";
    int n = snprintf(buf, size, "%s/%s%s", dir, name, ext);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

static void refuse_not_found(sluice_error *err, const char *name, const char *tried)
{
    refuse(err, "could not find plugin \"%s\"", name);
    if (tried[0])
        error_detail(err, "sluice looked for these files: %s.", tried);
    else
        error_detail(err, "The plugin search path is empty.");
    error_hint(err, "Put the plugin's .so file in a directory named by SLUICE_PLUGIN_PATH or "
                    "by the PluginPath setting, or give its path; \"sluice plugins\" lists "
                    "the plugins sluice can find.");
}

loaded_plugin *plugin_load(const char *name, sluice_kind want_kind, char *const *dirs,
                           sluice_error *err)
{
    sluice_error scratch;
    if (err == NULL)
        err = &scratch;
    if (name == NULL || name[0] == '\0') {
        refuse(err, "invalid plugin name \"\"");
        error_hint(err, "Name the plugin (\"source-pg\") or give the path of its .so file.");
        return NULL;
    }
    if (strchr(name, '/'))
        return plugin_load_file(name, want_kind, err);

    char tried[SLUICE_ERROR_DETAIL_MAX] = "";
    size_t used = 0;
    for (size_t i = 0; dirs && dirs[i]; i++) {
        char path[4096];
        struct stat st;
        if (candidate(path, sizeof path, dirs[i], name))
            continue;
        /* The first file found is the plugin, loadable or not: no silent fallback. */
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return plugin_load_file(path, want_kind, err);
        if (used < sizeof tried) {
            int n = snprintf(tried + used, sizeof tried - used, "%s\"%s\"", used ? ", " : "",
                             path);
            used += n > 0 ? (size_t)n : 0;
        }
    }
    refuse_not_found(err, name, tried);
    return NULL;
}

void plugin_unload(loaded_plugin *p)
{
    if (p == NULL)
        return;
    if (p->handle)
        dlclose(p->handle);
    free(p->path);
    free(p);
}
