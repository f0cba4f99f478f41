/* Clocks. Cores never read a clock: time comes in as an argument; shells use these. */
#ifndef RT_TIME_H
#define RT_TIME_H

#include <stddef.h>
#include <stdint.h>

/** Wall-clock time in milliseconds since the Unix epoch (UTC). */
int64_t rt_time_now_ms(void);

/** Monotonic time in milliseconds (for timeouts and durations). */
int64_t rt_time_mono_ms(void);

/** Monotonic time in nanoseconds (for latency measurements). */
int64_t rt_time_mono_ns(void);

/** Formats ms since the epoch as "2026-11-21T22:40:01.123Z" into buf (needs 25 bytes);
 *  returns the length, 0 if cap is too small. */
size_t rt_time_format_iso(int64_t ms, char *buf, size_t cap);

/** Sleeps for ms milliseconds (resumes after signals until the time has passed or the stop
 *  flag is set). */
void rt_time_sleep_ms(int64_t ms);

#endif
