/*
 * cache.c -- the page cache (cache.h): buffer frames, the (dbid, pgno) hash,
 * page latches, clock eviction, page checksums, the dirty page table and
 * write-back under the write-ahead rule.
 *
 * Owns: every read and write of data pages (offset (pgno+1)*cbPage), the crc
 * and pgno fields of the common page header (stamped just before a write,
 * verified after a read), the page lsn field (written by cache_dirty and cache_restamp_unlogged), the
 * frames and their memory, and the registered database files.
 * Must not touch: the rest of a page (the btree owns it), the database header
 * blocks (dbheader.c), the log (reached only through the wal callback).
 *
 * ---- Locking protocol ------------------------------------------------------
 *
 * One mutex, pc->mtx, guards every field of struct cache and struct cfile and
 * every field of struct bf except the page bytes (pbf->pv).  Page latches are
 * not separate locks: they are counters in the frame (cShared, fExcl) changed
 * under pc->mtx; a thread that must wait for a latch, for a read in progress
 * or for a write in progress "pins" the frame (cPin++, so it is not evicted)
 * and waits on the frame's condition variable, which releases pc->mtx while it
 * sleeps.  Hence:
 *   L1. pc->mtx is never held across file I/O, across the wal callback, or
 *       while sleeping (cond_wait releases it).  It is a leaf lock: nothing
 *       else is acquired while it is held.
 *   L2. The page bytes are protected by the latch: a shared holder may read
 *       them, the exclusive holder may write them.  A frame being read from
 *       disk (state BF_READING) is owned by the reading thread; a frame being
 *       written (fWriting) counts as one more shared holder (no exclusive
 *       latch is granted while it is written, so the image is stable).
 *   L3. A cfile's rwExtend is taken (read) around a page write and (write)
 *       around cache_extend_file, never with pc->mtx held and never while
 *       waiting for a latch.
 *   L4. Write-back (cache_flush*, close with flush, eviction of a dirty
 *       victim) holds the fWriting marks of at most one run of pages (one
 *       page, or W1's consecutive pages, taken together without waiting)
 *       at a time, never waits while holding them, and calls wal() while
 *       holding them.  Callers therefore must not call
 *       cache_flush / cache_flush_older / cache_close_file while they hold a
 *       latch (they would wait for themselves), and the log must not wait for
 *       a page latch inside wal() nor hold a lock that wal() needs while
 *       calling cache_flush_older.
 *   L5. Latches are leaf-level below the isam locks (lockorder.h,
 *       LOCK_RANK_LATCH): a thread holding a latch (or an fWriting mark)
 *       never takes inst.lock, ckpt or any lock ranked at or below it -- the
 *       engine waits for latches while holding inst.lock (version cleanup) --
 *       and never waits for a latch holding a lock ranked above it (hdrLock
 *       and the log locks, which wal() takes under a latch).  Debug builds
 *       check it: every grant calls OS_LATCH_TAKEN, every release
 *       OS_LATCH_RELEASED, every request that may wait OS_LATCH_BEFORE_WAIT
 *       (os_thread.c T2).
 *
 * ---- Eviction ----------------------------------------------------------------
 *
 * Frames are allocated lazily up to cpagesMax (C3) and never freed before
 * cache_destroy.  When all are allocated, a clock hand sweeps them: frames
 * with latch holders, pins or I/O in progress are skipped, a set reference bit
 * is cleared, and the first unreferenced frame is the victim.  A dirty victim
 * is written first (C1 via bf_write) and then reconsidered.  If every frame is
 * latched, the request fails with JET_errOutOfBuffers; if some are only busy
 * with I/O or pinned, it waits for them (pc->cvFrame) and retries.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <assert.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "cache_int.h"

/* ---- structures ------------------------------------------------------------ */

enum { BF_FREE = 0, BF_READING = 1, BF_VALID = 2 };

struct bf {
    uint8_t       *pv;          /* cbPage bytes (latch-protected, L2) */
    cache         *pc;
    bf            *pbfHashNext; /* hash chain (state != BF_FREE) */
    uint32_t       iframe;      /* index in pc->rgpbf */
    uint32_t       dbid, pgno;  /* identity, valid when state != BF_FREE */
    int            state;       /* BF_* */
    uint32_t       cShared;     /* shared latch holders */
    int            fExcl;       /* exclusive latch held */
    int            fWriting;    /* write-back in progress (acts as a shared latch) */
    int            fDirty;
    int            fRef;        /* clock reference bit */
    uint32_t       cPin;        /* threads waiting on cv (frame must not change identity) */
    lsn_t          lsnRec;      /* recovery lsn: first logged change since clean; LSN_NIL if none */
    /* C5: the contents owner's "checked" mark (bf_checked).  Set without
     * pc->mtx by any latch holder (several shared holders may set it at
     * once, hence atomic); cleared under pc->mtx with no latch left. */
    atomic_int     fChecked;
    /* C6: moved under pc->mtx at every exclusive grant and identity loss;
     * read without it (bf_seq_same). */
    _Atomic uint64_t seq;
    os_cond_t cv;          /* latch / I/O state changed */
};

typedef struct cfile {
    os_file         *pf;        /* NULL: slot unused */
    int              fClosing;  /* cache_close_file in progress: no new latches */
    uint32_t         cIO;       /* I/O calls in flight on pf */
    lsn_t            lsnImageFloor; /* C7: per-file image threshold (under mtx) */
    uint64_t         seqWrite;  /* C8: bumped after every write, allocation, truncation (mtx) */
    uint64_t         seqSynced; /* C8: seqWrite as of the start of the last successful sync (mtx) */
    os_rwlock_t rwExtend;  /* L3 */
} cfile;

struct cache {
    uint32_t        cbPage;
    uint32_t        cpagesMax;
    os_mutex_t mtx;
    os_cond_t  cvFrame;    /* a frame may have become free / an I/O ended */
    uint32_t        cWaitFrame; /* threads waiting on cvFrame */
    cache_wal_fn    wal;
    void           *walCtx;
    cfile           rgfile[CACHE_DBID_MAX + 1]; /* index = dbid; [0] unused */
    bf            **rgpbf;      /* frames 0..nframes-1 */
    uint32_t        nframes;
    uint32_t        cpbfAlloc;  /* capacity of rgpbf */
    uint32_t        ihand;      /* clock hand */
    bf            **rgpbfHash;
    uint32_t        cbucket;    /* power of two */
    uint64_t        creads, cwrites, cevictions;
    lsn_t           lsnImage;   /* C7: image threshold, only raised (under mtx) */
};

/* ---- small helpers ----------------------------------------------------------- */

static inline void cache_lock(cache *pc)
{
    os_mutex_lock(&pc->mtx);
}

static inline void cache_unlock(cache *pc)
{
    os_mutex_unlock(&pc->mtx);
}

/* Wake threads waiting for a frame to become usable (mutex held). */
static void cache_wake(cache *pc)
{
    os_mutex_assert_held(&pc->mtx);
    if (pc->cWaitFrame)
        os_cond_broadcast(&pc->cvFrame);
}

static void cache_wait_frame(cache *pc)
{
    pc->cWaitFrame++;
    os_cond_wait(&pc->cvFrame, &pc->mtx);
    pc->cWaitFrame--;
}

/* Wait (mutex held) for a change of pbf's latch or I/O state.  The pin keeps
 * the frame's identity while we sleep; callers re-look the page up after. */
static void bf_wait(cache *pc, bf *pbf)
{
    os_mutex_assert_held(&pc->mtx);
    pbf->cPin++;
    os_cond_wait(&pbf->cv, &pc->mtx);
    pbf->cPin--;
    if (pbf->cPin == 0)
        cache_wake(pc);
}

/* Frame state changed: wake its waiters (all waiters pin). */
static void bf_wake(cache *pc, bf *pbf)
{
    if (pbf->cPin)
        os_cond_broadcast(&pbf->cv);
    cache_wake(pc);
}

static inline int bf_latched(const bf *pbf)
{
    return pbf->cShared != 0 || pbf->fExcl;
}

/* Can `latch` be granted now? */
static inline int bf_latch_ok(const bf *pbf, int latch)
{
    if (pbf->state != BF_VALID || pbf->fExcl)
        return 0;
    return latch == LATCH_SHARED || (pbf->cShared == 0 && !pbf->fWriting);
}

static inline void bf_latch_grant(bf *pbf, int latch)
{
    if (latch == LATCH_EXCLUSIVE) {
        pbf->fExcl = 1;
        atomic_fetch_add(&pbf->seq, 1); /* C6: before the holder can change a byte */
    } else
        pbf->cShared++;
    pbf->fRef = 1;
}

static inline int dbid_valid(uint32_t dbid)
{
    return dbid >= 1 && dbid <= CACHE_DBID_MAX;
}

static inline uint64_t page_offset(const cache *pc, uint32_t pgno)
{
    return ((uint64_t)pgno + 1) * pc->cbPage;
}

/* ---- hash table (mutex held) ----------------------------------------------- */

static inline uint32_t hash_index(const cache *pc, uint32_t dbid, uint32_t pgno)
{
    uint32_t h = pgno * 0x9E3779B1u ^ dbid * 0x85EBCA77u;
    h ^= h >> 15;
    return h & (pc->cbucket - 1);
}

static bf *hash_find(cache *pc, uint32_t dbid, uint32_t pgno)
{
    for (bf *p = pc->rgpbfHash[hash_index(pc, dbid, pgno)]; p; p = p->pbfHashNext) {
        if (p->pgno == pgno && p->dbid == dbid)
            return p;
    }
    return NULL;
}

static void hash_insert(cache *pc, bf *pbf)
{
    uint32_t i = hash_index(pc, pbf->dbid, pbf->pgno);
    pbf->pbfHashNext = pc->rgpbfHash[i];
    pc->rgpbfHash[i] = pbf;
}

static void hash_remove(cache *pc, bf *pbf)
{
    bf **pp = &pc->rgpbfHash[hash_index(pc, pbf->dbid, pbf->pgno)];
    while (*pp != pbf) {
        assert(*pp != NULL);
        pp = &(*pp)->pbfHashNext;
    }
    *pp = pbf->pbfHashNext;
    pbf->pbfHashNext = NULL;
}

/* Give up a frame's identity (mutex held; no latch, pin or I/O on it). */
static void bf_forget(cache *pc, bf *pbf)
{
    os_mutex_assert_held(&pc->mtx);
    if (pbf->state != BF_FREE)
        hash_remove(pc, pbf);
    pbf->state = BF_FREE;
    pbf->fDirty = 0;
    pbf->lsnRec = LSN_NIL;
    pbf->fRef = 0;
    atomic_store_explicit(&pbf->fChecked, 0, memory_order_relaxed);   /* C5 */
    atomic_fetch_add(&pbf->seq, 1);                                    /* C6 */
}

/* ---- frame allocation (mutex held) ----------------------------------------- */

static void bf_free(bf *pbf)
{
    if (pbf == NULL)
        return;
    os_cond_destroy(&pbf->cv);
    os_free(pbf->pv);
    os_free(pbf);
}

/* Make room for one more frame in rgpbf and the hash table. */
static JET_ERR cache_grow_tables(cache *pc)
{
    if (pc->nframes == pc->cpbfAlloc) {
        uint32_t c = pc->cpbfAlloc ? pc->cpbfAlloc * 2 : 16;
        if (c > pc->cpagesMax || c < pc->cpbfAlloc)
            c = pc->cpagesMax;
        bf **rg = os_realloc(pc->rgpbf, (size_t)c * sizeof(bf *));
        if (rg == NULL)
            return JET_errOutOfMemory;
        pc->rgpbf = rg;
        pc->cpbfAlloc = c;
    }
    if (pc->nframes + 1 > pc->cbucket) {
        uint32_t c = pc->cbucket * 2;
        bf **rg = os_calloc(c, sizeof(bf *));
        if (rg == NULL)
            return JET_errOutOfMemory;
        os_free(pc->rgpbfHash);
        pc->rgpbfHash = rg;
        pc->cbucket = c;
        for (uint32_t i = 0; i < pc->nframes; i++) {
            if (pc->rgpbf[i]->state != BF_FREE)
                hash_insert(pc, pc->rgpbf[i]);
        }
    }
    return JET_errSuccess;
}

/* A new, free frame, or NULL when memory is short.  C3: only while
 * nframes < cpagesMax. */
static bf *bf_alloc(cache *pc)
{
    bf *pbf = NULL;
    assert(pc->nframes < pc->cpagesMax);
    if (cache_grow_tables(pc) < 0)
        return NULL;
    pbf = os_calloc(1, sizeof(*pbf));
    if (pbf == NULL)
        return NULL;
    pbf->pv = os_malloc(pc->cbPage);
    if (pbf->pv == NULL || os_cond_init(&pbf->cv) != JET_errSuccess) {
        os_free(pbf->pv);
        os_free(pbf);
        return NULL;
    }
    pbf->pc = pc;
    pbf->state = BF_FREE;
    pbf->lsnRec = LSN_NIL;
    pbf->iframe = pc->nframes;
    pc->rgpbf[pc->nframes++] = pbf;
    return pbf;
}

/* ---- page codec ---------------------------------------------------------------- */

static int page_all_zero(const uint8_t *pv, uint32_t cb)
{
    for (uint32_t i = 0; i < cb; i++) {
        if (pv[i])
            return 0;
    }
    return 1;
}

/* C2: a page read from disk is good only if its crc and pgno check out. */
static JET_ERR page_verify(const uint8_t *pv, uint32_t cb, uint32_t pgno)
{
    if (le_get32(pv + PAGE_OFF_CRC) != cache_block_crc(pv, cb, pgno) ||
        le_get32(pv + PAGE_OFF_PGNO) != pgno)
        return page_all_zero(pv, cb) ? JET_errPageNotInitialized : JET_errReadVerifyFailure;
    return JET_errSuccess;
}

JET_ERR cache_page_verify(const void *pv, uint32_t cb, uint32_t pgno)
{
    return page_verify(pv, cb, pgno);
}

/* Stamp pgno and the crc into a copy of the page about to be written. */
static void page_seal(uint8_t *pv, uint32_t cb, uint32_t pgno)
{
    le_put32(pv + PAGE_OFF_PGNO, pgno);
    le_put32(pv + PAGE_OFF_CRC, cache_block_crc(pv, cb, pgno));
}

/* ---- write-back ------------------------------------------------------------------ */

#define CACHE_RUN_MAX 32u /* pages per write-back run (W1, flush_frames) */

/* Write a run of dirty frames: c (>= 1) frames of one file holding pages
 * pgno, pgno+1, ... (mutex held on entry and exit; released during the wal
 * call and the write), as one write (W1 below).  Every frame must be valid,
 * dirty, not exclusively latched and not already being written.  pvBuf:
 * c * cbPage bytes of scratch.  On failure every frame of the run stays dirty
 * with its recovery lsn. */
static JET_ERR bf_write_run(cache *pc, bf *const *run, uint32_t c, uint8_t *pvBuf)
{
    os_mutex_assert_held(&pc->mtx);
    JET_ERR err = JET_errSuccess;
    cfile *pcf = &pc->rgfile[run[0]->dbid];
    cache_wal_fn wal = pc->wal;
    void *walCtx = pc->walCtx;
    uint32_t logged = 0; /* bit i: run[i] was changed by a logged change since clean */

    assert(pcf->pf != NULL && c >= 1 && c <= CACHE_RUN_MAX);
    for (uint32_t i = 0; i < c; i++) {
        bf *pbf = run[i];
        assert(pbf->state == BF_VALID && pbf->fDirty && !pbf->fExcl && !pbf->fWriting);
        assert(pbf->dbid == run[0]->dbid && pbf->pgno == run[0]->pgno + i);
        pbf->fWriting = 1; /* L2: no exclusive latch until we are done */
        if (pbf->lsnRec != LSN_NIL)
            logged |= 1u << i;
    }
    pcf->cIO++;
    cache_unlock(pc);
    OS_LATCH_TAKEN(); /* L5: the run's fWriting marks are a latch held across wal() */

    /* C1 (write-ahead): the log is durable up to every page lsn of the run
     * before the run reaches the file (one wal call, for the newest).  A page
     * changed only by cache_dirty_unlogged since it was last clean
     * (lsnRec == LSN_NIL) carries no lsn that is not already durable. */
    if (logged && wal != NULL) {
        lsn_t lsnMax = 0;
        for (uint32_t i = 0; i < c; i++) {
            if (!(logged & (1u << i)))
                continue;
            lsn_t l = le_get64(run[i]->pv + PAGE_OFF_LSN);
            if (l > lsnMax)
                lsnMax = l;
        }
        err = wal(walCtx, run[0]->dbid, lsnMax);
        if (err > 0)
            err = JET_errSuccess;
    }
    if (err >= 0) {
        for (uint32_t i = 0; i < c; i++) {
            uint8_t *pv = pvBuf + (size_t)i * pc->cbPage;
            memcpy(pv, run[i]->pv, pc->cbPage);
            page_seal(pv, pc->cbPage, run[i]->pgno);
        }
        os_rwlock_rdlock(&pcf->rwExtend);
        err = os_file_write(pcf->pf, page_offset(pc, run[0]->pgno), pvBuf, (size_t)c * pc->cbPage);
        os_rwlock_unlock(&pcf->rwExtend);
    }
    OS_LATCH_RELEASED();

    cache_lock(pc);
    pcf->cIO--;
    pcf->seqWrite++; /* C8: even a failed write may have changed the file */
    for (uint32_t i = 0; i < c; i++) {
        bf *pbf = run[i];
        pbf->fWriting = 0;
        if (err >= 0) {
            pbf->fDirty = 0;
            pbf->lsnRec = LSN_NIL;
            pc->cwrites++;
        }
        bf_wake(pc, pbf);
    }
    return err < 0 ? err : JET_errSuccess;
}

/* Write one dirty frame (bf_write_run of one). */
static JET_ERR bf_write(cache *pc, bf *pbf, uint8_t *pvBuf)
{
    return bf_write_run(pc, &pbf, 1, pvBuf);
}

/* ---- frame replacement (mutex held) ---------------------------------------------- */

/* Find a free frame for a page that is not cached.  Returns JET_errSuccess
 * with *ppbf = a frame in state BF_FREE (not hashed), or with *ppbf = NULL
 * when the mutex was released meanwhile (the caller must look again), or an
 * error (JET_errOutOfBuffers: C3, every frame latched).  *ppvBuf is scratch
 * for writing a dirty victim, allocated here on first use. */
static JET_ERR bf_claim(cache *pc, bf **ppbf, uint8_t **ppvBuf)
{
    JET_ERR err = JET_errSuccess;
    int fBusy = 0; /* some frame is unlatched but busy (I/O, pins): wait for it */
    int fNoMem = 0;

    *ppbf = NULL;
    /* C3: grow only while below cpagesMax. */
    if (pc->nframes < pc->cpagesMax) {
        bf *pbf = bf_alloc(pc);
        if (pbf != NULL) {
            *ppbf = pbf;
            return JET_errSuccess;
        }
        if (pc->nframes == 0)
            return JET_errOutOfMemory;
        fNoMem = 1; /* short of memory: reuse a frame instead */
    }

    for (uint32_t step = 0; step < 2 * pc->nframes; step++) {
        uint32_t i = pc->ihand;
        bf *pbf = pc->rgpbf[i];
        pc->ihand = (i + 1) % pc->nframes;
        if (bf_latched(pbf))
            continue;
        if (pbf->cPin || pbf->fWriting || pbf->state == BF_READING) {
            fBusy = 1;
            continue;
        }
        if (pbf->state == BF_FREE) {
            *ppbf = pbf;
            return JET_errSuccess;
        }
        if (pbf->fRef) {
            pbf->fRef = 0;
            continue;
        }
        if (pbf->fDirty) {
            /* Write the victim back (C1 inside), then look again starting at
             * it: it is clean now unless someone latched it meanwhile. */
            if (*ppvBuf == NULL) {
                *ppvBuf = os_malloc(pc->cbPage);
                if (*ppvBuf == NULL)
                    return JET_errOutOfMemory;
            }
            pc->ihand = i;
            err = bf_write(pc, pbf, *ppvBuf);
            return err;
        }
        pc->cevictions++;
        bf_forget(pc, pbf);
        *ppbf = pbf;
        return JET_errSuccess;
    }
    if (!fBusy)
        return fNoMem ? JET_errOutOfMemory : JET_errOutOfBuffers; /* C3 */
    cache_wait_frame(pc);
    return JET_errSuccess;
}

/* ---- page access -------------------------------------------------------------- */

/* The common path of cache_read and cache_new (fNew: exclusive, no read). */
static JET_ERR cache_get(cache *pc, uint32_t dbid, uint32_t pgno, int latch, int fNew, bf **ppbf)
{
    JET_ERR err = JET_errSuccess;
    bf *pbf = NULL;
    uint8_t *pvBuf = NULL;

    if (pc == NULL || ppbf == NULL || !dbid_valid(dbid) || pgno == 0 ||
        (latch != LATCH_SHARED && latch != LATCH_EXCLUSIVE))
        return JET_errInvalidParameter;

    OS_LATCH_BEFORE_WAIT(); /* L5 */
    cache_lock(pc);
    for (;;) {
        cfile *pcf = &pc->rgfile[dbid];
        if (pcf->pf == NULL || pcf->fClosing) {
            err = JET_errInvalidDatabaseId;
            break;
        }
        pbf = hash_find(pc, dbid, pgno);
        if (pbf != NULL) {
            if (!bf_latch_ok(pbf, latch)) {
                bf_wait(pc, pbf); /* latch held elsewhere or read in progress */
                continue;
            }
            bf_latch_grant(pbf, latch);
            break;
        }

        err = bf_claim(pc, &pbf, &pvBuf);
        if (err < 0)
            break;
        if (pbf == NULL)
            continue; /* the mutex was released: look the page up again */

        pbf->dbid = dbid;
        pbf->pgno = pgno;
        pbf->fDirty = 0;
        pbf->lsnRec = LSN_NIL;
        atomic_store_explicit(&pbf->fChecked, 0, memory_order_relaxed);   /* C5: new identity */
        hash_insert(pc, pbf);
        if (fNew) {
            pbf->state = BF_VALID;
            bf_latch_grant(pbf, LATCH_EXCLUSIVE);
            break;
        }

        /* A miss: others looking for this page find it BF_READING and wait,
         * so the page is read once, into one frame. */
        pbf->state = BF_READING;
        pcf->cIO++;
        cache_unlock(pc);
        err = os_file_read(pcf->pf, page_offset(pc, pgno), pbf->pv, pc->cbPage, NULL);
        if (err >= 0)
            err = page_verify(pbf->pv, pc->cbPage, pgno);
        cache_lock(pc);
        pcf->cIO--;
        pc->creads++;
        if (err < 0) {
            bf_forget(pc, pbf);
            bf_wake(pc, pbf);
            pbf = NULL;
            break;
        }
        err = JET_errSuccess;
        pbf->state = BF_VALID;
        bf_latch_grant(pbf, latch);
        bf_wake(pc, pbf);
        break;
    }
    cache_unlock(pc);
    os_free(pvBuf);
    if (err < 0)
        return err;
    OS_LATCH_TAKEN(); /* L5 */

    if (fNew) {
        /* We hold the exclusive latch: the bytes are ours (L2). */
        memset(pbf->pv, 0, pc->cbPage);
        le_put32(pbf->pv + PAGE_OFF_PGNO, pgno);
    }
    *ppbf = pbf;
    return JET_errSuccess;
}

JET_ERR cache_read(cache *pc, uint32_t dbid, uint32_t pgno, int latch, bf **ppbf)
{
    return cache_get(pc, dbid, pgno, latch, 0, ppbf);
}

JET_ERR cache_new(cache *pc, uint32_t dbid, uint32_t pgno, bf **ppbf)
{
    return cache_get(pc, dbid, pgno, LATCH_EXCLUSIVE, 1, ppbf);
}

uint8_t *bf_data(bf *pbf)
{
    return pbf->pv;
}

int bf_checked(bf *pbf)
{
    return atomic_load_explicit(&pbf->fChecked, memory_order_relaxed);
}

void bf_set_checked(bf *pbf)
{
    /* The caller holds a latch on pbf (C5).  Not asserted: the latch counts
     * change under the cache's mutex, so reading them here would race with
     * other readers' latches (ThreadSanitizer). */
    atomic_store_explicit(&pbf->fChecked, 1, memory_order_relaxed);
}

uint64_t bf_seq(const bf *pbf)
{
    return atomic_load(&pbf->seq);
}

int bf_seq_same(const bf *pbf, uint64_t seq)
{
    return atomic_load(&pbf->seq) == seq;
}

uint32_t bf_pgno(const bf *pbf)
{
    return pbf->pgno;
}

lsn_t bf_lsn(const bf *pbf)
{
    return le_get64(pbf->pv + PAGE_OFF_LSN);
}

void cache_dirty(bf *pbf, lsn_t lsn)
{
    cache *pc = pbf->pc;
    assert(pbf->fExcl);
    if (lsn == LSN_NIL) {
        cache_dirty_unlogged(pbf);
        return;
    }
    le_put64(pbf->pv + PAGE_OFF_LSN, lsn);
    cache_lock(pc);
    pbf->fDirty = 1;
    /* C4: the recovery lsn is the first logged change since the page was
     * clean (kept as the minimum in case lsns arrive out of order). */
    if (pbf->lsnRec == LSN_NIL || lsn < pbf->lsnRec)
        pbf->lsnRec = lsn;
    cache_unlock(pc);
}

int cache_clean_since_written(bf *pbf)
{
    cache *pc = pbf->pc;
    cache_lock(pc);
    int fClean = pbf->lsnRec == LSN_NIL;
    cache_unlock(pc);
    return fClean;
}

int cache_image_due(bf *pbf)
{
    cache *pc = pbf->pc;
    lsn_t lsn = bf_lsn(pbf);   /* the latch holder's bytes (L2) */
    cache_lock(pc);
    /* C7: below the threshold, or below the file's floor. */
    int fDue = lsn < pc->lsnImage || lsn < pc->rgfile[pbf->dbid].lsnImageFloor;
    cache_unlock(pc);
    return fDue;
}

void cache_dirty_unlogged(bf *pbf)
{
    cache *pc = pbf->pc;
    assert(pbf->fExcl);
    cache_lock(pc);
    pbf->fDirty = 1;
    cache_unlock(pc);
}

void cache_restamp_unlogged(bf *pbf, lsn_t lsn)
{
    cache *pc = pbf->pc;
    assert(pbf->fExcl);
    le_put64(pbf->pv + PAGE_OFF_LSN, lsn);
    cache_lock(pc);
    assert(pbf->lsnRec == LSN_NIL); /* no logged change is pending on it */
    pbf->fDirty = 1;
    cache_unlock(pc);
}

static void release(bf *pbf, int fKeepChecked)
{
    cache *pc;
    if (pbf == NULL)
        return;
    pc = pbf->pc;
    cache_lock(pc);
    if (pbf->fExcl) {
        /* C5: the holder may have changed the bytes, whatever it marked --
         * unless it vouches for them (cache_release_checked). */
        if (!fKeepChecked)
            atomic_store_explicit(&pbf->fChecked, 0, memory_order_relaxed);
        pbf->fExcl = 0;
    } else {
        assert(pbf->cShared > 0);
        pbf->cShared--;
    }
    bf_wake(pc, pbf);
    cache_unlock(pc);
    OS_LATCH_RELEASED(); /* L5 */
}

void cache_release(bf *pbf)
{
    release(pbf, 0);
}

void cache_release_checked(bf *pbf)
{
    release(pbf, 1);
}

/* ---- files ------------------------------------------------------------------- */

/* Take a reference on dbid's file for an I/O call outside the mutex. */
static JET_ERR file_acquire(cache *pc, uint32_t dbid, int fAllowClosing, cfile **ppcf)
{
    JET_ERR err = JET_errSuccess;
    if (!dbid_valid(dbid))
        return JET_errInvalidParameter;
    cache_lock(pc);
    cfile *pcf = &pc->rgfile[dbid];
    if (pcf->pf == NULL || (pcf->fClosing && !fAllowClosing)) {
        err = JET_errInvalidDatabaseId;
    } else {
        pcf->cIO++;
        *ppcf = pcf;
    }
    cache_unlock(pc);
    return err;
}

static void file_release(cache *pc, cfile *pcf)
{
    cache_lock(pc);
    pcf->cIO--;
    cache_wake(pc);
    cache_unlock(pc);
}

static JET_ERR file_sync(cache *pc, uint32_t dbid, int fAllowClosing)
{
    cfile *pcf = NULL;
    JET_ERR err = file_acquire(pc, dbid, fAllowClosing, &pcf);
    if (err < 0)
        return err;
    cache_lock(pc);
    uint64_t seq = pcf->seqWrite;
    cache_unlock(pc);
    err = os_file_sync(pcf->pf);
    if (err >= 0) {
        cache_lock(pc);
        if (seq > pcf->seqSynced)
            pcf->seqSynced = seq;
        cache_unlock(pc);
    }
    file_release(pc, pcf);
    return err;
}

/* C8: has the file had a write, allocation or truncation through the cache
 * since the start of its last successful sync, or no sync since it was
 * opened (another handle may have written it: restore's copy)? */
static int file_unsynced(cache *pc, uint32_t dbid)
{
    cache_lock(pc);
    int f = pc->rgfile[dbid].seqWrite != pc->rgfile[dbid].seqSynced;
    cache_unlock(pc);
    return f;
}

JET_ERR cache_open_file(cache *pc, uint32_t dbid, os_file *pf)
{
    JET_ERR err = JET_errSuccess;
    if (pc == NULL || pf == NULL || !dbid_valid(dbid))
        return JET_errInvalidParameter;
    cache_lock(pc);
    if (pc->rgfile[dbid].pf != NULL)
        err = JET_errDatabaseInUse;
    else {
        pc->rgfile[dbid].pf = pf;
        pc->rgfile[dbid].lsnImageFloor = LSN_NIL;
        pc->rgfile[dbid].seqWrite = 1; /* C8: not known to be durable */
        pc->rgfile[dbid].seqSynced = 0;
    }
    cache_unlock(pc);
    return err;
}

void cache_raise_image_lsn(cache *pc, lsn_t lsn)
{
    cache_lock(pc);
    if (pc->lsnImage == LSN_IMAGE_ALL || lsn > pc->lsnImage)
        pc->lsnImage = lsn;
    cache_unlock(pc);
}

lsn_t cache_image_lsn(cache *pc)
{
    cache_lock(pc);
    lsn_t lsn = pc->lsnImage;
    cache_unlock(pc);
    return lsn;
}

void cache_set_image_floor(cache *pc, uint32_t dbid, lsn_t lsn)
{
    if (pc == NULL || !dbid_valid(dbid))
        return;
    cache_lock(pc);
    if (lsn > pc->rgfile[dbid].lsnImageFloor)
        pc->rgfile[dbid].lsnImageFloor = lsn;
    cache_unlock(pc);
}

os_file *cache_file(cache *pc, uint32_t dbid)
{
    os_file *pf = NULL;
    if (pc == NULL || !dbid_valid(dbid))
        return NULL;
    cache_lock(pc);
    pf = pc->rgfile[dbid].pf;
    cache_unlock(pc);
    return pf;
}

JET_ERR cache_file_pages(cache *pc, uint32_t dbid, uint32_t *pcpg)
{
    cfile *pcf = NULL;
    uint64_t cb = 0;
    JET_ERR err = file_acquire(pc, dbid, 0, &pcf);
    if (err < 0)
        return err;
    err = os_file_size(pcf->pf, &cb);
    file_release(pc, pcf);
    if (err < 0)
        return err;
    uint64_t cpg = cb / pc->cbPage;
    cpg = cpg > 2 ? cpg - 2 : 0;
    *pcpg = cpg > UINT32_MAX ? UINT32_MAX : (uint32_t)cpg;
    return JET_errSuccess;
}

JET_ERR cache_extend_file(cache *pc, uint32_t dbid, uint32_t cpg)
{
    cfile *pcf = NULL;
    JET_ERR err = file_acquire(pc, dbid, 0, &pcf);
    if (err < 0)
        return err;
    /* L3: no page write may land in the range os_file_allocate may fill with
     * zeros (on file systems without fallocate). */
    os_rwlock_wrlock(&pcf->rwExtend);
    err = os_file_allocate(pcf->pf, ((uint64_t)cpg + 2) * pc->cbPage);
    os_rwlock_unlock(&pcf->rwExtend);
    cache_lock(pc);
    pcf->seqWrite++; /* C8 */
    cache_unlock(pc);
    file_release(pc, pcf);
    return err;
}

JET_ERR cache_truncate_file(cache *pc, uint32_t dbid, uint32_t cpg)
{
    cfile *pcf = NULL;
    JET_ERR err = file_acquire(pc, dbid, 0, &pcf);
    if (err < 0)
        return err;
    OS_LATCH_BEFORE_WAIT(); /* L5 */
    cache_lock(pc);
    for (;;) {
        int fBusy = 0;
        for (uint32_t i = 0; i < pc->nframes && !fBusy; i++) {
            const bf *pbf = pc->rgpbf[i];
            if (pbf->state != BF_FREE && pbf->dbid == dbid && pbf->pgno > cpg &&
                (pbf->state == BF_READING || pbf->fWriting || pbf->cPin || bf_latched(pbf)))
                fBusy = 1;
        }
        if (!fBusy)
            break;
        cache_wait_frame(pc);
    }
    for (uint32_t i = 0; i < pc->nframes; i++) {
        bf *pbf = pc->rgpbf[i];
        if (pbf->state != BF_FREE && pbf->dbid == dbid && pbf->pgno > cpg)
            bf_forget(pc, pbf);
    }
    cache_unlock(pc);
    /* L3: no page write in flight while the end of the file moves. */
    os_rwlock_wrlock(&pcf->rwExtend);
    err = os_file_truncate(pcf->pf, ((uint64_t)cpg + 2) * pc->cbPage);
    if (err >= 0)
        err = os_file_sync(pcf->pf);
    os_rwlock_unlock(&pcf->rwExtend);
    cache_lock(pc);
    pcf->seqWrite++; /* C8 (its own sync is not counted: conservative) */
    cache_unlock(pc);
    file_release(pc, pcf);
    return err;
}

/* ---- backup reads ---------------------------------------------------------------- */

/* Copy a resident page under a shared latch: 1 copied, 0 not resident. */
static int backup_copy_resident(cache *pc, uint32_t dbid, uint32_t pgno, uint8_t *out)
{
    OS_LATCH_BEFORE_WAIT(); /* L5 */
    cache_lock(pc);
    for (;;) {
        bf *pbf = hash_find(pc, dbid, pgno);
        if (pbf == NULL) {
            cache_unlock(pc);
            return 0;
        }
        if (pbf->state != BF_VALID || !bf_latch_ok(pbf, LATCH_SHARED)) {
            bf_wait(pc, pbf);
            continue;
        }
        bf_latch_grant(pbf, LATCH_SHARED);
        cache_unlock(pc);
        OS_LATCH_TAKEN(); /* L5 (cache_release gives it back) */
        memcpy(out, pbf->pv, pc->cbPage);
        cache_release(pbf);
        if (page_all_zero(out, pc->cbPage))
            return 1;
        page_seal(out, pc->cbPage, pgno);
        return 1;
    }
}

JET_ERR cache_backup_read(cache *pc, uint32_t dbid, uint32_t pgno, uint32_t cpg, void *pv)
{
    cfile *pcf = NULL;
    uint8_t *out = pv;
    size_t got = 0;
    if (pc == NULL || pv == NULL || pgno == 0 || cpg == 0)
        return JET_errInvalidParameter;
    JET_ERR err = file_acquire(pc, dbid, 0, &pcf);
    if (err < 0)
        return err;
    size_t cb = (size_t)cpg * pc->cbPage;
    err = os_file_read(pcf->pf, page_offset(pc, pgno), out, cb, &got);
    if (err >= 0 && got < cb)
        memset(out + got, 0, cb - got); /* past the end of the file */
    for (uint32_t i = 0; err >= 0 && i < cpg; i++) {
        uint8_t *pg = out + (size_t)i * pc->cbPage;
        if (backup_copy_resident(pc, dbid, pgno + i, pg))
            continue;
        JET_ERR e = page_verify(pg, pc->cbPage, pgno + i);
        if (e == JET_errReadVerifyFailure) {
            /* A write-back may have been in flight (a torn read): once more. */
            err = os_file_read(pcf->pf, page_offset(pc, pgno + i), pg, pc->cbPage, NULL);
            if (err < 0)
                break;
            if (backup_copy_resident(pc, dbid, pgno + i, pg))
                continue;
            e = page_verify(pg, pc->cbPage, pgno + i);
        }
        if (e == JET_errReadVerifyFailure)
            err = e;
    }
    file_release(pc, pcf);
    return err;
}

/* ---- write-back entry points ----------------------------------------------------- */

/* Does write-back want this frame?  dbid 0 = any file; fOlder: only frames
 * whose recovery lsn is set and below lsnBefore. */
static int flush_wants(const bf *pbf, uint32_t dbid, int fOlder, lsn_t lsnBefore)
{
    if (pbf->state != BF_VALID || !pbf->fDirty)
        return 0;
    if (dbid != 0 && pbf->dbid != dbid)
        return 0;
    if (fOlder && (pbf->lsnRec == LSN_NIL || pbf->lsnRec >= lsnBefore))
        return 0;
    return 1;
}

/* A frame wanted by write-back, with the page it held when listed. */
typedef struct flush_ent {
    uint32_t dbid, pgno;
    bf      *pbf;
} flush_ent;

/* Order of write-back runs: by file, then page number. */
static int flush_order(const void *a, const void *b)
{
    const flush_ent *x = a, *y = b;
    if (x->dbid != y->dbid)
        return x->dbid < y->dbid ? -1 : 1;
    return x->pgno < y->pgno ? -1 : x->pgno > y->pgno;
}

/* Can write-back take this frame into a run now, without waiting? */
static int flush_ready(const bf *pbf, uint32_t dbid, int fOlder, lsn_t lsnBefore)
{
    return flush_wants(pbf, dbid, fOlder, lsnBefore) && !pbf->fExcl && !pbf->fWriting;
}

/* Write every frame flush_wants; stops at the first error.  *pmask gets the
 * bit (1 << dbid) of every file written to.
 *
 * W1. Pass 1 writes the frames it wants in file and page order, each run of
 *     consecutive pages of one file (up to CACHE_RUN_MAX) with one write:
 *     the run's frames are taken (fWriting) together, only while none is
 *     latched exclusively or being written -- pass 1 never waits holding a
 *     mark (L4).  Pass 2 is the frame-by-frame walk: it waits for the frames
 *     pass 1 skipped and writes what became dirty meanwhile.  The order of
 *     page writes between two file syncs is free (C1 orders each page after
 *     its log only; the caller syncs before it relies on any page). */
static JET_ERR flush_frames(cache *pc, uint32_t dbid, int fOlder, lsn_t lsnBefore, uint32_t *pmask)
{
    JET_ERR err = JET_errSuccess;
    uint8_t *pvBuf = NULL;
    uint32_t mask = 0, runMax = CACHE_RUN_MAX;
    flush_ent *rg = NULL;

    /* L4: a caller holding a latch would wait for itself; L5: may wait. */
    assert(os_latch_held_count() == 0);
    OS_LATCH_BEFORE_WAIT();
    pvBuf = os_malloc((size_t)runMax * pc->cbPage);
    if (pvBuf == NULL) {
        runMax = 1;
        pvBuf = os_malloc(pc->cbPage);
        if (pvBuf == NULL)
            return JET_errOutOfMemory;
    }
    cache_lock(pc);
    /* Pass 1 (W1); without memory for the list, pass 2 does it all.  The
     * list is sorted without the mutex (frames are never freed before
     * cache_destroy, so its pointers stay valid). */
    uint32_t n = 0, cAlloc = pc->nframes;
    if (cAlloc > 0 && runMax > 1) {
        cache_unlock(pc);
        rg = os_malloc((size_t)cAlloc * sizeof(*rg));
        cache_lock(pc);
    }
    for (uint32_t i = 0; rg != NULL && i < pc->nframes && n < cAlloc; i++) {
        bf *pbf = pc->rgpbf[i];
        if (flush_ready(pbf, dbid, fOlder, lsnBefore)) {
            rg[n].dbid = pbf->dbid;
            rg[n].pgno = pbf->pgno;
            rg[n++].pbf = pbf;
        }
    }
    if (n > 1) {
        cache_unlock(pc);
        qsort(rg, n, sizeof(*rg), flush_order);
        cache_lock(pc);
    }
    bf *run[CACHE_RUN_MAX];
    for (uint32_t i = 0; i < n && err >= 0;) {
        /* The mutex was released since the list was made: look at each
         * frame again (it may be clean now, latched, or hold another page). */
        bf *first = rg[i++].pbf;
        if (!flush_ready(first, dbid, fOlder, lsnBefore))
            continue;
        uint32_t c = 1;
        run[0] = first;
        while (c < runMax && i < n) {
            bf *next = rg[i].pbf;
            if (next->dbid != first->dbid || next->pgno != first->pgno + c ||
                !flush_ready(next, dbid, fOlder, lsnBefore))
                break;
            run[c++] = next;
            i++;
        }
        mask |= 1u << first->dbid;
        err = bf_write_run(pc, run, c, pvBuf);
    }
    /* Pass 2. */
    for (uint32_t i = 0; err >= 0 && i < pc->nframes;) {
        bf *pbf = pc->rgpbf[i];
        if (!flush_wants(pbf, dbid, fOlder, lsnBefore)) {
            i++;
            continue;
        }
        if (pbf->fExcl || pbf->fWriting) {
            /* Being changed, or being written by someone else (whose write
             * may fail): wait, then look at this frame again. */
            bf_wait(pc, pbf);
            continue;
        }
        mask |= 1u << pbf->dbid;
        err = bf_write(pc, pbf, pvBuf);
        if (err < 0)
            break;
        i++;
    }
    cache_unlock(pc);
    os_free(rg);
    os_free(pvBuf);
    *pmask = mask;
    return err;
}

JET_ERR cache_flush(cache *pc, uint32_t dbid)
{
    JET_ERR err = JET_errSuccess;
    uint32_t mask = 0;
    if (pc == NULL || (dbid != 0 && !dbid_valid(dbid)))
        return JET_errInvalidParameter;
    if (dbid != 0 && cache_file(pc, dbid) == NULL)
        return JET_errInvalidDatabaseId;
    err = flush_frames(pc, dbid, 0, LSN_NIL, &mask);
    for (uint32_t d = 1; d <= CACHE_DBID_MAX && err >= 0; d++) {
        if (dbid != 0 && d != dbid)
            continue;
        err = file_sync(pc, d, 1);
        if (err == JET_errInvalidDatabaseId && dbid == 0)
            err = JET_errSuccess; /* slot not in use */
    }
    return err;
}

JET_ERR cache_flush_older(cache *pc, lsn_t lsn)
{
    JET_ERR err = JET_errSuccess;
    uint32_t mask = 0;
    if (pc == NULL)
        return JET_errInvalidParameter;
    err = flush_frames(pc, 0, 1, lsn, &mask);
    /* The checkpoint may move only once the pages are durable. */
    for (uint32_t d = 1; d <= CACHE_DBID_MAX && err >= 0; d++) {
        if (mask & (1u << d)) {
            err = file_sync(pc, d, 1);
            /* Closed since its pages were written (a detach beside the
             * checkpointer thread): a clean close flushed and synced it
             * (C8); a dirty one follows a failure (the isam layer's F1),
             * after which the checkpoint never moves. */
            if (err == JET_errInvalidDatabaseId)
                err = JET_errSuccess;
        }
    }
    return err;
}

lsn_t cache_oldest_rec_lsn(cache *pc)
{
    lsn_t lsn = LSN_NIL;
    cache_lock(pc);
    /* C4: every dirty frame with a recovery lsn is counted, including frames
     * being written (they are clean only once the write succeeded). */
    for (uint32_t i = 0; i < pc->nframes; i++) {
        const bf *pbf = pc->rgpbf[i];
        if (pbf->state == BF_VALID && pbf->fDirty && pbf->lsnRec != LSN_NIL &&
            (lsn == LSN_NIL || pbf->lsnRec < lsn))
            lsn = pbf->lsnRec;
    }
    cache_unlock(pc);
    return lsn;
}

JET_ERR cache_close_file(cache *pc, uint32_t dbid, int flush)
{
    JET_ERR err = JET_errSuccess;
    uint32_t mask = 0;
    os_file *pf = NULL;
    cfile *pcf;

    if (pc == NULL || !dbid_valid(dbid))
        return JET_errInvalidParameter;
    pcf = &pc->rgfile[dbid];
    cache_lock(pc);
    if (pcf->pf == NULL || pcf->fClosing) {
        cache_unlock(pc);
        return JET_errInvalidDatabaseId;
    }
    pcf->fClosing = 1; /* no new latches on this file from now on */
    cache_unlock(pc);

    if (flush) {
        err = flush_frames(pc, dbid, 0, LSN_NIL, &mask);
        /* C8: a file already synced since its last write (db_close's
         * cache_flush, then the header's own syncs) needs no other sync. */
        if (err >= 0 && file_unsynced(pc, dbid))
            err = file_sync(pc, dbid, 1);
        if (err < 0)
            goto undo;
    }

    cache_lock(pc);
    /* Wait for I/O (eviction write-back, reads) and waiters on this file. */
    for (;;) {
        int fBusy = pcf->cIO != 0;
        for (uint32_t i = 0; i < pc->nframes && !fBusy; i++) {
            const bf *pbf = pc->rgpbf[i];
            if (pbf->state != BF_FREE && pbf->dbid == dbid &&
                (pbf->state == BF_READING || pbf->fWriting || pbf->cPin))
                fBusy = 1;
        }
        if (!fBusy)
            break;
        cache_wait_frame(pc);
    }
    for (uint32_t i = 0; i < pc->nframes; i++) {
        const bf *pbf = pc->rgpbf[i];
        if (pbf->state != BF_FREE && pbf->dbid == dbid && bf_latched(pbf)) {
            cache_unlock(pc);
            err = JET_errDatabaseInUse; /* a caller still holds one of its pages */
            goto undo;
        }
    }
    /* Drop the file's frames (written above, or lost: crash simulation). */
    for (uint32_t i = 0; i < pc->nframes; i++) {
        bf *pbf = pc->rgpbf[i];
        if (pbf->state != BF_FREE && pbf->dbid == dbid)
            bf_forget(pc, pbf);
    }
    pf = pcf->pf;
    pcf->pf = NULL;
    pcf->fClosing = 0;
    cache_wake(pc);
    cache_unlock(pc);
    os_file_close(pf);
    return JET_errSuccess;

undo:
    cache_lock(pc);
    pcf->fClosing = 0;
    cache_unlock(pc);
    return err;
}

/* ---- the cache ------------------------------------------------------------------- */

JET_ERR cache_create(uint32_t cbPage, uint32_t cpagesMax, cache **ppc)
{
    JET_ERR err = JET_errSuccess;
    cache *pc = NULL;
    int fMutex = 0, fCond = 0;
    uint32_t cRw = 0;

    if (ppc == NULL || !cache_page_size_valid(cbPage) || cpagesMax == 0)
        return JET_errInvalidParameter;
    pc = os_calloc(1, sizeof(*pc));
    if (pc == NULL)
        return JET_errOutOfMemory;
    pc->cbPage = cbPage;
    pc->cpagesMax = cpagesMax;
    pc->lsnImage = LSN_IMAGE_ALL;   /* C7: every change images until told */
    pc->cbucket = 64;
    pc->rgpbfHash = os_calloc(pc->cbucket, sizeof(bf *));
    if (pc->rgpbfHash == NULL) {
        err = JET_errOutOfMemory;
        goto fail;
    }
    if (os_mutex_init(&pc->mtx, "cache.mtx", LOCK_RANK_CACHE) != JET_errSuccess) {
        err = JET_errOutOfMemory;
        goto fail;
    }
    fMutex = 1;
    if (os_cond_init(&pc->cvFrame) != JET_errSuccess) {
        err = JET_errOutOfMemory;
        goto fail;
    }
    fCond = 1;
    for (; cRw <= CACHE_DBID_MAX; cRw++) {
        if (os_rwlock_init(&pc->rgfile[cRw].rwExtend, "cache.rwExtend", LOCK_RANK_CACHE_EXTEND) != JET_errSuccess) {
            err = JET_errOutOfMemory;
            goto fail;
        }
    }
    *ppc = pc;
    return JET_errSuccess;

fail:
    while (cRw > 0)
        os_rwlock_destroy(&pc->rgfile[--cRw].rwExtend);
    if (fCond)
        os_cond_destroy(&pc->cvFrame);
    if (fMutex)
        os_mutex_destroy(&pc->mtx);
    os_free(pc->rgpbfHash);
    os_free(pc);
    return err;
}

void cache_set_wal(cache *pc, cache_wal_fn wal, void *ctx)
{
    cache_lock(pc);
    pc->wal = wal;
    pc->walCtx = ctx;
    cache_unlock(pc);
}

uint32_t cache_page_size(const cache *pc)
{
    return pc->cbPage;
}

void cache_destroy(cache *pc)
{
    if (pc == NULL)
        return;
    /* Files should be closed already; drop any left (no write-back). */
    for (uint32_t d = 1; d <= CACHE_DBID_MAX; d++) {
        if (pc->rgfile[d].pf != NULL)
            (void)cache_close_file(pc, d, 0);
    }
    for (uint32_t i = 0; i < pc->nframes; i++) {
        assert(!bf_latched(pc->rgpbf[i]) && pc->rgpbf[i]->cPin == 0);
        bf_free(pc->rgpbf[i]);
    }
    for (uint32_t d = 0; d <= CACHE_DBID_MAX; d++)
        os_rwlock_destroy(&pc->rgfile[d].rwExtend);
    os_cond_destroy(&pc->cvFrame);
    os_mutex_destroy(&pc->mtx);
    os_free(pc->rgpbf);
    os_free(pc->rgpbfHash);
    os_free(pc);
}

void cache_get_stats(cache *pc, cache_stats *ps)
{
    memset(ps, 0, sizeof(*ps));
    cache_lock(pc);
    ps->cframes = pc->nframes;
    ps->cframesMax = pc->cpagesMax;
    for (uint32_t i = 0; i < pc->nframes; i++) {
        const bf *pbf = pc->rgpbf[i];
        if (pbf->state == BF_VALID && pbf->fDirty)
            ps->cdirty++;
        if (bf_latched(pbf))
            ps->clatched++;
    }
    ps->creads = pc->creads;
    ps->cwrites = pc->cwrites;
    ps->cevictions = pc->cevictions;
    cache_unlock(pc);
}
