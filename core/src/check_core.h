/*
 * What `sluice check` asks of each side, and what the core finds itself
 * (check_core.c): the plugins' ABI 1.6 check callbacks through the call
 * wrapper, and the mapping's part: types without a rule, rules that replace
 * values, tables without a key.
 */
#ifndef SLUICE_CHECK_CORE_H
#define SLUICE_CHECK_CORE_H

#include "endpoint.h"
#include "findings.h"

struct runner;

/* The tables the sink would prepare: the mapping's output of every table it planned. */
typedef struct check_targets {
    const sluice_table **tables;
    uint32_t n;
} check_targets;

/* The source's check callback into f (scope set by the caller), or an info finding
   that it has none (a plugin older than ABI 1.6). A failure to look: err filled. */
sluice_status check_plugin_source(plugin_instance *pi, sluice_findings *f, sluice_error *err);
/* 1 when the sink has a check callback; else 0 after adding the info finding (the sink
   is then not even opened: its open might create something), -1 out of memory. */
int check_sink_has_checks(const loaded_plugin *sink, sluice_findings *f, sluice_error *err);
/* The sink's check callback (it has one) with the tables it would prepare. */
sluice_status check_plugin_sink(plugin_instance *pi, const check_targets *targets,
                                sluice_prep_mode mode, sluice_findings *f, sluice_error *err);

/* Plans every selected table through r's main chain (opened): a table the mapping
   refuses is a blocking finding naming the rule, a type rule that replaces values a
   warning, a table without a key a warning. The planned output tables go to targets
   (free targets->tables). 0, or an exit code with err (out of memory). */
int check_mapping(struct runner *r, sluice_findings *f, check_targets *targets,
                  sluice_error *err);

#endif
