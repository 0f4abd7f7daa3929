/*
 * xfile_test.c -- files written on one CPU must read back on every other one.
 *
 * Writes, through the public API, a database with every kind of on-disk
 * structure (catalog rows with a code page and a default value, records of
 * fixed, variable and long values, a secondary index, escrow deltas, a
 * rolled-back transaction), a full backup set (database copy with its
 * trailer, logs), more commits after the backup and a transaction left open
 * when the instance stops dirty (its UNDO records are in the log), then reads
 * it all back here after recovery.  tools/cross_test.py runs this under
 * qemu-s390x (big-endian) with ESEPY_XFILE_DIR set, and
 * tests/cross/test_cross.py opens those files on the x86-64 host: recovery,
 * restore and every value must come out the same as written, which holds only
 * if every integer on disk is little-endian.
 *
 * Column values of numeric types cross the JET API as little-endian bytes
 * on every host (docs/c-api.md), so the values below are built with le.h.
 *
 * Layout of ESEPY_XFILE_DIR (or <scratch>/xfile): live/ (system and log
 * folder: x.edb, edb*.log, edb.chk; stopped dirty), bk/ (the full backup).
 * Expected content after recovery: rows k = 0..249 (XF_ROWS + XF_MORE) with
 * txt "row%03d", d = k * 1.5, esc = 2 * k + 7 (default 7), lv = XF_LV bytes
 * of (k + i) & 0xFF for k % 10 == 0; the backup alone holds k = 0..199.
 */
#include "unit.h"

#include "esent.h"
#include "le.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define XF_ROWS 200
#define XF_MORE 50
#define XF_LV   9000

typedef struct xf {
    JET_INSTANCE inst;
    JET_SESID    ses, ses2;
    JET_DBID     dbid;
    JET_TABLEID  t;
    JET_COLUMNID ck, ctxt, cd, cesc, clv;
} xf;

static JET_ERR xf_instance(const char *dir, const char *name, JET_INSTANCE *pinst)
{
    char path[1100];
    JET_ERR err = JetCreateInstance2(pinst, name, name, 0);
    snprintf(path, sizeof(path), "%s/", dir);
    const uint32_t ids[] = { JET_paramSystemPath, JET_paramLogFilePath, JET_paramTempPath };
    for (unsigned i = 0; err >= 0 && i < 3; i++)
        err = JetSetSystemParameter(pinst, 0, ids[i], 0, path);
    if (err >= 0)
        err = JetSetSystemParameter(pinst, 0, JET_paramLogFileSize, 128, NULL);
    if (err >= 0)
        err = JetSetSystemParameter(pinst, 0, JET_paramCreatePathIfNotExist, 1, NULL);
    return err;
}

static JET_ERR xf_row(xf *x, uint32_t k)
{
    uint8_t kb[4], db[8], lv[XF_LV];
    char txt[16];
    double d = k * 1.5;
    uint64_t bits;
    memcpy(&bits, &d, 8); /* the double's bits as a number */
    le_put32(kb, k);
    le_put64(db, bits);
    snprintf(txt, sizeof(txt), "row%03u", (unsigned)k);
    JET_ERR err = JetPrepareUpdate(x->ses, x->t, JET_prepInsert);
    if (err >= 0)
        err = JetSetColumn(x->ses, x->t, x->ck, kb, 4, 0, NULL);
    if (err >= 0)
        err = JetSetColumn(x->ses, x->t, x->ctxt, txt, (uint32_t)strlen(txt), 0, NULL);
    if (err >= 0)
        err = JetSetColumn(x->ses, x->t, x->cd, db, 8, 0, NULL);
    if (err >= 0 && k % 10 == 0) {
        for (uint32_t i = 0; i < XF_LV; i++)
            lv[i] = (uint8_t)(k + i);
        err = JetSetColumn(x->ses, x->t, x->clv, lv, XF_LV, 0, NULL);
    }
    if (err >= 0)
        err = JetUpdate(x->ses, x->t, NULL, 0, NULL);
    return err;
}

static JET_ERR xf_seek(xf *x, uint32_t k)
{
    uint8_t kb[4];
    le_put32(kb, k);
    JET_ERR err = JetSetCurrentIndex(x->ses, x->t, "pk");
    if (err >= 0)
        err = JetMakeKey(x->ses, x->t, kb, 4, JET_bitNewKey);
    if (err >= 0)
        err = JetSeek(x->ses, x->t, JET_bitSeekEQ);
    return err;
}

static JET_ERR xf_escrow(xf *x, uint32_t k, int32_t delta)
{
    uint8_t db[4];
    le_put32(db, (uint32_t)delta);
    JET_ERR err = xf_seek(x, k);
    if (err >= 0)
        err = JetEscrowUpdate(x->ses, x->t, x->cesc, db, 4, NULL, 0, NULL, 0);
    return err;
}

static JET_ERR xf_create(const char *dir, xf *x)
{
    char db[1100];
    memset(x, 0, sizeof(*x));
    snprintf(db, sizeof(db), "%s/x.edb", dir);
    JET_ERR err = xf_instance(dir, "xfw", &x->inst);
    if (err >= 0)
        err = JetInit(&x->inst);
    if (err >= 0)
        err = JetBeginSession(x->inst, &x->ses, NULL, NULL);
    if (err >= 0)
        err = JetBeginSession(x->inst, &x->ses2, NULL, NULL);
    if (err >= 0)
        err = JetCreateDatabase(x->ses, db, NULL, &x->dbid, 0);
    if (err >= 0)
        err = JetCreateTable(x->ses, x->dbid, "t", 0, 0, &x->t);
    JET_COLUMNDEF cd;
    memset(&cd, 0, sizeof(cd));
    cd.cbStruct = sizeof(cd);
    cd.coltyp = JET_coltypLong;
    if (err >= 0)
        err = JetAddColumn(x->ses, x->t, "k", &cd, NULL, 0, &x->ck);
    cd.coltyp = JET_coltypText;
    cd.cp = 1252;
    if (err >= 0)
        err = JetAddColumn(x->ses, x->t, "txt", &cd, NULL, 0, &x->ctxt);
    cd.cp = 0;
    cd.coltyp = JET_coltypIEEEDouble;
    if (err >= 0)
        err = JetAddColumn(x->ses, x->t, "d", &cd, NULL, 0, &x->cd);
    cd.coltyp = JET_coltypLong;
    cd.grbit = JET_bitColumnFixed | JET_bitColumnEscrowUpdate;
    uint8_t dflt[4];
    le_put32(dflt, 7);
    if (err >= 0)
        err = JetAddColumn(x->ses, x->t, "esc", &cd, dflt, 4, &x->cesc);
    cd.grbit = 0;
    cd.coltyp = JET_coltypLongBinary;
    if (err >= 0)
        err = JetAddColumn(x->ses, x->t, "lv", &cd, NULL, 0, &x->clv);
    if (err >= 0)
        err = JetCreateIndex(x->ses, x->t, "pk", JET_bitIndexPrimary, "+k\0", 4, 100);
    if (err >= 0)
        err = JetCreateIndex(x->ses, x->t, "bytxt", 0, "-txt\0", 6, 100);
    return err;
}

/* Add rows [from, to) and their escrow deltas, one transaction per 50 rows. */
static JET_ERR xf_fill(xf *x, uint32_t from, uint32_t to)
{
    JET_ERR err = JET_errSuccess;
    for (uint32_t k = from; err >= 0 && k < to; k += 50) {
        err = JetBeginTransaction(x->ses);
        for (uint32_t j = k; err >= 0 && j < k + 50 && j < to; j++)
            err = xf_row(x, j);
        for (uint32_t j = k; err >= 0 && j < k + 50 && j < to; j++) {
            err = xf_escrow(x, j, (int32_t)j); /* twice: two deltas per row */
            if (err >= 0)
                err = xf_escrow(x, j, (int32_t)j);
        }
        if (err >= 0)
            err = JetCommitTransaction(x->ses, 0);
    }
    return err;
}

/* Check the rows of an open table: keys [0, n), every value as written. */
static int xf_verify(JET_SESID ses, JET_TABLEID t, JET_COLUMNID *cols, uint32_t n)
{
    uint8_t kb[4], buf[XF_LV];
    uint32_t cb;
    uint32_t k = 0;
    JET_ERR err = JetSetCurrentIndex(ses, t, "pk");
    for (err = err >= 0 ? JetMove(ses, t, JET_MoveFirst, 0) : err; err >= 0; err = JetMove(ses, t, JET_MoveNext, 0), k++) {
        char want[16];
        if (JetRetrieveColumn(ses, t, cols[0], kb, 4, &cb, 0, NULL) < 0 || cb != 4 || le_get32(kb) != k)
            return fprintf(stderr, "row %u: key %u\n", k, le_get32(kb)), 0;
        snprintf(want, sizeof(want), "row%03u", (unsigned)k);
        if (JetRetrieveColumn(ses, t, cols[1], buf, sizeof(buf), &cb, 0, NULL) < 0 || cb != strlen(want) ||
            memcmp(buf, want, cb) != 0)
            return fprintf(stderr, "row %u: txt\n", k), 0;
        double d;
        uint64_t bits;
        if (JetRetrieveColumn(ses, t, cols[2], buf, 8, &cb, 0, NULL) < 0 || cb != 8)
            return fprintf(stderr, "row %u: d\n", k), 0;
        bits = le_get64(buf);
        memcpy(&d, &bits, 8);
        if (d != k * 1.5)
            return fprintf(stderr, "row %u: d = %g\n", k, d), 0;
        if (JetRetrieveColumn(ses, t, cols[3], buf, 4, &cb, 0, NULL) < 0 || cb != 4 ||
            le_get32(buf) != 2 * k + 7)
            return fprintf(stderr, "row %u: esc = %u\n", k, le_get32(buf)), 0;
        err = JetRetrieveColumn(ses, t, cols[4], buf, sizeof(buf), &cb, 0, NULL);
        if (k % 10 == 0) {
            if (err != JET_errSuccess || cb != XF_LV)
                return fprintf(stderr, "row %u: lv %d %u\n", k, err, cb), 0;
            for (uint32_t i = 0; i < XF_LV; i++)
                if (buf[i] != (uint8_t)(k + i))
                    return fprintf(stderr, "row %u: lv byte %u\n", k, i), 0;
        } else if (err != JET_wrnColumnNull) {
            return fprintf(stderr, "row %u: lv not null\n", k), 0;
        }
    }
    if (err != JET_errNoCurrentRecord || k != n)
        return fprintf(stderr, "rows: %u, want %u (%d)\n", k, n, err), 0;
    /* the secondary index (descending text) runs the other way */
    err = JetSetCurrentIndex(ses, t, "bytxt");
    if (err >= 0)
        err = JetMove(ses, t, JET_MoveFirst, 0);
    if (err < 0 || JetRetrieveColumn(ses, t, cols[0], kb, 4, &cb, 0, NULL) < 0 || le_get32(kb) != n - 1)
        return fprintf(stderr, "bytxt first: %u\n", le_get32(kb)), 0;
    return 1;
}

static const char *xf_dir(void)
{
    const char *d = getenv("ESEPY_XFILE_DIR");
    if (d && *d) {
        char cmd[1200];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", d, d);
        if (system(cmd) != 0)
            abort();
        return d;
    }
    return unit_dir("xfile");
}

/* The writer (a child process, which stops without JetTerm: a crash with a
 * transaction open).  0 when everything was written. */
static int xf_write(const char *live, const char *bk)
{
    xf x;
    JET_ERR err = xf_create(live, &x);
    if (err >= 0)
        err = xf_fill(&x, 0, XF_ROWS);
    /* a rolled-back insert and escrow update (CLRs in the log) */
    if (err >= 0)
        err = JetBeginTransaction(x.ses);
    if (err >= 0)
        err = xf_row(&x, 1000);
    if (err >= 0)
        err = xf_escrow(&x, 3, 1000);
    if (err >= 0)
        err = JetRollback(x.ses, 0);
    if (err >= 0)
        err = JetBackupInstance(x.inst, bk, 0, NULL);
    if (err >= 0)
        err = xf_fill(&x, XF_ROWS, XF_ROWS + XF_MORE);
    /* left open at the crash: inserts, an escrow delta, a text change */
    if (err >= 0)
        err = JetBeginTransaction(x.ses);
    for (uint32_t k = 900; err >= 0 && k < 910; k++)
        err = xf_row(&x, k);
    if (err >= 0)
        err = xf_escrow(&x, 0, 5000);
    if (err >= 0)
        err = xf_seek(&x, 5);
    if (err >= 0)
        err = JetPrepareUpdate(x.ses, x.t, JET_prepReplace);
    if (err >= 0)
        err = JetSetColumn(x.ses, x.t, x.ctxt, "changed", 7, 0, NULL);
    if (err >= 0)
        err = JetUpdate(x.ses, x.t, NULL, 0, NULL);
    /* a durable commit in another session flushes the open one's records */
    if (err >= 0)
        err = JetBeginTransaction(x.ses2);
    if (err >= 0)
        err = JetCommitTransaction(x.ses2, 0);
    if (err < 0)
        fprintf(stderr, "writer: %d\n", err);
    return err < 0;
}

static JET_COLUMNID xf_column(JET_SESID ses, JET_TABLEID t, const char *name)
{
    JET_COLUMNDEF cd;
    memset(&cd, 0, sizeof(cd));
    return JetGetTableColumnInfo(ses, t, name, &cd, sizeof(cd), JET_ColInfo) >= 0 ? cd.columnid : 0;
}

/* Recover (a copy of) a stopped folder and check every row. */
static JET_ERR xf_read(const char *folder, uint32_t n, int *pok)
{
    char db[1300];
    JET_INSTANCE inst;
    JET_SESID ses;
    JET_DBID dbid;
    JET_TABLEID t;
    snprintf(db, sizeof(db), "%s/x.edb", folder);
    JET_ERR err = xf_instance(folder, "xfr", &inst);
    /* the log names the database where it was written: find it here */
    if (err >= 0)
        err = JetSetSystemParameter(&inst, 0, JET_paramAlternateDatabaseRecoveryPath, 0, folder);
    if (err >= 0)
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
        JET_COLUMNID cols[5] = { xf_column(ses, t, "k"), xf_column(ses, t, "txt"), xf_column(ses, t, "d"),
                                 xf_column(ses, t, "esc"), xf_column(ses, t, "lv") };
        *pok = xf_verify(ses, t, cols, n);
    }
    JET_ERR e = JetTerm(inst);
    return err < 0 ? err : e;
}

TEST(write_then_read_back)
{
    char dir[1024], live[1100], bk[1100];
    snprintf(dir, sizeof(dir), "%s", xf_dir());
    snprintf(live, sizeof(live), "%s/live", dir);
    snprintf(bk, sizeof(bk), "%s/bk", dir);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(xf_write(live, bk)); /* no JetTerm: the open transaction stays in the log */
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Read back here: recover a copy of live/ (the export stays as written). */
    char copy[1200], cmd[2600];
    snprintf(copy, sizeof(copy), "%s/readback", unit_scratch);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -r '%s' '%s'", copy, live, copy);
    CHECK(system(cmd) == 0);
    int ok = 0;
    CHECK_ERR(xf_read(copy, XF_ROWS + XF_MORE, &ok), JET_errSuccess);
    CHECK(ok);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", copy);
    CHECK(system(cmd) == 0);
}

UNIT_MAIN()
