/*
 * fuzz_log_checkpoint.c -- fuzz target: esepy's checkpoint file reader
 * (csrc/log/log_checkpoint.c): the input is written as edb.chk and read with
 * log_checkpoint_read, then the folder is surveyed with log_survey (which
 * reads the checkpoint too).
 * Owns: nothing of the engine.
 */
#include "fuzz_util.h"

#include "log.h"

#define CHK_COPY 4096

static void read_one(const uint8_t *data, size_t size)
{
    char path[1024];
    const char *dir = fuzz_dir();
    fuzz_write("edb.chk", data, size, path, sizeof(path));
    log_config cfg = {
        .log_dir = dir, .system_dir = dir, .base = "edb", .cbLogFile = 1u << 20, .cbPage = 8192,
        .legacy_names = 0x1, .circular = 0,
    };
    log_checkpoint chk;
    (void)log_checkpoint_read(&cfg, &chk);
    log_stream_info info;
    (void)log_survey(&cfg, &info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_one(data, size);
    uint8_t *fixed = malloc(size ? size : 1);
    if (fixed == NULL)
        return 0;
    memcpy(fixed, data, size);
    for (size_t off = 0; off + CHK_COPY <= size && off <= CHK_COPY; off += CHK_COPY) {
        uint32_t crc = os_crc32c(0, fixed + off + 4, CHK_COPY - 4);
        memcpy(fixed + off, &crc, 4); /* little-endian hosts */
    }
    read_one(fixed, size);
    free(fixed);
    return 0;
}
