/*
 * fuzz_util.h -- helpers shared by the fuzz targets of tests/fuzz: a scratch
 * folder per process (created on first use, removed at exit) and writing the
 * fuzz input to a file in it, for readers that only take a path.
 *
 * Owns: the scratch folder.  Must not touch: engine state (each target calls
 * the engine's own functions only).  Harness state is process-global on
 * purpose: libFuzzer calls LLVMFuzzerTestOneInput many times in one process.
 */
#ifndef ESEPY_FUZZ_UTIL_H
#define ESEPY_FUZZ_UTIL_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_fuzz_dir[512];

static void fuzz_clear_dir(void)
{
    DIR *d = opendir(g_fuzz_dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", g_fuzz_dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static void fuzz_remove_dir(void)
{
    fuzz_clear_dir();
    rmdir(g_fuzz_dir);
}

/* The scratch folder, emptied (every call starts from an empty folder). */
static const char *fuzz_dir(void)
{
    if (g_fuzz_dir[0] == 0) {
        const char *tmp = getenv("TMPDIR");
        snprintf(g_fuzz_dir, sizeof(g_fuzz_dir), "%s/esepy-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(g_fuzz_dir) == NULL) {
            perror("mkdtemp");
            abort();
        }
        atexit(fuzz_remove_dir);
    } else {
        fuzz_clear_dir();
    }
    return g_fuzz_dir;
}

/* Write data to <scratch>/<name>; the path goes to out.  Aborts on failure
 * (a harness problem, not a finding). */
static void fuzz_write(const char *name, const uint8_t *data, size_t size, char *out, size_t cbOut)
{
    snprintf(out, cbOut, "%s/%s", g_fuzz_dir, name);
    FILE *f = fopen(out, "wb");
    if (f == NULL || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(out);
        abort();
    }
}

#endif /* ESEPY_FUZZ_UTIL_H */
