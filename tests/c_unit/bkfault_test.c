/*
 * bkfault_test.c -- I/O faults during JetBackupInstance and JetRestoreInstance,
 * driven through the public API with the OS layer's fault hooks (os_fault_io):
 * for k = 1, 2, ... the k-th write (or fsync) fails.  Each failed attempt must
 * report the injected error (JET_errDiskIO; JET_errLogWriteFail when the
 * operation was a log write: the backup's log roll, restore's new log data),
 * leave the previous good set (atomic backup), an empty folder (plain backup)
 * or the database that was at the destination (restore) behind, and an
 * attempt after the fault clears must succeed with every row there.
 */
#include "unit.h"

#include "esent.h"
#include "esepy_ext.h"
#include "os.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define ROWS 400

static int g_seq; /* instance names must differ */

static JET_ERR make_inst(const char *dir, JET_INSTANCE *pinst)
{
    char name[32], path[1100];
    snprintf(name, sizeof(name), "bkf%d", g_seq++);
    JET_ERR err = JetCreateInstance2(pinst, name, name, 0);
    if (err < 0)
        return err;
    snprintf(path, sizeof(path), "%s/", dir);
    const uint32_t ids[] = { JET_paramSystemPath, JET_paramLogFilePath, JET_paramTempPath };
    for (unsigned i = 0; err >= 0 && i < 3; i++)
        err = JetSetSystemParameter(pinst, 0, ids[i], 0, path);
    if (err >= 0)
        err = JetSetSystemParameter(pinst, 0, JET_paramLogFileSize, 128, NULL);
    if (err >= 0)
        err = JetSetSystemParameter(pinst, 0, JET_paramCreatePathIfNotExist, 1, NULL);
    /* The checkpoint follows closely, so each full backup truncates what the
     * last one copied and the sets (and the loops below) stay small. */
    if (err >= 0)
        err = JetSetSystemParameter(pinst, 0, JET_paramCheckpointDepthMax, 64 * 1024, NULL);
    /* The k-th I/O fails: the checkpoint runs inline so that k names the
     * same call in every run (a thread's syncs would interleave by timing). */
    if (err >= 0)
        err = JetSetSystemParameter(pinst, 0, ESEPY_paramCheckpointThread, 0, NULL);
    return err;
}

typedef struct live {
    JET_INSTANCE inst;
    JET_SESID    ses;
    JET_TABLEID  t;
    JET_COLUMNID ck, cv;
    int          rows;
} live;

static JET_ERR add_rows(live *pl, int n)
{
    char payload[200];
    memset(payload, 'x', sizeof(payload));
    for (int i = 0; i < n; i++, pl->rows++) {
        int32_t k = pl->rows;
        JET_ERR err = JetPrepareUpdate(pl->ses, pl->t, JET_prepInsert);
        if (err >= 0)
            err = JetSetColumn(pl->ses, pl->t, pl->ck, &k, 4, 0, NULL);
        if (err >= 0)
            err = JetSetColumn(pl->ses, pl->t, pl->cv, payload, sizeof(payload), 0, NULL);
        if (err >= 0)
            err = JetUpdate(pl->ses, pl->t, NULL, 0, NULL);
        if (err < 0)
            return err;
    }
    return JET_errSuccess;
}

static JET_ERR live_open(const char *dir, live *pl)
{
    char db[1100];
    JET_DBID dbid;
    memset(pl, 0, sizeof(*pl));
    snprintf(db, sizeof(db), "%s/a.edb", dir);
    JET_ERR err = make_inst(dir, &pl->inst);
    if (err >= 0)
        err = JetInit(&pl->inst);
    if (err >= 0)
        err = JetBeginSession(pl->inst, &pl->ses, NULL, NULL);
    if (err >= 0)
        err = JetCreateDatabase(pl->ses, db, NULL, &dbid, 0);
    if (err >= 0)
        err = JetCreateTable(pl->ses, dbid, "t", 0, 0, &pl->t);
    JET_COLUMNDEF cd;
    memset(&cd, 0, sizeof(cd));
    cd.cbStruct = sizeof(cd);
    cd.coltyp = JET_coltypLong;
    if (err >= 0)
        err = JetAddColumn(pl->ses, pl->t, "k", &cd, NULL, 0, &pl->ck);
    cd.coltyp = JET_coltypBinary;
    if (err >= 0)
        err = JetAddColumn(pl->ses, pl->t, "v", &cd, NULL, 0, &pl->cv);
    if (err >= 0)
        err = JetCreateIndex(pl->ses, pl->t, "pk", JET_bitIndexPrimary, "+k\0", 4, 100);
    return err;
}

/* After a failed log write the instance refuses every change until it is
 * restarted (recovery): stop it dirty and start it again on the same folder. */
static JET_ERR live_restart(const char *dir, live *pl)
{
    char db[1100];
    JET_DBID dbid;
    (void)JetTerm2(pl->inst, JET_bitTermDirty);
    snprintf(db, sizeof(db), "%s/a.edb", dir);
    JET_ERR err = make_inst(dir, &pl->inst);
    if (err >= 0)
        err = JetInit(&pl->inst);
    if (err >= 0)
        err = JetBeginSession(pl->inst, &pl->ses, NULL, NULL);
    if (err >= 0)
        err = JetAttachDatabase(pl->ses, db, 0);
    if (err >= 0)
        err = JetOpenDatabase(pl->ses, db, NULL, &dbid, 0);
    if (err >= 0)
        err = JetOpenTable(pl->ses, dbid, "t", NULL, 0, 0, &pl->t);
    return err < 0 ? err : JET_errSuccess;
}

/* Rows of a.edb at `db`, attached by a fresh instance in `dir`; -1 on error. */
static int count_rows(const char *dir, const char *db)
{
    JET_INSTANCE inst;
    JET_SESID ses;
    JET_DBID dbid;
    JET_TABLEID t;
    int n = -1;
    JET_ERR err = make_inst(dir, &inst);
    if (err < 0)
        return -1;
    err = JetInit(&inst);
    if (err >= 0)
        err = JetBeginSession(inst, &ses, NULL, NULL);
    if (err >= 0)
        err = JetAttachDatabase(ses, db, 0);
    if (err >= 0)
        err = JetOpenDatabase(ses, db, NULL, &dbid, 0);
    if (err >= 0)
        err = JetOpenTable(ses, dbid, "t", NULL, 0, 0, &t);
    if (err >= 0) {
        n = 0;
        for (err = JetMove(ses, t, JET_MoveFirst, 0); err >= 0; err = JetMove(ses, t, JET_MoveNext, 0))
            n++;
        if (err != JET_errNoCurrentRecord)
            n = -1;
    }
    if (JetTerm(inst) < 0)
        n = -1;
    return n;
}

/* A digest of the regular files of `dir` (names, sizes, crc of contents);
 * also counts the names ending in ".tmp" into *pctmp. */
static uint32_t digest_dir(const char *dir, int *pctmp)
{
    uint32_t h = 0;
    *pctmp = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return 0xFFFFFFFFu;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        size_t n = strlen(de->d_name);
        if (n > 4 && strcmp(de->d_name + n - 4, ".tmp") == 0)
            (*pctmp)++;
        char path[1400];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        uint32_t c = os_crc32c(0, de->d_name, n);
        if (f) {
            char buf[65536];
            size_t got;
            while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
                c = os_crc32c(c, buf, got);
            fclose(f);
        }
        h ^= c; /* order-independent */
    }
    closedir(d);
    return h;
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Rows of the set in `bk` restored into base/<tag>/dest; -1 on error. */
static int restored_rows(const char *base, const char *tag, const char *bk)
{
    char out[1200], dest[1300], db[1400];
    snprintf(out, sizeof(out), "%s/%s", base, tag);
    snprintf(dest, sizeof(dest), "%s/dest", out);
    snprintf(db, sizeof(db), "%s/a.edb", dest);
    JET_INSTANCE r;
    if (make_inst(out, &r) < 0)
        return -1;
    JET_ERR err = JetRestoreInstance(r, bk, dest, NULL);
    if (JetTerm(r) < 0 || err < 0)
        return -1;
    return count_rows(out, db);
}

/* An atomic backup whose k-th operation of `kind` fails, for every k until
 * one gets through.  Each failure reports the error, leaves no bk/temp and
 * no .tmp file, and bk/new holds a complete set: the previous one, or (when
 * the failure came after the new set was promoted: recording the backup in
 * the headers and the checkpoint) the new one; it restores to the rows of
 * one of them.  The retry succeeds (after a restart when the log roll
 * failed: the instance refuses changes after a failed log write). */
static void atomic_backup_faults(int kind, const char *name)
{
    char base[1024], livedir[1100], bk[1100], newdir[1200], tempdir[1200], tag[64];
    snprintf(base, sizeof(base), "%s", unit_dir(name));
    snprintf(livedir, sizeof(livedir), "%s/live", base);
    snprintf(bk, sizeof(bk), "%s/bk", base);
    snprintf(newdir, sizeof(newdir), "%s/new", bk);
    snprintf(tempdir, sizeof(tempdir), "%s/temp", bk);
    live l;
    CHECK_ERR(live_open(livedir, &l), JET_errSuccess);
    CHECK_ERR(add_rows(&l, ROWS), JET_errSuccess);
    CHECK_ERR(JetBackupInstance(l.inst, bk, JET_bitBackupAtomic, NULL), JET_errSuccess);
    int ctmp, rowsGood = l.rows;
    uint32_t good = digest_dir(newdir, &ctmp);
    int k, cfail = 0, cnew = 0;
    for (k = 1; k < 400; k++) {
        CHECK_ERR(add_rows(&l, 5), JET_errSuccess);
        os_fault_io(kind, (uint32_t)k, 0, JET_errDiskIO);
        JET_ERR err = JetBackupInstance(l.inst, bk, JET_bitBackupAtomic, NULL);
        os_fault_io(kind, 0, 0, 0);
        if (getenv("BKF_DEBUG"))
            fprintf(stderr, "%s k=%d err=%d\n", name, k, (int)err);
        if (err >= 0) {
            CHECK(digest_dir(newdir, &ctmp) != good && ctmp == 0);
            CHECK(!exists(tempdir));
            break; /* k is past the backup's last operation of this kind */
        }
        cfail++;
        if (err != JET_errDiskIO && err != JET_errLogWriteFail)
            fprintf(stderr, "%s: k=%d -> %d\n", name, k, (int)err);
        CHECK(err == JET_errDiskIO || err == JET_errLogWriteFail); /* a backup file, or the log roll */
        CHECK(!exists(tempdir));
        uint32_t now = digest_dir(newdir, &ctmp);
        CHECK(ctmp == 0);
        snprintf(tag, sizeof(tag), "chk%d", k);
        int rows = restored_rows(base, tag, bk);
        if (now == good) {
            CHECK(rows == rowsGood); /* the previous set, intact */
        } else {
            CHECK(rows == l.rows); /* the new set, complete */
            cnew++;
        }
        if (err == JET_errLogWriteFail)
            CHECK_ERR(live_restart(livedir, &l), JET_errSuccess);
        CHECK_ERR(JetBackupInstance(l.inst, bk, JET_bitBackupAtomic, NULL), JET_errSuccess);
        good = digest_dir(newdir, &ctmp);
        rowsGood = l.rows;
        CHECK(ctmp == 0);
    }
    if (getenv("BKF_DEBUG"))
        fprintf(stderr, "%s: %d failures, %d after the promotion\n", name, cfail, cnew);
    CHECK(k < 400 && cfail > 0);
    int rows = l.rows;
    CHECK_ERR(JetTerm(l.inst), JET_errSuccess);
    CHECK(restored_rows(base, "final", bk) == rows);
}

TEST(atomic_backup_survives_each_failed_write)
{
    atomic_backup_faults(OS_FAULT_WRITE, "bkf_write");
}

TEST(atomic_backup_survives_each_failed_sync)
{
    atomic_backup_faults(OS_FAULT_SYNC, "bkf_sync");
}

/* A plain full backup into an empty folder whose k-th operation of `kind`
 * fails: the folder is left empty (what the backup wrote is removed), so
 * the retry into the same folder succeeds and restores every row. */
static void plain_backup_faults(int kind, const char *name)
{
    char base[1024], livedir[1100], bk[1100], tag[64];
    snprintf(base, sizeof(base), "%s", unit_dir(name));
    snprintf(livedir, sizeof(livedir), "%s/live", base);
    live l;
    CHECK_ERR(live_open(livedir, &l), JET_errSuccess);
    CHECK_ERR(add_rows(&l, ROWS), JET_errSuccess);
    int k, cfail = 0;
    for (k = 1; k < 400; k++) {
        CHECK_ERR(add_rows(&l, 5), JET_errSuccess);
        snprintf(bk, sizeof(bk), "%s/bk%d", base, k);
        CHECK_ERR(os_mkdir_p(bk), JET_errSuccess);
        os_fault_io(kind, (uint32_t)k, 0, JET_errDiskIO);
        JET_ERR err = JetBackupInstance(l.inst, bk, 0, NULL);
        os_fault_io(kind, 0, 0, 0);
        if (err >= 0)
            break;
        cfail++;
        if (getenv("BKF_DEBUG"))
            fprintf(stderr, "%s k=%d err=%d\n", name, k, (int)err);
        /* a failed read of a log to copy is a damaged log (verify_log) */
        CHECK(err == JET_errDiskIO || err == JET_errLogWriteFail ||
              (kind == OS_FAULT_READ && err == JET_errLogReadVerifyFailure));
        int ctmp;
        uint32_t h = digest_dir(bk, &ctmp);
        CHECK(h == 0 && ctmp == 0); /* empty again */
        if (err == JET_errLogWriteFail)
            CHECK_ERR(live_restart(livedir, &l), JET_errSuccess);
        CHECK_ERR(JetBackupInstance(l.inst, bk, 0, NULL), JET_errSuccess);
        snprintf(tag, sizeof(tag), "chk%d", k);
        CHECK(restored_rows(base, tag, bk) == l.rows);
    }
    CHECK(k < 400 && cfail > 0);
    CHECK_ERR(JetTerm(l.inst), JET_errSuccess);
}

TEST(plain_backup_survives_each_failed_write)
{
    plain_backup_faults(OS_FAULT_WRITE, "pbf_write");
}

TEST(plain_backup_survives_each_failed_sync)
{
    plain_backup_faults(OS_FAULT_SYNC, "pbf_sync");
}

/* Reads too: the database stream's, the log verification's and the log
 * copies' (os_file_copy counts as a read and a write). */
TEST(plain_backup_survives_each_failed_read)
{
    plain_backup_faults(OS_FAULT_READ, "pbf_read");
}

static uint32_t file_digest(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    uint32_t c = 1;
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
        c = os_crc32c(c, buf, got);
    fclose(f);
    return c;
}

/* A restore over a good database whose k-th operation of `kind` fails, for
 * every k until one gets through: each failure reports the error and leaves
 * the database that was there byte for byte (no working copy, no
 * .prerestore); a retry with the same log folder succeeds. */
static void restore_faults(int kind, const char *name)
{
    char base[1024], livedir[1100], bk[1100], out[1200], dest[1200], db[1300], work[1300], saved[1300];
    snprintf(base, sizeof(base), "%s", unit_dir(name));
    snprintf(livedir, sizeof(livedir), "%s/live", base);
    snprintf(bk, sizeof(bk), "%s/bk", base);
    snprintf(dest, sizeof(dest), "%s/dest", base);
    snprintf(db, sizeof(db), "%s/a.edb", dest);
    snprintf(work, sizeof(work), "%s/a.edb.restoring", dest);
    snprintf(saved, sizeof(saved), "%s/a.edb.prerestore", dest);
    live l;
    CHECK_ERR(live_open(livedir, &l), JET_errSuccess);
    CHECK_ERR(add_rows(&l, ROWS), JET_errSuccess);
    CHECK_ERR(JetBackupInstance(l.inst, bk, 0, NULL), JET_errSuccess);
    CHECK_ERR(JetTerm(l.inst), JET_errSuccess);
    JET_INSTANCE r;
    snprintf(out, sizeof(out), "%s/out0", base);
    CHECK_ERR(make_inst(out, &r), JET_errSuccess);
    CHECK_ERR(JetRestoreInstance(r, bk, dest, NULL), JET_errSuccess);
    CHECK_ERR(JetTerm(r), JET_errSuccess);
    CHECK(count_rows(out, db) == ROWS);
    uint32_t good = file_digest(db);
    int k, cfail = 0;
    for (k = 1; k < 400; k++) {
        snprintf(out, sizeof(out), "%s/out%d", base, k);
        CHECK_ERR(make_inst(out, &r), JET_errSuccess);
        os_fault_io(kind, (uint32_t)k, 0, JET_errDiskIO);
        JET_ERR err = JetRestoreInstance(r, bk, dest, NULL);
        os_fault_io(kind, 0, 0, 0);
        CHECK_ERR(JetTerm(r), JET_errSuccess);
        if (getenv("BKF_DEBUG"))
            fprintf(stderr, "%s k=%d err=%d\n", name, k, (int)err);
        if (err >= 0) {
            CHECK(!exists(work) && !exists(saved));
            CHECK(count_rows(out, db) == ROWS);
            break;
        }
        cfail++;
        if (err != JET_errDiskIO && err != JET_errLogWriteFail)
            fprintf(stderr, "%s: k=%d -> %d\n", name, k, (int)err);
        CHECK(err == JET_errDiskIO || err == JET_errLogWriteFail); /* a database copy, or the new log */
        CHECK(!exists(work) && !exists(saved)); /* no half-written working copy */
        CHECK(file_digest(db) == good);         /* the database that was there, as it was */
        CHECK_ERR(make_inst(out, &r), JET_errSuccess);
        err = JetRestoreInstance(r, bk, dest, NULL);
        if (err < 0)
            fprintf(stderr, "%s: retry after k=%d -> %d\n", name, k, (int)err);
        CHECK_ERR(JetTerm(r), JET_errSuccess);
        CHECK_ERR(err, JET_errSuccess);
        CHECK(!exists(work) && !exists(saved));
        CHECK(count_rows(out, db) == ROWS);
        good = file_digest(db);
    }
    CHECK(k < 400 && cfail > 0);
}

TEST(restore_survives_each_failed_write)
{
    restore_faults(OS_FAULT_WRITE, "rstf_write");
}

TEST(restore_survives_each_failed_sync)
{
    restore_faults(OS_FAULT_SYNC, "rstf_sync");
}

UNIT_MAIN()
