/*
 * sluice plugin ABI: versions, the common struct header, status codes, errors.
 *
 * Compatibility policy (docs/plugin-abi.md has the long form):
 *   - SLUICE_ABI_MAJOR changes only when an existing member changes meaning, type
 *     or place. The loader refuses a plugin whose major differs from its own.
 *   - SLUICE_ABI_MINOR grows when members are appended to the end of a struct.
 *     Every versioned struct begins with sluice_header; its size field tells the
 *     reader which members exist. Readers copy min(their size, its size) into a
 *     zeroed struct, so an older plugin keeps working in a newer core, and a newer
 *     plugin's extra members are ignored by an older core.
 *   - Members are never removed or reordered within a major.
 */
#ifndef SLUICE_ABI_H
#define SLUICE_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLUICE_ABI_MAJOR 1
#define SLUICE_ABI_MINOR 8

/* Marks the two entry points a plugin exports; everything else stays hidden. */
#if defined(__GNUC__)
#define SLUICE_EXPORT __attribute__((visibility("default")))
#define SLUICE_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define SLUICE_EXPORT
#define SLUICE_PRINTF(fmt_index, first_arg)
#endif

/* Every versioned public struct starts with this header. */
typedef struct sluice_header {
    uint16_t major; /* SLUICE_ABI_MAJOR the writer was built with */
    uint16_t minor; /* SLUICE_ABI_MINOR the writer was built with */
    uint32_t size;  /* sizeof the whole struct as the writer knew it */
} sluice_header;

#define SLUICE_HEADER_INIT(type) \
    { SLUICE_ABI_MAJOR, SLUICE_ABI_MINOR, (uint32_t)sizeof(type) }

/*
 * True when the struct pointed to by p is large enough to hold `member` and the
 * member is set. Use it before calling any member that is not required.
 */
#define SLUICE_HAS(p, type, member)                                            \
    ((p) != NULL &&                                                            \
     (p)->header.size >= offsetof(type, member) + sizeof(((type *)0)->member) && \
     (p)->member != 0)

/* What every callback returns. */
typedef enum sluice_status {
    SLUICE_OK = 0,    /* done; results are in the out-parameters */
    SLUICE_AGAIN = 1, /* nothing yet (no change to stream now); call again later */
    SLUICE_RETRY = 2, /* transient failure; the core backs off and retries the call */
    SLUICE_ERROR = 3, /* this batch or table failed; the table's error policy decides */
    SLUICE_FATAL = 4  /* the pipeline cannot go on */
} sluice_status;

#define SLUICE_ERROR_MESSAGE_MAX 512
#define SLUICE_ERROR_DETAIL_MAX 2048
#define SLUICE_ERROR_HINT_MAX 1024

/*
 * An error record in PostgreSQL's ereport style. The core owns it and hands it
 * to every call; a plugin fills it through host->error / error_detail /
 * error_hint and returns the status. The core adds the context (plugin, callback,
 * table, position): a plugin never formats its own location.
 *   message: one line, lower case, no final period ("could not connect to ...")
 *   detail:  what exactly happened, complete sentences
 *   hint:    how to fix it
 */
typedef struct sluice_error {
    sluice_header header;
    sluice_status status;
    char message[SLUICE_ERROR_MESSAGE_MAX];
    char detail[SLUICE_ERROR_DETAIL_MAX];
    char hint[SLUICE_ERROR_HINT_MAX];
} sluice_error;

#ifdef __cplusplus
}
#endif
#endif
