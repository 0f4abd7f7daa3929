/*
 * log.h -- the write-ahead transaction log: generations, records, group
 * commit, the checkpoint file, and a reader that replay (crash recovery,
 * restore) drives.
 *
 * Owns: every byte of <base>.log, <base>XXXXX.log, <base>tmp.log,
 * <base>res0000N.jrs and <base>.chk.  Record payloads are opaque here: the
 * layers above define their record types (>= LOG_REC_FIRST_CLIENT) and their
 * contents.
 * Must not touch: database files, the page cache, instances (it is given
 * folders and parameters, never an instance).
 *
 * ---------------------------------------------------------------------------
 * Positions are lsn_t (csrc/os/lsn.h): a packed JET_LGPOS; an lsn names the
 * first byte of a record.
 *
 * Files (base name B, 3 characters; log folder L; system folder S):
 *     L/B.log            the current generation (always the one being written)
 *     L/B<gen>.log       archived generations, <gen> in uppercase hex, 5 digits
 *                        while gen <= 0xFFFFF if JET_bitEightDotThreeSoftCompat
 *                        is in legacy_names, else 8 digits
 *     L/Btmp.log         the next generation, pre-allocated (contents meaningless)
 *     L/Bres00001.jrs    two reserve files (LogFileSize each) so that a full
 *     L/Bres00002.jrs    disk still allows a clean shutdown
 *     S/B.chk            checkpoint: two 4096-byte copies (offsets 0 and 4096)
 * Without JET_bitESE98FileNames in legacy_names the extensions are .jtx/.jcp.
 *
 * Log file layout (all integers little-endian):
 *     sector 0: header (LOG_HEADER_SIZE = 4096 bytes)
 *        0  u32  crc32c of bytes 4..4095
 *        4  u32  magic LOG_MAGIC
 *        8  u32  format version LOG_FORMAT_VERSION
 *       12  i32  generation
 *       16  u32  sector size (4096)
 *       20  u32  file size in sectors, header included
 *       24  u32  database page size of the stream
 *       28  u32  flags (LOG_HDR_CIRCULAR)
 *       32  8    JET_LOGTIME creation time of this generation
 *       40  8    JET_LOGTIME creation time of the previous generation (zero for the first)
 *       48  28   JET_SIGNATURE of the log stream
 *       76  u64  lsn of the checkpoint when this generation was created
 *       84  u32  JET_filetypeLog
 *       88  u32  number of attach entries
 *       92  ...  attach entries (log_attach), at most LOG_MAX_ATTACH
 *     sectors 1..: records.
 *
 * Record framing (LOG_REC_HEADER = 16 bytes, then the payload):
 *        0  u32  total length (header + payload), >= 16
 *        4  u8   type
 *        5  u8   flags (0)
 *        6  u16  reserved (0)
 *        8  u32  crc: crc32c over the record with this field zeroed, seeded
 *                with the crc of the previous record of the generation (the
 *                first record is seeded with crc32c(signLog || generation)).
 *                The chain makes a stale record (from an earlier use of the
 *                file) invalid wherever it sits.
 *       12  i32  generation
 *     Records never cross a file; a record never starts where fewer than 16
 *     bytes remain in the current 512-byte block (the reader skips to the next
 *     block).  Every synced write (a flush) ends with a LOG_REC_FLUSH record
 *     (the flush trailer, after a LOG_REC_PAD when needed) whose last byte is
 *     the last byte of a 512-byte block, so a durable byte is never rewritten.
 *
 * Flush trailer (LOG_REC_FLUSH, exactly LOG_FLUSH_SIZE = 32 bytes, a link of
 * the crc chain like any record):
 *       16  u64  offDurable: file offset up to which the generation was durable
 *                (fdatasync returned) before this flush's first write began
 *       24  u32  anchor: crc32c seeded with the chain seed of the generation
 *                over the 32 bytes with the crc and anchor fields zeroed,
 *                then the trailer's file offset (u64), so the trailer can be
 *                verified where the chain cannot reach it, and only in place
 *       28  u32  reserved (0)
 *
 * Format version 2 (flush trailers, whole-block writes, zero-filled files);
 * version 1 files are refused with JET_errBadLogVersion.
 *
 * Invariants:
 *   L1. A record is durable (may be relied on by recovery) only once
 *       log_flush() covering its lsn returned success.
 *   L2. Every archived generation ends with a LOG_REC_GENEND record; a break in
 *       the chain (bad crc / length / generation) before GENEND in an archived
 *       generation is JET_errLogFileCorrupt.  In the current generation (B.log)
 *       a break is the end of the log only when it can be a torn write that was
 *       never acknowledged (L6-L9); otherwise it is JET_errLogFileCorrupt.
 *   L3. tmPrevGen of generation g equals tmCreate of generation g-1 and all
 *       generations share signLog (else JET_errInvalidLogSequence /
 *       JET_errBadLogSignature).
 *   L4. The log roll is crash-safe: at every instant B.log exists or the
 *       generation can be found archived (rename B.log -> B<gen>.log, then
 *       Btmp.log -> B.log, fsync the folder).
 *   L5. After recovery, writing continues in a NEW generation; a torn tail is
 *       never appended to.
 *   L6. Zero fill: every byte of a generation file past what the writer wrote
 *       reads as zero (files are allocated, never recycled with old contents:
 *       Btmp.log is truncated and re-allocated before it becomes B.log), and
 *       the file has exactly its header's size from the moment it is B.log.
 *   L7. Whole blocks: every write of records starts and ends on a 512-byte
 *       boundary, so each block is written exactly once, by one write.  A
 *       crash (torn write) leaves each block of the unfinished writes either
 *       as written or all zero (blocks are assumed to reach the disk whole,
 *       as ESE assumes of sectors).
 *   L8. Ordering: flush n+1 is written only after flush n's fdatasync
 *       returned; its trailer's offDurable is the end of flush n.  So a valid
 *       trailer of generation g whose offDurable lies past a break in g's
 *       chain proves the break is inside acknowledged data: damage.
 *   L9. End of the log (current generation): the chain breaks at offset o
 *       and (a) the file is not shorter than its header says, (b) no valid
 *       trailer past o has offDurable > o, and (c) either no valid trailer
 *       follows o (the last flush's trailer never landed) or an all-zero
 *       block lies between o's block and the first such trailer's block (a
 *       block of the last flush never landed).  Anything else is
 *       JET_errLogFileCorrupt.  What L9 cannot see: damage confined to the
 *       last flush that zeroes a whole block, or that hits a stretch which
 *       already held an aligned block of zeros (a page image), looks torn;
 *       it costs at most the last group commit.  A record broken by damage is
 *       corrected in memory when one flipped bit explains it (reader R6),
 *       and the correction is reported.  The checkpoint file and the
 *       database headers (genMaxRequired follows every roll) catch missing
 *       or truncated generations beyond that.
 */
#ifndef ESEPY_LOG_H
#define ESEPY_LOG_H

#include <stdint.h>
#include "esent.h"
#include "os.h"
#include "lsn.h"



#define LOG_MAGIC           0x4C504553u /* "SEPL" */
#define LOG_FORMAT_VERSION  2
#define LOG_HEADER_SIZE     4096
#define LOG_SECTOR          4096
#define LOG_BLOCK           512
#define LOG_REC_HEADER      16
#define LOG_FLUSH_SIZE      32
#define LOG_MAX_ATTACH      7
#define LOG_HDR_CIRCULAR    0x1

/* Record types owned by the log layer. */
#define LOG_REC_PAD      0  /* padding to a block boundary */
#define LOG_REC_GENEND   1  /* last record of a generation */
#define LOG_REC_INIT     2  /* the stream was (re)opened for writing */
#define LOG_REC_TERM     3  /* clean shutdown: nothing to redo before this */
#define LOG_REC_FLUSH    4  /* flush trailer, ends every synced write (L8) */
#define LOG_REC_FIRST_CLIENT 16 /* types >= this belong to upper layers */

/* A database known to the log stream (log header, checkpoint). */
typedef struct log_attach {
    uint32_t      dbid;
    uint32_t      flags;
    JET_SIGNATURE signDb;
    lsn_t         lsnAttach;
    char          path[256];   /* absolute path, NUL-terminated */
} log_attach;

/* What a log stream is configured with (copied by log_open). */
typedef struct log_config {
    const char *log_dir;      /* absolute folder */
    const char *system_dir;   /* absolute folder (checkpoint) */
    const char *base;         /* 3 characters */
    uint32_t    cbLogFile;    /* LogFileSize * 1024 */
    uint32_t    cbPage;       /* database page size */
    uint32_t    legacy_names; /* JET_paramLegacyFileNames bits */
    int         circular;     /* JET_paramCircularLog */
} log_config;

/* ---- names ---------------------------------------------------------------- */

/* Path of generation `gen` archived ("edb0000A.log"), of the current log
 * ("edb.log", gen = 0), of the next log ("edbtmp.log", gen = -1), of reserve
 * log n (1, 2: gen = -1 - n), or of the checkpoint (gen = -10). */
JET_ERR log_path(const log_config *cfg, int32_t gen, char *out, size_t cbOut);

/* Path of archived generation `gen` in `dir` (NULL = the log folder) under
 * whichever name (5 or 8 digits) it has; JET_errFileNotFound if absent. */
JET_ERR log_find_gen(const log_config *cfg, const char *dir, int32_t gen, char *out, size_t cbOut);

/* ---- what is on disk -------------------------------------------------------- */

typedef struct log_header {
    int32_t       generation;
    uint32_t      cbFile;
    uint32_t      cbPage;
    uint32_t      flags;
    JET_LOGTIME   tmCreate;
    JET_LOGTIME   tmPrevGen;
    JET_SIGNATURE signLog;
    lsn_t         lsnCheckpoint;
    uint32_t      cattach;
    log_attach    attach[LOG_MAX_ATTACH];
} log_header;

/* Read and verify the header of log file `path` (any of the names above).
 * JET_errFileNotFound, JET_errLogFileCorrupt (bad checksum / magic / sizes),
 * JET_errBadLogVersion. */
JET_ERR log_read_header(const char *path, log_header *phdr);
/* The file size of the stream's current log (edb.log) as its header gives
 * it, for JetInit to adopt or check (ESENT's JET_paramLogFileSize rules).
 * JET_errFileNotFound when there is none; JET_errLogFileSizeMismatch when
 * the file is longer than its header gives. */
JET_ERR log_current_size(const log_config *cfg, uint32_t *pcbFile);
/* Decode and verify a header held in memory (LOG_HEADER_SIZE bytes at buf),
 * with the same errors. */
JET_ERR log_header_decode(const uint8_t *buf, log_header *h);

typedef struct log_stream_info {
    int      exists;          /* any log file of this base name is present */
    int32_t  genLow, genHigh; /* archived generations present (contiguous range
                               * ending at genHigh; 0/0 if none) */
    int32_t  genCurrent;      /* generation of B.log, 0 if B.log is absent */
    int      chkValid;        /* a checkpoint file was read */
    lsn_t    lsnCheckpoint;
    JET_SIGNATURE signLog;    /* from B.log, else the highest archived log */
} log_stream_info;

/* Survey the log folder and the checkpoint (no writes).  Gaps in the archived
 * range -> JET_errMissingLogFile; a generation of another stream ->
 * JET_errBadLogSignature. */
JET_ERR log_survey(const log_config *cfg, log_stream_info *pinfo);

/* ---- checkpoint file -------------------------------------------------------- */

typedef struct log_checkpoint {
    lsn_t         lsnCheckpoint;  /* redo starts here */
    JET_SIGNATURE signLog;
    lsn_t         lsnFullBackup, lsnIncBackup;
    JET_LOGTIME   tmFullBackup, tmIncBackup;
    uint32_t      cattach;
    log_attach    attach[LOG_MAX_ATTACH];
} log_checkpoint;

/* Write both copies (each checksummed) and fsync.  A crash leaves at least one
 * good copy. */
JET_ERR log_checkpoint_write(const log_config *cfg, const log_checkpoint *pchk);
/* Read whichever copy is valid.  JET_errCheckpointFileNotFound,
 * JET_errCheckpointCorrupt (no valid copy). */
JET_ERR log_checkpoint_read(const log_config *cfg, log_checkpoint *pchk);
/* Read checkpoint file `path` (inspection): whichever copy is valid, A first;
 * *pfValidA / *pfValidB tell which copies verify.  JET_errFileNotFound,
 * JET_errCheckpointCorrupt (no valid copy). */
JET_ERR log_checkpoint_read_file(const char *path, log_checkpoint *pchk, int *pfValidA, int *pfValidB);

/* ---- reader (replay) -------------------------------------------------------- */

typedef struct log_reader log_reader;

typedef struct log_record {
    lsn_t          lsn;     /* position of the record */
    lsn_t          lsnNext; /* position just past it */
    uint8_t        type;
    const uint8_t *pv;      /* payload, valid until the next call */
    uint32_t       cb;      /* payload length */
} log_record;

/* Read records from `lsnStart` (a record boundary, or the start of a
 * generation: LSN_MAKE(gen, 1, 0)) in generation order: archived files
 * <dir>/B<gen>.log first, then <dir>/B.log for the current generation.  `dir`
 * overrides cfg->log_dir (restore reads a backup folder); NULL = log_dir.
 * genStop > 0 stops after that generation (restore of a backup set). */
JET_ERR log_reader_open(const log_config *cfg, const char *dir, lsn_t lsnStart, int32_t genStop,
                        log_reader **pprd);
/* Like log_reader_open, but generations <= genSplit are read from dirFirst
 * and later ones from cfg->log_dir (restore: a backup set, then the logs that
 * continue it).  The header chain (L3) is checked across the switch. */
JET_ERR log_reader_open_split(const log_config *cfg, const char *dirFirst, int32_t genSplit, lsn_t lsnStart,
                              int32_t genStop, log_reader **pprd);
/* Read the one generation file `path`, whatever its name (inspection): every
 * record in file order, PAD, FLUSH and GENEND included, until the chain
 * ends.  A break is classified as in the current generation (L9:
 * JET_wrnNoMoreRecords when it is a torn tail, JET_errLogFileCorrupt when it
 * is damage); a GENEND record is returned and ends the file.  No header chain
 * (L3) check: there is no previous generation. */
JET_ERR log_reader_open_file(const char *path, log_reader **pprd);
/* Where the chain of the file being read stopped (log_reader_open_file):
 * offset just past the last good record, whether that record was a GENEND,
 * the size the reader may read (min of header and real size).
 * Meaningful once log_reader_next returned something other than success. */
void    log_reader_file_tail(const log_reader *prd, uint64_t *poff, int *pfGenEnd, uint64_t *pcbLimit);
/* Header of the generation being read. */
void    log_reader_header(const log_reader *prd, log_header *phdr);
/* Next record.  JET_wrnNoMoreRecords (positive) at the end of the log;
 * JET_errLogFileCorrupt, JET_errMissingLogFile, JET_errInvalidLogSequence,
 * JET_errBadLogSignature as invariant L2/L3 say. */
JET_ERR log_reader_next(log_reader *prd, log_record *prec);
/* 1 when the last JET_errMissingLogFile meant that B.log is lost after the
 * last archived generation, which was read to its GENEND (reader R4): logs
 * lost from the end, which JET_bitReplayIgnoreLostLogs may accept. */
int     log_reader_lost_current(const log_reader *prd);
/* How many damaged records the reader corrected in memory (one flipped bit
 * each, log_reader.c R6) and the position of the last; 0 / LSN_NIL if none. */
void    log_reader_corrected(const log_reader *prd, uint32_t *pcount, lsn_t *plsnLast);
/* Where the valid log ends (after the last good record); meaningful after
 * JET_wrnNoMoreRecords. */
lsn_t   log_reader_end(const log_reader *prd);
void    log_reader_close(log_reader *prd);

/* ---- writer ---------------------------------------------------------------- */

typedef struct log_writer log_writer;

/* Open the stream for writing.  If no log exists, create generation 1 with a
 * new signature (*psignLog receives it); otherwise archive B.log if present
 * and start generation genLast + 1 (invariant L5), keeping signLog.
 * `attach` lists the databases to record in new generation headers (may be
 * updated later with log_writer_set_attach).  Pre-creates Btmp.log and the
 * reserve logs.  Writes a LOG_REC_INIT record. */
JET_ERR log_writer_open(const log_config *cfg, const log_attach *attach, uint32_t cattach,
                        JET_SIGNATURE *psignLog, log_writer **pplw);

/* Append one record made of `cpart` pieces; *plsn receives its position.
 * Thread-safe.  Rolls to a new generation when the current one is full (the
 * record always fits in an empty generation or JET_errLogBufferTooSmall -- a
 * record may not exceed cbLogFile - header - 1024).  Not durable until
 * log_flush.  JET_errLogWriteFail once a write failed (the writer is then
 * poisoned: every later call fails the same way). */
typedef struct log_part { const void *pv; uint32_t cb; } log_part;
JET_ERR log_append(log_writer *plw, uint8_t type, const log_part *parts, uint32_t cpart, lsn_t *plsn);
/* Like log_append, but also once the disk is full and a reserve log is in
 * use (where log_append returns JET_errLogDiskFull): for the few records of a
 * clean shutdown (database detaches), which the reserve logs exist for. */
JET_ERR log_append_reserve(log_writer *plw, uint8_t type, const log_part *parts, uint32_t cpart, lsn_t *plsn);

/* Make every record up to and including the one at `lsn` durable (group
 * commit: concurrent callers share one write + fdatasync).  lsn = LSN_NIL
 * flushes everything appended so far. */
JET_ERR log_flush(log_writer *plw, lsn_t lsn);

/* Durable-commit support (the writer's flusher thread, log_writer.c F1-F4).
 * A log_durable_fn is called from the flusher thread, no log lock held, with
 * each new position just past the last durable record (strictly increasing),
 * and once with fLogDown = 1 when the log failed (nothing more will become
 * durable).  fn = NULL stops the calls.  Starts the thread if needed
 * (JET_errOutOfMemory if the system refuses). */
typedef void (*log_durable_fn)(void *ctx, const JET_SIGNATURE *psignLog, lsn_t lsnDurable, int fLogDown);
JET_ERR log_set_durable_callback(log_writer *plw, log_durable_fn fn, void *ctx);
/* The record at `lsn` becomes durable within `cmsec` milliseconds (the
 * flusher flushes when the time is up, unless another flush covered it). */
JET_ERR log_flush_within(log_writer *plw, lsn_t lsn, uint32_t cmsec);
/* Once the log is durable up to lsnUpTo, wait until the durable callback
 * was called with a position >= lsnUpTo (so a commit made durable is
 * reported before it returns, as ESENT does).  Returns at once with no
 * callback, on the flusher thread itself, when the log is not durable that
 * far, failed, or the writer is closing. */
void    log_wait_reported(log_writer *plw, lsn_t lsnUpTo);

/* Position just past the last durable record. */
lsn_t   log_durable_lsn(log_writer *plw);
/* Position just past the last appended record. */
lsn_t   log_end_lsn(log_writer *plw);

/* Close the current generation (GENEND, flush, archive) and start the next.
 * *pgenNew receives the new generation. */
JET_ERR log_roll(log_writer *plw, int32_t *pgenNew);

/* Record that redo need not start before `lsn` (all pages changed before it
 * are in their database files): writes the checkpoint file and, with circular
 * logging, deletes archived generations below LSN_GEN(lsn). */
JET_ERR log_set_checkpoint(log_writer *plw, lsn_t lsn);

void    log_writer_set_attach(log_writer *plw, const log_attach *attach, uint32_t cattach);

/* Like log_writer_open, but the new generation continues the stream whose
 * newest replayed generation is *pafter (restore): with no log in the folder,
 * generation pafter->generation + 1 is created with pafter's signature and
 * tmPrevGen = pafter->tmCreate; with logs of that stream, the new generation
 * is above both; logs of another stream -> JET_errInvalidLogSequence. */
JET_ERR log_writer_open_after(const log_config *cfg, const log_attach *attach, uint32_t cattach,
                              const log_header *pafter, JET_SIGNATURE *psignLog, log_writer **pplw);

/* ---- backup support ----------------------------------------------------------- */

typedef struct log_writer_info {
    int32_t       genCurrent;     /* generation being written */
    int32_t       genLowArchived; /* lowest archived generation present, 0 = none */
    lsn_t         lsnCheckpoint;
    JET_SIGNATURE signLog;
    JET_LOGTIME   tmCreate;       /* of the current generation */
    lsn_t         lsnFullBackup, lsnIncBackup;
    JET_LOGTIME   tmFullBackup, tmIncBackup;
} log_writer_info;
void    log_writer_state(log_writer *plw, log_writer_info *pinfo);
/* While a backup copies generations >= gen, circular logging must not delete
 * or recycle them (gen 0 = no pin). */
void    log_pin(log_writer *plw, int32_t gen);
/* Delete archived generations below min(genBelow, checkpoint generation,
 * current generation), oldest first (stops at the first failure). */
JET_ERR log_truncate(log_writer *plw, int32_t genBelow);
/* Remember a finished backup in the checkpoint (written with the next
 * checkpoint): full clears the incremental fields. */
void    log_note_backup(log_writer *plw, int fIncremental, lsn_t lsnMark, const JET_LOGTIME *ptm);

/* Clean shutdown: append LOG_REC_TERM, flush, write the checkpoint at the TERM
 * record, close files (B.log stays the current generation). */
JET_ERR log_writer_close_clean(log_writer *plw);
/* Abandon without writing anything more (crash simulation / dirty term). */
void    log_writer_abandon(log_writer *plw);

#endif /* ESEPY_LOG_H */
