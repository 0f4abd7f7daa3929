/*
 * fuzz_backup_set.c -- fuzz target: the checks restore applies to each
 * database of a backup set (csrc/backup/restore.c, read_db): the database
 * header (db_header_read, csrc/cache/dbheader.c, both copies and every page
 * size) and the backup trailer in the file's last page (bk_trailer_decode).
 * read_db itself is static to restore.c; this target runs the same two
 * decoders on the same bytes.
 *
 * Input: a backed-up database file (header copies, pages, trailer).
 * Owns: nothing of the engine.
 */
#include "fuzz_util.h"

#include "bk_int.h"
#include "cache.h"

static uint8_t g_blk[32768];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[1024];
    fuzz_dir();
    fuzz_write("fuzz.edb", data, size, path, sizeof(path));
    os_file *pf = NULL;
    if (os_file_open(path, OS_FILE_READ, &pf) < 0)
        return 0;
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
            return 0;
        memcpy(blk, data + size - cb, cb);
        bk_trailer tr;
        if (bk_trailer_decode(blk, cb, &tr) >= 0)
            g_blk[0] ^= (uint8_t)tr.name[strlen(tr.name) ? strlen(tr.name) - 1 : 0];
        free(blk);
    }
    return 0;
}
