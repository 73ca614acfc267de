/*
 * AWS DMS table-mapping JSON documents, loaded unchanged (mapping_json.c):
 * {"rules": [{"rule-type": "selection" | "transformation" | "table-settings",
 * "rule-id": "1", "rule-name": "...", "object-locator": {...},
 * "rule-action": "...", ...}]}. A rule sluice cannot honour is an error naming
 * its rule-id and why.
 */
#ifndef SLUICE_MAPPING_JSON_H
#define SLUICE_MAPPING_JSON_H

#include "mapping.h"

/* Appends the document's rules to m in the order the document lists them.
   0, or -1 with err set ("FILE: rule 3 (rule-name): ..."). */
int mapping_from_json_file(mapping *m, const char *path, sluice_error *err);
int mapping_from_json_text(mapping *m, const char *text, size_t len, const char *where,
                           sluice_error *err);

#endif
