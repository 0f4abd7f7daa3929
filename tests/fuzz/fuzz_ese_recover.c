/*
 * fuzz_ese_recover.c -- fuzz target: stage-1 soft recovery of a Windows ESE
 * database (csrc/esefmt/eserecover.c, EsepyEseRecover) over a tiny folder
 * built from the input: a database, an optional checkpoint and one log
 * (the current generation, FUZ.log), recovered to a new file in the same
 * scratch folder.
 *
 * Input: byte 0 is the mode -- bit 0 re-stamps the log's segment and header
 * checksums (fuzz_eselog.h) so mutations get past them, bit 1 says a
 * checkpoint is present; then le32 cbDb and the database's bytes; then (bit
 * 1) le32 cbChk and the checkpoint's bytes; the rest is the log.  Lengths
 * are cut to what is left.
 *
 * Owns: nothing of the engine; calls EsepyEseRecover (and the re-stamp).
 */
#include "fuzz_util.h"

#include "esepy_ese.h"
#include "fuzz_eselog.h"

static size_t take(const uint8_t **pdata, size_t *psize, const uint8_t **ppb)
{
    size_t cb = 0;
    if (*psize >= 4) {
        cb = le_get32(*pdata);
        *pdata += 4, *psize -= 4;
    } else {
        *pdata += *psize, *psize = 0;
    }
    if (cb > *psize)
        cb = *psize;
    *ppb = *pdata;
    *pdata += cb, *psize -= cb;
    return cb;
}

static JET_ERR progress(void *pv, int32_t lGeneration, uint32_t igen, uint32_t cgen)
{
    (void)pv, (void)lGeneration, (void)igen, (void)cgen;
    return JET_errSuccess;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++, size--;
    const uint8_t *pbDb = NULL, *pbChk = NULL;
    size_t cbDb = take(&data, &size, &pbDb), cbChk = 0;
    if (mode & 2)
        cbChk = take(&data, &size, &pbChk);
    char szDb[1024], szChk[1024], szLog[1024], szOut[1024];
    const char *dir = fuzz_dir();
    fuzz_write("FUZ.edb", pbDb, cbDb, szDb, sizeof(szDb));
    if (mode & 2)
        fuzz_write("FUZ.chk", pbChk, cbChk, szChk, sizeof(szChk));
    uint8_t *pbFixed = NULL;
    if (mode & 1) {
        size_t cb = 0;
        pbFixed = fuzz_ese_log_restamp(data, size, &cb);
        if (pbFixed == NULL)
            return 0;
        data = pbFixed, size = cb;
    }
    fuzz_write("FUZ.log", data, size, szLog, sizeof(szLog));
    snprintf(szOut, sizeof(szOut), "%s/out.edb", dir);
    ESEPY_ESE_RECOVERINFO info;
    memset(&info, 0, sizeof(info));
    info.cbStruct = sizeof(info);
    (void)EsepyEseRecover(szDb, dir, NULL, szOut, 0, progress, NULL, &info);
    free(pbFixed);
    return 0;
}
