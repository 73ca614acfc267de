/*
 * Plugin options: checks a config section against the plugin's declared option
 * table and fills the plugin's config struct. Every message names the file, the
 * line, the option and the plugin, and never a secret's value.
 */
#include "options.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report.h"
#include "secret.h"

#define MAX_CHOICES 64

/* ---- edit distance and suggestions ---- */

size_t options_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    /* Three rows of the optimal-string-alignment table are enough. */
    size_t *rows = malloc(3 * (lb + 1) * sizeof *rows);
    if (!rows)
        return la > lb ? la : lb;
    size_t *before = rows, *prev = rows + lb + 1, *cur = rows + 2 * (lb + 1);
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                before[j - 2] + 1 < best)
                best = before[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = before;
        before = prev;
        prev = cur;
        cur = t;
    }
    size_t d = prev[lb];
    free(rows);
    return d;
}

/* How many edits still look like a typo of a word this long. */
static size_t typo_limit(const char *word)
{
    size_t len = strlen(word);
    return len <= 4 ? 1 : len <= 8 ? 2 : 3;
}

const char *options_nearest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = typo_limit(word) + 1;
    for (size_t i = 0; i < n; i++) {
        /* A difference of case only is the likeliest typo of all. */
        size_t d = strcasecmp(word, names[i]) == 0 ? 1 : options_edit_distance(word, names[i]);
        if (d < best_d) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

void options_join(const char *const *names, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
        int w = snprintf(buf + used, size - used, "%s\"%s\"", sep, names[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* ---- the option table ---- */

/* The i-th option, copied into a zeroed struct of the core's size: the plugin's
   elements may be shorter (older) or longer (newer) than ours. */
static sluice_option option_at(const sluice_options *opts, uint32_t i)
{
    sluice_option o;
    memset(&o, 0, sizeof o);
    size_t n = opts->option_size < sizeof o ? opts->option_size : sizeof o;
    memcpy(&o, (const char *)opts->options + (size_t)i * opts->option_size, n);
    return o;
}

static uint32_t option_count(const sluice_options *opts)
{
    return opts && opts->options ? opts->count : 0;
}

static size_t option_value_size(uint32_t type)
{
    switch (type) {
    case SLUICE_OPTION_STRING: return sizeof(char *);
    case SLUICE_OPTION_INT: return sizeof(int64_t);
    case SLUICE_OPTION_BOOL: return sizeof(int);
    case SLUICE_OPTION_DOUBLE: return sizeof(double);
    }
    return 0;
}

/* "an integer": what an option of this type must be, for messages. */
static const char *option_type_phrase(uint32_t type)
{
    switch (type) {
    case SLUICE_OPTION_STRING: return "a string";
    case SLUICE_OPTION_INT: return "an integer";
    case SLUICE_OPTION_BOOL: return "a boolean";
    case SLUICE_OPTION_DOUBLE: return "a number";
    }
    return "a value of an unknown type";
}

/* "a string": what the user gave, for messages. */
static const char *value_type_phrase(const config_value *v)
{
    switch (v->type) {
    case CONFIG_STRING: return "a string";
    case CONFIG_INT: return "an integer";
    case CONFIG_DOUBLE: return "a float";
    case CONFIG_BOOL: return "a boolean";
    case CONFIG_TABLE: return "a table";
    }
    return "a value of an unknown type";
}

/* A plugin bug: its option table cannot be filled safely. */
static int check_declaration(const sluice_options *opts, const sluice_option *o, uint32_t i,
                             const char *what, sluice_error *err)
{
    size_t size = option_value_size(o->type);
    if (o->name == NULL || o->name[0] == '\0')
        error_set(err, SLUICE_FATAL, "%s declares option %u without a name", what, (unsigned)i);
    else if (size == 0)
        error_set(err, SLUICE_FATAL, "%s declares option \"%s\" with unknown type %u", what,
                  o->name, (unsigned)o->type);
    else if (o->offset > opts->config_size || opts->config_size - o->offset < size)
        error_set(err, SLUICE_FATAL, "%s declares option \"%s\" outside its config struct",
                  what, o->name);
    else
        return 0;
    error_hint(err, "This is a bug in the plugin; report it to its authors.");
    return -1;
}

static int check_declarations(const sluice_options *opts, const char *what, sluice_error *err)
{
    for (uint32_t i = 0; i < option_count(opts); i++) {
        sluice_option o = option_at(opts, i);
        if (check_declaration(opts, &o, i, what, err))
            return -1;
    }
    return 0;
}

/* Index of the option called name, or -1. */
static long option_find(const sluice_options *opts, const char *name)
{
    for (uint32_t i = 0; i < option_count(opts); i++) {
        sluice_option o = option_at(opts, i);
        if (strcmp(o.name, name) == 0)
            return (long)i;
    }
    return -1;
}

/* ---- messages ---- */

/* Sets err's message as "file:line: text" ("file: text" when the line is unknown). */
static void fail_at(sluice_error *err, const char *file, int line, const char *fmt, ...)
    SLUICE_PRINTF(4, 5);
static void fail_at(sluice_error *err, const char *file, int line, const char *fmt, ...)
{
    char text[SLUICE_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (line > 0)
        error_set(err, SLUICE_FATAL, "%s:%d: %s", file, line, text);
    else
        error_set(err, SLUICE_FATAL, "%s: %s", file, text);
}

static void report_unknown(const sluice_options *opts, const config_value *v, const char *file,
                           const char *what, sluice_error *err)
{
    uint32_t n = option_count(opts);
    const char **names = calloc(n ? n : 1, sizeof *names);
    fail_at(err, file, v->line, "unrecognized option \"%s\" for %s", v->key, what);
    if (!names)
        return;
    for (uint32_t i = 0; i < n; i++)
        names[i] = option_at(opts, i).name;
    const char *near = options_nearest(v->key, names, n);
    if (near) {
        error_hint(err, "Did you mean \"%s\"?", near);
    } else if (n == 0) {
        error_hint(err, "The %s takes no options.", what);
    } else {
        char list[SLUICE_ERROR_HINT_MAX - 32];
        options_join(names, n, list, sizeof list);
        error_hint(err, "Valid options are %s.", list);
    }
    free(names);
}

/* The value as the user wrote it, for a detail line; never for secrets. */
static void detail_value(const config_value *v, sluice_error *err)
{
    if (v->secret)
        error_detail(err, "The value comes from a secret and is not shown.");
    else if (v->type == CONFIG_STRING)
        error_detail(err, "The value given is \"%s\".", v->text);
    else if (v->type != CONFIG_TABLE)
        error_detail(err, "The value given is %s.", v->text);
}

/* Whole text is a number of this option's type (used for hints and secrets). */
static int parse_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || errno == ERANGE)
        return -1;
    *out = x;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (s[0] == '\0' || *end != '\0' || errno == ERANGE)
        return -1;
    *out = x;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "on", "yes", "1"};
    static const char *const no[] = {"false", "off", "no", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(s, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

/* A hint for a value of the right kind in the wrong form (5432 written "5432"). */
static void hint_type(const sluice_option *o, const config_value *v, sluice_error *err)
{
    int64_t i;
    double d;
    int b;
    if (v->secret)
        return;
    if (o->type == SLUICE_OPTION_INT && v->type == CONFIG_STRING && parse_int(v->text, &i) == 0)
        error_hint(err, "Write the number without quotes: %s = %s.", o->name, v->text);
    else if (o->type == SLUICE_OPTION_INT && v->type == CONFIG_DOUBLE && v->d == (double)(int64_t)v->d)
        error_hint(err, "Write it as a whole number: %s = %lld.", o->name,
                   (long long)(int64_t)v->d);
    else if (o->type == SLUICE_OPTION_DOUBLE && v->type == CONFIG_STRING &&
             parse_double(v->text, &d) == 0)
        error_hint(err, "Write the number without quotes: %s = %s.", o->name, v->text);
    else if (o->type == SLUICE_OPTION_BOOL && v->type == CONFIG_STRING && parse_bool(v->text, &b) == 0)
        error_hint(err, "Write %s = %s, without quotes.", o->name, b ? "true" : "false");
    else if (o->type == SLUICE_OPTION_STRING && v->type != CONFIG_TABLE)
        error_hint(err, "Put the value in quotes: %s = \"%s\".", o->name, v->text);
}

static void report_type(const sluice_option *o, const config_value *v, const char *file,
                        const char *what, sluice_error *err)
{
    fail_at(err, file, v->line, "option \"%s\" of %s must be %s, not %s", o->name, what,
            option_type_phrase(o->type), value_type_phrase(v));
    detail_value(v, err);
    hint_type(o, v, err);
}

/* ---- choices ---- */

/* Splits "a|b|c" into buf (modified) and names; returns how many. */
static size_t split_choices(const char *choices, char *buf, size_t size, const char **names)
{
    size_t n = 0;
    snprintf(buf, size, "%s", choices);
    for (char *p = buf; n < MAX_CHOICES;) {
        names[n++] = p;
        char *bar = strchr(p, '|');
        if (!bar)
            break;
        *bar = '\0';
        p = bar + 1;
    }
    return n;
}

/* 0 when value is one of the option's choices (or it has none). Fills err otherwise;
   a default outside the choices is the plugin's fault. */
static int check_choice(const sluice_option *o, const config_value *v, const char *value,
                        const char *file, const char *what, sluice_error *err)
{
    if (o->choices == NULL)
        return 0;
    char buf[1024], list[SLUICE_ERROR_HINT_MAX - 64];
    const char *names[MAX_CHOICES];
    size_t n = split_choices(o->choices, buf, sizeof buf, names);
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], value) == 0)
            return 0;
    options_join(names, n, list, sizeof list);
    if (v == NULL) {
        error_set(err, SLUICE_FATAL, "%s declares default \"%s\" for option \"%s\", which is "
                  "not one of its choices", what, value, o->name);
        error_detail(err, "The choices are %s.", list);
        error_hint(err, "This is a bug in the plugin; report it to its authors.");
        return -1;
    }
    if (v->secret) {
        fail_at(err, file, v->line, "invalid value for option \"%s\" of %s", o->name, what);
        error_detail(err, "The value comes from a secret and is not shown.");
        error_hint(err, "Valid values are %s.", list);
        return -1;
    }
    fail_at(err, file, v->line, "invalid value for option \"%s\" of %s: \"%s\"", o->name, what,
            value);
    const char *near = options_nearest(value, names, n);
    if (near)
        error_hint(err, "Did you mean \"%s\"? Valid values are %s.", near, list);
    else
        error_hint(err, "Valid values are %s.", list);
    return -1;
}

/* ---- storing values ---- */

static void *slot(void *block, const sluice_option *o)
{
    return (char *)block + o->offset;
}

static int store_string(void *block, const sluice_option *o, const char *text, sluice_error *err)
{
    char *copy = strdup(text);
    if (!copy) {
        error_set(err, SLUICE_FATAL, "out of memory");
        return -1;
    }
    char *old;
    memcpy(&old, slot(block, o), sizeof old);
    free(old);
    memcpy(slot(block, o), &copy, sizeof copy);
    if (o->flags & SLUICE_OPTION_SECRET)
        secret_register(text, strlen(text));
    return 0;
}

static void store_int(void *block, const sluice_option *o, int64_t x)
{
    memcpy(slot(block, o), &x, sizeof x);
}

static void store_double(void *block, const sluice_option *o, double x)
{
    memcpy(slot(block, o), &x, sizeof x);
}

static void store_bool(void *block, const sluice_option *o, int x)
{
    memcpy(slot(block, o), &x, sizeof x);
}

/*
 * Stores a secret into a numeric or boolean option: secrets are always text, so
 * `port = env "PGPORT"` is parsed here. Returns 0, or 1 when the text does not parse.
 */
static int store_secret_scalar(void *block, const sluice_option *o, const config_value *v)
{
    int64_t i;
    double d;
    int b;
    if (o->type == SLUICE_OPTION_INT && parse_int(v->text, &i) == 0)
        store_int(block, o, i);
    else if (o->type == SLUICE_OPTION_DOUBLE && parse_double(v->text, &d) == 0)
        store_double(block, o, d);
    else if (o->type == SLUICE_OPTION_BOOL && parse_bool(v->text, &b) == 0)
        store_bool(block, o, b);
    else
        return 1;
    return 0;
}

/* Checks one given value against its option and stores it. */
static int store_value(void *block, const sluice_option *o, const config_value *v,
                       const char *file, const char *what, sluice_error *err)
{
    switch (o->type) {
    case SLUICE_OPTION_STRING:
        if (v->type != CONFIG_STRING)
            break;
        if (check_choice(o, v, v->text, file, what, err))
            return -1;
        return store_string(block, o, v->text, err);
    case SLUICE_OPTION_INT:
        if (v->type == CONFIG_INT)
            return store_int(block, o, v->i), 0;
        break;
    case SLUICE_OPTION_DOUBLE:
        if (v->type == CONFIG_INT || v->type == CONFIG_DOUBLE)
            return store_double(block, o, v->type == CONFIG_INT ? (double)v->i : v->d), 0;
        break;
    case SLUICE_OPTION_BOOL:
        if (v->type == CONFIG_BOOL)
            return store_bool(block, o, v->i != 0), 0;
        break;
    }
    if (v->secret && v->type == CONFIG_STRING && store_secret_scalar(block, o, v) == 0)
        return 0;
    report_type(o, v, file, what, err);
    return -1;
}

/* Parses an option's declared default into the struct; a bad default is a plugin bug. */
static int store_default(void *block, const sluice_option *o, const char *what, sluice_error *err)
{
    const char *def = o->default_value;
    int64_t i;
    double d;
    int b, bad = 0;
    switch (o->type) {
    case SLUICE_OPTION_STRING:
        if (check_choice(o, NULL, def, NULL, what, err))
            return -1;
        return store_string(block, o, def, err);
    case SLUICE_OPTION_INT:
        if (!(bad = parse_int(def, &i) != 0))
            store_int(block, o, i);
        break;
    case SLUICE_OPTION_DOUBLE:
        if (!(bad = parse_double(def, &d) != 0))
            store_double(block, o, d);
        break;
    case SLUICE_OPTION_BOOL:
        if (!(bad = parse_bool(def, &b) != 0))
            store_bool(block, o, b);
        break;
    }
    if (!bad)
        return 0;
    error_set(err, SLUICE_FATAL, "%s declares an invalid default for option \"%s\": \"%s\"",
              what, o->name, def);
    error_detail(err, "The option is declared as %s.", option_type_phrase(o->type));
    error_hint(err, "This is a bug in the plugin; report it to its authors.");
    return -1;
}

static void report_missing(const sluice_option *o, const config_section *s, const char *file,
                           const char *what, sluice_error *err)
{
    fail_at(err, file, s->line, "%s requires option \"%s\"", what, o->name);
    if (o->description && o->description[0])
        error_detail(err, "Option \"%s\": %s.", o->name, o->description);
    if (o->flags & SLUICE_OPTION_SECRET)
        error_hint(err, "Add %s = env \"NAME\" or %s = file \"/path\" to this section.", o->name,
                   o->name);
    else
        error_hint(err, "Add %s = ... to this section.", o->name);
}

/* Fills every option the section does not give: defaults, or an error if required. */
static int fill_absent(const sluice_options *opts, const config_section *s, void *block,
                       const char *file, const char *what, sluice_error *err)
{
    for (uint32_t i = 0; i < option_count(opts); i++) {
        sluice_option o = option_at(opts, i);
        if (config_find(s, o.name))
            continue;
        if (o.flags & SLUICE_OPTION_REQUIRED) {
            report_missing(&o, s, file, what, err);
            return -1;
        }
        if (o.default_value && store_default(block, &o, what, err))
            return -1;
    }
    return 0;
}

static int fill_given(const sluice_options *opts, const config_section *s, void *block,
                      const char *file, const char *what, sluice_error *err)
{
    for (size_t k = 0; k < s->nvalues; k++) {
        const config_value *v = &s->values[k];
        long i = option_find(opts, v->key);
        if (i < 0) {
            report_unknown(opts, v, file, what, err);
            return -1;
        }
        sluice_option o = option_at(opts, (uint32_t)i);
        if (store_value(block, &o, v, file, what, err))
            return -1;
    }
    return 0;
}

void *options_fill(const sluice_options *opts, const config_section *s, const char *file,
                   const char *what, sluice_error *err)
{
    if (check_declarations(opts, what, err))
        return NULL;
    size_t size = opts && opts->config_size ? opts->config_size : 1;
    void *block = calloc(1, size);
    if (!block) {
        error_set(err, SLUICE_FATAL, "out of memory");
        return NULL;
    }
    if (fill_given(opts, s, block, file, what, err) ||
        fill_absent(opts, s, block, file, what, err)) {
        options_free(opts, block);
        return NULL;
    }
    return block;
}

void options_free(const sluice_options *opts, void *block)
{
    if (!block)
        return;
    for (uint32_t i = 0; i < option_count(opts); i++) {
        sluice_option o = option_at(opts, i);
        if (o.type != SLUICE_OPTION_STRING || o.offset + sizeof(char *) > opts->config_size)
            continue;
        char *p;
        memcpy(&p, slot(block, &o), sizeof p);
        free(p);
    }
    free(block);
}
