/*
 * os_testcase.c -- the hit counters behind testcase() (os_testcase.h), a test
 * hook of the OS layer.
 *
 * Owns: a fixed table of markers (expression text, file, line, hits) and the
 * mutex that guards it; both live for the process.  A marker is entered on
 * its first hit; past TESTCASE_MAX distinct markers further ones are not
 * counted (the table is sized far above the markers the engine has).
 * Must not touch: anything above the OS layer.
 */
#include "os_testcase.h"

#include <pthread.h>
#include <string.h>

#define TESTCASE_MAX 256

#ifndef NDEBUG
static struct {
    const char *szExpr, *szFile;
    int         line;
    uint64_t    hits;
} g_testcases[TESTCASE_MAX];
static uint32_t g_ctestcases;
static pthread_mutex_t g_testcase_lock = PTHREAD_MUTEX_INITIALIZER;

void os_testcase_hit(const char *szExpr, const char *szFile, int line)
{
    pthread_mutex_lock(&g_testcase_lock);
    uint32_t i = 0;
    while (i < g_ctestcases && !(g_testcases[i].line == line && strcmp(g_testcases[i].szFile, szFile) == 0))
        i++;
    if (i == g_ctestcases && g_ctestcases < TESTCASE_MAX) {
        g_testcases[i].szExpr = szExpr;
        g_testcases[i].szFile = szFile;
        g_testcases[i].line = line;
        g_ctestcases++;
    }
    if (i < g_ctestcases)
        g_testcases[i].hits++;
    pthread_mutex_unlock(&g_testcase_lock);
}

uint64_t os_testcase_hits(const char *szExpr)
{
    uint64_t n = 0;
    pthread_mutex_lock(&g_testcase_lock);
    for (uint32_t i = 0; i < g_ctestcases; i++)
        if (strcmp(g_testcases[i].szExpr, szExpr) == 0)
            n += g_testcases[i].hits;
    pthread_mutex_unlock(&g_testcase_lock);
    return n;
}
#else
uint64_t os_testcase_hits(const char *szExpr)
{
    (void)szExpr;
    return 0;
}
#endif
