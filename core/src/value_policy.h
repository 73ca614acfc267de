/*
 * Value policies: what a type rule does to each value at row time, in C (a
 * rule file is Lua, but it only runs once, when it is loaded). A value the
 * policy cannot take is never dropped, cut or shifted: it is a row error that
 * fails its table, with the table, column, value and policy in the message.
 */
#ifndef SLUICE_VALUE_POLICY_H
#define SLUICE_VALUE_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sluice/sluice.h>

#include "tz.h"

typedef enum vp_convert {
    VP_KEEP = 0,
    VP_INT_TO_BOOL,   /* 0 / 1 → false / true; anything else is a row error */
    VP_SET_TO_ARRAY,  /* MySQL SET "a,b" → array literal {a,b} */
    VP_UNSIGNED       /* an integer fast-path value is read as unsigned 64-bit */
} vp_convert;

typedef enum vp_zero {
    VP_ZERO_PASS = 0, /* no zero-date policy */
    VP_ZERO_NULL,     /* a zero date becomes NULL */
    VP_ZERO_ERROR,    /* a zero date is a row error */
    VP_ZERO_VALUE     /* a zero date becomes zero_value */
} vp_zero;

/* A data-masking rule's work on the column (value_mask.h); it runs first. */
typedef enum vp_mask {
    VP_MASK_NONE = 0,
    VP_MASK_DIGITS,    /* data-masking-digits-mask: each digit 0-9 becomes mask_char */
    VP_MASK_RANDOMIZE, /* data-masking-digits-randomize: each digit a random digit */
    VP_MASK_HASH       /* data-masking-hash-mask: upper-case hex SHA-256 of the value */
} vp_mask;

typedef struct value_policy {
    uint8_t convert;          /* vp_convert */
    uint8_t zero_date;        /* vp_zero */
    uint8_t mask;             /* vp_mask */
    char mask_char;           /* VP_MASK_DIGITS: what a digit becomes */
    uint32_t mask_type;       /* VP_MASK_RANDOMIZE: the column's sluice_type (numbers stay
                                 numbers of that type) */
    int32_t max_chars;        /* > 0: a longer value (in characters) is a row error */
    const char *zero_value;   /* VP_ZERO_VALUE: the date written instead */
    const tz_zone *zone;      /* a zone-less timestamp is local time there */
} value_policy;

/* 1 when the policy may change or refuse a value. */
int value_policy_active(const value_policy *vp);

/* The name a policy goes by in rule files and messages ("int_to_bool"), 0 when unknown. */
vp_convert value_policy_convert(const char *name);
const char *value_policy_convert_name(vp_convert c);

/*
 * Runs the policy on *v (NULL and unchanged values pass). Returns 0 with *v
 * the value to write (new text lives in the batch arena), 1 when the value
 * is refused (why: "is not 0 or 1 (value policy int_to_bool)", hint: what to
 * change), -1 when the batch is out of memory.
 */
int value_policy_apply(const value_policy *vp, sluice_batch *b, sluice_value *v, char *why,
                       size_t whysize, const char **hint);

/* A refused value as a row error (SLUICE_ERROR: the table's error handling):
   table "s.t", column "c": value "<at most 100 characters>..." <why>. */
void value_policy_reject(sluice_error *err, const sluice_table *t, sluice_str column,
                         const sluice_value *v, const char *why, const char *hint);

/* 1 when text is a MySQL zero or partial-zero date: year, month or day 0
   ("0000-00-00", "2020-00-15 10:00:00"). */
int value_policy_zero_date(const char *text, size_t len);

#endif
