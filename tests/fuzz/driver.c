/*
 * driver.c -- a standalone main() for the fuzz targets of tests/fuzz, used
 * when they are built without libFuzzer (gcc, sanitizers): every file named
 * on the command line, or found in a folder named there, is passed once to
 * LLVMFuzzerTestOneInput.  tests/fuzz/test_fuzz_corpus.py runs the corpus
 * this way as a regression test.
 *
 * Owns: nothing of the engine.  Exit status 0 once every input ran; a crash
 * or a sanitizer report ends the process (the sanitizers set the status).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *p = realloc(buf, cap * 2);
            if (p == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf == NULL) {
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    printf("input %s (%zu bytes)\n", path, n);
    fflush(stdout);
    /* a copy of exactly n bytes, so that ASan sees reads past the input */
    uint8_t *exact = malloc(n ? n : 1);
    if (exact == NULL) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int cinput = 0, cfail = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            cfail++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            cfail += run_file(argv[i]) < 0;
            cinput++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (d == NULL) {
            perror(argv[i]);
            cfail++;
            continue;
        }
        char **names = NULL;
        size_t cname = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char **p = realloc(names, (cname + 1) * sizeof(*names));
            if (p == NULL)
                break;
            names = p;
            names[cname] = malloc(strlen(argv[i]) + strlen(e->d_name) + 2);
            if (names[cname] == NULL)
                break;
            sprintf(names[cname], "%s/%s", argv[i], e->d_name);
            cname++;
        }
        closedir(d);
        if (cname)
            qsort(names, cname, sizeof(*names), cmp_str);
        for (size_t j = 0; j < cname; j++) {
            cfail += run_file(names[j]) < 0;
            cinput++;
            free(names[j]);
        }
        free(names);
    }
    printf("%d inputs run, %d unreadable\n", cinput, cfail);
    return cfail ? 1 : 0;
}
