/* Unit tests of the OS layer (paths, locks, allocation faults). */
#include "unit.h"
#include "os.h"

TEST(path_absolute_normalises)
{
    char out[OS_PATH_MAX];
    CHECK_ERR(os_path_absolute("/a/./b//c/../d/", out, sizeof out), JET_errSuccess);
    CHECK(strcmp(out, "/a/b/d") == 0);
    CHECK_ERR(os_path_absolute("/..", out, sizeof out), JET_errSuccess);
    CHECK(strcmp(out, "/") == 0);
    CHECK_ERR(os_path_absolute("", out, sizeof out), JET_errInvalidPath);
    CHECK_ERR(os_path_absolute("/abc", out, 3), JET_errInvalidPath);
}

TEST(mkdir_p_and_lock)
{
    const char *d = unit_dir("mkdir_p_and_lock");
    char p[1024];
    snprintf(p, sizeof p, "%s/x/y/z", d);
    CHECK_ERR(os_mkdir_p(p), JET_errSuccess);
    CHECK(os_is_dir(p));
    os_lock *a = NULL, *b = NULL;
    CHECK_ERR(os_lock_dir(p, &a), JET_errSuccess);
    CHECK_ERR(os_lock_dir(p, &b), JET_errFileAccessDenied);
    os_unlock(a);
    CHECK_ERR(os_lock_dir(p, &b), JET_errSuccess);
    os_unlock(b);
}

TEST(allocation_faults)
{
    os_fault_alloc(2, 0);
    void *a = os_malloc(8);
    void *b = os_malloc(8);
    void *c = os_malloc(8);
    CHECK(a != NULL && b == NULL && c != NULL);
    CHECK(os_fault_alloc_hits() == 1);
    os_free(a);
    os_free(c);
    os_fault_alloc(1, 1);
    CHECK(os_malloc(1) == NULL && os_malloc(1) == NULL);
    os_fault_alloc(0, 0);
    a = os_malloc(1);
    CHECK(a != NULL);
    os_free(a);
}

UNIT_MAIN()
