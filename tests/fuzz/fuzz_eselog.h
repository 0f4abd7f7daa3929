/*
 * fuzz_eselog.h -- a helper of the fuzz targets that read Windows ESE log
 * files (fuzz_ese_log_records.c, fuzz_ese_recover.c): re-stamping a copy of
 * a log so its segment checksums no longer stop a mutation at the door.
 *
 * Owns: nothing of the engine; uses esefmt's checksum functions only.
 */
#ifndef ESEPY_FUZZ_ESELOG_H
#define ESEPY_FUZZ_ESELOG_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esefmt.h"
#include "le.h"

#define FUZZ_ESE_CBSEC 4096u

/* A copy of data padded to whole 4 KiB sectors, with the header's csecLGFile
 * (offset 12) set to its sectors, every non-zero segment's ECC checksum
 * recomputed at its own sector number, then the header's XOR checksum.  The
 * caller frees it; NULL when out of memory. */
static uint8_t *fuzz_ese_log_restamp(const uint8_t *data, size_t size, size_t *pcb)
{
    size_t csec = (size + FUZZ_ESE_CBSEC - 1) / FUZZ_ESE_CBSEC;
    if (csec < 1)
        csec = 1;
    if (csec > 0xFFFF)
        csec = 0xFFFF;
    size_t cb = csec * FUZZ_ESE_CBSEC;
    uint8_t *pb = calloc(1, cb);
    if (pb == NULL)
        return NULL;
    memcpy(pb, data, size < cb ? size : cb);
    le_put16(pb + 12, (uint16_t)csec);
    uint32_t csecHeader = le_get16(pb + 10);
    if (csecHeader < 1)
        csecHeader = 1;
    for (size_t isec = csecHeader; isec < csec; isec++) {
        uint8_t *seg = pb + isec * FUZZ_ESE_CBSEC;
        int fZero = 1;
        for (uint32_t i = 0; i < FUZZ_ESE_CBSEC && fZero; i++)
            fZero = seg[i] == 0;
        if (!fZero)
            le_put64(seg, esefmt_checksum_ecc(seg, FUZZ_ESE_CBSEC, (uint32_t)isec, 1));
    }
    le_put32(pb, esefmt_checksum_xor(pb, FUZZ_ESE_CBSEC));
    *pcb = cb;
    return pb;
}

#endif /* ESEPY_FUZZ_ESELOG_H */
