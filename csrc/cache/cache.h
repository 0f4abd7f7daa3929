/*
 * cache.h -- the page cache and the database file: fixed-size pages read
 * through checksums, written back under the write-ahead rule, in a cache of
 * bounded size; and the database header (pages "0" and "1" of ESE, here the
 * first two page-sized blocks of the file).
 *
 * Owns: every read and write of database files, page checksums, the dirty
 * page table (for the checkpoint), eviction, the header's on-disk layout.
 * Must not touch: page contents beyond the common page header (the btree owns
 * them), the log (it is told, through cache_wal_fn, to make the log durable up
 * to a page's lsn before that page is written).
 *
 * File layout (cbPage = 4096, 8192, 16384 or 32768):
 *     offset 0          header copy A (one page-sized block, db_header)
 *     offset cbPage     header copy B (shadow)
 *     offset (pgno+1)*cbPage   data page pgno, pgno >= 1
 *
 * Common page header (PAGE_HEADER_SIZE bytes at the start of every data page):
 *        0  u32  crc32c of bytes 4..cbPage-1, seeded with the pgno (so a page
 *                written at the wrong place fails too)
 *        4  u32  pgno
 *        8  u64  lsn of the last log record applied to the page (lsn_t)
 *       16  u32  objid of the tree owning the page (0 = free / space)
 *       20  u32  flags (PAGE_FLAG_*), owned by the btree
 *       24  u32  prev sibling pgno (btree)
 *       28  u32  next sibling pgno (btree)
 *       32  u32  reserved for the btree
 *       36  u32  reserved for the btree
 * An all-zero page (never written) reads as PAGE "uninitialized": cache_read
 * returns JET_errPageNotInitialized for it, so callers can tell it from
 * corruption (JET_errReadVerifyFailure).
 *
 * Invariants:
 *   C1 (write-ahead). A dirty page is written to its file only after
 *      wal(ctx, dbid, page lsn) returned success.
 *   C2. A page read from disk is returned only if its crc and pgno check out.
 *   C3. The number of frames never exceeds cpagesMax; when every frame is
 *      latched, cache_read / cache_new fail with JET_errOutOfBuffers.
 *   C4. cache_oldest_rec_lsn() is <= the lsn of the first change of every
 *      dirty page (its "recovery lsn"), so a checkpoint there is safe.
 *   C5. A frame's "checked" mark (bf_checked) is set only by the layer
 *      that owns the page contents (bf_set_checked, latch held), after it
 *      has validated the bytes, and the cache clears it whenever the bytes
 *      may change: when the frame takes a page identity (read from disk,
 *      cache_new) or loses it (eviction, close), and when an exclusive
 *      latch is released (L2: only its holder writes the bytes), unless
 *      the holder releases it with cache_release_checked, vouching that
 *      its changes kept what the mark certifies.  Hence a set mark always
 *      describes the bytes a latch holder now sees.  The
 *      cache never looks at what the mark means.
 *   C6. A frame's change count (bf_seq) moves (atomically, under the
 *      cache's mutex) whenever an exclusive latch on it is granted and
 *      whenever it loses its page identity; the page bytes change only
 *      under an exclusive latch or while the frame has no identity (L2).
 *      Hence a reader that copied a page's bytes under a latch and read
 *      bf_seq then (s) may later compare bf_seq_same(pbf, s) with no latch
 *      and no mutex: equal means the page is the same page with the same
 *      bytes as its copy, as of that load (issue 20: a scanning cursor
 *      reads the rest of a leaf from its copy).  Frames are never freed
 *      before cache_destroy (C3's lazy allocation), so the frame pointer
 *      stays valid memory for as long as the cache lives.
 *   C7. Image threshold (torn pages; the policy is T3 in btree.c and CP5 in
 *      isam/inst.c): cache_image_due(pbf) is true iff the page's lsn is below
 *      the cache's threshold (only ever raised; LSN_IMAGE_ALL, above every
 *      lsn, until the first cache_raise_image_lsn) or below its file's floor
 *      (cache_set_image_floor, reset when the file is opened).  The cache
 *      only stores and compares these lsns; who moves them, and when, is
 *      the callers' invariant.
 */
#ifndef ESEPY_CACHE_H
#define ESEPY_CACHE_H

#include <stdint.h>
#include "esent.h"
#include "os.h"
#include "lsn.h"

#define PAGE_HEADER_SIZE 40
#define PAGE_OFF_CRC     0
#define PAGE_OFF_PGNO    4
#define PAGE_OFF_LSN     8
#define PAGE_OFF_OBJID   16
#define PAGE_OFF_FLAGS   20
#define PAGE_OFF_PREV    24
#define PAGE_OFF_NEXT    28

typedef struct cache cache;
typedef struct bf bf; /* a latched buffer frame */

/* Called before a dirty page of file `dbid` with `lsn` is written: make the
 * log durable up to lsn (and whatever else must precede the page on disk,
 * such as the file's header naming the log generations it needs).  NULL wal
 * = no logging (recovery "off"). */
typedef JET_ERR (*cache_wal_fn)(void *ctx, uint32_t dbid, lsn_t lsn);

JET_ERR cache_create(uint32_t cbPage, uint32_t cpagesMax, cache **ppc);
void    cache_set_wal(cache *pc, cache_wal_fn wal, void *ctx);
/* All files must be closed first. */
void    cache_destroy(cache *pc);
uint32_t cache_page_size(const cache *pc);

/* ---- files --------------------------------------------------------------- */

/* Register an open database file under `dbid` (1..7); the cache owns pf from
 * now on (closes it in cache_close_file). */
JET_ERR cache_open_file(cache *pc, uint32_t dbid, os_file *pf);
/* Write back (flush = 1, honouring C1, then fdatasync) or drop (flush = 0:
 * crash simulation) the file's pages, then close it.
 *   C8. The fdatasync is skipped when the file had no write, allocation or
 *       truncation through the cache since the start of a successful sync
 *       (a file is taken as unsynced when opened: another handle may have
 *       written it).  Writes through cache_file() by others are the
 *       database header's, which syncs its own (db_header_write). */
JET_ERR cache_close_file(cache *pc, uint32_t dbid, int flush);
/* Number of data pages the file holds (pgno 1..*pcpg). */
JET_ERR cache_file_pages(cache *pc, uint32_t dbid, uint32_t *pcpg);
/* Grow the file to hold cpg data pages (zero-filled, allocated). */
JET_ERR cache_extend_file(cache *pc, uint32_t dbid, uint32_t cpg);
/* Shrink the file to cpg data pages: the frames of the pages beyond are
 * dropped (dirty or not: the caller guarantees that nobody needs them --
 * they are in no tree, no free list, and no log record recovery would replay
 * names them), once no I/O or latch is on them. */
JET_ERR cache_truncate_file(cache *pc, uint32_t dbid, uint32_t cpg);
os_file *cache_file(cache *pc, uint32_t dbid);

/* ---- pages --------------------------------------------------------------- */
#define LATCH_SHARED    1
#define LATCH_EXCLUSIVE 2

/* Latch page pgno of dbid, reading it if needed.  Errors:
 * JET_errReadVerifyFailure (crc or pgno mismatch), JET_errPageNotInitialized
 * (all zero), JET_errFileIOBeyondEOF (pgno past the end), JET_errOutOfBuffers,
 * I/O errors. */
JET_ERR cache_read(cache *pc, uint32_t dbid, uint32_t pgno, int latch, bf **ppbf);
/* Latch page pgno exclusively WITHOUT reading it: the frame is zeroed except
 * pgno.  Used for freshly allocated pages and by redo of page images. */
JET_ERR cache_new(cache *pc, uint32_t dbid, uint32_t pgno, bf **ppbf);
uint8_t *bf_data(bf *pbf);
/* C5: has the contents owner checked these bytes since they last changed?
 * bf_set_checked records that it has (shared or exclusive latch held). */
int      bf_checked(bf *pbf);
void     bf_set_checked(bf *pbf);
uint32_t bf_pgno(const bf *pbf);
/* C6: the frame's change count (read with a latch held, to remember), and
 * whether it is still that (no latch needed; pbf from an earlier latch). */
uint64_t bf_seq(const bf *pbf);
int      bf_seq_same(const bf *pbf, uint64_t seq);
lsn_t    bf_lsn(const bf *pbf);
/* Record a change logged at `lsn` (exclusive latch required): sets the page
 * lsn and, on the first change since the page was clean, its recovery lsn. */
void     cache_dirty(bf *pbf, lsn_t lsn);
/* Change a page without logging (database created with recovery off, or a
 * temporary database): dirty, lsn unchanged. */
void     cache_dirty_unlogged(bf *pbf);
/* The latched page has had no logged change since the cache last wrote it
 * to its file or read it from there (the file holds what the frame holds,
 * or the frame is new).  Stable while the caller holds the exclusive latch
 * (no write-back while it is held, L2 in cache.c). */
int      cache_clean_since_written(bf *pbf);
/* C7: the next change of the latched page must log its whole image (its lsn
 * is below the image threshold or its file's floor). */
int      cache_image_due(bf *pbf);
/* C7: raise the image threshold to lsn (never lowers it; the first call
 * replaces LSN_IMAGE_ALL).  The caller keeps every page change out while it
 * moves (CP5 in isam/inst.c). */
#define  LSN_IMAGE_ALL ((lsn_t)UINT64_MAX)
void     cache_raise_image_lsn(cache *pc, lsn_t lsn);
lsn_t    cache_image_lsn(cache *pc);
/* C7: images for every page of file dbid whose lsn is below lsn (raised
 * only; 0 when the file is opened).  Set before any change of the file is
 * logged (attach: db.c D1). */
void     cache_set_image_floor(cache *pc, uint32_t dbid, lsn_t lsn);
/* Lower the latched page's lsn to `lsn` (exclusive latch) and dirty it
 * unlogged, for a page with no logged change pending (a file being attached
 * whose lsns belong to another log stream: isam/db.c D5).  The write that
 * follows changes only the page's first 16 bytes (crc, pgno, lsn), so a torn
 * write leaves the old page or the new one, both valid (blocks of 512 bytes
 * reach the disk whole, as the log assumes: log.h L7). */
void     cache_restamp_unlogged(bf *pbf, lsn_t lsn);
void     cache_release(bf *pbf);
/* Release an exclusive latch keeping the checked mark (C5): only for a
 * holder that changed the bytes solely through code that keeps the layout
 * the mark vouches for (the btree's infallible page operations on a page it
 * checked when it latched it).  Same as cache_release for a shared latch. */
void     cache_release_checked(bf *pbf);

/* ---- write-back ------------------------------------------------------------ */

/* Write every dirty page (of dbid, or of all files with dbid 0), then fdatasync. */
JET_ERR cache_flush(cache *pc, uint32_t dbid);
/* Write the dirty pages whose recovery lsn is below `lsn` (checkpoint advance). */
JET_ERR cache_flush_older(cache *pc, lsn_t lsn);
/* Smallest recovery lsn among dirty pages, or LSN_NIL if none is dirty. */
lsn_t   cache_oldest_rec_lsn(cache *pc);

/* ---- backup ------------------------------------------------------------------ */

/* Copy pages pgno .. pgno+cpg-1 of dbid into pv (cpg * cbPage bytes) for a
 * backup, while other threads keep changing them.  A page resident in the
 * cache is copied under a shared latch (the newest image, sealed with a fresh
 * crc); any other page is read from the file and verified (C2), a failed
 * verification being retried once in case a write-back was in flight.
 * Never-written pages come back as zeros; pages past the end of the file too.
 * JET_errReadVerifyFailure for a page that is damaged on disk.  Does not
 * load pages into the cache (a backup does not evict the working set). */
JET_ERR cache_backup_read(cache *pc, uint32_t dbid, uint32_t pgno, uint32_t cpg, void *pv);
/* Check a page image as a read from disk would (C2): JET_errSuccess,
 * JET_errPageNotInitialized (all zero) or JET_errReadVerifyFailure. */
JET_ERR cache_page_verify(const void *pv, uint32_t cb, uint32_t pgno);

/* ---- database header ------------------------------------------------------- */

#define DB_MAGIC          0x44504553u /* "SEPD" */
/* Format versions.  Version 1: the format of every file written before the
 * incompat field existed (its bytes 284..287 are 0).  Version 2: the same
 * layout plus `incompat`, a mask of the on-disk encodings the file may hold
 * that a version-1 reader would misread (F1, checked by db_header_read):
 *   F1. A file is written as version 1 while incompat == 0 and as version 2
 *       once any DB_INCOMPAT_* bit is set; a reader refuses a version-2 file
 *       holding a bit outside DB_INCOMPAT_KNOWN (JET_errInvalidDatabaseVersion),
 *       so an older build never misreads a newer encoding.
 * A feature's bit is set in the header before the first page holding its
 * encoding can reach the disk (set at JetCreateDatabase for features every
 * new file uses), and is never cleared.  Bits are allocated here only. */
#define DB_FORMAT_VERSION 2
#define DB_INCOMPAT_RECORD_OVERFLOW 0x1u  /* records whose tagged area lives in the LV tree */
#define DB_INCOMPAT_RECORD_HDR2     0x2u  /* compact record header */
#define DB_INCOMPAT_KEY_PREFIX      0x4u  /* page-level key prefix compression */
#define DB_INCOMPAT_INDEX_COMPACT   0x10u /* index entries: Unicode text keys in 1-3 bytes a unit (key.c),
                                           * 1-byte bookmark lengths (index.c K8) */
#define DB_INCOMPAT_KNOWN           (DB_INCOMPAT_RECORD_OVERFLOW | DB_INCOMPAT_RECORD_HDR2 | DB_INCOMPAT_KEY_PREFIX | \
                                     DB_INCOMPAT_INDEX_COMPACT) /* a feature adds its bit here when it lands */

typedef struct db_header {
    uint32_t      version;         /* 1, or DB_FORMAT_VERSION when incompat != 0 (F1) */
    uint32_t      cbPage;
    uint32_t      filetype;        /* JET_filetypeDatabase / TempDatabase */
    JET_SIGNATURE signDb;
    uint32_t      dbstate;         /* JET_dbstate* */
    JET_SIGNATURE signLog;         /* log stream the database belongs to */
    lsn_t         lsnConsistent;   JET_LOGTIME tmConsistent;
    lsn_t         lsnAttach;       JET_LOGTIME tmAttach;
    lsn_t         lsnDetach;       JET_LOGTIME tmDetach;
    int32_t       genMinRequired, genMaxRequired, genMaxCommitted;
    JET_BKINFO    bkinfoFullPrev, bkinfoIncPrev, bkinfoFullCur, bkinfoCopyPrev, bkinfoDiffPrev;
    uint32_t      dbid;            /* dbid when last attached */
    uint32_t      flags;           /* DB_FLAG_* */
    uint32_t      objidLast;       /* highest object id handed out */
    uint32_t      cpgOwned;        /* data pages in the file */
    uint32_t      pgnoSpace;       /* the space (free list) page, owned by the btree layer */
    uint32_t      pgnoCatalog;     /* root of the catalog tree, owned by the isam layer */
    uint32_t      incompat;        /* DB_INCOMPAT_* (F1) */
    uint64_t      dbtime;          /* reserved */
    lsn_t         lsnPageMax;      /* >= every page lsn of the file while it is
                                    * not attached; LSN_NIL = not recorded (isam/db.c D5) */
} db_header;

#define DB_FLAG_RECOVERY_OFF 0x1   /* created with JET_bitDbRecoveryOff */

/* F1: the one way to mark a file as holding an incompatible encoding (the
 * caller writes the header before the first page with the encoding). */
static inline void db_header_set_incompat(db_header *phdr, uint32_t bit)
{
    phdr->incompat |= bit;
    phdr->version = DB_FORMAT_VERSION;
}

/* Read the header of an open file: whichever copy is valid (A preferred when
 * both are).  cbPageExpected != 0 -> JET_errPageSizeMismatch when the file's
 * page size differs.  No valid copy -> JET_errDatabaseCorrupted; not a
 * database file -> JET_errFileInvalidType (bad magic) or
 * JET_errInvalidDatabaseVersion. */
JET_ERR db_header_read(os_file *pf, uint32_t cbPageExpected, db_header *phdr);
/* Same, by path (JetGetDatabaseFileInfo on a detached file). */
JET_ERR db_header_read_path(const char *path, db_header *phdr);
/* What db_header_read found in each copy (inspection): both copies are read
 * whatever A holds; iUsed is the copy db_header_read returns (0 = A, 1 = B),
 * crc its stored checksum. */
typedef struct db_header_copies {
    int      fValidA, fValidB;
    int      iUsed;
    uint32_t crc;
} db_header_copies;
/* db_header_read (cbPageExpected 0) that also fills *pcopies. */
JET_ERR db_header_read_copies(os_file *pf, db_header *phdr, db_header_copies *pcopies);
/* Decode one header copy held in memory (cb bytes, e.g. streamed from a
 * backup): H2 and the checks of db_header_read.  *pcrc: its stored crc. */
JET_ERR db_header_decode_block(const void *pv, size_t cb, db_header *phdr, uint32_t *pcrc);
/* Write copy A, fdatasync, copy B, fdatasync: a crash leaves one valid copy. */
JET_ERR db_header_write(os_file *pf, const db_header *phdr);
/* Serialise into a block of phdr->cbPage bytes (crc included), as written. */
void    db_header_encode(const db_header *phdr, void *pv);
/* Fill JET_DBINFOMISC from a header. */
void    db_header_to_misc(const db_header *phdr, JET_DBINFOMISC *pmisc);

#endif /* ESEPY_CACHE_H */
