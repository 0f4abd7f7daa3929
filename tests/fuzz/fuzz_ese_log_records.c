/*
 * fuzz_ese_log_records.c -- fuzz target: the record reader of Windows ESE
 * transaction logs (csrc/esefmt/eselog.c, eselogchain.c).  The input is one
 * log file: opened with EsepyEseLogOpen, its header, info and every segment
 * read, every record walked (then the walk rewound and walked again), and
 * the same file opened as the only generation of a folder's chain
 * (EsepyEseLogChainOpen with INSPECT) and walked.
 *
 * Segments carry a 64-bit ECC checksum at their own sector number, so random
 * mutations mostly end as "damaged segment".  The first input byte picks a
 * mode: bit 0 re-stamps a copy of the rest -- the file is padded to whole
 * 4 KiB sectors, the header's csecLGFile set to the file's sectors, every
 * non-zero segment's checksum recomputed, then the header's XOR checksum --
 * so the record decoder meets the damage; bit 1 opens with
 * ESEPY_ESE_LOG_OPEN_NO_CORRECTION.
 *
 * Owns: nothing of the engine; calls the public EsepyEse* functions and the
 * esefmt checksum functions (for the re-stamp only).
 */
#include "fuzz_util.h"

#include "esepy_ese.h"
#include "fuzz_eselog.h"

#define MAX_RECORDS 200000

static void walk(ESEPY_ESE_LOG *plog)
{
    ESEPY_ESE_LOGRECORD rec;
    for (int i = 0; i < MAX_RECORDS; i++) {
        memset(&rec, 0, sizeof(rec));
        rec.cbStruct = sizeof(rec);
        if (EsepyEseLogNextRecord(plog, &rec) < 0)
            break;
        /* touch what the pointers claim (ASan checks the bounds) */
        uint8_t x = 0;
        if (rec.pb && rec.cb)
            x ^= rec.pb[0] ^ rec.pb[rec.cb - 1];
        if (rec.pbKey && rec.cbKey)
            x ^= rec.pbKey[0] ^ rec.pbKey[rec.cbKey - 1];
        if (rec.pbData && rec.cbData)
            x ^= rec.pbData[0] ^ rec.pbData[rec.cbData - 1];
        if (rec.pbImage && rec.cbImage)
            x ^= rec.pbImage[0] ^ rec.pbImage[rec.cbImage - 1];
        if (rec.szPath)
            x ^= (uint8_t)strlen(rec.szPath);
        if (rec.szName)
            x ^= (uint8_t)strlen(rec.szName);
        (void)x;
    }
}

static void read_log(const char *path, uint32_t grbit)
{
    ESEPY_ESE_LOG *plog = NULL;
    if (EsepyEseLogOpen(path, grbit, &plog) < 0 || plog == NULL)
        return;
    ESEPY_ESE_LOGHEADER hdr = { .cbStruct = sizeof(hdr) };
    ESEPY_ESE_LOGINFO info = { .cbStruct = sizeof(info) };
    (void)EsepyEseLogGetHeader(plog, &hdr);
    (void)EsepyEseLogGetInfo(plog, &info);
    ESEPY_ESE_LOGSEGMENT seg = { .cbStruct = sizeof(seg) };
    for (uint32_t isec = 0; isec <= info.csecLGFile && isec < 70000; isec++)
        (void)EsepyEseLogGetSegment(plog, isec, &seg);
    walk(plog);
    (void)EsepyEseLogGetInfo(plog, &info);
    (void)EsepyEseLogRewind(plog);
    walk(plog);
    EsepyEseLogClose(plog);
}

static void read_chain(const char *dir)
{
    ESEPY_ESE_LOGCHAIN *pchain = NULL;
    if (EsepyEseLogChainOpen(dir, "FUZ", 0, NULL, ESEPY_ESE_LOGCHAIN_INSPECT, &pchain) < 0 || pchain == NULL)
        return;
    ESEPY_ESE_LOGCHAININFO ci = { .cbStruct = sizeof(ci) };
    (void)EsepyEseLogChainGetInfo(pchain, &ci);
    ESEPY_ESE_LOGGEN gen = { .cbStruct = sizeof(gen) };
    for (uint32_t i = 0; i <= ci.cgen && i < 4; i++)
        (void)EsepyEseLogChainGetGen(pchain, i, &gen);
    (void)EsepyEseLogChainSeek(pchain, &ci.lgposRedoStart);
    ESEPY_ESE_LOGRECORD rec;
    for (int i = 0; i < MAX_RECORDS; i++) {
        memset(&rec, 0, sizeof(rec));
        rec.cbStruct = sizeof(rec);
        if (EsepyEseLogChainNextRecord(pchain, &rec) < 0)
            break;
    }
    EsepyEseLogChainClose(pchain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++, size--;
    char path[1024];
    const char *dir = fuzz_dir();
    uint8_t *pbFixed = NULL;
    if (mode & 1) {
        size_t cb = 0;
        pbFixed = fuzz_ese_log_restamp(data, size, &cb);
        if (pbFixed == NULL)
            return 0;
        data = pbFixed, size = cb;
    }
    fuzz_write("FUZ.log", data, size, path, sizeof(path));
    read_log(path, (mode & 2) ? ESEPY_ESE_LOG_OPEN_NO_CORRECTION : 0);
    read_chain(dir);
    free(pbFixed);
    return 0;
}
