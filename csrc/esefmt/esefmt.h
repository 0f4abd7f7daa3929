/*
 * esefmt.h -- the esefmt layer: a read-only reader of ESE files written by
 * Windows (databases, transaction logs, checkpoints), for forensics.
 *
 * Owns: decoding of the on-disk formats -- headers, page checksums (legacy XOR
 * and ECC), page tags and nodes, B+tree walks, the catalog (MSysObjects),
 * records (fixed, variable, tagged, multi-valued), long values and the
 * compression schemes (7-bit ASCII, 7-bit Unicode, XPRESS).  Its public face is
 * csrc/include/esepy_ese.h (EsepyEse*); this header lists the helpers the
 * layer's files share with each other and with unit tests.
 * Must not touch: any other engine layer.  It depends only on csrc/os (files,
 * memory) and on JET types and error codes from esent.h.  It keeps no global
 * mutable state and never writes to a file it reads; the writers are
 * eserecover.c, which writes only a new output copy (or, when the caller says
 * the database is a copy, that file's header pages), and esewrite.c, which
 * writes only a new file it creates (esepy export-ese).
 */
#ifndef ESEPY_ESEFMT_H
#define ESEPY_ESEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "esent.h"
#include "esepy_ese.h"

/* XOR checksum of the first cb bytes (multiple of 4) seeded with 0x89ABCDEF,
 * word 0 (the stored checksum) excluded: the rule of database, log and
 * checkpoint headers and of pages in the legacy format. */
uint32_t esefmt_checksum_xor(const uint8_t *pb, size_t cb);

/* The 64-bit ECC checksum of one block (cb = 1..8 KiB, power of two) of a
 * page numbered pgno; fHeaderBlock excludes the first 8 bytes. */
uint64_t esefmt_checksum_ecc(const uint8_t *pb, uint32_t cb, uint32_t pgno, int fHeaderBlock);

/* MS-XCA "plain LZ77" (XPRESS) decompression of cbIn bytes into exactly
 * cbOut bytes.  JET_errDecompressionFailed when the input is damaged or ends
 * early; never reads or writes out of bounds. */
JET_ERR esefmt_xpress_decompress(const uint8_t *pbIn, size_t cbIn, uint8_t *pbOut, size_t cbOut);

/* Size of the decompressed form of an ESE compressed value, or an error
 * (JET_errFeatureNotAvailable for unsupported schemes, whose number goes to
 * *pscheme; JET_errDecompressionFailed for damaged headers). */
JET_ERR esefmt_decompressed_size(const uint8_t *pb, uint32_t cb, uint32_t *pcbOut, uint32_t *pscheme);

/* Decompress into pbOut (cbOut = the size esefmt_decompressed_size gave). */
JET_ERR esefmt_decompress(const uint8_t *pb, uint32_t cb, uint8_t *pbOut, uint32_t cbOut);

/* Decode an 8-byte LOGTIME / a 28-byte SIGNATURE / an 8-byte LGPOS. */
void esefmt_logtime(const uint8_t *pb, ESEPY_ESE_TIME *pt);
void esefmt_signature(const uint8_t *pb, ESEPY_ESE_SIGNATURE *ps);
void esefmt_lgpos(const uint8_t *pb, ESEPY_ESE_LGPOS *pl);

/* UTF-16LE (cb bytes, stops at a NUL) to NUL-terminated UTF-8 in sz[cbMax];
 * unpaired surrogates become U+FFFD; truncates at a character boundary. */
void esefmt_utf16_to_utf8(const uint8_t *pb, uint32_t cb, char *sz, size_t cbMax);

#endif /* ESEPY_ESEFMT_H */
