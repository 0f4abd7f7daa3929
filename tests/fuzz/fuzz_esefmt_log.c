/*
 * fuzz_esefmt_log.c -- fuzz target: the readers of Windows ESE transaction
 * log and checkpoint headers (csrc/esefmt/logfile.c).  The input is written
 * as a log file, read with EsepyEseReadLogHeader, then as a checkpoint file,
 * read with EsepyEseReadCheckpoint, then the folder holding both is surveyed
 * with EsepyEseScanLogFolder.
 *
 * Owns: nothing of the engine; calls only the public EsepyEse* functions.
 */
#include "fuzz_util.h"

#include "esepy_ese.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[1024];
    const char *dir = fuzz_dir();
    ESEPY_ESE_LOGHEADER lh = { .cbStruct = sizeof(lh) };
    fuzz_write("FUZ00001.log", data, size, path, sizeof(path));
    (void)EsepyEseReadLogHeader(path, &lh);
    fuzz_write("FUZ.log", data, size, path, sizeof(path));
    ESEPY_ESE_CHECKPOINT chk = { .cbStruct = sizeof(chk) };
    fuzz_write("FUZ.chk", data, size, path, sizeof(path));
    (void)EsepyEseReadCheckpoint(path, &chk);
    ESEPY_ESE_LOGFILEINFO rg[4];
    uint32_t cfile = 0;
    (void)EsepyEseScanLogFolder(dir, "FUZ", rg, 4, &cfile);
    (void)EsepyEseScanLogFolder(dir, NULL, rg, 1, &cfile);
    return 0;
}
