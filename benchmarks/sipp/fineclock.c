/*
 * Preloaded into SIPp by sip_harness/sipp_load.py for load tests that measure latency.
 *
 * Debian's SIPp 3.6 reads its clock with CLOCK_MONOTONIC_COARSE, which moves in steps of one
 * kernel tick (4 ms with HZ=250): every response time it reports is a multiple of 4 ms, too
 * coarse for a 2 ms target. This library answers SIPp's coarse clock reads from the precise
 * clocks (CLOCK_MONOTONIC, CLOCK_REALTIME; both read through the vDSO, no system call), so the
 * response times SIPp records are exact to the microsecond. Nothing else changes.
 *
 * Built with: cc -shared -fPIC -O2 -o fineclock.so fineclock.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

int clock_gettime(clockid_t id, struct timespec *ts)
{
    static clock_gettime_fn real;
    if (!real) {
        real = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
    }
    if (id == CLOCK_MONOTONIC_COARSE) {
        id = CLOCK_MONOTONIC;
    } else if (id == CLOCK_REALTIME_COARSE) {
        id = CLOCK_REALTIME;
    }
    return real(id, ts);
}
