#include "settings.h"

#include <string.h>

#include "config.h"

#define SETTING(name, type, def, choices, field, text)                             \
    {name, type, 0, def, choices, text, offsetof(settings, field)}

static const sluice_option setting_list[] = {
    SETTING("MaxFullLoadSubTasks", SLUICE_OPTION_INT, "0", NULL, max_full_load_subtasks,
            "tables or table chunks loaded in parallel; 0 = one per CPU core (at least 2)"),
    SETTING("TargetTablePrepMode", SLUICE_OPTION_STRING, "DROP_AND_CREATE",
            "DO_NOTHING|TRUNCATE_BEFORE_LOAD|DROP_AND_CREATE", target_table_prep_mode,
            "what the sink does to a target table before loading it (AWS DMS names)"),
    SETTING("BatchRows", SLUICE_OPTION_INT, "8192", NULL, batch_rows,
            "rows or change events per batch"),
    SETTING("BatchBytes", SLUICE_OPTION_INT, "8388608", NULL, batch_bytes,
            "value bytes per batch before it is handed on"),
    SETTING("QueueDepth", SLUICE_OPTION_INT, "4", NULL, queue_depth,
            "batches in flight between a source and its sink (bounds memory)"),
    SETTING("FullLoadChunkRows", SLUICE_OPTION_INT, "1000000", NULL, full_load_chunk_rows,
            "tables with more estimated rows are split into chunks of about this size"),
    SETTING("StateDir", SLUICE_OPTION_STRING, NULL, NULL, state_dir,
            "state directory; default ./.sluice/<pipeline name>"),
    SETTING("PluginPath", SLUICE_OPTION_STRING, NULL, NULL, plugin_path,
            "colon-separated folders searched for plugins before the defaults"),
    SETTING("StopAtPosition", SLUICE_OPTION_STRING, NULL, NULL, stop_at_position,
            "end change capture once this source position is committed (as --until)"),
    SETTING("CdcStartPosition", SLUICE_OPTION_STRING, NULL, NULL, cdc_start_position,
            "cdc-only: stream changes committed after this position when the target has "
            "no checkpoint yet (default: from now)"),
    SETTING("FlushIntervalMs", SLUICE_OPTION_INT, "1000", NULL, flush_interval_ms,
            "in CDC, commit applied transactions at least this often"),
    SETTING("StatusIntervalMs", SLUICE_OPTION_INT, "1000", NULL, status_interval_ms,
            "how often the status file and progress display are refreshed"),
    SETTING("RetryLimit", SLUICE_OPTION_INT, "5", NULL, retry_limit,
            "tries of a plugin call that reports a transient failure"),
    SETTING("TypeRules", SLUICE_OPTION_STRING, NULL, NULL, type_rules,
            "type rule module (transforms/types) by name or path, or \"none\"; default: "
            "<source>_to_<target> from the plugin names"),
    SETTING("MetricsListen", SLUICE_OPTION_STRING, NULL, NULL, metrics_listen,
            "HOST:PORT where `sluice run` serves Prometheus metrics at /metrics (as "
            "--metrics-listen, which wins); default: no endpoint"),
};

static const sluice_options setting_table = {
    SLUICE_HEADER_INIT(sluice_options), sizeof(sluice_option),
    sizeof setting_list / sizeof setting_list[0], setting_list, sizeof(settings)};

const sluice_options *settings_options(void) { return &setting_table; }

sluice_prep_mode settings_prep_mode(const settings *s)
{
    const char *m = s->target_table_prep_mode ? s->target_table_prep_mode : "";
    if (strcmp(m, "DO_NOTHING") == 0)
        return SLUICE_PREP_DO_NOTHING;
    if (strcmp(m, "TRUNCATE_BEFORE_LOAD") == 0)
        return SLUICE_PREP_TRUNCATE;
    return SLUICE_PREP_DROP_AND_CREATE;
}

const char *settings_lookup(void *owner, const char *name)
{
    const pipeline_config *cfg = owner;
    /* Facts of the pipeline itself, for plugins that behave by mode or need a key, and
       the command: a source whose open() refuses a server that lacks what its mode needs
       opens anyway under "check", so that its check callback can report every lack. */
    if (strcmp(name, "mode") == 0)
        return cfg->mode;
    if (strcmp(name, "pipeline") == 0)
        return cfg->name;
    if (strcmp(name, "command") == 0)
        return cfg->command;
    const config_value *v = config_find(&cfg->settings, name);
    if (v)
        return v->secret ? NULL : v->text;
    for (uint32_t i = 0; i < setting_table.count; i++)
        if (strcmp(setting_list[i].name, name) == 0)
            return setting_list[i].default_value;
    return NULL;
}
