/*
 * fuzz_backup_set.c -- fuzz target: the checks restore applies to each
 * database of a backup set (csrc/backup/restore.c, read_db): the database
 * header (db_header_read, csrc/cache/dbheader.c, both copies and every page
 * size) and the backup trailer in the file's last page (bk_trailer_decode).
 * read_db itself is static to restore.c; this target runs the same two
 * decoders on the same bytes.
 *
 * Each input runs twice: as it is, and with the crc32c of both header
 * copies and of the trailer recomputed (each: crc of bytes 4..cbPage-1 at
 * offset 0, cbPage from the header's offset 12), so that mutations reach the
 * checks behind the checksums.
 *
 * Input: a backed-up database file (header copies, pages, trailer).
 * Owns: nothing of the engine.
 */
#include "fuzz_util.h"

#include "bk_int.h"
#include "cache.h"

static uint8_t g_blk[32768];

static void check_set_db(const uint8_t *data, size_t size)
{
    char path[1024];
    fuzz_dir();
    fuzz_write("fuzz.edb", data, size, path, sizeof(path));
    os_file *pf = NULL;
    if (os_file_open(path, OS_FILE_READ, &pf) < 0)
        return;
    db_header hdr;
    static const uint32_t rgcb[] = { 0, 4096, 8192, 16384, 32768 };
    uint32_t cbPage = 0;
    for (unsigned i = 0; i < sizeof(rgcb) / sizeof(rgcb[0]); i++)
        if (db_header_read(pf, rgcb[i], &hdr) >= 0 && cbPage == 0)
            cbPage = hdr.cbPage;
    os_file_close(pf);
    for (uint32_t cb = 4096; cb <= 32768; cb *= 2) {
        if (size < cb)
            break;
        if (cbPage != 0 && cb != cbPage)
            continue;
        /* the trailer: the last page-sized block of the file */
        uint8_t *blk = malloc(cb);
        if (blk == NULL)
            return;
        memcpy(blk, data + size - cb, cb);
        bk_trailer tr;
        if (bk_trailer_decode(blk, cb, &tr) >= 0)
            g_blk[0] ^= (uint8_t)tr.name[strlen(tr.name) ? strlen(tr.name) - 1 : 0];
        free(blk);
    }
}

static void fix_crc(uint8_t *pb, uint32_t cb)
{
    uint32_t crc = os_crc32c(0, pb + 4, cb - 4);
    memcpy(pb, &crc, 4); /* little-endian hosts */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_set_db(data, size);
    if (size < 16)
        return 0;
    uint32_t cb;
    memcpy(&cb, data + 12, 4);
    if ((cb != 4096 && cb != 8192 && cb != 16384 && cb != 32768) || size < 3 * (size_t)cb)
        return 0;
    uint8_t *fixed = malloc(size);
    if (fixed == NULL)
        return 0;
    memcpy(fixed, data, size);
    fix_crc(fixed, cb);
    fix_crc(fixed + cb, cb);
    fix_crc(fixed + size - cb, cb);
    check_set_db(fixed, size);
    free(fixed);
    return 0;
}
