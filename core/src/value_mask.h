/*
 * The data-masking rule-actions of AWS DMS table mappings, per value, in C
 * (docs.aws.amazon.com/dms/latest/userguide/
 * CHAP_Tasks.CustomizingTasks.TableMapping.SelectionTransformation.Masking.html):
 *
 *   data-masking-digits-mask       each digit 0-9 becomes the masking character
 *                                  ("C6BGJ56669K" with # -> "C#BGJ######K")
 *   data-masking-digits-randomize  each digit becomes a random digit (getrandom(2))
 *   data-masking-hash-mask         the SHA-256 of the value's text, 64 upper-case
 *                                  hex digits, as DMS writes it; the same value
 *                                  always gives the same hash, so keys still join
 *
 * A mask is a step of the column's value policy (value_policy.h), so the plan
 * runs it where it runs the type rules, on new rows and old keys alike.
 */
#ifndef SLUICE_VALUE_MASK_H
#define SLUICE_VALUE_MASK_H

#include <stddef.h>
#include <sluice/sluice.h>

#include "value_policy.h"

#define VALUE_MASK_HASH_CHARS 64 /* hex digits of a SHA-256 */

/* The rule-action a mask stands for ("data-masking-hash-mask"); "" for none. */
const char *value_mask_name(vp_mask m);

/* Plan time: NULL when a column of c's type (the target column) can hold what
   the mask writes; else why not, in words ("a masked value is no longer a
   number"), into why. */
const char *value_mask_refuses(vp_mask m, const sluice_column *c, char *why, size_t whysize);

/*
 * Masks *v (NULL and unchanged values pass) into new text in the batch arena.
 * Returns 0, 1 when the value cannot be masked (why, hint: a value in the
 * source's native form, or no random bytes to be had), -1 when out of memory.
 */
int value_mask_apply(const value_policy *vp, sluice_batch *b, sluice_value *v, char *why,
                     size_t whysize, const char **hint);

#endif
