/*
 * unit.h -- a tiny harness for C unit tests of engine internals.
 *
 * A test file defines functions with TEST(name) { ... } and ends with
 * UNIT_MAIN().  tests/c_unit/test_c_unit.py compiles each *_test.c together
 * with the engine sources (csrc/os, csrc/api, csrc/cache, csrc/log,
 * csrc/btree, ...) under AddressSanitizer and UBSan and runs it; the program
 * prints "N passed, M failed" and exits non-zero on any failure.
 * argv[1], when given, is a scratch folder the tests may use.
 */
#ifndef ESEPY_UNIT_H
#define ESEPY_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*unit_fn)(void);
struct unit_test { const char *name; unit_fn fn; };

static struct unit_test unit_tests[512];
static int unit_ntests;
static int unit_failed_current;
static const char *unit_scratch = "/tmp";

#define TEST(tname)                                                              \
    static void test_##tname(void);                                             \
    __attribute__((constructor)) static void register_##tname(void)             \
    {                                                                          \
        unit_tests[unit_ntests].name = #tname;                                  \
        unit_tests[unit_ntests++].fn = test_##tname;                            \
    }                                                                          \
    static void test_##tname(void)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            unit_failed_current = 1;                                           \
            return;                                                            \
        }                                                                      \
    } while (0)

/* Check a JET_ERR-returning expression against the expected value. */
#define CHECK_ERR(expr, expected)                                              \
    do {                                                                       \
        long long got_ = (long long)(expr), want_ = (long long)(expected);     \
        if (got_ != want_) {                                                   \
            fprintf(stderr, "%s:%d: %s returned %lld, expected %lld\n", __FILE__, \
                    __LINE__, #expr, got_, want_);                             \
            unit_failed_current = 1;                                           \
            return;                                                            \
        }                                                                      \
    } while (0)

/* A fresh, empty scratch folder for the current test: <scratch>/<name>. */
static inline const char *unit_dir(const char *name)
{
    static char path[1024];
    char cmd[2200];
    if (snprintf(path, sizeof(path), "%s/%s", unit_scratch, name) >= (int)sizeof(path))
        abort();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", path, path);
    if (system(cmd) != 0)
        abort();
    return path;
}

#define UNIT_MAIN()                                                            \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        int passed = 0, failed = 0;                                            \
        const char *only = argc > 2 ? argv[2] : NULL;                          \
        if (argc > 1)                                                          \
            unit_scratch = argv[1];                                            \
        for (int i = 0; i < unit_ntests; i++) {                                \
            if (only && strcmp(only, unit_tests[i].name) != 0)                 \
                continue;                                                      \
            unit_failed_current = 0;                                           \
            unit_tests[i].fn();                                                \
            if (unit_failed_current) {                                         \
                failed++;                                                      \
                fprintf(stderr, "FAIL %s\n", unit_tests[i].name);              \
            } else {                                                           \
                passed++;                                                      \
            }                                                                  \
        }                                                                      \
        printf("%d passed, %d failed\n", passed, failed);                      \
        return failed ? 1 : 0;                                                 \
    }

#endif /* ESEPY_UNIT_H */
