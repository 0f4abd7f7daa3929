/*
 * esepy_ese.h -- read-only access to ESE files written by Windows (forensics).
 *
 * Owns: the public C interface of the esefmt layer (csrc/esefmt): opening a
 * real ESE database file (any format revision from Windows XP to Windows 11
 * 24H2 / Server 2025, pages of 4, 8, 16 or 32 KiB) without an instance,
 * reading its header, catalog, records, long values and pages, and reading
 * the headers of ESE transaction logs and checkpoint files.
 * Nothing here ever writes to a file: every file is opened read-only.
 *
 * All names use the prefix EsepyEse / ESEPY_ESE_.  Functions return
 * JET_errSuccess, a warning (> 0) or a JET error (< 0).  Damage is reported,
 * not hidden: page checksum failures and structural problems met while
 * reading are recorded (EsepyEseGetDamage) and reading goes on where it can.
 */
#ifndef ESEPY_ESE_H
#define ESEPY_ESE_H

#include "esent.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ESEPY_BUILDING_LIBRARY) && defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

typedef struct EsepyEseFile   ESEPY_ESE_FILE;   /* an open database file */
typedef struct EsepyEseCursor ESEPY_ESE_CURSOR; /* a record cursor over one table */

/* ---- common value types ---------------------------------------------------- */

/* A LOGTIME decoded (all zero when the field is unset). */
typedef struct {
    uint16_t year;    /* full year, e.g. 2022; 0 = unset */
    uint8_t  month, day, hour, minute, second;
    uint8_t  fUTC;    /* 1 if the time is UTC */
    uint16_t millisecond;
} ESEPY_ESE_TIME;

typedef struct {
    int32_t  lGeneration;
    uint16_t isec;
    uint16_t ib;
} ESEPY_ESE_LGPOS;

typedef struct {
    uint32_t       ulRandom;
    ESEPY_ESE_TIME logtimeCreate;
    char           szComputerName[17]; /* NUL-terminated, printable ASCII only */
} ESEPY_ESE_SIGNATURE;

typedef struct {
    ESEPY_ESE_LGPOS lgposMark;
    ESEPY_ESE_TIME  logtimeMark;
    int32_t         genLow, genHigh;
} ESEPY_ESE_BKINFO;

/* ---- database files ----------------------------------------------------------- */

/* EsepyEseOpen grbits */
#define ESEPY_ESE_OPEN_SKIP_CHECKSUMS 0x0001 /* do not verify page checksums while reading */

/* Open `szPath` read-only.  Reads both header copies and uses the first whose
 * checksum and magic are valid (a bad primary with a good shadow is reported
 * in the header, not refused).  Errors: JET_errFileNotFound,
 * JET_errFileAccessDenied, JET_errFileInvalidType (not an ESE database),
 * JET_errReadVerifyFailure (neither header copy valid),
 * JET_errInvalidDatabaseVersion (unknown page size), JET_errOutOfMemory. */
JET_ERR EsepyEseOpen(const char *szPath, uint32_t grbit, ESEPY_ESE_FILE **ppfile);
/* Close; NULL is allowed.  Cursors of the file must be closed first. */
void    EsepyEseClose(ESEPY_ESE_FILE *pfile);

typedef struct {
    uint32_t cbStruct;                 /* sizeof(ESEPY_ESE_HEADER) */
    /* both copies */
    uint32_t ulChecksumPrimary, ulChecksumPrimaryComputed;
    uint32_t ulChecksumShadow, ulChecksumShadowComputed;
    int32_t  fPrimaryValid, fShadowValid, fCopiesIdentical;
    int32_t  iCopyUsed;                /* 0 primary, 1 shadow */
    /* fields of the copy used */
    uint32_t ulMagic, ulVersion, ulUpdateMajor, ulUpdateMinor;
    uint32_t ulCreateVersion, ulCreateUpdate;
    uint32_t filetype;
    int32_t  attrib;
    uint64_t dbtimeDirtied;
    ESEPY_ESE_SIGNATURE signDb, signLog;
    uint32_t dbstate;                  /* JET_dbstate* (2 = dirty) */
    ESEPY_ESE_LGPOS lgposConsistent, lgposAttach, lgposDetach, lgposLastResize, lgposLastReAttach;
    ESEPY_ESE_TIME  logtimeConsistent, logtimeAttach, logtimeDetach, logtimeRepair,
                    logtimeGenMaxCreate, logtimeGenMaxRequired, logtimeLastReAttach;
    uint32_t dbid, ulDbFlags, objidLast;
    uint32_t dwMajorVersion, dwMinorVersion, dwBuildNumber;
    int32_t  lSPNumber;
    uint32_t cbPageSizeField;          /* as stored (0 means 4096) */
    uint32_t cbPage;                   /* effective page size */
    uint32_t ulRepairCount;
    int32_t  lGenMinRequired, lGenMaxRequired, lGenMaxCommitted, lGenMinConsistent, lGenRecovering;
    ESEPY_ESE_BKINFO bkinfoFullPrev, bkinfoIncPrev, bkinfoFullCur, bkinfoSnapshotCur, bkinfoCopyPrev, bkinfoDiffPrev;
    uint32_t ulECCFixSuccess, ulECCFixFail, ulBadChecksum;
    uint32_t efvMaxBinAttachDiagnostic;
    uint64_t cbFile;                   /* size of the file */
    uint32_t cpgData;                  /* whole data pages in the file (after the 2 header pages) */
    int32_t  fDirty;                   /* dbstate is not CleanShutdown */
    uint32_t cpgOwned;                 /* data pages the database owns: the last page of its space tree's
                                        * owned extents (0 if unknown).  cpgOwned > cpgData: the file was
                                        * truncated, pages cpgData+1..cpgOwned are missing (reported as
                                        * damage: JET_errDatabaseCorrupted on page cpgData+1) */
} ESEPY_ESE_HEADER;

JET_ERR EsepyEseGetHeader(ESEPY_ESE_FILE *pfile, ESEPY_ESE_HEADER *phdr);

/* ---- catalog ------------------------------------------------------------------ */

#define ESEPY_ESE_NAME_MAX 256 /* bytes of a name buffer, NUL included */

typedef struct {
    uint32_t cbStruct;
    char     szName[ESEPY_ESE_NAME_MAX];
    char     szTemplateTable[ESEPY_ESE_NAME_MAX]; /* "" if none */
    uint32_t objidTable;
    uint32_t pgnoFDP;
    uint32_t objidLV, pgnoFDPLV;       /* 0 when the table has no long-value tree */
    uint32_t grbit;                    /* catalog Flags */
    uint32_t cpgInitial;
    uint32_t ccolumn, cindex;
} ESEPY_ESE_TABLEINFO;

typedef struct {
    uint32_t       cbStruct;
    char           szName[ESEPY_ESE_NAME_MAX];
    uint32_t       columnid;           /* 1..127 fixed, 128..255 variable, 256.. tagged */
    uint32_t       coltyp;             /* JET_coltyp* */
    uint32_t       cbMax;              /* catalog SpaceUsage */
    uint32_t       cp;                 /* code page for text (1200 Unicode) */
    uint32_t       grbit;              /* catalog Flags (JET_bitColumn*) */
    uint32_t       ibRecordOffset;     /* fixed columns */
    const uint8_t *pbDefault;          /* default value (valid while the file is open), NULL if none */
    uint32_t       cbDefault;
} ESEPY_ESE_COLUMNINFO;

typedef struct {
    uint32_t cbStruct;
    char     szName[ESEPY_ESE_NAME_MAX];
    uint32_t objid, pgnoFDP, grbit, lcid;
    uint32_t ccolumn;
    uint32_t rgcolumnid[16];
    int32_t  rgfDescending[16];
} ESEPY_ESE_INDEXINFO;

/* Tables are numbered 0..count-1 in catalog order (by objid). */
JET_ERR EsepyEseGetTableCount(ESEPY_ESE_FILE *pfile, uint32_t *pctable);
JET_ERR EsepyEseGetTableInfo(ESEPY_ESE_FILE *pfile, uint32_t itable, ESEPY_ESE_TABLEINFO *pinfo);
/* Columns of a table by position, ordered by columnid. */
JET_ERR EsepyEseGetColumnInfo(ESEPY_ESE_FILE *pfile, uint32_t itable, uint32_t icolumn, ESEPY_ESE_COLUMNINFO *pinfo);
JET_ERR EsepyEseGetIndexInfo(ESEPY_ESE_FILE *pfile, uint32_t itable, uint32_t iindex, ESEPY_ESE_INDEXINFO *pinfo);

/* ---- records ------------------------------------------------------------------ */

/* EsepyEseCursorOpen grbits */
#define ESEPY_ESE_CURSOR_DELETED 0x0001 /* also return nodes flagged deleted (not yet cleaned up) */

/* Open a cursor before the first record of table `itable` (in key order).
 * Records whose node is flagged deleted are skipped unless grbit has
 * ESEPY_ESE_CURSOR_DELETED (EsepyEseCursorGetRecordInfo tells them apart). */
JET_ERR EsepyEseCursorOpen(ESEPY_ESE_FILE *pfile, uint32_t itable, uint32_t grbit, ESEPY_ESE_CURSOR **ppcursor);
void    EsepyEseCursorClose(ESEPY_ESE_CURSOR *pcursor);
/* Move to the next record; JET_errNoCurrentRecord after the last.  Damaged
 * pages are reported (EsepyEseGetDamage) and skipped. */
JET_ERR EsepyEseCursorNext(ESEPY_ESE_CURSOR *pcursor);

typedef struct {
    uint32_t       cbStruct;
    uint32_t       pgno;               /* leaf page of the record */
    uint32_t       itag;               /* its tag on the page */
    uint32_t       fNodeFlags;         /* 0x1 versioned, 0x2 deleted, 0x4 key-prefix compressed */
    const uint8_t *pbKey;              /* primary key (valid until the cursor moves) */
    uint32_t       cbKey;
    const uint8_t *pbRecord;           /* raw record bytes (valid until the cursor moves) */
    uint32_t       cbRecord;
    uint32_t       fidFixedLast, fidVarLast;
    uint32_t       ctagged;            /* tagged fields stored in the record */
} ESEPY_ESE_RECORDINFO;

JET_ERR EsepyEseCursorGetRecordInfo(ESEPY_ESE_CURSOR *pcursor, ESEPY_ESE_RECORDINFO *pinfo);

/* Raw tagged field itagged (0-based, in record order): column id, the
 * TAGFLD_HEADER flags (ESEPY_ESE_TAG_* below, 0 when the field has none) and
 * the stored bytes after the header (valid until the cursor moves). */
#define ESEPY_ESE_TAG_LONGVALUE  0x01
#define ESEPY_ESE_TAG_COMPRESSED 0x02
#define ESEPY_ESE_TAG_SEPARATED  0x04
#define ESEPY_ESE_TAG_MULTI      0x08
#define ESEPY_ESE_TAG_TWOVALUES  0x10
#define ESEPY_ESE_TAG_NULL       0x20
#define ESEPY_ESE_TAG_ENCRYPTED  0x40
#define ESEPY_ESE_TAG_HASHEADER  0x100 /* the field had a header byte */
#define ESEPY_ESE_TAG_DERIVED    0x200 /* template column of a derived table */
JET_ERR EsepyEseCursorGetTagged(ESEPY_ESE_CURSOR *pcursor, uint32_t itagged, uint32_t *pcolumnid,
                                uint32_t *pfFlags, const uint8_t **ppb, uint32_t *pcb);

/* Number of values of column icolumn (position as in EsepyEseGetColumnInfo)
 * in the current record: 0 for NULL, > 1 for multi-valued columns. */
JET_ERR EsepyEseCursorValueCount(ESEPY_ESE_CURSOR *pcursor, uint32_t icolumn, uint32_t *pcvalue);

/* EsepyEseCursorRetrieve grbits */
#define ESEPY_ESE_RETRIEVE_RAW 0x0001 /* stored bytes: no long-value fetch, no decompression */

/* Information returned in *pgrbitInfo */
#define ESEPY_ESE_VALUE_DEFAULT    0x0001 /* the column's default value (not stored in the record) */
#define ESEPY_ESE_VALUE_SEPARATED  0x0002 /* fetched from the long-value tree */
#define ESEPY_ESE_VALUE_COMPRESSED 0x0004 /* was stored compressed */
#define ESEPY_ESE_VALUE_MULTI      0x0008 /* one of several values */
#define ESEPY_ESE_VALUE_SCHEME_SHIFT 8    /* bits 8..15: compression scheme (1 7-bit ASCII, 2 7-bit Unicode,
                                           * 3 XPRESS, 5 XPRESS9, 6 XPRESS10, 7 LZ4) */

/* Value ivalue (1-based, like itagSequence) of column icolumn.  Returns
 * JET_wrnColumnNull (cbActual 0) for NULL or a missing ivalue,
 * JET_wrnBufferTruncated (cbActual = full size) when cbMax is too small,
 * JET_errFeatureNotAvailable for a compression scheme esepy does not decode
 * (XPRESS9, XPRESS10, LZ4: the scheme is in *pgrbitInfo; retrieve with
 * ESEPY_ESE_RETRIEVE_RAW to get the stored bytes), JET_errDecompressionFailed,
 * JET_errLVCorrupted (separated value missing or damaged) or
 * JET_errDatabaseCorrupted (record structure damaged). */
JET_ERR EsepyEseCursorRetrieve(ESEPY_ESE_CURSOR *pcursor, uint32_t icolumn, uint32_t ivalue, uint32_t grbit,
                               void *pv, uint32_t cbMax, uint32_t *pcbActual, uint32_t *pgrbitInfo);

/* ---- pages and damage ------------------------------------------------------- */

#define ESEPY_ESE_PAGE_OK          0 /* checksum verified */
#define ESEPY_ESE_PAGE_BLANK       1 /* all zero: never written (not damage) */
#define ESEPY_ESE_PAGE_BADCHECKSUM 2 /* stored and computed checksums differ */
#define ESEPY_ESE_PAGE_BADPGNO     3 /* checksum matches another page number */
#define ESEPY_ESE_PAGE_CORRECTABLE 4 /* ECC says a single bit flipped */

typedef struct {
    uint32_t cbStruct;
    uint32_t pgno;
    int32_t  status;                 /* ESEPY_ESE_PAGE_* */
    int32_t  fNewChecksumFormat;     /* ECC (0x2000 flag) rather than legacy XOR */
    uint32_t cblock;                 /* checksummed blocks (1, or 4 on 16/32 KiB pages) */
    uint32_t iblockBad;              /* first failing block, when status is not OK */
    uint64_t rgchecksumStored[4], rgchecksumComputed[4];
    uint64_t dbtimeDirtied;
    uint32_t pgnoPrev, pgnoNext, objidFDP;
    uint32_t cbFree, cbUncommittedFree, ibMicFree, itagMicFree;
    uint32_t fFlags;                 /* page flags (0x1 root, 0x2 leaf, 0x4 parent, 0x8 empty, 0x20 space,
                                      * 0x40 index, 0x80 long value, 0x2000 new checksum) */
} ESEPY_ESE_PAGEINFO;

/* Describe data page pgno (1-based, like ESE).  JET_errPageNotInitialized is
 * not returned for blank pages: they come back with status BLANK.  A page
 * whose checksum fails is also recorded as damage (once per page), as when a
 * read meets it.  JET_errFileIOBeyondEOF for a page past the end of the file
 * (a page the database owns but the truncated file lacks included: the open
 * recorded those as damage). */
JET_ERR EsepyEseGetPageInfo(ESEPY_ESE_FILE *pfile, uint32_t pgno, ESEPY_ESE_PAGEINFO *pinfo);
/* Copy the raw bytes of data page pgno (cbMax >= page size). */
JET_ERR EsepyEseReadPage(ESEPY_ESE_FILE *pfile, uint32_t pgno, void *pv, uint32_t cbMax);
/* Tag itag of page pgno: node flags and a copy of its bytes (after the
 * large-page flag bits are masked).  JET_wrnBufferTruncated if cbMax is small. */
JET_ERR EsepyEseGetPageTag(ESEPY_ESE_FILE *pfile, uint32_t pgno, uint32_t itag, uint32_t *pfFlags,
                           void *pv, uint32_t cbMax, uint32_t *pcbActual);

typedef struct {
    uint32_t cbStruct;
    uint32_t pgno;                   /* 0 when not about one page */
    JET_ERR  err;                    /* JET_errReadVerifyFailure, JET_errDatabaseCorrupted, ... */
    uint32_t objidFDP;               /* tree being read, 0 if unknown */
    char     szWhat[120];            /* one line of English */
} ESEPY_ESE_DAMAGE;

/* Damage met so far (reads add to it; each page is reported once). */
JET_ERR EsepyEseGetDamageCount(ESEPY_ESE_FILE *pfile, uint32_t *pcdamage);
JET_ERR EsepyEseGetDamage(ESEPY_ESE_FILE *pfile, uint32_t idamage, ESEPY_ESE_DAMAGE *pdamage);

/* ---- log and checkpoint files ------------------------------------------------- */

typedef struct {
    uint32_t            dbid, fFlags;   /* flags: 0x20 Unicode names, 0x40 sparse */
    uint64_t            dbtime;
    uint32_t            objidLast, cpgDatabaseSizeMax;
    ESEPY_ESE_LGPOS     lgposAttach, lgposConsistent;
    ESEPY_ESE_SIGNATURE signDb;
    char                szName[512];    /* UTF-8 */
} ESEPY_ESE_ATTACHINFO;

#define ESEPY_ESE_ATTACH_MAX 8

typedef struct {
    uint32_t            cbStruct;
    uint32_t            ulChecksum, ulChecksumComputed;
    int32_t             fChecksumValid;
    int32_t             lGeneration;
    uint32_t            cbSec, csecHeader, csecLGFile, cbPageSize;
    ESEPY_ESE_TIME      tmCreate, tmPrevGen;
    uint32_t            ulMajor, ulMinor, ulUpdateMajor, ulUpdateMinor;
    ESEPY_ESE_SIGNATURE signLog;
    uint32_t            fLGFlags;
    ESEPY_ESE_LGPOS     lgposCheckpoint;
    uint64_t            checksumPrevLogAllSegments;
    uint32_t            efvEngine;
    uint32_t            filetype;       /* JET_filetypeLog (3) */
    uint64_t            cbFile;
    int32_t             fAllZero;       /* the header sector is all zero (e.g. a reserve log) */
    uint32_t            cattach;
    ESEPY_ESE_ATTACHINFO rgattach[ESEPY_ESE_ATTACH_MAX];
} ESEPY_ESE_LOGHEADER;

/* Read a log file's header.  JET_errFileInvalidType if it is not a log file,
 * JET_errLogFileCorrupt when the header checksum fails (the header is still
 * filled in for inspection). */
JET_ERR EsepyEseReadLogHeader(const char *szPath, ESEPY_ESE_LOGHEADER *phdr);

typedef struct {
    uint32_t            cbStruct;
    uint32_t            ulChecksum[2], ulChecksumComputed[2];
    int32_t             fValid[2];
    int32_t             iCopyUsed;
    ESEPY_ESE_LGPOS     lgposLastFullBackupCheckpoint, lgposCheckpoint, lgposDbConsistency;
    ESEPY_ESE_SIGNATURE signLog;
    uint32_t            fVersion, filetype;
    uint32_t            cattach;
    ESEPY_ESE_ATTACHINFO rgattach[ESEPY_ESE_ATTACH_MAX];
} ESEPY_ESE_CHECKPOINT;

/* Read a checkpoint file (both copies).  JET_errCheckpointCorrupt when
 * neither copy is valid, JET_errFileInvalidType if it is not a checkpoint. */
JET_ERR EsepyEseReadCheckpoint(const char *szPath, ESEPY_ESE_CHECKPOINT *pchk);

#define ESEPY_ESE_LOGROLE_ARCHIVED 1 /* <base><hex gen>.log */
#define ESEPY_ESE_LOGROLE_CURRENT  2 /* <base>.log */
#define ESEPY_ESE_LOGROLE_TMP      3 /* <base>tmp.log (not part of the sequence) */
#define ESEPY_ESE_LOGROLE_RESERVE  4 /* <base>res*.jrs (not part of the sequence) */

typedef struct {
    char     szFile[256];
    int32_t  role;                      /* ESEPY_ESE_LOGROLE_* */
    JET_ERR  errHeader;                 /* result of EsepyEseReadLogHeader */
    int32_t  lGeneration;               /* from the header (0 if unreadable) */
    int32_t  lGenerationFromName;       /* archived logs; 0 otherwise */
    ESEPY_ESE_TIME tmCreate, tmPrevGen;
    uint32_t ulSignRandom;              /* signLog random part */
    int32_t  fSignMatches;              /* signLog equals that of the current log (or the first) */
    int32_t  fPrevGenLinked;            /* tmPrevGen equals tmCreate of generation - 1 (when present) */
    int32_t  fNameMatches;              /* archived: generation in the name equals the header's */
} ESEPY_ESE_LOGFILEINFO;

/* Survey the log files of base name szBase (3 characters, e.g. "SRU"; NULL or
 * "" to take the base of the first *.log found) in folder szDir.  Fills up to
 * cfileMax entries sorted by generation (tmp and reserve logs last) and
 * returns how many exist in *pcfile (which may exceed cfileMax). */
JET_ERR EsepyEseScanLogFolder(const char *szDir, const char *szBase, ESEPY_ESE_LOGFILEINFO *rgfile,
                              uint32_t cfileMax, uint32_t *pcfile);

/* ---- soft recovery onto a copy (stage 1: no page redo, no undo) -------------- */

/* EsepyEseRecover grbits */
#define ESEPY_ESE_RECOVER_IN_PLACE 0x0001 /* write szDatabase itself (the caller says it is a copy);
                                           * szOutput must then be NULL */

/* Progress: called once per log generation read (igen 1..cgen) with the
 * generation number.  A negative return stops recovery with that error. */
typedef JET_ERR (*ESEPY_ESE_PFNRECOVER)(void *pvContext, int32_t lGeneration, uint32_t igen, uint32_t cgen);

typedef struct {
    uint32_t        cbStruct;
    /* what was read */
    int32_t         fWasClean;          /* the input was already CleanShutdown: copied unchanged */
    int32_t         fFakeCheckpoint;    /* redo started at the start of the checkpoint's generation */
    ESEPY_ESE_LGPOS lgposCheckpoint;    /* as the checkpoint file gives it */
    ESEPY_ESE_LGPOS lgposRedoStart;
    ESEPY_ESE_LGPOS lgposEnd;           /* end of the log data */
    int32_t         lGenFirst, lGenLast;/* generations read */
    uint32_t        dbid;               /* the database's dbid in the logs (0 if never attached) */
    ESEPY_ESE_LGPOS lgposAttachNow;     /* the attachment (list entry or AttachDB) that attached it */
    uint64_t        crecord;            /* log records read */
    uint64_t        cpageRecord;        /* page references of records on this database */
    uint64_t        cpageApplied;       /* ... inside the attached window, proved already on the page */
    uint64_t        cpageOutside;       /* ... outside the window (deferred, detached, before the first Begin0) */
    uint32_t        csegmentCorrected;  /* log segments read after a single-bit ECC correction */
    uint32_t        cdetach;            /* times the database was detached (Term, DetachDB) in the logs */
    /* what was written */
    ESEPY_ESE_LGPOS lgposConsistent;    /* the clean header's consistent / detach position */
    uint64_t        dbtimeBefore, dbtimeAfter;
    uint32_t        objidBefore, objidAfter;
    int32_t         fJfmRemoved;        /* in place: the flush map (.jfm) beside the database was deleted */
    /* why recovery stopped (err < 0) */
    JET_ERR         err;
    uint32_t        lrtyp;              /* record that needs redo or undo (0 if not about one) */
    char            szRecordType[32];
    ESEPY_ESE_LGPOS lgpos;
    uint32_t        pgno;
    uint64_t        dbtimeRecord, dbtimeBeforeRecord, dbtimePage;
    int32_t         lGenMissing;        /* a needed generation that is missing (0 if none) */
    char            szReason[480];      /* one paragraph of English naming the record, page, position or file */
} ESEPY_ESE_RECOVERINFO;

/* Soft recovery of a database written by Windows' ESE, stage 1: read the logs
 * of szLogFolder (checkpoint in szCheckpointFolder, NULL = the log folder) from
 * the checkpoint on, decide when the database takes part (the attach state
 * machine), prove that every page record for it is either outside the
 * attached window or already on its page and that no transaction is left
 * open, and write the database with a clean header (both copies) to szOutput
 * -- through a temporary file, fsynced and renamed; szOutput must not exist --
 * or, with ESEPY_ESE_RECOVER_IN_PLACE, into szDatabase itself.  The input
 * database and the logs are never written.  No flush map (.jfm) is created.
 * A record that needs redo or undo stops recovery before anything is written:
 * JET_errFeatureNotAvailable (redo/undo needed: stage 1 does not replay),
 * JET_errDbTimeTooOld / JET_errDbTimeTooNew / JET_errDbTimeBeyondMaxRequired
 * (page and record disagree), with pinfo naming the record, page and log
 * position.  Other refusals: JET_errDatabaseLogSetMismatch (logs of another
 * stream), JET_errAttachedDatabaseMismatch (the logs never attach this
 * database), JET_errMissingLogFile / JET_errRequiredLogFilesMissing (a needed
 * generation is absent: pinfo->lGenMissing), JET_errConsistentTimeMismatch,
 * the log reader's errors (JET_errLogFileCorrupt, JET_errInvalidLogSequence,
 * JET_errBadLogSignature, JET_errLogSequenceChecksumMismatch, ...),
 * JET_errFileAlreadyExists (szOutput exists). */
JET_ERR EsepyEseRecover(const char *szDatabase, const char *szLogFolder, const char *szCheckpointFolder,
                        const char *szOutput, uint32_t grbit, ESEPY_ESE_PFNRECOVER pfnProgress, void *pvContext,
                        ESEPY_ESE_RECOVERINFO *pinfo);

/* ---- helpers exposed for tests and tools ---------------------------------------- */

/* Decompress an ESE compressed value (header byte, then data): 7-bit ASCII,
 * 7-bit Unicode or XPRESS.  *pcbActual receives the decompressed size even
 * when cbMax is too small (JET_wrnBufferTruncated).  JET_errFeatureNotAvailable
 * for XPRESS9/10/LZ4, JET_errDecompressionFailed for damaged input. */
JET_ERR EsepyEseDecompress(const void *pvIn, uint32_t cbIn, void *pvOut, uint32_t cbMax, uint32_t *pcbActual);

#if defined(ESEPY_BUILDING_LIBRARY) && defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif /* ESEPY_ESE_H */
