/*
 * limits_test.c -- the engine's size limits at their boundaries, driven
 * through the public API, with the testcase() markers (csrc/os/os_testcase.h;
 * counted in this debug build) proving that each boundary was reached:
 * cursors (JET_paramMaxCursors for the instance, a session's slot array
 * growing), temporary tables (JET_paramMaxTemporaryTables), the cache of
 * autoincrement counters growing, and the list of trees with escrow deltas
 * overflowing into "every tree".  Each test also checks the values are right
 * on the far side of the boundary.
 */
#include "unit.h"

#include "esent.h"
#include "os_testcase.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int g_seq; /* instance names must differ */

typedef struct {
    JET_INSTANCE inst;
    JET_SESID    ses;
    JET_DBID     dbid;
} live;

/* An instance in a fresh folder with one session and one new database;
 * params: pairs of (paramid, value), 0-terminated. */
static JET_ERR live_open(const char *name, const uint32_t *params, live *pl)
{
    char iname[32], path[1100], db[1100];
    const char *dir = unit_dir(name);
    snprintf(iname, sizeof(iname), "lim%d", g_seq++);
    JET_ERR err = JetCreateInstance2(&pl->inst, iname, iname, 0);
    snprintf(path, sizeof(path), "%s/", dir);
    const uint32_t ids[] = { JET_paramSystemPath, JET_paramLogFilePath, JET_paramTempPath };
    for (unsigned i = 0; err >= 0 && i < 3; i++)
        err = JetSetSystemParameter(&pl->inst, 0, ids[i], 0, path);
    if (err >= 0)
        err = JetSetSystemParameter(&pl->inst, 0, JET_paramLogFileSize, 128, NULL);
    for (unsigned i = 0; err >= 0 && params && params[i]; i += 2)
        err = JetSetSystemParameter(&pl->inst, 0, params[i], params[i + 1], NULL);
    if (err >= 0)
        err = JetInit(&pl->inst);
    if (err >= 0)
        err = JetBeginSession(pl->inst, &pl->ses, NULL, NULL);
    snprintf(db, sizeof(db), "%s/a.edb", dir);
    if (err >= 0)
        err = JetCreateDatabase(pl->ses, db, NULL, &pl->dbid, 0);
    return err;
}

static JET_ERR add_column(live *pl, JET_TABLEID t, const char *name, JET_COLTYP coltyp, JET_GRBIT grbit,
                          const void *pvDefault, uint32_t cbDefault, JET_COLUMNID *pcol)
{
    JET_COLUMNDEF cd;
    memset(&cd, 0, sizeof(cd));
    cd.cbStruct = sizeof(cd);
    cd.coltyp = coltyp;
    cd.grbit = grbit;
    return JetAddColumn(pl->ses, t, name, &cd, pvDefault, cbDefault, pcol);
}

TEST(cursors_up_to_max_cursors)
{
    const uint32_t params[] = { JET_paramMaxCursors, 40, 0 };
    live l;
    uint64_t grow0 = os_testcase_hits("psess->ccursors == psess->ccursorsAlloc");
    uint64_t last0 = os_testcase_hits("pinst->ccursorsOpen + 1 == cmax");
    uint64_t over0 = os_testcase_hits("pinst->ccursorsOpen >= cmax");
    CHECK_ERR(live_open("cursors", params, &l), JET_errSuccess);
    JET_TABLEID t, rg[64];
    CHECK_ERR(JetCreateTable(l.ses, l.dbid, "t", 0, 0, &t), JET_errSuccess);
    uint32_t n = 1;
    JET_ERR err;
    while ((err = JetOpenTable(l.ses, l.dbid, "t", NULL, 0, 0, &rg[n])) >= 0 && n < 63)
        n++;
    CHECK_ERR(err, JET_errOutOfCursors);
    CHECK(n == 40); /* t and 39 more */
    CHECK(os_testcase_hits("psess->ccursors == psess->ccursorsAlloc") >= grow0 + 2); /* 0 -> 16 -> 32 -> 64 */
    CHECK(os_testcase_hits("pinst->ccursorsOpen + 1 == cmax") > last0);
    CHECK(os_testcase_hits("pinst->ccursorsOpen >= cmax") > over0);
    CHECK_ERR(JetCloseTable(l.ses, rg[20]), JET_errSuccess);
    CHECK_ERR(JetOpenTable(l.ses, l.dbid, "t", NULL, 0, 0, &rg[20]), JET_errSuccess);
    CHECK_ERR(JetTerm(l.inst), JET_errSuccess);
}

TEST(temporary_tables_up_to_their_parameter)
{
    const uint32_t params[] = { JET_paramMaxTemporaryTables, 3, 0 };
    live l;
    uint64_t last0 = os_testcase_hits("pinst->ctemp + 1 == pinst->cfg.cTempTablesMax");
    uint64_t over0 = os_testcase_hits("pinst->ctemp >= pinst->cfg.cTempTablesMax");
    CHECK_ERR(live_open("temps", params, &l), JET_errSuccess);
    JET_COLUMNDEF cd;
    memset(&cd, 0, sizeof(cd));
    cd.cbStruct = sizeof(cd);
    cd.coltyp = JET_coltypLong;
    cd.grbit = JET_bitColumnTTKey;
    JET_TABLEID rg[4];
    JET_COLUMNID col;
    for (int i = 0; i < 3; i++)
        CHECK_ERR(JetOpenTempTable(l.ses, &cd, 1, JET_bitTTIndexed, &rg[i], &col), JET_errSuccess);
    CHECK_ERR(JetOpenTempTable(l.ses, &cd, 1, JET_bitTTIndexed, &rg[3], &col), JET_errTooManySorts);
    CHECK(os_testcase_hits("pinst->ctemp + 1 == pinst->cfg.cTempTablesMax") > last0);
    CHECK(os_testcase_hits("pinst->ctemp >= pinst->cfg.cTempTablesMax") > over0);
    CHECK_ERR(JetCloseTable(l.ses, rg[0]), JET_errSuccess);
    CHECK_ERR(JetOpenTempTable(l.ses, &cd, 1, JET_bitTTIndexed, &rg[0], &col), JET_errSuccess);
    CHECK_ERR(JetTerm(l.inst), JET_errSuccess);
}

/* 40 tables with an autoincrement column each: the counter cache grows past
 * its first 16 and 32 entries, and every table counts on its own. */
TEST(autoincrement_counters_of_many_tables)
{
    live l;
    uint64_t grow0 = os_testcase_hits("pdb->cautoinc == pdb->cautoincCap && pdb->cautoincCap != 0");
    CHECK_ERR(live_open("autoinc", NULL, &l), JET_errSuccess);
    enum { NT = 40 };
    JET_TABLEID rg[NT];
    JET_COLUMNID col[NT];
    for (int i = 0; i < NT; i++) {
        char name[16];
        snprintf(name, sizeof(name), "t%d", i);
        CHECK_ERR(JetCreateTable(l.ses, l.dbid, name, 0, 0, &rg[i]), JET_errSuccess);
        CHECK_ERR(add_column(&l, rg[i], "id", JET_coltypLong, JET_bitColumnAutoincrement, NULL, 0, &col[i]),
                  JET_errSuccess);
    }
    for (int round = 1; round <= 2; round++)
        for (int i = 0; i < NT; i++) {
            CHECK_ERR(JetPrepareUpdate(l.ses, rg[i], JET_prepInsert), JET_errSuccess);
            CHECK_ERR(JetUpdate(l.ses, rg[i], NULL, 0, NULL), JET_errSuccess);
        }
    CHECK(os_testcase_hits("pdb->cautoinc == pdb->cautoincCap && pdb->cautoincCap != 0") >= grow0 + 2);
    for (int i = 0; i < NT; i++) {
        int32_t v = 0;
        uint32_t cb = 0;
        CHECK_ERR(JetMove(l.ses, rg[i], JET_MoveLast, 0), JET_errSuccess);
        CHECK_ERR(JetRetrieveColumn(l.ses, rg[i], col[i], &v, sizeof(v), &cb, 0, NULL), JET_errSuccess);
        CHECK(cb == 4 && v == 2);
    }
    CHECK_ERR(JetTerm(l.inst), JET_errSuccess);
}

/* Escrow updates on more trees than the list of delta trees holds: it
 * overflows into "every tree" and the values stay right. */
TEST(escrow_deltas_on_many_trees)
{
    live l;
    uint64_t over0 = os_testcase_hits("!pinst->fDeltaAll");
    CHECK_ERR(live_open("deltas", NULL, &l), JET_errSuccess);
    enum { NT = 40 };
    JET_TABLEID rg[NT];
    JET_COLUMNID col[NT];
    const int32_t zero = 0;
    for (int i = 0; i < NT; i++) {
        char name[16];
        snprintf(name, sizeof(name), "e%d", i);
        CHECK_ERR(JetCreateTable(l.ses, l.dbid, name, 0, 0, &rg[i]), JET_errSuccess);
        CHECK_ERR(add_column(&l, rg[i], "n", JET_coltypLong, JET_bitColumnEscrowUpdate, &zero, 4, &col[i]),
                  JET_errSuccess);
        CHECK_ERR(JetPrepareUpdate(l.ses, rg[i], JET_prepInsert), JET_errSuccess);
        CHECK_ERR(JetUpdate(l.ses, rg[i], NULL, 0, NULL), JET_errSuccess);
    }
    CHECK_ERR(JetBeginTransaction(l.ses), JET_errSuccess);
    for (int i = 0; i < NT; i++) {
        int32_t delta = i + 1, old = -1;
        uint32_t cbOld = 0;
        CHECK_ERR(JetMove(l.ses, rg[i], JET_MoveFirst, 0), JET_errSuccess);
        CHECK_ERR(JetEscrowUpdate(l.ses, rg[i], col[i], &delta, 4, &old, 4, &cbOld, 0), JET_errSuccess);
        CHECK(cbOld == 4 && old == 0);
    }
    CHECK_ERR(JetCommitTransaction(l.ses, 0), JET_errSuccess);
    CHECK(os_testcase_hits("!pinst->fDeltaAll") > over0);
    for (int i = 0; i < NT; i++) {
        int32_t v = 0;
        uint32_t cb = 0;
        CHECK_ERR(JetRetrieveColumn(l.ses, rg[i], col[i], &v, sizeof(v), &cb, 0, NULL), JET_errSuccess);
        CHECK(cb == 4 && v == i + 1);
    }
    CHECK_ERR(JetTerm(l.inst), JET_errSuccess);
}

UNIT_MAIN()
