/*
 * fuzz_log_reader.c -- fuzz target: esepy's transaction log reader
 * (csrc/log/log_reader.c, the reader crash recovery and restore drive).
 * The input is written as the current log file edb.log of an empty log
 * folder; its header is read (log_read_header) and its records are read
 * from the start of generation 1 and of the generation its header names,
 * until the reader stops.
 *
 * Kept thin on purpose: it knows the reader's API (log.h), not the record
 * framing, so it keeps working when the framing changes.  The one layout
 * fact it uses: a second pass recomputes the header's crc32c (bytes
 * 4..LOG_HEADER_SIZE-1, stored at offset 0) so mutations of the header get
 * past its checksum; should the header change, that pass only fuzzes less.
 * Owns: nothing of the engine.
 */
#include "fuzz_util.h"

#include "log.h"

#define RECORD_MAX 100000

static void read_all(const log_config *cfg, lsn_t lsnStart)
{
    log_reader *prd = NULL;
    if (log_reader_open(cfg, NULL, lsnStart, 0, &prd) < 0)
        return;
    log_record rec;
    for (int i = 0; i < RECORD_MAX; i++) {
        JET_ERR err = log_reader_next(prd, &rec);
        if (err != JET_errSuccess)
            break;
        if (rec.cb)
            (void)((volatile const uint8_t *)rec.pv)[rec.cb - 1];
    }
    (void)log_reader_end(prd);
    log_header hdr;
    log_reader_header(prd, &hdr);
    log_reader_close(prd);
}

static void read_file(const uint8_t *data, size_t size)
{
    char path[1024];
    const char *dir = fuzz_dir();
    fuzz_write("edb.log", data, size, path, sizeof(path));
    log_config cfg = {
        .log_dir = dir, .system_dir = dir, .base = "edb", .cbLogFile = 1u << 20, .cbPage = 8192,
        .legacy_names = 0x1, .circular = 0,
    };
    log_header hdr;
    int32_t gen = 1;
    if (log_read_header(path, &hdr) >= 0 && hdr.generation > 0) {
        gen = hdr.generation;
        cfg.cbLogFile = hdr.cbFile;
        cfg.cbPage = hdr.cbPage;
    }
    read_all(&cfg, LSN_MAKE(gen, 1, 0));
    if (gen != 1)
        read_all(&cfg, LSN_MAKE(1, 1, 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_file(data, size);
    if (size < LOG_HEADER_SIZE)
        return 0;
    uint8_t *fixed = malloc(size);
    if (fixed == NULL)
        return 0;
    memcpy(fixed, data, size);
    uint32_t crc = os_crc32c(0, fixed + 4, LOG_HEADER_SIZE - 4);
    memcpy(fixed, &crc, 4); /* little-endian hosts */
    read_file(fixed, size);
    free(fixed);
    return 0;
}
