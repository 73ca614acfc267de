/*
 * Secrets: values that came from env "NAME" or file "/path", or were given to an
 * option declared SLUICE_OPTION_SECRET. They are registered here once and
 * replaced by "********" in every line the core writes (logs, errors, status).
 */
#ifndef SLUICE_SECRET_H
#define SLUICE_SECRET_H

#include <stddef.h>

/* Remembers a secret value (copied). Values shorter than 3 bytes are not redacted. */
void secret_register(const char *value, size_t len);
/* Copies text into buf (NUL-terminated, truncated to size) with every secret masked. */
void secret_redact(const char *text, char *buf, size_t size);
/* A malloc'd copy of text with every secret masked (the mask may be longer than
   the secret, so this never truncates); NULL when out of memory. */
char *secret_redact_dup(const char *text);
/* Frees the registry (at exit, for leak checkers). */
void secret_forget_all(void);

#endif
