/*
 * esefmt_int.h -- private structures of the esefmt layer (csrc/esefmt).
 *
 * Owns: the in-memory shapes of an open file (bounded page cache, damage
 * list, catalog), of a parsed page/node/record and of a B+tree walk.
 * Must not touch: anything outside csrc/esefmt and csrc/os.
 *
 * Invariants that every file of the layer relies on:
 *  - every pointer into page bytes handed out by esefmt_page_* stays inside
 *    the page buffer it came from (lengths are checked against the page);
 *  - a page obtained from the cache is valid only until the next cache call;
 *    callers that keep page bytes longer copy them (the walk keeps its own
 *    copy of the current leaf);
 *  - walks are bounded: depth <= ESEFMT_DEPTH_MAX and at most
 *    ESEFMT_VISIT_FACTOR * pages-in-file page visits, so a damaged tree with
 *    cycles ends with a damage report instead of a hang.
 */
#ifndef ESEPY_ESEFMT_INT_H
#define ESEPY_ESEFMT_INT_H

#include <string.h>

#include "esefmt.h"
#include "le.h"
#include "os.h"

#define ESEFMT_CACHE_PAGES   64   /* pages kept in memory per open file */
#define ESEFMT_DEPTH_MAX     16   /* deepest B+tree accepted */
#define ESEFMT_VISIT_FACTOR  4    /* page visits allowed per walk, times the file's page count (+64) */
#define ESEFMT_DAMAGE_MAX    4096 /* damage entries kept (later ones are counted, not stored) */
#define ESEFMT_KEY_MAX       (2 * 0x2000) /* prefix + suffix, each at most 0x1fff */

/* page flags */
#define ESEFMT_PG_ROOT      0x0001u
#define ESEFMT_PG_LEAF      0x0002u
#define ESEFMT_PG_PARENT    0x0004u
#define ESEFMT_PG_EMPTY     0x0008u
#define ESEFMT_PG_SPACE     0x0020u
#define ESEFMT_PG_INDEX     0x0040u
#define ESEFMT_PG_LV        0x0080u
#define ESEFMT_PG_NEWCHK    0x2000u

/* node flags */
#define ESEFMT_ND_VERSION    0x1u
#define ESEFMT_ND_DELETED    0x2u
#define ESEFMT_ND_COMPRESSED 0x4u

/* catalog object types */
#define ESEFMT_SYSOBJ_TABLE    1
#define ESEFMT_SYSOBJ_COLUMN   2
#define ESEFMT_SYSOBJ_INDEX    3
#define ESEFMT_SYSOBJ_LV       4
#define ESEFMT_SYSOBJ_CALLBACK 5

/* ---- catalog --------------------------------------------------------------- */

typedef struct esefmt_column {
    char     *szName;
    uint32_t  columnid, coltyp, cbMax, cp, grbit, ibRecordOffset;
    uint32_t  cbFixed;          /* width in the fixed area (fixed columns) */
    uint8_t  *pbDefault;        /* owned; NULL if none */
    uint32_t  cbDefault;
} esefmt_column;

typedef struct esefmt_index {
    char     *szName;
    uint32_t  objid, pgnoFDP, grbit, lcid;
    uint32_t  ccolumn;
    uint32_t  rgcolumnid[16];
    int32_t   rgfDescending[16];
    int32_t   rgfTemplate[16];   /* key column belongs to the template table */
    uint32_t  cbKeyMost;         /* catalog KeyMost, 255 when not stored */
} esefmt_index;

/* catalog index rows: Flags bit of the extended index flags (high 16 bits)
 * saying key entries are 4 bytes, and the flag byte of such an entry */
#define ESEFMT_IDXFLAG_EXTENDED_COLUMNS 0x00010000u
#define ESEFMT_IDXSEG_TEMPLATE          0x80u
#define ESEFMT_IDXSEG_DESCENDING        0x40u
#define ESEFMT_IDXSEG_MUST_BE_NULL      0x20u

typedef struct esefmt_table {
    char          *szName;
    char          *szTemplate;  /* NULL if none */
    uint32_t       objid, pgnoFDP, grbit, cpgInitial;
    uint32_t       objidLV, pgnoFDPLV;
    esefmt_column *rgcol;       /* sorted by columnid */
    uint32_t       ccol, ccolMax;
    esefmt_index  *rgidx;
    uint32_t       cidx, cidxMax;
} esefmt_table;

/* ---- pages --------------------------------------------------------------------- */

typedef struct esefmt_cpage {
    uint32_t pgno;              /* 0 = empty slot */
    uint8_t *pb;                /* cbPage bytes, owned */
} esefmt_cpage;

/* A page being looked at: header fields decoded, tags validated lazily. */
typedef struct esefmt_page {
    const uint8_t *pb;
    uint32_t       pgno;
    uint32_t       cbPage;
    uint32_t       cbHeader;    /* 40 (<= 8 KiB) or 80 */
    int            fSmall;
    uint32_t       fFlags;
    uint32_t       ctag;        /* itagMicFree (12 bits) */
    uint32_t       objidFDP, pgnoPrev, pgnoNext;
    int            fBlank;
} esefmt_page;

typedef struct esefmt_line {
    const uint8_t *pb;
    uint32_t       cb;
    uint32_t       fFlags;      /* ESEFMT_ND_* */
} esefmt_line;

typedef struct esefmt_node {
    const uint8_t *pbPrefix;    /* from tag 0 of the page */
    uint32_t       cbPrefix;
    const uint8_t *pbSuffix;
    uint32_t       cbSuffix;
    const uint8_t *pbData;
    uint32_t       cbData;
    uint32_t       fFlags;
} esefmt_node;

/* ---- the open file ------------------------------------------------------------- */

struct EsepyEseFile {
    os_file         *pf;
    uint32_t         grbit;
    uint32_t         cbPage, cbPageHeader;
    int              fSmall;
    uint64_t         cbFile;
    uint32_t         cpg;       /* data pages in the file */
    ESEPY_ESE_HEADER hdr;

    esefmt_cpage     rgcache[ESEFMT_CACHE_PAGES];
    uint8_t         *rgbPageState; /* per pgno: 0 unchecked, 1 good/blank, 2 bad (reported) */

    ESEPY_ESE_DAMAGE *rgdamage;
    uint32_t          cdamage, cdamageStored;

    esefmt_table    *rgtable;
    uint32_t         ctable, ctableMax;
    int              fCatalogLoaded;
    int              fCatalogEmpty; /* no stored catalog (temporary database): no tables, not damage */
    JET_ERR          errCatalog;
    uint32_t         ccursor;
};

/* ---- walks over a B+tree ---------------------------------------------------------- */

typedef struct esefmt_level {
    uint32_t pgno;
    uint32_t iline;             /* next child to visit */
} esefmt_level;

typedef struct esefmt_walk {
    ESEPY_ESE_FILE *pfile;
    uint32_t        objidFDP;
    uint32_t        pgnoRoot;
    esefmt_level    rglevel[ESEFMT_DEPTH_MAX];
    uint32_t        clevel;
    uint8_t        *pbLeaf;     /* own copy of the current leaf, cbPage bytes */
    esefmt_page     leaf;
    uint32_t        itagNext;   /* next tag of the leaf to return */
    int             fHaveLeaf;
    int             fDone;
    int             fStarted;
    uint64_t        cvisit, cvisitMax;
    uint8_t         rgbKey[ESEFMT_KEY_MAX]; /* key of the node last returned */
    uint32_t        cbKey;
    uint32_t        itagCur;
} esefmt_walk;

/* ---- a parsed record -------------------------------------------------------------- */

typedef struct esefmt_rec {
    const uint8_t *pb;
    uint32_t       cb;
    uint32_t       fidFixedLast, fidVarLast;
    uint32_t       ibFixedEnd;      /* end of fixed data incl. null bitmap */
    uint32_t       ibNullBits;      /* start of the fixed null bitmap */
    uint32_t       ibVarOffsets;    /* the variable-column offset array */
    uint32_t       ibVarData;       /* start of variable data */
    uint32_t       ibTagged;        /* start of the tagged area */
    uint32_t       ctagged;
    int            fSmall;
} esefmt_rec;

/* ---- file.c ---- */
void    esefmt_damage(ESEPY_ESE_FILE *pfile, uint32_t pgno, JET_ERR err, uint32_t objid, const char *szWhat);

/* ---- page.c ---- */
/* Read page pgno through the cache and decode its header.  Verifies the
 * checksum the first time (recording damage).  JET_errFileIOBeyondEOF beyond
 * the file, JET_errPageNotInitialized for a blank page. */
JET_ERR esefmt_page_get(ESEPY_ESE_FILE *pfile, uint32_t pgno, esefmt_page *ppage);
/* Decode the header of page bytes pb (no I/O). */
void    esefmt_page_init(ESEPY_ESE_FILE *pfile, const uint8_t *pb, uint32_t pgno, esefmt_page *ppage);
/* Tag itag of a page, bounds-checked (JET_errDatabaseCorrupted). */
JET_ERR esefmt_page_line(const esefmt_page *ppage, uint32_t itag, esefmt_line *pline);
/* Node itag (>= 1) with its key prefix resolved against tag 0. */
JET_ERR esefmt_page_node(const esefmt_page *ppage, uint32_t itag, esefmt_node *pnode);
/* Checksum status of raw page bytes (fills the checksum fields of pinfo). */
void    esefmt_page_verify(ESEPY_ESE_FILE *pfile, const uint8_t *pb, uint32_t pgno, ESEPY_ESE_PAGEINFO *pinfo);

/* ---- tree.c ---- */
JET_ERR esefmt_walk_init(ESEPY_ESE_FILE *pfile, uint32_t pgnoRoot, uint32_t objidFDP, esefmt_walk *pwalk);
void    esefmt_walk_term(esefmt_walk *pwalk);
/* Next leaf node in key order (deleted nodes included; the caller filters).
 * JET_errNoCurrentRecord at the end.  The node points into pwalk->pbLeaf. */
JET_ERR esefmt_walk_next(esefmt_walk *pwalk, esefmt_node *pnode);
/* Position the walk so that walk_next returns the first node whose key is
 * >= the given key (or a node shortly before it: callers compare keys). */
JET_ERR esefmt_walk_seek(esefmt_walk *pwalk, const uint8_t *pbKey, uint32_t cbKey);

/* Pages the database owns according to its own space tree (the last page of
 * its owned extents), 0 if that tree cannot be read. */
uint32_t esefmt_owned_pages(ESEPY_ESE_FILE *pfile);

/* ---- record.c ---- */
JET_ERR esefmt_rec_parse(const uint8_t *pb, uint32_t cb, int fSmall, esefmt_rec *prec);
/* Stored bytes of a fixed or variable column: JET_errSuccess, JET_wrnColumnNull
 * (explicit NULL) or JET_wrnColumnSetNull (column not in the record: its
 * default applies). */
JET_ERR esefmt_rec_fixed(const esefmt_rec *prec, const esefmt_column *pcol, const uint8_t **ppb, uint32_t *pcb);
JET_ERR esefmt_rec_var(const esefmt_rec *prec, uint32_t fid, const uint8_t **ppb, uint32_t *pcb);
/* Tagged field i (0-based): fid, flags (ESEPY_ESE_TAG_*), bytes after the header. */
JET_ERR esefmt_rec_tagged(const esefmt_rec *prec, uint32_t i, uint32_t *pfid, uint32_t *pfFlags,
                          const uint8_t **ppb, uint32_t *pcb);
/* Index of the tagged field of column fid, or -1. */
int32_t esefmt_rec_find_tagged(const esefmt_rec *prec, uint32_t fid);

/* ---- catalog.c ---- */
JET_ERR esefmt_catalog_load(ESEPY_ESE_FILE *pfile);
void    esefmt_catalog_free(ESEPY_ESE_FILE *pfile);

/* ---- lv.c ---- */
/* Read long value lid (cbLid 4 or 8 bytes as stored in the record) of the
 * table's LV tree into pv (up to cbMax); *pcbActual = full logical size. */
JET_ERR esefmt_lv_read(ESEPY_ESE_FILE *pfile, const esefmt_table *ptable, const uint8_t *pbLid, uint32_t cbLid,
                       uint8_t *pv, uint32_t cbMax, uint32_t *pcbActual, uint32_t *pgrbitInfo);

#endif /* ESEPY_ESEFMT_INT_H */
