/*
 * hello_esent.c -- a C program against esepy's engine (the ESENT API).
 *
 * Creates an instance in FOLDER (logs in FOLDER/logs, checkpoint in FOLDER),
 * a database FOLDER/hello.edb with a table "greetings" (id long, text text,
 * primary key id), inserts three rows in one transaction, reads them back in
 * key order, shuts down cleanly and prints the database's header state.
 *
 * Build and run (see docs/c-api.md):
 *   INC=$(python -c 'import esepy; print(esepy.include_dir())')
 *   LIB=$(python -c 'import esepy, os; print(os.path.dirname(esepy.native_library()))')
 *   cc -std=c11 -I"$INC" hello_esent.c -L"$LIB" -lesent -Wl,-rpath,"$LIB" -o hello_esent
 *   ./hello_esent /tmp/hello
 */
#include <stdio.h>
#include <string.h>
#include "esent.h"

#define CHECK(call)                                                                 \
    do {                                                                            \
        JET_ERR e_ = (call);                                                        \
        if (e_ < 0) {                                                               \
            fprintf(stderr, "%s failed: %d\n", #call, (int)e_);                     \
            return 1;                                                               \
        }                                                                           \
    } while (0)

int main(int argc, char **argv)
{
    const char *folder = argc > 1 ? argv[1] : ".";
    char logs[1024], sys[1024], db[1024];
    snprintf(logs, sizeof logs, "%s/logs/", folder);
    snprintf(sys, sizeof sys, "%s/", folder);
    snprintf(db, sizeof db, "%s/hello.edb", folder);

    JET_INSTANCE inst;
    JET_SESID ses;
    JET_DBID dbid;
    JET_TABLEID tab;
    JET_COLUMNID colId, colText;

    CHECK(JetCreateInstance(&inst, "hello"));
    CHECK(JetSetSystemParameter(&inst, 0, JET_paramSystemPath, 0, sys));
    CHECK(JetSetSystemParameter(&inst, 0, JET_paramLogFilePath, 0, logs));
    CHECK(JetSetSystemParameter(&inst, 0, JET_paramCreatePathIfNotExist, 1, NULL));
    CHECK(JetInit(&inst));
    CHECK(JetBeginSession(inst, &ses, NULL, NULL));
    CHECK(JetCreateDatabase(ses, db, NULL, &dbid, 0));

    CHECK(JetBeginTransaction(ses));
    CHECK(JetCreateTable(ses, dbid, "greetings", 0, 100, &tab));
    JET_COLUMNDEF cd;
    memset(&cd, 0, sizeof cd);
    cd.cbStruct = sizeof cd;
    cd.coltyp = JET_coltypLong;
    CHECK(JetAddColumn(ses, tab, "id", &cd, NULL, 0, &colId));
    cd.coltyp = JET_coltypText;
    cd.cp = 1252;
    CHECK(JetAddColumn(ses, tab, "text", &cd, NULL, 0, &colText));
    static const char key[] = "+id\0";
    CHECK(JetCreateIndex(ses, tab, "primary", JET_bitIndexPrimary | JET_bitIndexUnique, key, sizeof key, 100));
    CHECK(JetCommitTransaction(ses, 0));

    static const char *const words[] = { "hello", "bonjour", "hallo" };
    CHECK(JetBeginTransaction(ses));
    for (int32_t i = 2; i >= 0; i--) {    /* inserted in reverse: read back in key order */
        CHECK(JetPrepareUpdate(ses, tab, JET_prepInsert));
        CHECK(JetSetColumn(ses, tab, colId, &i, sizeof i, 0, NULL));
        CHECK(JetSetColumn(ses, tab, colText, words[i], (uint32_t)strlen(words[i]), 0, NULL));
        CHECK(JetUpdate(ses, tab, NULL, 0, NULL));
    }
    CHECK(JetCommitTransaction(ses, 0));

    JET_ERR err = JetMove(ses, tab, JET_MoveFirst, 0);
    while (err >= 0) {
        int32_t id = 0;
        char text[64];
        uint32_t cb = 0;
        CHECK(JetRetrieveColumn(ses, tab, colId, &id, sizeof id, NULL, 0, NULL));
        CHECK(JetRetrieveColumn(ses, tab, colText, text, sizeof text - 1, &cb, 0, NULL));
        text[cb] = '\0';
        printf("row %d %s\n", (int)id, text);
        err = JetMove(ses, tab, JET_MoveNext, 0);
    }
    if (err != JET_errNoCurrentRecord) {
        fprintf(stderr, "JetMove failed: %d\n", (int)err);
        return 1;
    }
    CHECK(JetCloseTable(ses, tab));
    CHECK(JetCloseDatabase(ses, dbid, 0));
    CHECK(JetDetachDatabase(ses, db));
    CHECK(JetEndSession(ses, 0));
    CHECK(JetTerm(inst));

    JET_DBINFOMISC misc;
    CHECK(JetGetDatabaseFileInfo(db, &misc, sizeof misc, JET_DbInfoMisc));
    printf("dbstate %u\n", (unsigned)misc.dbstate);   /* 3 = JET_dbstateCleanShutdown */
    return 0;
}
