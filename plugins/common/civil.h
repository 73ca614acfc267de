/* civil: calendar dates from day counts, for the decoders of source values. */
#ifndef SLUICE_PLUGIN_CIVIL_H
#define SLUICE_PLUGIN_CIVIL_H

#include <stdint.h>

/* Days since 1970-01-01 (negative before) to a proleptic Gregorian year, month
   (1-12) and day (1-31): Howard Hinnant's civil_from_days. */
void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day);

#endif
