/*
 * os_testcase.h -- testcase() markers, as SQLite has them: testcase(X) on a
 * boundary (a fixed-size limit reached, an array about to grow) states that
 * the tests must make X true there at least once.
 *
 * In release builds (NDEBUG) testcase(X) is nothing: X is not even
 * evaluated.  In debug builds every marker whose X is true counts a hit under
 * the marker's expression text, so a C unit test (tests/c_unit, built
 * without NDEBUG) can assert that it reached the boundary it means to:
 * os_testcase_hits("psess->ccursors == psess->ccursorsAlloc").
 * Owned by the OS layer as a test hook (os_testcase.c); any layer may use the
 * macro.  X must have no side effects.
 */
#ifndef ESEPY_OS_TESTCASE_H
#define ESEPY_OS_TESTCASE_H

#include <stdint.h>

#ifndef NDEBUG
void os_testcase_hit(const char *szExpr, const char *szFile, int line);
#define testcase(X)                                     \
    do {                                                \
        if (X)                                          \
            os_testcase_hit(#X, __FILE__, __LINE__);    \
    } while (0)
#else
#define testcase(X) ((void)0)
#endif

/* Hits of the markers whose expression text is szExpr, since the process
 * started (always 0 in release builds). */
uint64_t os_testcase_hits(const char *szExpr);

#endif /* ESEPY_OS_TESTCASE_H */
