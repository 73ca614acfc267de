/*
 * The plugin loader: finds a plugin by name on the search path, dlopens it
 * (RTLD_NOW | RTLD_LOCAL), checks its ABI block and descriptor, and copies the
 * descriptor and vtable into zeroed structs of the core's own size, so a member
 * the plugin did not know about reads as NULL.
 */
#ifndef SLUICE_LOADER_H
#define SLUICE_LOADER_H

#include <sluice/sluice.h>

typedef struct loaded_plugin {
    char *path;                 /* the file it was loaded from */
    void *handle;               /* dlopen handle */
    sluice_abi_block abi;       /* copy of the plugin's ABI block */
    sluice_plugin info;         /* copy of the descriptor, core-sized */
    sluice_options options;     /* copy of the option table header, core-sized (count 0 if none) */
    union {
        sluice_source_vtable source;
        sluice_sink_vtable sink;
        sluice_transform_vtable transform;
    } vt;                       /* copy of the vtable, core-sized, zero-filled */
} loaded_plugin;

/* The i-th declared option, honouring the plugin's option_size. */
const sluice_option *plugin_option(const loaded_plugin *p, uint32_t i);

/*
 * The search path, in order: the pipeline's PluginPath setting (colon-separated,
 * may be NULL), $SLUICE_PLUGIN_PATH, the install dir, the build dir. Returns a
 * NULL-terminated array of malloc'd strings; free with loader_free_path().
 */
char **loader_search_path(const char *setting_path);
void loader_free_path(char **dirs);

/*
 * Loads plugin `name` ("generator", "source-pg", or a path containing '/')
 * looking for NAME.so in each dir. want_kind 0 accepts
 * any kind; otherwise a plugin of another kind is refused. On failure returns
 * NULL and fills err (message / detail / hint).
 */
loaded_plugin *plugin_load(const char *name, sluice_kind want_kind, char *const *dirs,
                           sluice_error *err);
loaded_plugin *plugin_load_file(const char *path, sluice_kind want_kind, sluice_error *err);
void plugin_unload(loaded_plugin *p);

/* "source", "sink", "transform" */
const char *plugin_kind_name(uint32_t kind);

#endif
