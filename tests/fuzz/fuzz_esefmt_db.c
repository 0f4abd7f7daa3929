/*
 * fuzz_esefmt_db.c -- fuzz target: the reader of Windows ESE databases
 * (csrc/esefmt).  The input is a database file: it is opened, its header,
 * catalog, every table's records (every column, every value, raw and
 * decoded), pages, tags and damage list are read, as `esepy dump` and
 * esepy.open_ese would.  Bounded: at most 512 records per table and 256 pages,
 * so that one input takes milliseconds.
 *
 * Owns: nothing of the engine; calls only the public EsepyEse* functions.
 */
#include "fuzz_util.h"

#include "esepy_ese.h"

#define REC_MAX  512
#define PAGE_MAX 256

static uint8_t g_buf[1 << 16];

static void read_table(ESEPY_ESE_FILE *pfile, uint32_t itable)
{
    ESEPY_ESE_TABLEINFO ti = { .cbStruct = sizeof(ti) };
    if (EsepyEseGetTableInfo(pfile, itable, &ti) < 0)
        return;
    for (uint32_t ic = 0; ic < ti.ccolumn; ic++) {
        ESEPY_ESE_COLUMNINFO ci = { .cbStruct = sizeof(ci) };
        (void)EsepyEseGetColumnInfo(pfile, itable, ic, &ci);
    }
    for (uint32_t ii = 0; ii < ti.cindex; ii++) {
        ESEPY_ESE_INDEXINFO xi = { .cbStruct = sizeof(xi) };
        (void)EsepyEseGetIndexInfo(pfile, itable, ii, &xi);
        ESEPY_ESE_CURSOR *pcur = NULL; /* an index cursor, a seek, the entries */
        if (ii < 8 && EsepyEseCursorOpenIndex(pfile, itable, ii, ESEPY_ESE_CURSOR_DELETED, &pcur) >= 0) {
            static const uint8_t rgbKey[] = { 0x7f, 0x80 };
            (void)EsepyEseCursorSeek(pcur, rgbKey, sizeof(rgbKey));
            for (uint32_t irec = 0; irec < REC_MAX && EsepyEseCursorNext(pcur) >= 0; irec++) {
                const uint8_t *pb;
                uint32_t cb, fFlags;
                if (EsepyEseCursorGetIndexKey(pcur, &pb, &cb, &fFlags) >= 0 && cb)
                    g_buf[0] ^= pb[cb - 1];
            }
            EsepyEseCursorClose(pcur);
        }
    }
    for (uint32_t grbit = 0; grbit <= (ESEPY_ESE_CURSOR_DELETED | ESEPY_ESE_CURSOR_CARVE); grbit++) {
        ESEPY_ESE_CURSOR *pcur = NULL;
        if (EsepyEseCursorOpen(pfile, itable, grbit, &pcur) < 0)
            continue;
        for (uint32_t irec = 0; irec < REC_MAX && EsepyEseCursorNext(pcur) >= 0; irec++) {
            ESEPY_ESE_RECORDINFO ri = { .cbStruct = sizeof(ri) };
            if (EsepyEseCursorGetRecordInfo(pcur, &ri) >= 0) {
                for (uint32_t it = 0; it < ri.ctagged && it < 64; it++) {
                    uint32_t columnid, fFlags, cb;
                    const uint8_t *pb;
                    if (EsepyEseCursorGetTagged(pcur, it, &columnid, &fFlags, &pb, &cb) >= 0 && cb)
                        g_buf[0] ^= pb[cb - 1]; /* touch the last byte handed out */
                }
            }
            for (uint32_t ic = 0; ic < ti.ccolumn; ic++) {
                uint32_t cvalue = 0;
                if (EsepyEseCursorValueCount(pcur, ic, &cvalue) < 0)
                    cvalue = 1;
                for (uint32_t iv = 1; iv <= cvalue && iv <= 8; iv++) {
                    uint32_t cbActual = 0, info = 0;
                    (void)EsepyEseCursorRetrieve(pcur, ic, iv, 0, g_buf, sizeof(g_buf), &cbActual, &info);
                    (void)EsepyEseCursorRetrieve(pcur, ic, iv, ESEPY_ESE_RETRIEVE_RAW, g_buf, 16, &cbActual,
                                                 &info);
                }
            }
        }
        EsepyEseCursorClose(pcur);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[1024];
    fuzz_dir();
    fuzz_write("fuzz.edb", data, size, path, sizeof(path));
    for (uint32_t grbit = 0; grbit <= ESEPY_ESE_OPEN_SKIP_CHECKSUMS; grbit++) {
        ESEPY_ESE_FILE *pfile = NULL;
        if (EsepyEseOpen(path, grbit, &pfile) < 0)
            return 0;
        ESEPY_ESE_HEADER hdr = { .cbStruct = sizeof(hdr) };
        (void)EsepyEseGetHeader(pfile, &hdr);
        uint32_t ctable = 0;
        if (EsepyEseGetTableCount(pfile, &ctable) >= 0)
            for (uint32_t it = 0; it < ctable && it < 64; it++)
                read_table(pfile, it);
        for (uint32_t pgno = 1; pgno <= hdr.cpgData + 1 && pgno <= PAGE_MAX; pgno++) {
            ESEPY_ESE_PAGEINFO pi = { .cbStruct = sizeof(pi) };
            if (EsepyEseGetPageInfo(pfile, pgno, &pi) < 0)
                continue;
            (void)EsepyEseReadPage(pfile, pgno, g_buf, sizeof(g_buf));
            for (uint32_t itag = 0; itag < pi.itagMicFree && itag < 16; itag++) {
                uint32_t fFlags, cb;
                (void)EsepyEseGetPageTag(pfile, pgno, itag, &fFlags, g_buf, sizeof(g_buf), &cb);
            }
        }
        ESEPY_ESE_INTEGRITY ii = { .cbStruct = sizeof(ii) };
        (void)EsepyEseCheckIntegrity(pfile, &ii);
        uint32_t cdamage = 0;
        (void)EsepyEseGetDamageCount(pfile, &cdamage);
        for (uint32_t i = 0; i < cdamage; i++) {
            ESEPY_ESE_DAMAGE d = { .cbStruct = sizeof(d) };
            (void)EsepyEseGetDamage(pfile, i, &d);
        }
        EsepyEseClose(pfile);
    }
    return 0;
}
