/*
 * The row and table handles of per-row Lua functions. The row handle is one
 * table per Lua state, reused for every row, holding its methods as fields:
 * row:get finds them with the VM's own table lookup (a userdata's methods
 * would go through its metatable's __index, ~115 instructions per call). The
 * methods are C closures with the C side (rowfn_row, a full userdata),
 * sluice.null and sluice.unchanged as upvalues: a call costs a lookup
 * and a check, never an allocation (PROTOCOL-FACTS.md, Lua: tables built per
 * row cost 4x more).
 *
 * Values: NULL is sluice.null, an unchanged TOAST value sluice.unchanged;
 * integer columns give Lua integers (exact to 64 bits), booleans Lua
 * booleans, everything else (decimals included) its exact canonical text.
 */
#include "rowfn_row.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "lua_sandbox.h"

#define UP_ROW lua_upvalueindex(1)
#define UP_NULL lua_upvalueindex(2)
#define UP_UNCHANGED lua_upvalueindex(3)

static int is_integer_type(uint32_t type)
{
    return type == SLUICE_TYPE_INT16 || type == SLUICE_TYPE_INT32 || type == SLUICE_TYPE_INT64 ||
           type == SLUICE_TYPE_UINT64;
}

/* Column names are length-delimited: make one a Lua string for messages. */
static const char *column_name(lua_State *L, const sluice_column *col)
{
    lua_pushlstring(L, col->name.ptr, col->name.len);
    return lua_tostring(L, -1);
}

/* The C side sits in the state's extra space (rowfn_row_new): reading the
   upvalue through lua_touserdata cost ~35 instructions a call. A coroutine
   made before the handle copied a NULL there: it reads the upvalue. */
static rowfn_row *self(lua_State *L)
{
    rowfn_row *r = *(rowfn_row **)lua_getextraspace(L);
    if (!r)
        r = lua_touserdata(L, UP_ROW);
    if (lua_topointer(L, 1) != r->handle) /* lua_rawequal costs 4x more */
        luaL_error(L, "call row methods with a colon: row:get(column)");
    if (!r->values)
        luaL_error(L, "the row handle is only valid while the row function runs");
    return r;
}

/* A column argument: an index (1-based, from t:column) or a target column name. */
static uint32_t column_arg(lua_State *L, const rowfn_row *r, int idx)
{
    uint32_t n = r->table->ncolumns;
    int isnum;
    lua_Integer i = lua_tointegerx(L, idx, &isnum);
    if (isnum && lua_type(L, idx) == LUA_TNUMBER) {
        if (i < 1 || (lua_Unsigned)i > n)
            luaL_error(L, "column %I does not exist: the table has %d columns", (LUAI_UACINT)i,
                       (int)n);
        return (uint32_t)(i - 1);
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        size_t len;
        const char *name = lua_tolstring(L, idx, &len);
        for (uint32_t c = 0; c < n; c++) {
            const sluice_column *col = sluice_table_column(r->table, c);
            if (col->name.len == len && memcmp(col->name.ptr, name, len) == 0)
                return c;
        }
        luaL_error(L, "the table has no column \"%s\"", name);
    }
    luaL_error(L, "a column is an index (from t:column(\"name\")) or a name, not %s",
               luaL_typename(L, idx));
    return 0;
}

/* Decimal text of an integer column as a Lua integer; 0 when it does not fit. */
static int parse_int(const char *s, size_t len, lua_Integer *out)
{
    size_t i = 0;
    int neg = len > 0 && s[0] == '-';
    i += neg || (len > 0 && s[0] == '+');
    if (i == len)
        return 0;
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = neg ? (lua_Integer)(0 - v) : (lua_Integer)v;
    return 1;
}

static void push_text(lua_State *L, const sluice_column *col, const sluice_value *v)
{
    lua_Integer i;
    if (is_integer_type(col->type) && parse_int(v->u.bytes, v->len, &i)) {
        lua_pushinteger(L, i);
        return;
    }
    if (col->type == SLUICE_TYPE_BOOL && v->len >= 1 && v->len <= 5) {
        char c = v->u.bytes[0];
        if (c == 't' || c == 'f') { /* "t" / "true", "f" / "false" */
            lua_pushboolean(L, c == 't');
            return;
        }
    }
    lua_pushlstring(L, v->u.bytes, v->len);
}

/* row:get(column) */
static int row_get(lua_State *L)
{
    rowfn_row *r = self(L);
    uint32_t c = column_arg(L, r, 2);
    r->got |= ROWFN_BIT(c);
    const sluice_value *v = &r->values[c];
    const sluice_column *col = sluice_table_column(r->table, c);
    switch (v->kind) {
    case SLUICE_VALUE_NULL: lua_pushvalue(L, UP_NULL); break;
    case SLUICE_VALUE_UNCHANGED: lua_pushvalue(L, UP_UNCHANGED); break;
    case SLUICE_VALUE_INT:
        if (is_integer_type(col->type))
            lua_pushinteger(L, v->u.i);
        else /* e.g. retyped to numeric: decimals are text */
            lua_pushfstring(L, "%I", (LUAI_UACINT)v->u.i);
        break;
    case SLUICE_VALUE_TEXT: push_text(L, col, v); break;
    default: return luaL_error(L, "column %d holds a value in a native binary form", (int)c + 1);
    }
    return 1;
}

/* The shortest text that reads back as d (or NaN / Infinity). */
static int format_double(double d, char *buf, size_t size)
{
    if (isnan(d))
        return snprintf(buf, size, "NaN");
    if (isinf(d))
        return snprintf(buf, size, "%s", d > 0 ? "Infinity" : "-Infinity");
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return n;
}

static void set_text(lua_State *L, rowfn_row *r, sluice_value *v, const char *s, size_t len)
{
    if (host_api()->set_text(r->batch, v, s, len) != 0)
        luaL_error(L, "out of memory storing a value of %d bytes", (int)len);
}

/* row:set(column, value) */
static int row_set(lua_State *L)
{
    rowfn_row *r = self(L);
    uint32_t c = column_arg(L, r, 2);
    r->set |= ROWFN_BIT(c);
    sluice_value *v = &r->values[c];
    const sluice_column *col = sluice_table_column(r->table, c);
    char buf[64];
    switch (lua_type(L, 3)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, 3) && is_integer_type(col->type)) {
            *v = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = lua_tointeger(L, 3)};
        } else if (lua_isinteger(L, 3)) {
            int n = snprintf(buf, sizeof buf, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, 3));
            set_text(L, r, v, buf, (size_t)n);
        } else {
            double d = lua_tonumber(L, 3);
            lua_Integer i;
            if (is_integer_type(col->type)) {
                if (!lua_numbertointeger(floor(d), &i) || (double)i != d)
                    return luaL_error(L, "column \"%s\" is an integer column; %f is not an "
                                         "integer", column_name(L, col), d);
                *v = (sluice_value){.kind = SLUICE_VALUE_INT, .u.i = i};
            } else {
                set_text(L, r, v, buf, (size_t)format_double(d, buf, sizeof buf));
            }
        }
        break;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, 3, &len);
        set_text(L, r, v, s, len);
        break;
    }
    case LUA_TBOOLEAN: {
        int b = lua_toboolean(L, 3);
        const char *s = col->type == SLUICE_TYPE_BOOL ? (b ? "t" : "f") : (b ? "true" : "false");
        set_text(L, r, v, s, strlen(s));
        break;
    }
    case LUA_TUSERDATA:
        if (lua_rawequal(L, 3, UP_NULL)) {
            *v = (sluice_value){.kind = SLUICE_VALUE_NULL};
            break;
        }
        if (lua_rawequal(L, 3, UP_UNCHANGED)) {
            *v = (sluice_value){.kind = SLUICE_VALUE_UNCHANGED};
            break;
        }
        /* fall through */
    default:
        return luaL_error(L, "cannot store %s in column \"%s\" (for NULL use sluice.null)",
                          luaL_typename(L, 3), column_name(L, col));
    }
    return 0;
}

/* row:drop(): the row is not written (returning false does the same). */
static int row_drop(lua_State *L)
{
    self(L)->dropped = 1;
    return 0;
}

/* row:op(): "INSERT", "UPDATE", or "LOAD" for a full-load row. */
static int row_op(lua_State *L)
{
    lua_pushstring(L, self(L)->op);
    return 1;
}

/* row.x = v: the handle has no fields of its own to set. */
static int row_newindex(lua_State *L)
{
    return luaL_error(L, "the row handle has no field \"%s\" to set (write values with "
                         "row:set(column, value))", luaL_tolstring(L, 2, NULL));
}

rowfn_row *rowfn_row_new(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"get", row_get}, {"set", row_set}, {"drop", row_drop}, {"op", row_op}, {NULL, NULL},
    };
    lua_createtable(L, 0, 4); /* the handle */
    rowfn_row *r = lua_newuserdatauv(L, sizeof *r, 0);
    memset(r, 0, sizeof *r);
    lua_getfield(L, LUA_REGISTRYINDEX, SANDBOX_NULL);
    lua_getfield(L, LUA_REGISTRYINDEX, SANDBOX_UNCHANGED);
    luaL_setfuncs(L, methods, 3);
    r->handle = lua_topointer(L, -1);
    *(rowfn_row **)lua_getextraspace(L) = r; /* for self(); threads made later copy it */
    lua_createtable(L, 0, 3); /* its metatable: no new fields, and hidden */
    lua_pushcfunction(L, row_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "sluice.row");
    lua_setfield(L, -2, "__name");
    lua_pushliteral(L, "sluice.row");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    return r;
}

/* t:column("name"): the index row:get and row:set take; an error when missing. */
static int table_column(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t len;
    const char *name = luaL_checklstring(L, 2, &len);
    lua_getfield(L, 1, "columns");
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        size_t l;
        const char *s = lua_tolstring(L, -1, &l);
        if (s && l == len && memcmp(s, name, len) == 0) {
            lua_pushinteger(L, i);
            return 1;
        }
        lua_pop(L, 1);
    }
    lua_getfield(L, 1, "target_name");
    return luaL_error(L, "the mapped table \"%s\" has no column \"%s\" (names are the target's, "
                         "after renames)", lua_tostring(L, -1), name);
}

static void set_str(lua_State *L, const char *field, sluice_str s)
{
    lua_pushlstring(L, s.ptr, s.len);
    lua_setfield(L, -2, field);
}

void rowfn_push_table(lua_State *L, const sluice_table *source, const sluice_table *target)
{
    lua_createtable(L, 0, 6);
    set_str(L, "schema", source->schema);
    set_str(L, "name", source->name);
    set_str(L, "target_schema", target->schema);
    set_str(L, "target_name", target->name);
    lua_createtable(L, (int)target->ncolumns, 0);
    for (uint32_t c = 0; c < target->ncolumns; c++) {
        lua_pushlstring(L, sluice_table_column(target, c)->name.ptr,
                        sluice_table_column(target, c)->name.len);
        lua_rawseti(L, -2, (lua_Integer)c + 1);
    }
    lua_setfield(L, -2, "columns");
    lua_pushcfunction(L, table_column);
    lua_setfield(L, -2, "column");
}
