/*
 * lockorder.h -- the engine's one global lock order: a rank for every mutex
 * and rwlock of every layer (os.h's os_mutex_t / os_rwlock_t carry it).
 *
 * Owns: the ranks and this table.  Must not touch: anything else; it is a
 * list of numbers that every layer includes through os.h, as lsn.h is.
 *
 * Rule: a thread takes locks in increasing rank; taking a lock whose rank is
 * lower than or equal to that of a lock it already holds is a bug (two locks
 * of one rank are never held together).  Debug builds check the rule on every
 * acquire (os_thread.c) and abort naming both locks.  trylock is exempt (it
 * cannot wait).
 *
 * Page latches (the cache's shared / exclusive latches on buffer frames, and
 * the write-back's fWriting mark) are counters under cache.mtx, not locks,
 * but they have a place in the order: LOCK_RANK_LATCH.  Latches are
 * leaf-level below the isam locks (ESE's rule): a thread holding a page latch
 * never takes a lock ranked at or below LOCK_RANK_LATCH (inst.lock, ckpt,
 * schemaLock, ...; ver_cleanup_locked waits for latches holding inst.lock, so
 * the reverse is a deadlock), and never waits for a latch while holding a
 * lock ranked above it (hdrLock and the log locks are taken under a latch by
 * the write-ahead callback).  Among themselves latches follow the btree's
 * order (btree_int.h L1, L4-L6).  Debug builds count each thread's latches
 * (os_thread.c T2) and check both directions.
 *
 * Higher layers rank lower: a call goes down the layers, so the locks of the
 * layer that calls are taken before those of the layer it calls.  The one
 * upward path, the cache's write-ahead callback into the isam layer (which
 * flushes the log and raises the database header's required generation under
 * hdrLock), is why hdrLock ranks below the log and cache locks but above
 * every other isam lock.
 */
#ifndef ESEPY_LOCKORDER_H
#define ESEPY_LOCKORDER_H

enum {
    /* api (csrc/api) */
    LOCK_RANK_PROC = 10,          /* proc.lock: the process table (instances, sessions, backups);
                                   * the api calls into the engine under it only briefly
                                   * (JetTerm asks isam_active_transactions) */
    /* backup (csrc/backup) */
    LOCK_RANK_BACKUP = 20,        /* bk_ctx.mu: one backup call at a time, held across the call */
    /* isam (csrc/isam) */
    LOCK_RANK_TEMP = 30,          /* isam_inst.tempLock: creating the temporary database */
    LOCK_RANK_SCHEMA = 34,        /* isam_db.schemaLock: index builds vs record writers (S1) */
    LOCK_RANK_CKPT_THREAD = 36,   /* isam_inst.ckThMu: the checkpointer thread's work flags (inst.c CT1-CT6); never
                                   * held while waiting for anything but its own conditions */
    LOCK_RANK_CKPT_MU = 38,       /* isam_inst.ckptMu: one checkpoint advance at a time (CP1-CP4) */
    LOCK_RANK_CKPT = 42,          /* isam_inst.ckpt: shared by page changes, exclusive to read the checkpoint and move the image threshold (CP5) */
    LOCK_RANK_INST = 46,          /* isam_inst.lock: transactions, versions, database slots, ... */
    LOCK_RANK_LATCH = 48,         /* page latches (csrc/cache): nothing ranked at or below this is
                                   * taken while a latch is held (see above) */
    LOCK_RANK_HDR = 50,           /* isam_db.hdrLock: the database header (H1-H3) */
    /* log (csrc/log) */
    LOCK_RANK_LOG_CHK = 60,       /* log_writer.chk_mu: one checkpoint file write at a time (W7) */
    LOCK_RANK_LOG = 62,           /* log_writer.mu: the writer's state, group commit */
    LOCK_RANK_LOG_FILES = 64,     /* log_writer.files_mu: renames and deletions in the log folder */
    /* page cache (csrc/cache) */
    LOCK_RANK_CACHE_EXTEND = 70,  /* cfile.rwExtend: page writes vs file extension (L3) */
    LOCK_RANK_CACHE = 72,         /* cache.mtx: frames, hash, latches, dirty pages (L1: a leaf above os) */
    /* api (csrc/api): the event sink has its own leaf lock, because the engine's
     * event callback (isam_event -> event_emit) runs with engine locks held. */
    LOCK_RANK_EVENT = 80,         /* proc.event_lock: the event sink pointer */
    /* os (csrc/os) */
    LOCK_RANK_OS_CRASH = 90,      /* the crash-simulation journal (a test hook) */
    /* tests (os_thread.c's own checks and tests/c_unit) */
    LOCK_RANK_TEST_LOW = 95,
    LOCK_RANK_TEST_HIGH = 96,
};

#endif /* ESEPY_LOCKORDER_H */
