/* The `mappings` list of a pipeline file, read into rules (mapping_lua.c). */
#ifndef SLUICE_MAPPING_LUA_H
#define SLUICE_MAPPING_LUA_H

#include <lua.h>

#include "mapping.h"

/* Reads the list at index `list` into m. lines[i] is the line of item i+1 (or
   NULL); dir resolves relative table_mappings_json paths. -1 with err set and
   *bad_line the offending item's line (0 when unknown). */
int mapping_from_lua(lua_State *L, int list, const int *lines, const char *path, const char *dir,
                     mapping *m, int *bad_line, sluice_error *err);

#endif
