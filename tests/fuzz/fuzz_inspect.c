/*
 * fuzz_inspect.c -- fuzz target: the inspection API of esepy's own files
 * (esepy_inspect.h, csrc/api/inspect.c) over the input as bytes and as a
 * file.  In memory: EsepyInspectDecodeLogHeader, EsepyInspectDecodeDatabaseHeader,
 * EsepyInspectPage, then EsepyInspectPageNode for every slot and
 * EsepyInspectCatalogRow for every node.  As a file: EsepyInspectLogOpen
 * (every record, then the tail), EsepyInspectLogHeader, EsepyInspectCheckpoint,
 * EsepyInspectDatabaseHeader, EsepyInspectDbOpen (size, every page's status,
 * the first pages read and decoded) and EsepyInspectBackupTrailer.
 *
 * Each input runs twice: as it is, and with its crc32c values made valid for
 * each reading (log header: bytes 4..4095; database header: bytes
 * 4..cbPage-1 with cbPage from offset 12; page: bytes 4.. seeded with the
 * stored pgno), so mutations reach the decoders behind the checks.
 * Page size for the page decoders: the largest of 4/8/16/32 KiB not above the
 * input size (shorter inputs padded with zeros).
 *
 * Owns: nothing of the engine; calls the public EsepyInspect* functions (and
 * os_crc32c / le.h for the fix-ups).
 */
#include "fuzz_util.h"

#include "esepy_inspect.h"
#include "le.h"
#include "os.h"

#define CB_MAX 32768u
#define MAX_RECORDS 100000

static void touch(const uint8_t *pb, uint32_t cb)
{
    volatile uint8_t x = 0;
    if (pb && cb)
        x ^= pb[0] ^ pb[cb - 1];
    (void)x;
}

static void in_memory(const uint8_t *data, size_t size, int fFix)
{
    uint32_t cbPage = size >= 32768 ? 32768 : size >= 16384 ? 16384 : size >= 8192 ? 8192 : 4096;
    uint8_t *pb = calloc(1, cbPage); /* exact size: ASan catches reads past it */
    if (pb == NULL)
        return;

    /* log header (needs 4096 bytes) */
    memcpy(pb, data, size < 4096 ? size : 4096);
    if (fFix)
        le_put32(pb, os_crc32c(0, pb + 4, 4096 - 4));
    ESEPY_INSPECT_LOGHEADER lh = { .cbStruct = sizeof(lh) };
    (void)EsepyInspectDecodeLogHeader(pb, 4096, &lh);

    /* database header: one copy of cbPage bytes (as the header says, when it fits) */
    memset(pb, 0, cbPage);
    memcpy(pb, data, size < cbPage ? size : cbPage);
    uint32_t cbHdr = cbPage;
    if (fFix) {
        uint32_t cbStored = le_get32(pb + 12);
        if ((cbStored == 4096 || cbStored == 8192 || cbStored == 16384 || cbStored == 32768) && cbStored <= cbPage)
            cbHdr = cbStored;
        le_put32(pb, os_crc32c(0, pb + 4, cbHdr - 4));
    }
    ESEPY_INSPECT_DBHEADER dh = { .cbStruct = sizeof(dh) };
    (void)EsepyInspectDecodeDatabaseHeader(pb, cbHdr, &dh);

    /* a page */
    memset(pb, 0, cbPage);
    memcpy(pb, data, size < cbPage ? size : cbPage);
    uint32_t pgno = le_get32(pb + 4);
    if (fFix)
        le_put32(pb, os_crc32c(pgno, pb + 4, cbPage - 4));
    ESEPY_INSPECT_PAGE pg = { .cbStruct = sizeof(pg) };
    if (EsepyInspectPage(pb, cbPage, pgno, &pg) >= 0) {
        uint32_t cslot = pg.cslot < 4096 ? pg.cslot : 4096;
        for (uint32_t i = 0; i <= cslot; i++) {
            ESEPY_INSPECT_NODE n;
            memset(&n, 0, sizeof(n));
            if (EsepyInspectPageNode(pb, cbPage, i, &n) < 0)
                continue;
            touch(n.pbPrefix, n.cbPrefix);
            touch(n.pbKey, n.cbKey);
            touch(n.pbData, n.cbData);
            ESEPY_INSPECT_CATALOG_ROW row = { .cbStruct = sizeof(row) };
            (void)EsepyInspectCatalogRow(n.pbKey, n.cbKey, n.pbData, n.cbData, &row);
        }
    }
    free(pb);
}

static void as_files(const uint8_t *data, size_t size)
{
    char path[1024];

    fuzz_write("edb00001.log", data, size, path, sizeof(path));
    ESEPY_INSPECT_LOGHEADER lh = { .cbStruct = sizeof(lh) };
    (void)EsepyInspectLogHeader(path, &lh);
    ESEPY_INSPECT_LOG *plog = NULL;
    if (EsepyInspectLogOpen(path, &plog) >= 0 && plog != NULL) {
        ESEPY_INSPECT_LOGRECORD rec;
        for (int i = 0; i < MAX_RECORDS; i++) {
            memset(&rec, 0, sizeof(rec));
            if (EsepyInspectLogNext(plog, &rec) != JET_errSuccess)
                break;
            touch(rec.pvPayload, rec.cbPayload);
        }
        ESEPY_INSPECT_LOGTAIL tail;
        memset(&tail, 0, sizeof(tail));
        (void)EsepyInspectLogTail(plog, &tail);
        EsepyInspectLogClose(plog);
    }

    fuzz_write("edb.chk", data, size, path, sizeof(path));
    ESEPY_INSPECT_CHECKPOINT chk = { .cbStruct = sizeof(chk) };
    (void)EsepyInspectCheckpoint(path, &chk);

    fuzz_write("fuzz.edb", data, size, path, sizeof(path));
    ESEPY_INSPECT_DBHEADER dh = { .cbStruct = sizeof(dh) };
    (void)EsepyInspectDatabaseHeader(path, &dh);
    ESEPY_INSPECT_DB *pdb = NULL;
    if (EsepyInspectDbOpen(path, &pdb) >= 0 && pdb != NULL) {
        (void)EsepyInspectDbHeader(pdb, &dh);
        uint64_t cbFile = 0;
        uint32_t cpg = 0;
        if (EsepyInspectDbSize(pdb, &cbFile, &cpg) >= 0 && cpg > 0 && cpg <= 1024) {
            uint8_t *rgstatus = malloc(cpg);
            if (rgstatus != NULL) {
                (void)EsepyInspectDbCheckPages(pdb, 1, cpg, rgstatus);
                free(rgstatus);
            }
        }
        uint8_t *pv = malloc(CB_MAX);
        if (pv != NULL) {
            for (uint32_t pgno = 1; pgno <= 4; pgno++) {
                ESEPY_INSPECT_PAGE pg = { .cbStruct = sizeof(pg) };
                (void)EsepyInspectDbReadPage(pdb, pgno, pv, dh.cbPage ? dh.cbPage : CB_MAX, &pg);
            }
            free(pv);
        }
        EsepyInspectDbClose(pdb);
    }
    for (uint32_t cb = 4096; cb <= CB_MAX; cb *= 2) {
        ESEPY_INSPECT_TRAILER tr = { .cbStruct = sizeof(tr) };
        (void)EsepyInspectBackupTrailer(path, cb, &tr);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)fuzz_dir();
    in_memory(data, size, 0);
    in_memory(data, size, 1);
    as_files(data, size);
    if (size >= 4096) { /* the log and checkpoint readers again with a valid header crc */
        uint8_t *fixed = malloc(size);
        if (fixed == NULL)
            return 0;
        memcpy(fixed, data, size);
        le_put32(fixed, os_crc32c(0, fixed + 4, 4096 - 4));
        as_files(fixed, size);
        free(fixed);
    }
    return 0;
}
