/*
 * The core's SHA-256 (data-masking-hash-mask, value_mask.c) is the mask
 * transform plugin's, compiled once more here rather than copied. Its
 * hex_encode is renamed because state.c has a hex_encode of its own.
 */
#define hex_encode sha256_hex_encode
#include "../../transforms/mask/sha256.c"
