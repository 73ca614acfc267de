/*
 * The secret registry: every value that came from env "NAME", file "/path" or a
 * SLUICE_OPTION_SECRET option, masked in every line the core writes. Threads
 * log concurrently, so the registry is behind a mutex.
 */
#include "secret.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_MASK "********"
#define SECRET_MIN_LEN 3 /* shorter values would mask ordinary words */

typedef struct secret_entry {
    char *value;
    size_t len;
} secret_entry;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static secret_entry *registry;
static size_t registry_count, registry_capacity;

/* Called with the lock held. */
static int registry_has(const char *value, size_t len)
{
    for (size_t i = 0; i < registry_count; i++)
        if (registry[i].len == len && memcmp(registry[i].value, value, len) == 0)
            return 1;
    return 0;
}

/* Called with the lock held. Keeps the registry longest first, so a secret that
   contains another is masked whole rather than leaving its remainder visible. */
static int registry_insert(char *copy, size_t len)
{
    if (registry_count == registry_capacity) {
        size_t cap = registry_capacity ? registry_capacity * 2 : 8;
        secret_entry *grown = realloc(registry, cap * sizeof *grown);
        if (!grown)
            return -1;
        registry = grown;
        registry_capacity = cap;
    }
    size_t at = 0;
    while (at < registry_count && registry[at].len >= len)
        at++;
    memmove(registry + at + 1, registry + at, (registry_count - at) * sizeof *registry);
    registry[at] = (secret_entry){copy, len};
    registry_count++;
    return 0;
}

void secret_register(const char *value, size_t len)
{
    if (value == NULL || len < SECRET_MIN_LEN)
        return;
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, value, len);
    copy[len] = '\0';
    pthread_mutex_lock(&registry_lock);
    int keep = !registry_has(value, len) && registry_insert(copy, len) == 0;
    pthread_mutex_unlock(&registry_lock);
    if (!keep)
        free(copy);
}

/* Length of the registered secret that starts at p (lock held), or 0. */
static size_t secret_at(const char *p, size_t avail)
{
    for (size_t i = 0; i < registry_count; i++) {
        const secret_entry *e = &registry[i];
        if (e->len <= avail && e->value[0] == p[0] && memcmp(e->value, p, e->len) == 0)
            return e->len;
    }
    return 0;
}

/* Appends n bytes to out (of capacity size, keeping room for the NUL). */
static void append(char *out, size_t size, size_t *used, const char *src, size_t n)
{
    size_t room = size - 1 - *used;
    if (n > room)
        n = room;
    memcpy(out + *used, src, n);
    *used += n;
}

/* Writes the masked text into out; returns the length it needed (like snprintf). */
static size_t redact_into(const char *text, char *out, size_t size)
{
    size_t len = strlen(text), used = 0, need = 0;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < len;) {
        size_t s = registry_count ? secret_at(text + i, len - i) : 0;
        if (s) {
            if (out)
                append(out, size, &used, SECRET_MASK, sizeof SECRET_MASK - 1);
            need += sizeof SECRET_MASK - 1;
            i += s;
        } else {
            if (out)
                append(out, size, &used, text + i, 1);
            need++;
            i++;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    if (out)
        out[used] = '\0';
    return need;
}

void secret_redact(const char *text, char *buf, size_t size)
{
    if (buf == NULL || size == 0)
        return;
    if (text == NULL) {
        buf[0] = '\0';
        return;
    }
    /* Redacting in place (buf inside text) would read what we already wrote. */
    uintptr_t t = (uintptr_t)text, b = (uintptr_t)buf;
    size_t tlen = strlen(text) + 1;
    if (b < t + tlen && t < b + size) {
        char *copy = strdup(text);
        if (!copy) {
            buf[0] = '\0'; /* never risk printing the unmasked text */
            return;
        }
        redact_into(copy, buf, size);
        free(copy);
        return;
    }
    redact_into(text, buf, size);
}

char *secret_redact_dup(const char *text)
{
    if (text == NULL)
        return NULL;
    /* The registry may grow between measuring and writing: retry until it fits. */
    for (;;) {
        size_t need = redact_into(text, NULL, 0);
        char *out = malloc(need + 1);
        if (!out)
            return NULL;
        if (redact_into(text, out, need + 1) <= need)
            return out;
        free(out);
    }
}

void secret_forget_all(void)
{
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < registry_count; i++) {
        /* Secrets should not linger in freed memory either. */
        explicit_bzero(registry[i].value, registry[i].len);
        free(registry[i].value);
    }
    free(registry);
    registry = NULL;
    registry_count = registry_capacity = 0;
    pthread_mutex_unlock(&registry_lock);
}
