/*
 * Time zones for the time_zone value policy: a zone-less timestamp is read as
 * local time in a named zone (the tz database's TZif files, with the POSIX
 * rule of their footer for times after the last listed transition) or a fixed
 * offset, and becomes an instant with its UTC offset. The C library's
 * localtime cannot do this per zone without changing TZ for the whole process.
 */
#ifndef SLUICE_TZ_H
#define SLUICE_TZ_H

#include <stddef.h>
#include <stdint.h>

typedef struct tz_zone tz_zone;

/* Loads "UTC", "+05:30", "-03" or a tz database name ("Europe/Berlin", from
   $TZDIR or /usr/share/zoneinfo). NULL with why filled when it cannot. */
tz_zone *tz_load(const char *name, char *why, size_t whysize);
void tz_free(tz_zone *z);
const char *tz_name(const tz_zone *z);

/* The UTC offset (seconds east) in effect at a UTC instant. */
int32_t tz_offset_at(const tz_zone *z, int64_t utc);

/* The offset of a local time (seconds since 1970 as if it were UTC): 0 with
   *offset set; 1 when the local time falls in a gap (it never happened there).
   An ambiguous time (clocks turned back) takes the offset after the change,
   as PostgreSQL does. */
int tz_local_offset(const tz_zone *z, int64_t local, int32_t *offset);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t tz_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
