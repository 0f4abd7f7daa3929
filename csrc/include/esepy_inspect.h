/*
 * esepy_inspect.h -- read-only inspection of esepy's OWN files (databases,
 * log generations, checkpoint files, backup copies), with the engine's own
 * parsers, so that tools see a file exactly as the engine would.
 *
 * Owns: the public C interface of inspection (csrc/api/inspect.c), which
 * exposes the lower layers' parsers: the database header (cache layer), page
 * checksums (cache), the tree page layout (btree), the log reader and the
 * checkpoint reader (log), the backup trailer (backup), and CRC-32C (os).
 * Nothing here writes, locks or needs an instance: every file is opened
 * read-only through csrc/os, so a file may be in use, dirty or damaged.
 * Windows' ESE files are read by esepy_ese.h instead.
 *
 * All names use the prefix EsepyInspect / ESEPY_INSPECT_ (and EsepyCrc32c).
 * Functions return JET_errSuccess, a warning (> 0) or a JET error (< 0):
 * JET_errFileNotFound, JET_errFileInvalidType (not that kind of esepy file),
 * JET_errDatabaseCorrupted, JET_errLogFileCorrupt, JET_errBadLogVersion,
 * JET_errCheckpointCorrupt, JET_errDatabasePatchFileMismatch, ...
 */
#ifndef ESEPY_INSPECT_H
#define ESEPY_INSPECT_H

#include "esent.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ESEPY_BUILDING_LIBRARY) && defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* CRC-32C (Castagnoli) of pv[0..cb), continuing from crc (0 to start): the
 * checksum of every esepy file. */
uint32_t EsepyCrc32c(uint32_t crc, const void *pv, size_t cb);

/* ---- database header ------------------------------------------------------- */

typedef struct {
    uint32_t      cbStruct;          /* sizeof(ESEPY_INSPECT_DBHEADER), set by the caller */
    uint32_t      ulChecksum;        /* stored crc of the copy used */
    uint32_t      ulVersion, cbPage, filetype;
    JET_SIGNATURE signDb;
    uint32_t      dbstate;           /* JET_dbstate* */
    JET_SIGNATURE signLog;
    JET_LGPOS     lgposConsistent;   JET_LOGTIME logtimeConsistent;
    JET_LGPOS     lgposAttach;       JET_LOGTIME logtimeAttach;
    JET_LGPOS     lgposDetach;       JET_LOGTIME logtimeDetach;
    int32_t       genMinRequired, genMaxRequired, genMaxCommitted;
    JET_BKINFO    bkinfoFullPrev, bkinfoIncPrev, bkinfoFullCur, bkinfoCopyPrev, bkinfoDiffPrev;
    uint32_t      dbid, flags, objidLast, cpgOwned, pgnoSpace, pgnoCatalog;
    uint64_t      dbtime;
    uint32_t      iCopy;             /* copy used: 0 = A (offset 0), 1 = B (the shadow) */
    int32_t       fCopyAValid, fCopyBValid;
} ESEPY_INSPECT_DBHEADER;

/* The header of database file szPath (copy A, else B), as the engine reads
 * it.  JET_errFileInvalidType: not an esepy database (no copy has the
 * magic); JET_errDatabaseCorrupted: no valid copy;
 * JET_errInvalidDatabaseVersion. */
JET_ERR EsepyInspectDatabaseHeader(const char *szPath, ESEPY_INSPECT_DBHEADER *phdr);
/* Decode one header copy held in memory (cb bytes, e.g. streamed from a
 * backup); iCopy = 0 and both validity flags 1 on success. */
JET_ERR EsepyInspectDecodeDatabaseHeader(const void *pv, size_t cb, ESEPY_INSPECT_DBHEADER *phdr);

/* ---- database pages ----------------------------------------------------------- */

/* Page status, as a read from disk would see it (cache invariant C2). */
#define ESEPY_INSPECT_PAGE_OK            0
#define ESEPY_INSPECT_PAGE_UNINITIALIZED 1 /* all zero: never written */
#define ESEPY_INSPECT_PAGE_CHECKSUM      2 /* crc mismatch (JET_errReadVerifyFailure) */
#define ESEPY_INSPECT_PAGE_WRONG_PGNO    3 /* a good page of another number: written at the wrong place */
#define ESEPY_INSPECT_PAGE_MISSING       4 /* beyond the end of the file */

typedef struct {
    uint32_t cbStruct;            /* sizeof(ESEPY_INSPECT_PAGE), set by the caller */
    uint32_t status;              /* ESEPY_INSPECT_PAGE_* */
    uint32_t pgnoStored;
    uint64_t lsn;                 /* packed lsn of the last change (gen << 32 | isec << 16 | ib) */
    uint32_t objid, flags, pgnoPrev, pgnoNext;
    int32_t  fLeaf, fInternal, fRoot, fSpace, fFree;
    uint32_t cslot, ibHeap, cbFrag, level;
    int32_t  fLayoutOk;           /* tree page whose node layout the engine accepts */
    uint32_t cbUsed;              /* tree page: bytes in live nodes and slots */
    /* space page (fSpace) */
    uint32_t cpgOwned, pgnoHwm, pgnoFree, cpgFree;
    int32_t  fSpaceMagic;
} ESEPY_INSPECT_PAGE;

/* Decode a page image of cbPage bytes expected at pgno. */
JET_ERR EsepyInspectPage(const void *pv, uint32_t cbPage, uint32_t pgno, ESEPY_INSPECT_PAGE *ppage);

typedef struct {
    const uint8_t *pbKey;  uint32_t cbKey;
    const uint8_t *pbData; uint32_t cbData;
    uint32_t       flags;  /* 0x1 = flag-deleted */
    uint32_t       pgnoChild; /* internal pages: the child page the node points to; 0 on leaves */
    /* The key is pbPrefix[0..cbPrefix) (the page's shared key prefix, empty
     * on pages without one) followed by pbKey[0..cbKey). */
    const uint8_t *pbPrefix; uint32_t cbPrefix;
} ESEPY_INSPECT_NODE;

/* Node i of a tree page (pointers into pv).  JET_errDatabaseCorrupted when
 * the page's layout is broken (fLayoutOk 0). */
JET_ERR EsepyInspectPageNode(const void *pv, uint32_t cbPage, uint32_t i, ESEPY_INSPECT_NODE *pnode);

/* One node of the catalog tree (the tree at the header's pgnoCatalog) decoded
 * as the catalog reads it: kind 'T' (a table: its tree, its long-value tree),
 * 'I' (a secondary index of table objidTable: its tree), 'C' (a column:
 * objid is the columnid), 0 (another row).  JET_errCatalogCorrupted when the
 * row does not parse. */
typedef struct {
    uint32_t cbStruct;        /* sizeof(ESEPY_INSPECT_CATALOG_ROW), set by the caller */
    char     kind;
    uint32_t objidTable, objid, pgnoRoot, objidLV, pgnoLV;
    char     szName[65];
} ESEPY_INSPECT_CATALOG_ROW;
JET_ERR EsepyInspectCatalogRow(const void *pvKey, uint32_t cbKey, const void *pvData, uint32_t cbData,
                               ESEPY_INSPECT_CATALOG_ROW *prow);

typedef struct EsepyInspectDb ESEPY_INSPECT_DB;

/* Open a database file read-only and read its header. */
JET_ERR EsepyInspectDbOpen(const char *szPath, ESEPY_INSPECT_DB **ppdb);
void    EsepyInspectDbClose(ESEPY_INSPECT_DB *pdb);
JET_ERR EsepyInspectDbHeader(ESEPY_INSPECT_DB *pdb, ESEPY_INSPECT_DBHEADER *phdr);
/* File size in bytes and data pages present (pgno 1..*pcpg). */
JET_ERR EsepyInspectDbSize(ESEPY_INSPECT_DB *pdb, uint64_t *pcbFile, uint32_t *pcpg);
/* Read data page pgno into pv (cbPage bytes) and decode it.  A page beyond
 * the end of the file: status ESEPY_INSPECT_PAGE_MISSING, pv zeroed. */
JET_ERR EsepyInspectDbReadPage(ESEPY_INSPECT_DB *pdb, uint32_t pgno, void *pv, uint32_t cb,
                               ESEPY_INSPECT_PAGE *ppage);
/* Status (ESEPY_INSPECT_PAGE_*) of pages pgnoFirst .. pgnoFirst+cpg-1 into
 * rgstatus[0..cpg), reading the file in large pieces. */
JET_ERR EsepyInspectDbCheckPages(ESEPY_INSPECT_DB *pdb, uint32_t pgnoFirst, uint32_t cpg, uint8_t *rgstatus);

/* ---- log files ------------------------------------------------------------------- */

typedef struct {
    uint32_t      dbid, flags;
    JET_SIGNATURE signDb;
    JET_LGPOS     lgposAttach;
    char          szPath[256];
} ESEPY_INSPECT_ATTACH;

#define ESEPY_INSPECT_MAX_ATTACH 7

typedef struct {
    uint32_t      cbStruct;       /* sizeof(ESEPY_INSPECT_LOGHEADER), set by the caller */
    int32_t       lGeneration;
    uint32_t      cbFile, cbPage, flags;   /* flags 0x1: circular logging */
    JET_LOGTIME   logtimeCreate, logtimePrevGen;
    JET_SIGNATURE signLog;
    JET_LGPOS     lgposCheckpoint;         /* the checkpoint when the generation was created */
    uint32_t      cattach;
    ESEPY_INSPECT_ATTACH rgattach[ESEPY_INSPECT_MAX_ATTACH];
} ESEPY_INSPECT_LOGHEADER;

/* Header of log file szPath.  JET_errFileInvalidType: no esepy log magic;
 * JET_errLogFileCorrupt: bad checksum or fields; JET_errBadLogVersion. */
JET_ERR EsepyInspectLogHeader(const char *szPath, ESEPY_INSPECT_LOGHEADER *phdr);
/* The same for a header held in memory (cb >= 4096 bytes). */
JET_ERR EsepyInspectDecodeLogHeader(const void *pv, size_t cb, ESEPY_INSPECT_LOGHEADER *phdr);

typedef struct EsepyInspectLog ESEPY_INSPECT_LOG;

typedef struct {
    JET_LGPOS      lgpos;
    uint32_t       type;       /* record type (csrc/log/log.h and the layers above) */
    uint32_t       cb;         /* whole record, its 16-byte header included */
    const uint8_t *pvPayload;  /* valid until the next call */
    uint32_t       cbPayload;
    /* what the record is about, as the layer that wrote it reads it */
    int32_t        fTrx, fDbid, fPgno;   /* which of the three below the record carries */
    uint64_t       trx;                  /* Commit, Rollback, Undo, Clr, DeltaDone */
    uint32_t       dbid, pgno;           /* database records; page records (Undo: the tree's root) */
    char           szDbPath[256];        /* DbCreate / DbAttach: the database's path */
} ESEPY_INSPECT_LOGRECORD;

typedef struct {
    JET_LGPOS lgposEnd;    /* just past the last good record */
    int32_t   fGenEnd;     /* the generation was closed (its last record is GenEnd) */
    int32_t   fTorn;       /* bytes that fail the chain follow the end */
    int32_t   fDamaged;    /* the break lies inside durably flushed data (log.h L9): JET_errLogFileCorrupt */
    uint32_t  ccorrected;  /* records with one flipped bit, corrected in memory as recovery does */
    JET_LGPOS lgposCorrected;
} ESEPY_INSPECT_LOGTAIL;

/* Read generation file szPath record by record with the engine's reader (crc
 * chain, block rule, L9 end-of-log rule, R6 one-bit corrections). */
JET_ERR EsepyInspectLogOpen(const char *szPath, ESEPY_INSPECT_LOG **pplog);
/* Next record (PAD, FLUSH and GENEND included): JET_errSuccess, or
 * JET_wrnNoMoreRecords where the chain ends (EsepyInspectLogTail says how). */
JET_ERR EsepyInspectLogNext(ESEPY_INSPECT_LOG *plog, ESEPY_INSPECT_LOGRECORD *prec);
JET_ERR EsepyInspectLogTail(ESEPY_INSPECT_LOG *plog, ESEPY_INSPECT_LOGTAIL *ptail);
void    EsepyInspectLogClose(ESEPY_INSPECT_LOG *plog);

/* ---- checkpoint files ------------------------------------------------------------- */

typedef struct {
    uint32_t      cbStruct;       /* sizeof(ESEPY_INSPECT_CHECKPOINT), set by the caller */
    JET_LGPOS     lgposCheckpoint;
    JET_SIGNATURE signLog;
    JET_LGPOS     lgposFullBackup, lgposIncBackup;
    JET_LOGTIME   logtimeFullBackup, logtimeIncBackup;
    uint32_t      cattach;
    ESEPY_INSPECT_ATTACH rgattach[ESEPY_INSPECT_MAX_ATTACH];
    uint32_t      iCopy;          /* 0 = A, 1 = B */
    int32_t       fCopyAValid, fCopyBValid;
} ESEPY_INSPECT_CHECKPOINT;

/* JET_errFileInvalidType: no checkpoint magic; JET_errCheckpointCorrupt: no valid copy. */
JET_ERR EsepyInspectCheckpoint(const char *szPath, ESEPY_INSPECT_CHECKPOINT *pchk);

/* ---- backup copies ------------------------------------------------------------------ */

typedef struct {
    uint32_t      cbStruct;       /* sizeof(ESEPY_INSPECT_TRAILER), set by the caller */
    uint32_t      cbPage, cpg;    /* data pages in the copy */
    JET_SIGNATURE signDb, signLog;
    JET_BKINFO    bkinfo;         /* mark, time, generations needed (genLow..genHigh) */
    char          szName[256];    /* the file name the copy was written as */
} ESEPY_INSPECT_TRAILER;

/* The trailer page (the last cbPage bytes) of a database copy in a backup
 * set.  JET_errDatabasePatchFileMismatch when it is missing or invalid. */
JET_ERR EsepyInspectBackupTrailer(const char *szPath, uint32_t cbPage, ESEPY_INSPECT_TRAILER *ptr);

#if defined(ESEPY_BUILDING_LIBRARY) && defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* ESEPY_INSPECT_H */
