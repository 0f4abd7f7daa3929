/*
 * esepy_ese.h -- read-only access to ESE files written by Windows (forensics).
 *
 * Owns: the public C interface of the esefmt layer (csrc/esefmt): opening a
 * real ESE database file (any format revision from Windows XP to Windows 11
 * 24H2 / Server 2025, pages of 4, 8, 16 or 32 KiB) without an instance,
 * reading its header, catalog, records, long values and pages, and reading
 * the headers of ESE transaction logs and checkpoint files.
 * Nothing here writes to a file it reads: every input is opened read-only.
 * The one writer, EsepyEseRecover, writes only a new output file (or, when
 * asked, the header pages of a database the caller says is a copy).
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
    int32_t  fNoCatalog;               /* -1 not known yet (the catalog is read on first use); 1 the file
                                        * stores no catalog (its catalog page is blank, beyond the end, or an
                                        * empty root leaf): a temporary database such as NTDS temp.edb, whose
                                        * tables exist only while ESE runs -- no tables, not damage; 0 otherwise */
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
    int32_t  rgfTemplate[16];  /* key column is a column of the template table */
    uint32_t cbKeyMost;        /* longest key (catalog KeyMost; 255 when not stored): longer keys are cut */
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
#define ESEPY_ESE_CURSOR_CARVE   0x0002 /* carving: instead of the tree, every node (deleted ones too) of
                                         * the leaf pages that carry the table's objid but that its tree
                                         * does not reach (freed or orphaned pages still holding records),
                                         * in page order; best effort: nodes whose record header does not
                                         * parse are skipped without a damage report */

/* Open a cursor before the first record of table `itable` (in key order).
 * Records whose node is flagged deleted are skipped unless grbit has
 * ESEPY_ESE_CURSOR_DELETED (EsepyEseCursorGetRecordInfo tells them apart). */
JET_ERR EsepyEseCursorOpen(ESEPY_ESE_FILE *pfile, uint32_t itable, uint32_t grbit, ESEPY_ESE_CURSOR **ppcursor);
/* Open a cursor over table itable in the order of its index iindex (position
 * as in EsepyEseGetIndexInfo; JET_errIndexNotFound if none).  A secondary
 * index is read from its own tree: each entry's key is the index key, its
 * data the primary key of the record, which is then read from the table's
 * tree (an entry whose record is missing is reported as damage,
 * JET_errRecordNotFound, and skipped).  The primary index gives the order of
 * EsepyEseCursorOpen.  Entries flagged deleted are skipped unless grbit has
 * ESEPY_ESE_CURSOR_DELETED. */
JET_ERR EsepyEseCursorOpenIndex(ESEPY_ESE_FILE *pfile, uint32_t itable, uint32_t iindex, uint32_t grbit,
                                ESEPY_ESE_CURSOR **ppcursor);
/* Position the cursor so that EsepyEseCursorNext returns the first entry whose
 * key (index key, or primary key on a table cursor) is >= the normalised key
 * pvKey (bytewise order, a shorter key sorting first).  Keys stay >= it after. */
JET_ERR EsepyEseCursorSeek(ESEPY_ESE_CURSOR *pcursor, const void *pvKey, uint32_t cbKey);
/* Key of the current entry in the cursor's order (index key on an index
 * cursor, primary key otherwise; valid until the cursor moves) and the node
 * flags of that entry (pfFlags may be NULL). */
JET_ERR EsepyEseCursorGetIndexKey(ESEPY_ESE_CURSOR *pcursor, const uint8_t **ppb, uint32_t *pcb, uint32_t *pfFlags);
void    EsepyEseCursorClose(ESEPY_ESE_CURSOR *pcursor);
/* Move to the next record; JET_errNoCurrentRecord after the last.  Damaged
 * pages are reported (EsepyEseGetDamage) and skipped. */
JET_ERR EsepyEseCursorNext(ESEPY_ESE_CURSOR *pcursor);

typedef struct {
    uint32_t       cbStruct;
    uint32_t       pgno;               /* leaf page of the record */
    uint32_t       itag;               /* its tag on the page */
    uint32_t       fNodeFlags;         /* 0x1 "possibly versioned" (a hint left on disk: not a commit
                                        * state), 0x2 deleted, 0x4 key-prefix compressed */
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
/* Data page pgno as recovery's page model writes it: decoded (tags, prefix,
 * keys, data, flags, links) and encoded again with its checksum, nodes packed
 * (a test of the model on real pages; blank pages come back as zeros).
 * JET_errDatabaseCorrupted when the page does not decode. */
JET_ERR EsepyEseRewritePage(ESEPY_ESE_FILE *pfile, uint32_t pgno, void *pv, uint32_t cbMax);

typedef struct {
    uint32_t cbStruct;
    uint32_t pgno;                   /* 0 when not about one page */
    JET_ERR  err;                    /* JET_errReadVerifyFailure, JET_errDatabaseCorrupted, ... */
    uint32_t objidFDP;               /* tree being read, 0 if unknown */
    char     szWhat[120];            /* one line of English */
} ESEPY_ESE_DAMAGE;

/* ---- integrity (B+tree and space check) ------------------------------------- */

typedef struct {
    uint32_t cbStruct;
    uint32_t ctable;        /* tables of the catalog */
    uint32_t ctree;         /* trees walked: each table, long-value tree and index, and their space trees */
    uint32_t cpageChecked;  /* pages entered by those walks */
    uint32_t cpageOwned;    /* pages the space trees give to some tree */
    uint32_t cfinding;      /* findings (each one a damage entry) */
    uint32_t idamageFirst;  /* first damage entry added by this check */
    uint32_t cdamageTotal;  /* damage entries of the file after the check (stored or counted) */
} ESEPY_ESE_INTEGRITY;

/* Check every B+tree reachable from the catalog (the database root, each
 * table, its long-value tree and secondary indexes, and each one's owned- and
 * available-extent trees): page checksums, one objidFDP per tree, the root
 * flag on roots only, keys ascending within a page (equal keys by ascending
 * data), every key inside the bounds its parent's separators give (above the
 * separator before, at most its own), leaves at one depth, sibling links
 * matching the order of the walk, no page reached twice; then the space: no
 * page owned by two trees (other than a tree and its parent), every page in
 * use owned by its tree and not listed free, free pages owned by their tree.
 * Every finding is added to the damage list (EsepyEseGetDamage from
 * pinfo->idamageFirst on) with the page, the tree's objid and one line of
 * English; pinfo->cfinding counts them (0: the database is sound).  Returns
 * JET_errObjectNotFound for a database that stores no catalog (nothing to
 * check), the catalog's error when it cannot be read. */
JET_ERR EsepyEseCheckIntegrity(ESEPY_ESE_FILE *pfile, ESEPY_ESE_INTEGRITY *pinfo);

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

/* ---- log records (Windows ESE transaction logs, format 8.x) -------------------
 *
 * A reader of the records of one log file (EsepyEseLog*) and of a folder's
 * chain of generations (EsepyEseLogChain*).  Read-only: files are opened
 * read-only and read whole into memory.  Damage is reported, never hidden:
 * a segment repaired by its ECC checksum (a single flipped bit) is counted and
 * its bit position recorded; anything else that is damaged, and every record
 * type this reader does not know, stops the walk with an error that names it.
 */

typedef struct EsepyEseLog      ESEPY_ESE_LOG;      /* one open log file */
typedef struct EsepyEseLogChain ESEPY_ESE_LOGCHAIN; /* the generations of a log folder */

/* Record types (LRTYP).  Every value below ESEPY_ESE_LRTYP_MAX has a name
 * (EsepyEseLrtypName); the obsolete ones (40, 41, 43, 44, 47, 56) and old-format
 * records (3 MS, 4 Fill, 26, 27, 28, 42) are refused as format-7 / damage. */
#define ESEPY_ESE_LRTYP_NOP               0
#define ESEPY_ESE_LRTYP_INIT              1
#define ESEPY_ESE_LRTYP_TERM              2
#define ESEPY_ESE_LRTYP_BEGIN             5
#define ESEPY_ESE_LRTYP_COMMIT            6
#define ESEPY_ESE_LRTYP_ROLLBACK          7
#define ESEPY_ESE_LRTYP_BEGIN0            8
#define ESEPY_ESE_LRTYP_COMMIT0           9
#define ESEPY_ESE_LRTYP_REFRESH           10
#define ESEPY_ESE_LRTYP_MACROBEGIN        11
#define ESEPY_ESE_LRTYP_MACROCOMMIT       12
#define ESEPY_ESE_LRTYP_MACROABORT        13
#define ESEPY_ESE_LRTYP_CREATEDB          14
#define ESEPY_ESE_LRTYP_ATTACHDB          15
#define ESEPY_ESE_LRTYP_DETACHDB          16
#define ESEPY_ESE_LRTYP_RECOVERYUNDO      17
#define ESEPY_ESE_LRTYP_RECOVERYQUIT      18
#define ESEPY_ESE_LRTYP_FULLBACKUP        19
#define ESEPY_ESE_LRTYP_INCBACKUP         20
#define ESEPY_ESE_LRTYP_JETOP             21
#define ESEPY_ESE_LRTYP_TRACE             22
#define ESEPY_ESE_LRTYP_SHUTDOWNMARK      23
#define ESEPY_ESE_LRTYP_CREATEMEFDP       24
#define ESEPY_ESE_LRTYP_CREATESEFDP       25
#define ESEPY_ESE_LRTYP_INSERT            29
#define ESEPY_ESE_LRTYP_FLAGINSERT        30
#define ESEPY_ESE_LRTYP_FLAGINSERTANDREPLACEDATA 31
#define ESEPY_ESE_LRTYP_FLAGDELETE        32
#define ESEPY_ESE_LRTYP_REPLACE           33
#define ESEPY_ESE_LRTYP_REPLACED          34
#define ESEPY_ESE_LRTYP_DELETE            35
#define ESEPY_ESE_LRTYP_UNDOINFO          36
#define ESEPY_ESE_LRTYP_DELTA             37
#define ESEPY_ESE_LRTYP_SETEXTERNALHEADER 38
#define ESEPY_ESE_LRTYP_UNDO              39
#define ESEPY_ESE_LRTYP_EXTRESTORE        45
#define ESEPY_ESE_LRTYP_BACKUP            46
#define ESEPY_ESE_LRTYP_EMPTYTREE         48
#define ESEPY_ESE_LRTYP_INIT2             49
#define ESEPY_ESE_LRTYP_TERM2             50
#define ESEPY_ESE_LRTYP_RECOVERYUNDO2     51
#define ESEPY_ESE_LRTYP_RECOVERYQUIT2     52
#define ESEPY_ESE_LRTYP_BEGINDT           53
#define ESEPY_ESE_LRTYP_PREPCOMMIT        54
#define ESEPY_ESE_LRTYP_PREPROLLBACK      55
#define ESEPY_ESE_LRTYP_FORCEWRITELOG     57
#define ESEPY_ESE_LRTYP_CONVERTFDP2       58
#define ESEPY_ESE_LRTYP_EXTRESTORE2       59
#define ESEPY_ESE_LRTYP_BACKUP2           60
#define ESEPY_ESE_LRTYP_FORCELOGROLLOVER  61
#define ESEPY_ESE_LRTYP_SPLIT2            62
#define ESEPY_ESE_LRTYP_MERGE2            63
#define ESEPY_ESE_LRTYP_SCRUB             64
#define ESEPY_ESE_LRTYP_PAGEMOVE          65
#define ESEPY_ESE_LRTYP_PAGEPATCHREQUEST  66
#define ESEPY_ESE_LRTYP_MACROINFO         67
#define ESEPY_ESE_LRTYP_EXTENDDB          68
#define ESEPY_ESE_LRTYP_COMMITCTX         69
#define ESEPY_ESE_LRTYP_SCANCHECK         70
#define ESEPY_ESE_LRTYP_NOP2              71
#define ESEPY_ESE_LRTYP_REATTACH          72
#define ESEPY_ESE_LRTYP_MACROINFO2        73
#define ESEPY_ESE_LRTYP_FREEFDP           74
#define ESEPY_ESE_LRTYP_FRAGMENTBEGIN     76 /* framing: never returned as a record */
#define ESEPY_ESE_LRTYP_FRAGMENT          77 /* framing: never returned as a record */
#define ESEPY_ESE_LRTYP_SHRINKDB          78
#define ESEPY_ESE_LRTYP_CREATEDBFINISH    79
#define ESEPY_ESE_LRTYP_RECOVERYQUITKEEPATTACHMENTS 80
#define ESEPY_ESE_LRTYP_TRIMDB            81
#define ESEPY_ESE_LRTYP_SETDBVERSION      92
#define ESEPY_ESE_LRTYP_DELTA64           93
#define ESEPY_ESE_LRTYP_SHRINKDB2         94
#define ESEPY_ESE_LRTYP_NEWPAGE           95
#define ESEPY_ESE_LRTYP_ROOTPAGEMOVE      96
#define ESEPY_ESE_LRTYP_SIGNALATTACHDB    97
#define ESEPY_ESE_LRTYP_SCANCHECK2        98
#define ESEPY_ESE_LRTYP_SHRINKDB3         99
#define ESEPY_ESE_LRTYP_EXTENTFREED       100
#define ESEPY_ESE_LRTYP_EXTENTFREED2      101
#define ESEPY_ESE_LRTYP_MAX               102

/* The name ESE's dumps use for an lrtyp ("Insert", "Term2", "AttachDB", ...),
 * for every value 0..ESEPY_ESE_LRTYP_MAX-1 (obsolete ones included, e.g.
 * "UpgradeDB"); NULL for values >= ESEPY_ESE_LRTYP_MAX. */
const char *EsepyEseLrtypName(uint32_t lrtyp);

/* ESEPY_ESE_LOGRECORD.fFields: which groups of fields the record carries */
#define ESEPY_ESE_LR_PROCID    0x0001 /* procid (session) */
#define ESEPY_ESE_LR_DBID      0x0002 /* dbid */
#define ESEPY_ESE_LR_PAGE      0x0004 /* the 32-byte page prefix: pgno, dbtime, dbtimeBefore, trxBegin0,
                                       * level, iline, fPageFlags */
#define ESEPY_ESE_LR_NODE      0x0008 /* + rceid, pgnoFDP, objidFDP */
#define ESEPY_ESE_LR_DBTIME    0x0010 /* dbtime valid without a page prefix (macros, NewPage, ShrinkDB3, ...) */
#define ESEPY_ESE_LR_LOGTIME   0x0020 /* logtime valid (Init2, Term2, RecoveryUndo2, RecoveryQuit2, ...) */
#define ESEPY_ESE_LR_IGNORABLE 0x0040 /* an "ignored" type (67-75, 82-91): skippable by its size */
#define ESEPY_ESE_LR_FRAGMENTED 0x0080 /* reassembled from fragments in cfragment segments */

/* One decoded record.  Pointers (pb, pbKey, pbData, pbImage, szPath) point
 * into the reader's memory and stay valid until the next call on the log (or
 * chain) that produced the record.  Fields a type does not carry are zero. */
typedef struct {
    uint32_t        cbStruct;          /* sizeof(ESEPY_ESE_LOGRECORD) */
    uint32_t        lrtyp;
    const char     *szName;            /* EsepyEseLrtypName(lrtyp) (static) */
    ESEPY_ESE_LGPOS lgpos;             /* address of its first byte; ib 0 for a segment's first record */
    uint32_t        cb;                /* whole record size (fixed part + variable part) */
    const uint8_t  *pb;                /* the whole record, reassembled when fragmented */
    uint32_t        fFields;           /* ESEPY_ESE_LR_* */
    uint32_t        cfragment;         /* segments it spans when fragmented (else 0) */

    /* common fields */
    uint32_t        procid;            /* session (ESEPY_ESE_LR_PROCID) */
    uint32_t        dbid;              /* ESEPY_ESE_LR_DBID */
    uint32_t        pgno;              /* page records; NewPage; FDP creation (the root) */
    uint64_t        dbtime;            /* "after" dbtime (page records, macros, NewPage, ...) */
    uint64_t        dbtimeBefore;      /* page records: 0xFFFFFFFFFFFFFFFF (dbtimeNil) inside a macro */
    uint32_t        trxBegin0;         /* page records: trx of the session's Begin0 */
    uint32_t        level;             /* page records: transaction level; Commit: level committed to;
                                        * Rollback: levels rolled back; Begin/Begin0: level begun from;
                                        * Undo: level */
    uint32_t        clevels;           /* Begin/Begin0/BeginDT: number of levels begun */
    uint32_t        trx;               /* Begin0/BeginDT: trxBegin0; Commit0: trxCommit0; Refresh: trx */
    uint32_t        iline;             /* page records: node index */
    uint32_t        fPageFlags;        /* page records: 0x01 versioned, 0x02 deleted, 0x04 unique,
                                        * 0x08 space op, 0x10 concurrent create-index, 0x20 system task */
    uint32_t        rceid, pgnoFDP, objidFDP; /* node records (ESEPY_ESE_LR_NODE); objidFDP also FDP
                                        * creation/conversion, NewPage (objid), splits and merges */

    /* key and data (Insert, FlagInsert*, Replace*, SetExternalHeader, Delta (bookmark), UndoInfo,
     * Undo (bookmark), Scrub, NOP2 and other ignorable types (payload), Trace, ...) */
    const uint8_t  *pbKey;             /* full key (prefix part then suffix part) */
    uint32_t        cbKey;
    uint32_t        cbKeyPrefix;       /* Insert: bytes of the key shared with the page prefix */
    const uint8_t  *pbData;
    uint32_t        cbData;            /* Replace/ReplaceD: the logged bytes (after-image or diff) */
    uint32_t        cbOldData, cbNewData; /* Replace/ReplaceD */
    uint32_t        fDiff2;            /* ReplaceD: the diff uses DIFFHDR2 */
    uint32_t        rceidReplace;      /* FlagInsertAndReplaceData */
    uint32_t        oper, cbMaxSize;   /* UndoInfo (oper, cbMaxSize), Undo (oper) */
    int64_t         delta;             /* Delta / Delta64 (UndoInfo: cbDelta) */
    uint32_t        ibOffset;          /* Delta / Delta64: offset of the counter in the data */

    /* database-level and instance records */
    ESEPY_ESE_TIME  logtime;           /* ESEPY_ESE_LR_LOGTIME */
    ESEPY_ESE_LGPOS lgposBack;         /* Term/Term2/RecoveryQuit*: back-pointer (matching Init or RecoveryUndo) */
    ESEPY_ESE_LGPOS lgposRedoFrom;     /* Term/Term2/RecoveryQuit* */
    uint32_t        fHard;             /* Term/Term2/RecoveryQuit*: hard recovery */
    ESEPY_ESE_LGPOS lgposConsistent;   /* AttachDB: the database's consistent position when attached */
    ESEPY_ESE_SIGNATURE signDb;        /* AttachDB, CreateDB */
    ESEPY_ESE_SIGNATURE signLog;       /* AttachDB: the log signature the database was attached under */
    uint32_t        cpgDatabaseSizeMax;/* AttachDB, CreateDB */
    uint32_t        fDbFlags;          /* AttachDB/DetachDB/CreateDB flag byte (0x08/0x10: Unicode names, ...);
                                        * CreateDB: also grbit in grbit */
    uint32_t        grbit;             /* CreateDB grbit */
    const char     *szPath;            /* AttachDB/DetachDB/CreateDB/backup records: path, UTF-8 */
    uint32_t        rgulVersion[3];    /* SetDbVersion: format version, update major, update minor;
                                        * CreateDB: version, update major (when logged) */
    uint32_t        pgnoLast;          /* ExtendDB, ShrinkDB*, TrimDB (first page in pgno, pages in cpg) */
    uint32_t        cpg;               /* ShrinkDB*: pages shrunk; TrimDB: pages; EmptyTree/MacroInfo*: pages
                                        * listed; CreateMEFDP/SEFDP/ConvertFDP2: cpgPrimary */

    /* multi-page records (Split2, Merge2, PageMove, FDP creation / conversion) */
    uint32_t        pgnoNew, pgnoRight, pgnoLeft, pgnoParent; /* CreateMEFDP/ConvertFDP2: pgnoNew = pgnoOE,
                                        * pgnoRight = pgnoAE, pgnoParent = pgnoFDPParent; PageMove: pgnoNew = dest */
    uint64_t        dbtimeRightBefore, dbtimeLeftBefore, dbtimeParentBefore;
    uint32_t        ulSplitMergeType;  /* Split2: splittype (0 vertical, 1 right, 2 append);
                                        * Merge2: mergetype */
    uint32_t        ulSplitOper;       /* Split2: splitoper */
    const uint8_t  *pbImage;           /* Split2/Merge2 before-image, PageMove page image (as logged) */
    uint32_t        cbImage;
} ESEPY_ESE_LOGRECORD;

/* Segment classification (sectors csecHeader .. csecLGFile-1) */
#define ESEPY_ESE_SEG_GOOD      0 /* checksum valid at its own position, lgposSegment right */
#define ESEPY_ESE_SEG_CORRECTED 1 /* good after a single-bit ECC correction (reported) */
#define ESEPY_ESE_SEG_STALE     2 /* valid checksum, older lgposSegment: left from the file's previous life */
#define ESEPY_ESE_SEG_ZERO      3 /* all zero */
#define ESEPY_ESE_SEG_SHADOW    4 /* copy of the previous segment (checksum valid with isec - 1) */
#define ESEPY_ESE_SEG_DAMAGED   5 /* none of the above */
#define ESEPY_ESE_SEG_AFTEREND  6 /* after the end of data; not examined further */
#define ESEPY_ESE_SEG_PATCHED   7 /* damaged, replaced by the valid shadow copy at isec + 1 */

typedef struct {
    uint32_t        cbStruct;
    uint32_t        isec;
    int32_t         status;            /* ESEPY_ESE_SEG_* */
    uint64_t        checksumStored, checksumComputed; /* computed with pgno = isec, after correction */
    ESEPY_ESE_LGPOS lgposSegment;      /* as stored */
    ESEPY_ESE_TIME  logtimeSegment;
    uint32_t        fFlags;
    int32_t         ibitCorrected;     /* CORRECTED: bit position in the segment (byte = ibit / 8); else -1 */
} ESEPY_ESE_LOGSEGMENT;

/* How the data of a log file ends */
#define ESEPY_ESE_LOGEND_FULL    0 /* every data segment is good */
#define ESEPY_ESE_LOGEND_STALE   1 /* at a stale segment */
#define ESEPY_ESE_LOGEND_ZERO    2 /* at a zero-filled segment */
#define ESEPY_ESE_LOGEND_SHADOW  3 /* at a shadow copy of the last partial segment */
#define ESEPY_ESE_LOGEND_DAMAGED 4 /* at a damaged segment (integrity error in errIntegrity) */

typedef struct {
    uint32_t        cbStruct;
    int32_t         lGeneration;
    uint32_t        csecLGFile;        /* sectors in the file (header included) */
    uint32_t        csegGood;          /* good data segments (corrected and patched included) */
    uint32_t        csegCorrected;     /* segments repaired by ECC (single bit) */
    uint32_t        csegPatched;       /* damaged segments replaced by their shadow */
    int32_t         endKind;           /* ESEPY_ESE_LOGEND_* */
    uint32_t        isecEnd;           /* first sector after the data (= last good isec + 1) */
    ESEPY_ESE_LGPOS lgposEnd;          /* end of data: (gen, isecEnd, 0) */
    int32_t         fClosedNormally;   /* the last record is Term, Term2 or RecoveryQuit* (after a full walk) */
    uint64_t        checksumAllSegments; /* XOR of the checksums of the good segments (the next generation's
                                        * checksumPrevLogAllSegments) */
    JET_ERR         errIntegrity;      /* JET_errSuccess, or why the log must not be replayed
                                        * (JET_errLogFileCorrupt: damaged segment, good segment after an empty one,
                                        * lgposSegment ahead of its place; JET_errLogFileSizeMismatch, ...) */
    char            szError[240];      /* the last error met (open, segment scan or record walk), "" if none */
} ESEPY_ESE_LOGINFO;

/* EsepyEseLogOpen grbits */
#define ESEPY_ESE_LOG_OPEN_NO_CORRECTION 0x0001 /* do not repair single-bit errors (report them as damaged) */

/* Open one log file read-only, read its header and classify its segments.
 * Errors: JET_errFileNotFound, JET_errFileInvalidType (not a log, or a zero
 * reserve log), JET_errLogFileCorrupt (header checksum),
 * JET_errBadLogVersion (not format 8 with 4 KiB segments),
 * JET_errLogFileSizeMismatch (file size is not csecLGFile * cbSec).
 * A damaged segment does not fail the open: it is reported in
 * EsepyEseLogGetInfo (errIntegrity) and the record walk stops there with
 * JET_errLogFileCorrupt. */
JET_ERR EsepyEseLogOpen(const char *szPath, uint32_t grbit, ESEPY_ESE_LOG **pplog);
void    EsepyEseLogClose(ESEPY_ESE_LOG *plog);
JET_ERR EsepyEseLogGetHeader(ESEPY_ESE_LOG *plog, ESEPY_ESE_LOGHEADER *phdr);
JET_ERR EsepyEseLogGetInfo(ESEPY_ESE_LOG *plog, ESEPY_ESE_LOGINFO *pinfo);
/* Segment isec (csecHeader .. csecLGFile-1).  JET_errInvalidParameter outside. */
JET_ERR EsepyEseLogGetSegment(ESEPY_ESE_LOG *plog, uint32_t isec, ESEPY_ESE_LOGSEGMENT *pseg);

/* Next record in log order (NOP bytes skipped, fragments reassembled;
 * NOP2 and other ignorable types are returned).  JET_errNoCurrentRecord after
 * the last record.  JET_errLogCorrupted for an unknown or obsolete lrtyp (the
 * record's lrtyp and lgpos are filled in and szError names it), for a record
 * running past its segment or fragment chain, or a fragment total that does not
 * match the record's size; JET_errLogFileCorrupt on reaching a damaged segment.
 * After an error the walk stays at the error. */
JET_ERR EsepyEseLogNextRecord(ESEPY_ESE_LOG *plog, ESEPY_ESE_LOGRECORD *prec);
/* Restart the walk at the first record. */
JET_ERR EsepyEseLogRewind(ESEPY_ESE_LOG *plog);

/* ---- a folder's chain of generations ---------------------------------------- */

typedef struct {
    uint32_t        cbStruct;
    char            szFile[256];       /* file name in the folder */
    int32_t         lGeneration;
    int32_t         fCurrent;          /* <base>.log */
    ESEPY_ESE_TIME  tmCreate, tmPrevGen;
    int32_t         fPrevGenLinked;    /* tmPrevGen equals the previous generation's tmCreate; -1 first */
    int32_t         fChecksumLinked;   /* checksumPrevLogAllSegments equals the previous generation's
                                        * checksumAllSegments; -1 first (or not checked: updateMinor < 13) */
    int32_t         fSignMatches;      /* signLog equals the chain's */
    uint64_t        checksumPrevLogAllSegments; /* as stored in this header */
    ESEPY_ESE_LOGINFO info;            /* this file's segment classification */
} ESEPY_ESE_LOGGEN;

typedef struct {
    uint32_t        cbStruct;
    char            szBase[16];        /* e.g. "SRU" */
    int32_t         lGenFirst, lGenLast; /* the generations of the chain (contiguous) */
    uint32_t        cgen;
    uint32_t        ctransitions, ctransitionsOk; /* generation changes checked / passing all rules */
    int32_t         lGenMissing;       /* first generation missing inside the range, 0 if none */
    ESEPY_ESE_SIGNATURE signLog;       /* the chain's (the current log's, else the newest) */
    ESEPY_ESE_LGPOS lgposEnd;          /* end of data of the last generation */
    /* checkpoint (<base>.chk), both copies */
    JET_ERR         errCheckpoint;     /* result of EsepyEseReadCheckpoint (JET_errFileNotFound if absent) */
    ESEPY_ESE_CHECKPOINT checkpoint;
    int32_t         fCheckpointCopiesEqual;
    int32_t         fCheckpointFake;   /* the checkpoint cannot be used as is (§1.8 rule): redo starts at
                                        * (checkpoint gen, csecHeader, 0) with that log header's attachments */
    ESEPY_ESE_LGPOS lgposRedoStart;    /* where recovery starts reading */
    uint32_t        cattach;           /* attachments recovery starts with (checkpoint's or the log header's) */
    ESEPY_ESE_ATTACHINFO rgattach[ESEPY_ESE_ATTACH_MAX];
    JET_ERR         err;               /* the first refusal (as EsepyEseLogChainOpen returns without INSPECT) */
    char            szError[240];
} ESEPY_ESE_LOGCHAININFO;

/* EsepyEseLogChainOpen grbits */
#define ESEPY_ESE_LOGCHAIN_INSPECT 0x0001 /* open even when a rule fails: the refusal is in info.err */

/* EsepyEseLogChainOpen lGenFirst: start at the checkpoint's generation (the
 * oldest present when there is no checkpoint) */
#define ESEPY_ESE_LOGCHAIN_GEN_CHECKPOINT (-1)

/* Open the log generations of base szBase ("SRU"; NULL or "" finds it) in
 * szDir, from generation lGenFirst (0: the oldest present; or e.g. the
 * checkpoint's) to the current log (<base>.log, or the newest archive), and
 * check the chain: every generation present (JET_errMissingLogFile, naming
 * it), signLog equal in all and, when psignLog is not NULL, equal to it (a
 * database's signLog: JET_errBadLogSignature for another database's logs),
 * tmPrevGen = previous tmCreate (JET_errInvalidLogSequence), accumulated
 * segment checksums (JET_errLogSequenceChecksumMismatch), no damaged segment
 * (JET_errLogFileCorrupt).  Also reads <base>.chk (both copies) and computes
 * the redo start.  JET_errMissingLogFile when no log exists. */
JET_ERR EsepyEseLogChainOpen(const char *szDir, const char *szBase, int32_t lGenFirst,
                             const ESEPY_ESE_SIGNATURE *psignLog, uint32_t grbit, ESEPY_ESE_LOGCHAIN **ppchain);
void    EsepyEseLogChainClose(ESEPY_ESE_LOGCHAIN *pchain);
JET_ERR EsepyEseLogChainGetInfo(ESEPY_ESE_LOGCHAIN *pchain, ESEPY_ESE_LOGCHAININFO *pinfo);
/* Generation igen (0 .. cgen-1, oldest first). */
JET_ERR EsepyEseLogChainGetGen(ESEPY_ESE_LOGCHAIN *pchain, uint32_t igen, ESEPY_ESE_LOGGEN *pgen);
/* Position the record walk at the first record at or after lgpos (e.g. the
 * redo start); a lgpos before the chain starts at its first record. */
JET_ERR EsepyEseLogChainSeek(ESEPY_ESE_LOGCHAIN *pchain, const ESEPY_ESE_LGPOS *plgpos);
/* Next record across generations (same errors as EsepyEseLogNextRecord;
 * JET_errNoCurrentRecord after the last record of the last generation). */
JET_ERR EsepyEseLogChainNextRecord(ESEPY_ESE_LOGCHAIN *pchain, ESEPY_ESE_LOGRECORD *prec);

/* Compare two LGPOS: < 0, 0, > 0 (generation, then sector, then byte). */
int     EsepyEseCmpLgpos(const ESEPY_ESE_LGPOS *a, const ESEPY_ESE_LGPOS *b);
/* ---- soft recovery onto a copy (page redo of node records; no undo yet) ------- */

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
    /* undo (the transactions the logs leave open; no log record is written) */
    uint64_t        cversion;           /* versions built during redo (versioned changes in the window) */
    uint64_t        cundoRecord;        /* Undo records (compensations logged by a rollback) applied to pages */
    uint32_t        csessionUndone;     /* sessions rolled back at the end of the logs */
    uint64_t        cversionUndone;     /* their changes rolled back (inserts flag-deleted, ...) */
    uint32_t        procidUndone;       /* the first of them (lowest procid): session, */
    uint32_t        trxBegin0Undone;    /* its transaction */
    ESEPY_ESE_LGPOS lgposBegin0Undone;  /* and where it began */
    /* why recovery stopped (err < 0) */
    JET_ERR         err;
    uint32_t        lrtyp;              /* record that needs redo or undo (0 if not about one) */
    char            szRecordType[32];
    ESEPY_ESE_LGPOS lgpos;
    uint32_t        pgno;
    uint64_t        dbtimeRecord, dbtimeBeforeRecord, dbtimePage;
    int32_t         lGenMissing;        /* a needed generation that is missing (0 if none) */
    char            szReason[480];      /* one paragraph of English naming the record, page, position or file */
    /* stage 2: page redo */
    uint64_t        crecordRedo;        /* page records of the window handed to redo (macros counted per record) */
    uint64_t        cpageRedone;        /* page changes made by redo (records whose page lacked them) */
    uint32_t        cpgDatabaseAfter;   /* data pages of the output (ExtendDB grows the file) */
} ESEPY_ESE_RECOVERINFO;

/* Soft recovery of a database written by Windows' ESE: read the logs of
 * szLogFolder (checkpoint in szCheckpointFolder, NULL = the log folder) from
 * the checkpoint on, decide when the database takes part (the attach state
 * machine), redo every page record inside the attached window whose change a
 * page lacks (dbtime rule; Insert, FlagInsert*, FlagDelete, Replace, ReplaceD,
 * Delete, Delta, Delta64, SetExternalHeader, NewPage, Create*ExtentFDP,
 * EmptyTree, ExtendDB, macros; Split2 and Merge2 through esesplit.c), prove
 * the others already applied, roll back what the logs leave open, and write
 * the database with the redone pages and a clean header (both copies) to
 * szOutput -- through a temporary file, fsynced and renamed; szOutput must
 * not exist -- or, with ESEPY_ESE_RECOVER_IN_PLACE, into szDatabase itself
 * (its header pages, or the file replaced by the redone copy).  The input
 * database and the logs are never written.  No flush map (.jfm) is created.
 * Transactions the logs leave open are rolled back (the version store of
 * eseundo.c: inserts flag-deleted, before-images restored, flag-deletes
 * cleared, deltas subtracted; no log record is written, the pages changed get
 * dbtimes above every logged one: pinfo->csessionUndone, cversionUndone).
 * A refusal happens before anything is renamed into place and leaves no file:
 * JET_errFeatureNotAvailable (a page lacks the change of a record not
 * replayed yet -- PageMove, RootPageMove, ConvertFDP2, Scrub, Merge2 of the
 * empty-tree and page-move kinds -- or a rollback that cannot be done: a
 * deferred replace without its UndoInfo), JET_errRecordNotFound (a node to
 * roll back is gone), JET_errDatabaseBufferDependenciesCorrupted (a split or
 * merge needs a before-image the log lacks),
 * JET_errVersionStoreOutOfMemory, JET_errDbTimeTooOld / JET_errDbTimeTooNew /
 * JET_errDbTimeBeyondMaxRequired (page and record disagree), with pinfo naming
 * the record, page and log position.  Other refusals:
 * JET_errDatabaseLogSetMismatch (logs of another
 * stream), JET_errAttachedDatabaseMismatch (the logs never attach this
 * database), JET_errMissingLogFile / JET_errRequiredLogFilesMissing (a needed
 * generation is absent: pinfo->lGenMissing), JET_errConsistentTimeMismatch,
 * the log reader's errors (JET_errLogFileCorrupt, JET_errInvalidLogSequence,
 * JET_errBadLogSignature, JET_errLogSequenceChecksumMismatch, ...),
 * JET_errFileAlreadyExists (szOutput exists). */
JET_ERR EsepyEseRecover(const char *szDatabase, const char *szLogFolder, const char *szCheckpointFolder,
                        const char *szOutput, uint32_t grbit, ESEPY_ESE_PFNRECOVER pfnProgress, void *pvContext,
                        ESEPY_ESE_RECOVERINFO *pinfo);

/* ---- pages rebuilt from the logs alone (audit, issue 22) ------------------------ */

/* ESEPY_ESE_REBUILDPAGE.status */
#define ESEPY_ESE_REBUILD_MATCH      0 /* logically equal to the page on disk */
#define ESEPY_ESE_REBUILD_DIFFERS    1 /* the page on disk differs (same dbtime, other content; or newer) */
#define ESEPY_ESE_REBUILD_DISK_OLDER 2 /* the page on disk is older than the logs: it needs redo */
#define ESEPY_ESE_REBUILD_LOST       3 /* its history began in the logs but cannot be followed to the end
                                        * (a record not replayed here, a broken dbtime chain): not checked */

typedef struct {
    uint32_t        cbStruct;          /* sizeof(ESEPY_ESE_REBUILDPAGE) */
    uint32_t        pgno;
    int32_t         status;            /* ESEPY_ESE_REBUILD_* */
    uint32_t        cevents;           /* logged page events replayed on it, its creation included */
    uint32_t        lrtypOrigin;       /* the record its history starts with: NewPage, Split2 (the new page
                                        * of a split) or Split2/Merge2 (a before-image) */
    int32_t         fFromImage;        /* started from a decompressed before-image */
    ESEPY_ESE_LGPOS lgposOrigin;       /* that record */
    ESEPY_ESE_LGPOS lgposLast;         /* the last record replayed on it */
    uint32_t        lrtypLast;
    uint64_t        dbtimeRebuilt, dbtimeDisk;
    int32_t         iDiff;             /* 0 equal; 1 header fields (dbtime, links, objid, flags without
                                        * the flush-type bits); 2 tag 0 (prefix / external header);
                                        * 3 number of lines; 100 + i: line i (flags, key or data) */
    uint32_t        ilineDiff;
    uint32_t        clinesRebuilt, clinesDisk;
    int32_t         fBytesEqual;       /* byte-wise equal except bytes 0-7 (checksum; 40-63 on large pages),
                                        * the flush-type bits 0x18000 of the flags and cbUncommittedFree */
    uint32_t        ibDiff;            /* first differing byte when not */
    char            szNote[160];       /* why a page is LOST or differs, in English */
} ESEPY_ESE_REBUILDPAGE;

/* Rebuild, from the logs of szLogFolder alone (every generation present,
 * oldest first, read as EsepyEseLogChainOpen reads them), every page of
 * szDatabase whose whole history lies in those logs: pages formatted by a
 * NewPage record or created as the new page of a split, and pages whose
 * before-image a Split2 / Merge2 record carries (started from the image with
 * its dbtime reset to the record's dbtimeBefore).  Every later record naming
 * the page is replayed on it (node records, splits and merges, macros as
 * committed), then the result is compared with the page in the file.
 * rgpage receives up to cpageMax results in page order; *pcpage the number
 * of pages found (JET_wrnBufferTruncated when more than cpageMax).  Records
 * of other databases (dbid of the attachments naming szDatabase's signDb)
 * are ignored.  Nothing is written.  pgnoImage / pvImage (cbImage = the page
 * size, or pvImage NULL): also the rebuilt bytes of page pgnoImage, with its
 * checksum (JET_errRecordNotFound when that page was not rebuilt).
 * Errors: those of EsepyEseOpen and EsepyEseLogChainOpen; JET_errOutOfMemory. */
JET_ERR EsepyEseRebuildPages(const char *szDatabase, const char *szLogFolder, ESEPY_ESE_REBUILDPAGE *rgpage,
                             uint32_t cpageMax, uint32_t *pcpage, uint32_t pgnoImage, void *pvImage,
                             uint32_t cbImage);

/* ---- audit: are the logs and the database consistent? (esepy verify-logs) ------ */

/* ESEPY_ESE_VERIFYPAGE.verdict */
#define ESEPY_ESE_VERIFY_MATCH     0 /* rebuilt from the logs alone: logically equal to the page on disk */
#define ESEPY_ESE_VERIFY_DIFFERS   1 /* rebuilt, and the page on disk differs (tampering, or a replay bug) */
#define ESEPY_ESE_VERIFY_UNCHECKED 2 /* named by the logs but not checkable (szReason says why) */

#define ESEPY_ESE_VERIFY_RECORDS   16  /* records kept per page: the last ones naming it */
#define ESEPY_ESE_VERIFY_NODE_CB   256 /* bytes of a node's key and data kept */

typedef struct {
    uint32_t        lrtyp;
    ESEPY_ESE_LGPOS lgpos;
    uint64_t        dbtime, dbtimeBefore;   /* dbtimeBefore 0xFFFF...FF: not checked (new page, macro) */
    uint32_t        iline;
    int32_t         fNew;                   /* the record creates the page (NewPage, new page of a split, ...) */
} ESEPY_ESE_VERIFYRECORD;

typedef struct {
    int32_t         fPresent;               /* the side has this line */
    uint32_t        fFlags;                 /* node flags: 0x1 versioned, 0x2 deleted, 0x4 compressed */
    uint32_t        cbKey, cbData;          /* full sizes (the arrays keep the first ESEPY_ESE_VERIFY_NODE_CB) */
    uint8_t         rgbKey[ESEPY_ESE_VERIFY_NODE_CB];
    uint8_t         rgbData[ESEPY_ESE_VERIFY_NODE_CB];
} ESEPY_ESE_VERIFYNODE;

typedef struct {
    uint32_t        cbStruct;               /* sizeof(ESEPY_ESE_VERIFYPAGE) */
    uint32_t        pgno;
    int32_t         verdict;                /* ESEPY_ESE_VERIFY_* */
    int32_t         fRebuilt;               /* rebuild holds EsepyEseRebuildPages' result for the page */
    ESEPY_ESE_REBUILDPAGE rebuild;
    uint64_t        crecord;                /* page records of the logs naming the page */
    ESEPY_ESE_LGPOS lgposFirst;             /* the first of them */
    uint32_t        lrtypFirst;
    uint32_t        crecordListed;          /* rgrecord: the last min(crecord, ESEPY_ESE_VERIFY_RECORDS), oldest first */
    ESEPY_ESE_VERIFYRECORD rgrecord[ESEPY_ESE_VERIFY_RECORDS];
    int32_t         fNodes;                 /* DIFFERS: the first differing line of each side below */
    int32_t         iline;                  /* that line (-1: tag 0, the key prefix / external header) */
    ESEPY_ESE_VERIFYNODE nodeLogs, nodeDisk;/* as rebuilt from the logs / as on disk */
    char            szReason[240];          /* UNCHECKED: why; DIFFERS: what differs, in English */
} ESEPY_ESE_VERIFYPAGE;

typedef struct {
    uint32_t        cbStruct;               /* sizeof(ESEPY_ESE_VERIFYINFO) */
    int32_t         lGenFirst, lGenLast;    /* the generations read (all present, oldest first) */
    uint64_t        crecord;                /* records read */
    uint32_t        dbid;                   /* the database's dbid in the logs (0: never attached) */
    uint32_t        cpage;                  /* pages the logs name (all listed in rgpage, by pgno) */
    uint32_t        cpageMatch, cpageDiffer, cpageUnchecked;
    uint32_t        cpageBytesEqual;        /* matching pages also byte-equal (checksum, flush-type bits and
                                             * cbUncommittedFree masked) */
} ESEPY_ESE_VERIFYINFO;

/* Audit szDatabase against the logs of szLogFolder (every generation there,
 * oldest first): every page whose whole history is in those logs (created by
 * NewPage or a split within them, or started from a logged before-image) is
 * rebuilt from the logs alone (EsepyEseRebuildPages) and compared with the
 * page on disk, logically (tags, keys, data, flags, links) and byte-wise
 * (checksum and flush-type bits masked).  Every page the logs name gets an
 * entry in rgpage (pgno order): MATCH, DIFFERS (with the first differing
 * line of both sides and the last records naming the page) or UNCHECKED
 * (why: its history began before the oldest generation, a record that cannot
 * be replayed exactly, the page on disk older than the logs, ...).  Nothing is
 * written.  JET_wrnBufferTruncated when more than cpageMax pages (*pcpage
 * says how many).  Errors: those of EsepyEseOpen and EsepyEseLogChainOpen,
 * JET_errOutOfMemory. */
JET_ERR EsepyEseVerifyLogs(const char *szDatabase, const char *szLogFolder, ESEPY_ESE_VERIFYINFO *pinfo,
                           ESEPY_ESE_VERIFYPAGE *rgpage, uint32_t cpageMax, uint32_t *pcpage);

/* ---- writing a database in ESE's format (esewrite.c) ------------------------------ */

/* A new Windows-format database file under construction.  The writer knows
 * pages, B+trees, space and the header; the caller (esepy/_export_ese.py)
 * encodes records, catalog rows and long values and hands every tree its
 * nodes in ascending (key, data) order.  Page 4.. holds the catalog
 * (MSysObjects), page 24.. the shadow catalog: those trees are begun with
 * their fixed place (pgnoFixed, cpgFixed); every other tree gets its pages
 * from the end of the file.  Memory per open tree is bounded by its depth
 * times the page size. */
typedef struct EsepyEseWriter ESEPY_ESE_WRITER;
typedef struct EsepyEseWTree ESEPY_ESE_WTREE;

#define ESEPY_ESE_WTREE_INDEX     0x1u  /* a secondary index (page flag 0x40) */
#define ESEPY_ESE_WTREE_LV        0x2u  /* a long-value tree (page flag 0x80) */
#define ESEPY_ESE_WTREE_NONUNIQUE 0x4u  /* equal keys allowed, ordered by data */

typedef struct {
    uint32_t pgnoFDP;
    uint32_t clevel;        /* depth */
    uint64_t cnode;         /* leaf nodes */
    uint32_t cpgOwned;      /* pages of its extents (its children's included) */
} ESEPY_ESE_WTREEINFO;

/* Create szPath (must not exist: JET_errFileAlreadyExists) with cbPage
 * 4096/8192/16384/32768-byte pages. */
JET_ERR EsepyEseWriterCreate(const char *szPath, uint32_t cbPage, ESEPY_ESE_WRITER **ppw);
/* Begin a tree of object objid; pParent: the table of an index or long-value
 * tree (NULL for tables and the catalogs: their parent is the database).
 * pgnoFixed/cpgFixed: a system tree's fixed primary extent (0: allocated).
 * *ppgnoFDP receives the root's page number at once (before any node). */
JET_ERR EsepyEseWriterBeginTree(ESEPY_ESE_WRITER *pw, ESEPY_ESE_WTREE *pParent, uint32_t objid, uint32_t grbit,
                                uint32_t pgnoFixed, uint32_t cpgFixed, ESEPY_ESE_WTREE **ppt, uint32_t *ppgnoFDP);
/* Append a node: (key, data) strictly above the previous one
 * (JET_errKeyDuplicate for an equal key in a unique tree,
 * JET_errInvalidParameter out of order); JET_errRecordTooBig /
 * JET_errKeyTooBig when it cannot fit a page. */
JET_ERR EsepyEseWriterAppend(ESEPY_ESE_WTREE *pt, const void *pvKey, uint32_t cbKey, const void *pvData, uint32_t cbData);
/* Write the tree's last pages, root and space trees.  A table's children must
 * be ended before it. */
JET_ERR EsepyEseWriterEndTree(ESEPY_ESE_WTREE *pt, ESEPY_ESE_WTREEINFO *pinfo);
void    EsepyEseWriterFreeTree(ESEPY_ESE_WTREE *pt);
/* Write the database's root and space trees, then both header copies of a
 * clean-shutdown database (format 0x620, revision 20), and sync. */
JET_ERR EsepyEseWriterFinish(ESEPY_ESE_WRITER *pw, uint32_t objidLast);
/* Close the file (does not delete it: the caller removes an unfinished file). */
void    EsepyEseWriterClose(ESEPY_ESE_WRITER *pw);
uint32_t EsepyEseWriterPageCount(const ESEPY_ESE_WRITER *pw);

/* ---- records and index keys in ESE's format (eseencode.c) ------------------------- */

/* The encoder of the writer's table rows: ESE's record format (fixed,
 * variable and tagged columns, multi-values, separated long-value
 * references) and ESE's normalised index keys, from values in their stored
 * form (the bytes a record holds: little-endian numbers, UTF-16LE or cp1252
 * text).  It writes nothing: long values to separate go to the caller's
 * pfnSeparate, which stores them and gives their 4-byte id. */
#define ESEPY_ESE_ENCCOL_DEFAULT 0x1u /* the column has a default value (a NULL is then stored explicitly) */

typedef struct {
    uint32_t fid;       /* 1..127 fixed, 128..255 variable, 256.. tagged (ascending within each kind) */
    uint32_t coltyp;    /* JET_coltyp* */
    uint32_t cp;        /* text: 1200 or 1252 */
    uint32_t cbFixed;   /* fixed columns: bytes in the record */
    uint32_t grbit;     /* ESEPY_ESE_ENCCOL_* */
} ESEPY_ESE_ENCCOLUMN;

typedef struct {
    const void *pv;
    uint32_t    cb;
} ESEPY_ESE_ENCVALUE;

/* A row: rgcval[i] values of column i (0: NULL; more than 1 only for tagged
 * columns), one after the other in rgval. */
typedef struct {
    const ESEPY_ESE_ENCVALUE *rgval;
    const uint32_t           *rgcval;
} ESEPY_ESE_ENCROW;

/* Stores a long value (cb bytes) of column icol in the long-value tree and
 * writes its 4-byte reference to rgbRef. */
typedef JET_ERR (*ESEPY_ESE_PFNSEPARATE)(void *pvCtx, uint32_t icol, const void *pv, uint32_t cb, uint8_t rgbRef[4]);
/* The key form of a Unicode (cp 1200) text value pv/cb (UTF-16LE): its first
 * bytes (at most cbOutMax) to pvOut, the full length to *pcbOut. */
typedef JET_ERR (*ESEPY_ESE_PFNFOLD)(void *pvCtx, const void *pv, uint32_t cb, void *pvOut, uint32_t cbOutMax,
                                     uint32_t *pcbOut);

typedef struct {
    const ESEPY_ESE_ENCCOLUMN *rgcol; /* in fid order within each kind */
    uint32_t ccol;
    uint32_t fLarge;                  /* pages above 8 KiB: 15-bit tag offsets, a header byte on every field */
    uint32_t cbIntrinsicMax;          /* long values longer than this are separated */
    uint32_t cbKeyMost;               /* keys are cut here (at most ESEPY_ESE_ENC_KEY_MAX) */
    ESEPY_ESE_PFNSEPARATE pfnSeparate;
    ESEPY_ESE_PFNFOLD pfnFold;        /* NULL: a-z upper-cased, the UTF-16BE of the rest unchanged */
    void *pvCtx;
} ESEPY_ESE_ENCTABLE;

#define ESEPY_ESE_ENC_RECORD_MAX  0x20000u /* bytes of a record buffer that always suffices */
#define ESEPY_ESE_ENC_KEY_MAX     255u

#define ESEPY_ESE_ENCIX_PRIMARY           0x01u
#define ESEPY_ESE_ENCIX_DISALLOW_NULL     0x02u
#define ESEPY_ESE_ENCIX_IGNORE_NULL       0x04u
#define ESEPY_ESE_ENCIX_IGNORE_ANY_NULL   0x08u
#define ESEPY_ESE_ENCIX_IGNORE_FIRST_NULL 0x10u
#define ESEPY_ESE_ENCIX_SORT_NULLS_HIGH   0x20u

typedef struct {
    const uint32_t *rgicol;        /* key columns (indexes into the table's columns) */
    const uint32_t *rgfDescending;
    uint32_t cseg;
    uint32_t grbit;                /* ESEPY_ESE_ENCIX_* */
} ESEPY_ESE_ENCINDEX;

/* One key of a row in an index (the keys of a row come in the order of the
 * values of its first multi-valued key column). */
typedef JET_ERR (*ESEPY_ESE_PFNKEY)(void *pvCtx, const uint8_t *pbKey, uint32_t cbKey);

/* Why an encoding failed (JET_errInvalidParameter returned). */
#define ESEPY_ESE_ENCERR_FIXED_SIZE  1 /* a value of another size in a fixed column (icol, cb) */
#define ESEPY_ESE_ENCERR_VAR_SIZE    2 /* more than 255 bytes in a variable column (icol, cb) */
#define ESEPY_ESE_ENCERR_TAGGED_SIZE 3 /* the tagged fields exceed the page format (cb) */
#define ESEPY_ESE_ENCERR_NULL_KEY    4 /* a NULL key column in an index that refuses it */
#define ESEPY_ESE_ENCERR_KEY_VALUE   5 /* a key value of the wrong size for its type (icol, cb) */
#define ESEPY_ESE_ENCERR_MULTI       6 /* several values in a fixed or variable column (icol) */

typedef struct {
    uint32_t reason;   /* ESEPY_ESE_ENCERR_* */
    uint32_t icol;
    uint32_t cb;
} ESEPY_ESE_ENCERROR;

/* Encode a row as an ESE record into pvOut (ESEPY_ESE_ENC_RECORD_MAX bytes
 * always suffice); *pcbOut its size.  Columns with no value but a default
 * are stored as NULL explicitly (within the last one with a value or a
 * default).  Errors: JET_errInvalidParameter (*perr says why), those of
 * pfnSeparate. */
JET_ERR EsepyEseEncodeRecord(const ESEPY_ESE_ENCTABLE *ptab, const ESEPY_ESE_ENCROW *prow, void *pvOut,
                             uint32_t cbOutMax, uint32_t *pcbOut, ESEPY_ESE_ENCERROR *perr);
/* The normalised keys of a row in an index, each to pfnKey (none when the
 * index's null rules leave the row out); *pfSubstitute set when a Unicode
 * text segment was written in its substitute form (pfnFold's).  Errors:
 * JET_errInvalidParameter (*perr), those of pfnFold and pfnKey. */
JET_ERR EsepyEseEncodeKeys(const ESEPY_ESE_ENCTABLE *ptab, const ESEPY_ESE_ENCINDEX *pix,
                           const ESEPY_ESE_ENCROW *prow, ESEPY_ESE_PFNKEY pfnKey, void *pvKeyCtx,
                           uint32_t *pfSubstitute, ESEPY_ESE_ENCERROR *perr);

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
