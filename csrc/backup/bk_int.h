/*
 * bk_int.h -- private declarations shared by backup.c and restore.c: the
 * trailer page of a database copy and small folder helpers.
 *
 * Owns: the trailer's on-disk layout.
 * Must not be included outside csrc/backup/.
 *
 * Trailer page (cbPage bytes, little-endian):
 *     0  u32  crc32c of bytes 4..cbPage-1 (seed 0)
 *     4  u32  BK_TRAILER_MAGIC
 *     8  u32  BK_TRAILER_VERSION
 *    12  u32  cbPage
 *    16  u32  cpg: data pages in the copy
 *    20  28   signDb
 *    48  28   signLog
 *    76  u64  lsn of the backup mark
 *    84  8    JET_LOGTIME of the mark
 *    92  u32  genLow (first generation the copy needs)
 *    96  u32  genHigh (last generation that changed a copied page)
 *   100  u16  length of the file name, then the name (no folder), < 256
 */
#ifndef ESEPY_BK_INT_H
#define ESEPY_BK_INT_H

#include "backup.h"
#include "cache.h"
#include "os.h"

#define BK_TRAILER_MAGIC   0x54504553u /* "SEPT" */
#define BK_TRAILER_VERSION 1

/* bk_trailer and bk_trailer_decode are in backup.h (inspection reads trailers). */
void    bk_trailer_encode(const bk_trailer *pt, uint8_t *pv, uint32_t cbPage);

/* Last component of a path. */
const char *bk_basename(const char *path);
/* `name` without its extension into out (cbOut bytes). */
void bk_stem(const char *name, char *out, size_t cbOut);
/* Join folder and name; JET_errInvalidPath if too long. */
JET_ERR bk_join(const char *dir, const char *name, char *out);

/* Invariant B4 (backup and restore): every file they write is created
 * afresh, exclusively and never through a symbolic link.  bk_create_file
 * opens `path` so (OS_FILE_WRITE | CREATE | NOFOLLOW | extra): a symbolic link
 * at `path` -> JET_errInvalidPath with the link and its target untouched; a
 * regular file there (left by an earlier interrupted run) is unlinked first
 * (unlink never follows a link), then the file is created with O_EXCL. */
JET_ERR bk_create_file(const char *path, uint32_t extra, os_file **ppf);
/* JET_errInvalidPath when `path` is a symbolic link (B4: a folder or file
 * backup or restore would write through). */
JET_ERR bk_no_link(const char *path);

/* Report progress; a negative return of the callback is returned. */
JET_ERR bk_report(bk_progress *pp, JET_SNT snt);

#endif /* ESEPY_BK_INT_H */
