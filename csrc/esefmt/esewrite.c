/*
 * esewrite.c -- writing a new database file in Windows ESE's on-disk format
 * (the inverse of header.c/page.c/tree.c): B+trees bulk-loaded bottom-up from
 * key-sorted input, their space (owned and available extents, space trees),
 * the database's own space tree and the two header copies of a
 * clean-shutdown database.
 *
 * Owns: the new file (created by EsepyEseWriterCreate, written only here),
 * page allocation, the layout of tree pages (prefix compression, separator
 * keys, sibling links, page flags), space headers and extent trees, the
 * database header.  It does not know records, catalogs or long values: the
 * caller (esepy/_export_ese.py) hands it each tree's (key, data) nodes in
 * ascending order and says which trees exist.
 * Must not touch: any other file, any other engine layer (only csrc/os and
 * esepage.c, the page encoder shared with recovery).
 *
 * Streaming: a tree under construction holds one unfinished page per level
 * (at most ESEFMT_DEPTH_MAX levels); a finished page is written at once.
 * Memory is bounded by depth x page size per open tree, whatever the data.
 *
 * Layout (as ESE lays out a new database):
 *  - page 1: the database's root (objid 1), multiple-extent space header;
 *    pages 2 and 3 its owned-extent (OE) and available-extent (AE) trees;
 *  - pages 4..23: the catalog's primary extent (MSysObjects, objid 2), its
 *    indexes Name (FDP 7, objid 4) and RootObjects (FDP 10, objid 5) inside
 *    it; page 24..: the shadow catalog (objid 3);
 *  - every other tree gets extents from the end of the file, in chunks that
 *    double from 4 to 1024 pages (a chunk contiguous with the tree's last
 *    extent extends it); a child tree's (index, long-value tree) extents are
 *    also owned by its table.
 * Every tree root (FDP) has a multiple-extent space header (tag 0) naming its
 * OE page (FDP+1) and AE page (FDP+2), each a one-page tree of (big-endian
 * last pgno -> little-endian page count) nodes.
 *
 * Invariants:
 *  W1 nodes of a tree arrive in strictly ascending (key, data) order (unique
 *     trees: strictly ascending keys); EsepyEseWriterAppend checks it
 *     (JET_errKeyDuplicate / JET_errInvalidParameter) before anything changes;
 *  W2 every page written is final (links, flags, checksum) when written: a
 *     page's right sibling number is allocated before the page is written;
 *  W3 the root of a tree is the single page of its top level and is written
 *     at the tree's FDP; all keys of a child page are below its separator in
 *     the parent (ESE's shortest separator), the last node of the rightmost
 *     page of each parent level has an empty key;
 *  W4 a tree's extents list every page it owns (its own pages and its
 *     children's); the header is written last, after every page, and the file
 *     is synced, so a file cut short has no valid header.
 */
#include <stdio.h>
#include <stdlib.h>

#include "esefmt_int.h"
#include "esepage.h"

#define W_DB_MAGIC        0x89ABCDEFu
#define W_HDR_CB          4096u
#define W_PGNO_ROOT       1u
#define W_PGNO_CATALOG    4u
#define W_CPG_CATALOG     20u
#define W_PGNO_SHADOW     24u
#define W_CHUNK_MIN       4u
#define W_CHUNK_MAX       1024u
#define W_EXTENTS_MAX     4096u

typedef struct w_ext {
    uint32_t pgnoFirst, cpg;
} w_ext;

typedef struct w_line {
    uint8_t *pb;        /* key, then data */
    uint32_t cbKey, cbData;
} w_line;

typedef struct w_level {
    w_line  *rgline;
    uint32_t cline, clineMax;
    uint32_t pgno;       /* 0 until needed (W3: the root is never given one) */
    uint32_t pgnoPrev;
    uint64_t cbKeys, cbData; /* sums over the lines */
    uint32_t cbPrefix;   /* common prefix of all keys of the page */
} w_level;

struct EsepyEseWTree {
    ESEPY_ESE_WRITER *pw;
    struct EsepyEseWTree *pParent;
    uint32_t objid, pgnoFDP, pgnoParentFDP, fPageFlags, fUnique;
    uint32_t pgnoNext, pgnoChunkEnd; /* the current chunk's free pages */
    uint32_t cpgChunk;
    w_ext   *rgext;
    uint32_t cext, cextMax;
    w_level  rglevel[ESEFMT_DEPTH_MAX];
    uint32_t clevel;
    uint8_t *pbLast;     /* last (key, data) appended: W1 */
    uint32_t cbLastKey, cbLastData, cbLastMax;
    int      fHaveLast;
    int      fEnded;
    uint64_t cnode;
};

struct EsepyEseWriter {
    os_file *pf;
    uint32_t cbPage, cbHeader;
    uint32_t pgnoEnd;    /* first page not yet handed out */
    uint64_t dbtime;
    uint8_t *pbPage;     /* one encoded page */
    JET_ERR  errSticky;  /* first write error: every later call returns it */
};

/* ---- small helpers ---------------------------------------------------------------- */

static void put_be32(uint8_t *pb, uint32_t v)
{
    pb[0] = (uint8_t)(v >> 24);
    pb[1] = (uint8_t)(v >> 16);
    pb[2] = (uint8_t)(v >> 8);
    pb[3] = (uint8_t)v;
}

static uint32_t common_prefix(const uint8_t *a, uint32_t ca, const uint8_t *b, uint32_t cb)
{
    uint32_t n = ca < cb ? ca : cb, i = 0;
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

/* (key, data) order: key first, then data (non-unique trees order equal keys by data). */
static int cmp_kd(const uint8_t *ka, uint32_t cka, const uint8_t *da, uint32_t cda, const uint8_t *kb, uint32_t ckb,
                  const uint8_t *db, uint32_t cdb, int *pfKeysEqual)
{
    uint32_t n = cka < ckb ? cka : ckb;
    int c = n ? memcmp(ka, kb, n) : 0;
    if (c == 0)
        c = cka < ckb ? -1 : cka > ckb;
    *pfKeysEqual = c == 0;
    if (c != 0)
        return c;
    n = cda < cdb ? cda : cdb;
    c = n ? memcmp(da, db, n) : 0;
    if (c == 0)
        c = cda < cdb ? -1 : cda > cdb;
    return c;
}

static JET_ERR write_page(ESEPY_ESE_WRITER *pw, uint32_t pgno, const esepage *pp)
{
    JET_ERR err = esepage_encode(pp, pw->pbPage);
    if (err < 0)
        return err;
    err = os_file_write(pw->pf, (uint64_t)(pgno + 1) * pw->cbPage, pw->pbPage, pw->cbPage);
    if (err < 0)
        pw->errSticky = err;
    return err;
}

/* ---- extents ------------------------------------------------------------------------ */

static JET_ERR ext_add(w_ext **prg, uint32_t *pc, uint32_t *pcMax, uint32_t pgnoFirst, uint32_t cpg)
{
    if (*pc > 0) {
        w_ext *pl = &(*prg)[*pc - 1];
        if (pl->pgnoFirst + pl->cpg == pgnoFirst) {
            pl->cpg += cpg;
            return JET_errSuccess;
        }
    }
    if (*pc >= W_EXTENTS_MAX)
        return JET_errOutOfDatabaseSpace; /* more extents than one space page holds */
    if (*pc == *pcMax) {
        uint32_t cNew = *pcMax ? *pcMax * 2 : 8;
        w_ext *rg = os_realloc(*prg, cNew * sizeof(w_ext));
        if (rg == NULL)
            return JET_errOutOfMemory;
        *prg = rg;
        *pcMax = cNew;
    }
    (*prg)[*pc].pgnoFirst = pgnoFirst;
    (*prg)[(*pc)++].cpg = cpg;
    return JET_errSuccess;
}

/* Give the tree a new chunk from the end of the file (owned by it and its ancestors). */
static JET_ERR tree_grow(ESEPY_ESE_WTREE *pt)
{
    ESEPY_ESE_WRITER *pw = pt->pw;
    uint32_t cpg = pt->cpgChunk;
    if (pw->pgnoEnd > 0x7FFFFFFFu - cpg)
        return JET_errOutOfDatabaseSpace;
    uint32_t pgnoFirst = pw->pgnoEnd;
    pw->pgnoEnd += cpg;
    for (ESEPY_ESE_WTREE *p = pt; p != NULL; p = p->pParent) {
        JET_ERR err = ext_add(&p->rgext, &p->cext, &p->cextMax, pgnoFirst, cpg);
        if (err < 0)
            return err;
    }
    pt->pgnoNext = pgnoFirst;
    pt->pgnoChunkEnd = pgnoFirst + cpg;
    if (pt->cpgChunk < W_CHUNK_MAX)
        pt->cpgChunk *= 2;
    return JET_errSuccess;
}

static JET_ERR tree_alloc(ESEPY_ESE_WTREE *pt, uint32_t *ppgno)
{
    if (pt->pgnoNext >= pt->pgnoChunkEnd) {
        JET_ERR err = tree_grow(pt);
        if (err < 0)
            return err;
    }
    *ppgno = pt->pgnoNext++;
    return JET_errSuccess;
}

/* ---- pages of a tree ------------------------------------------------------------------ */

/* Bytes a page of cline lines (cbKeys key bytes, cbData data bytes in all)
 * takes when every key shares cbPrefix bytes kept in tag 0 (cbTag0: the
 * 16-byte space header of a root). */
static uint64_t level_size(uint32_t cline, uint64_t cbKeys, uint64_t cbData, uint32_t cbPrefix, uint32_t cbTag0)
{
    /* tag 0: the prefix (non-root pages) or the space header (root); each line:
     * a tag (4), cbSuffix (2), cbPrefix (2, when compressed), suffix, data */
    uint64_t cb = (uint64_t)(cbTag0 > cbPrefix ? cbTag0 : cbPrefix) + 4;
    cb += (uint64_t)cline * (4 + 2 + (cbPrefix ? 2 : 0)) + cbKeys - (uint64_t)cline * cbPrefix + cbData;
    return cb;
}

static JET_ERR level_push_line(w_level *pl, const uint8_t *pbKey, uint32_t cbKey, const uint8_t *pbData, uint32_t cbData)
{
    if (pl->cline == pl->clineMax) {
        uint32_t cNew = pl->clineMax ? pl->clineMax * 2 : 64;
        w_line *rg = os_realloc(pl->rgline, cNew * sizeof(w_line));
        if (rg == NULL)
            return JET_errOutOfMemory;
        pl->rgline = rg;
        pl->clineMax = cNew;
    }
    uint8_t *pb = os_malloc((size_t)cbKey + cbData + 1);
    if (pb == NULL)
        return JET_errOutOfMemory;
    if (cbKey)
        memcpy(pb, pbKey, cbKey);
    if (cbData)
        memcpy(pb + cbKey, pbData, cbData);
    if (pl->cline == 0) {
        pl->cbPrefix = cbKey;
    } else {
        uint32_t c = common_prefix(pl->rgline[0].pb, pl->rgline[0].cbKey, pbKey, cbKey);
        if (c < pl->cbPrefix)
            pl->cbPrefix = c;
    }
    pl->rgline[pl->cline].pb = pb;
    pl->rgline[pl->cline].cbKey = cbKey;
    pl->rgline[pl->cline++].cbData = cbData;
    pl->cbKeys += cbKey;
    pl->cbData += cbData;
    return JET_errSuccess;
}

static void level_clear(w_level *pl)
{
    for (uint32_t i = 0; i < pl->cline; i++)
        os_free(pl->rgline[i].pb);
    pl->cline = 0;
    pl->cbKeys = pl->cbData = 0;
    pl->cbPrefix = 0;
}

/* The prefix the page's lines share (0 when it would not save space or a key
 * is shorter than 2 bytes beyond it). */
static uint32_t level_prefix(const w_level *pl)
{
    if (pl->cline < 2 || pl->cbPrefix < 4)
        return 0;
    return pl->cbPrefix;
}

static void space_header(uint8_t *pb, uint32_t cpgPrimary, uint32_t pgnoParent, uint32_t pgnoOE, int fUnique)
{
    memset(pb, 0, 16);
    le_put32(pb, cpgPrimary);
    le_put32(pb + 4, pgnoParent);
    pb[8] = (uint8_t)(0x01u | (fUnique ? 0 : 0x02u)); /* multiple extent; non-unique */
    le_put32(pb + 12, pgnoOE);
}

/* Write the page of level lv at pgno; fRoot: it is the tree's root (tag 0 the
 * space header, no prefix). */
static JET_ERR level_write(ESEPY_ESE_WTREE *pt, uint32_t lv, uint32_t pgno, uint32_t pgnoNext, int fRoot)
{
    ESEPY_ESE_WRITER *pw = pt->pw;
    w_level *pl = &pt->rglevel[lv];
    uint32_t fFlags = pt->fPageFlags | ESEPAGE_PG_NEWRECORD;
    if (lv == 0)
        fFlags |= ESEPAGE_PG_LEAF;
    else if (lv == 1)
        fFlags |= ESEPAGE_PG_PARENT;
    if (fRoot)
        fFlags |= ESEPAGE_PG_ROOT;
    esepage page;
    memset(&page, 0, sizeof(page));
    JET_ERR err = esepage_format(&page, pw->cbPage, pgno, pt->objid, pw->dbtime, fFlags);
    page.ctagReservedStored = 0; /* one reserved tag, stored as 0 (as every reader takes it) */
    uint32_t cbPrefix = fRoot ? 0 : level_prefix(pl);
    if (err >= 0 && fRoot) {
        uint8_t rgb[16];
        space_header(rgb, pt->cext ? pt->rgext[0].cpg : 0, pt->pgnoParentFDP, pt->pgnoFDP + 1, (int)pt->fUnique);
        err = esepage_set_external_header(&page, rgb, 16);
    } else if (err >= 0 && cbPrefix) {
        err = esepage_set_external_header(&page, pl->rgline[0].pb, cbPrefix);
    }
    for (uint32_t i = 0; err >= 0 && i < pl->cline; i++) {
        const w_line *pln = &pl->rgline[i];
        err = esepage_insert(&page, i, pln->pb, pln->cbKey, cbPrefix, pln->pb + pln->cbKey, pln->cbData, 0);
    }
    if (err >= 0) {
        /* only leaves are linked to their siblings (internal pages keep 0, as
         * ESE's own files have them and libesedb requires) */
        page.pgnoPrev = fRoot || lv > 0 ? 0 : pl->pgnoPrev;
        page.pgnoNext = fRoot || lv > 0 ? 0 : pgnoNext;
        err = write_page(pw, pgno, &page);
    }
    esepage_free(&page);
    return err;
}

static JET_ERR level_add(ESEPY_ESE_WTREE *pt, uint32_t lv, const uint8_t *pbKey, uint32_t cbKey, const uint8_t *pbData,
                         uint32_t cbData);

/* Finish the full page of level lv (not the root: another page follows) and
 * push its separator into the level above. */
static JET_ERR level_flush(ESEPY_ESE_WTREE *pt, uint32_t lv, const uint8_t *pbNextKey, uint32_t cbNextKey,
                           const uint8_t *pbNextData, uint32_t cbNextData)
{
    w_level *pl = &pt->rglevel[lv];
    JET_ERR err = JET_errSuccess;
    if (pl->pgno == 0 && (err = tree_alloc(pt, &pl->pgno)) < 0)
        return err;
    uint32_t pgnoNext;
    if ((err = tree_alloc(pt, &pgnoNext)) < 0)
        return err;
    err = level_write(pt, lv, pl->pgno, pgnoNext, 0);
    if (err < 0)
        return err;
    /* separator (W3): on leaves the shortest key above the last key and up to
     * the next one; on parent pages the key of the page's last node */
    const w_line *plast = &pl->rgline[pl->cline - 1];
    uint8_t *pbSep = NULL;
    uint32_t cbSep;
    if (lv == 0) {
        int fEq;
        (void)cmp_kd(plast->pb, plast->cbKey, plast->pb + plast->cbKey, plast->cbData, pbNextKey, cbNextKey,
                     pbNextData, cbNextData, &fEq);
        uint32_t cbCommon = common_prefix(plast->pb, plast->cbKey, pbNextKey, cbNextKey);
        if (!fEq) {
            cbSep = cbCommon + 1;
            pbSep = os_malloc(cbSep);
            if (pbSep == NULL)
                return JET_errOutOfMemory;
            memcpy(pbSep, pbNextKey, cbSep);
        } else {
            uint32_t cbDataCommon = common_prefix(plast->pb + plast->cbKey, plast->cbData, pbNextData, cbNextData);
            cbSep = cbNextKey + cbDataCommon + 1;
            pbSep = os_malloc(cbSep);
            if (pbSep == NULL)
                return JET_errOutOfMemory;
            memcpy(pbSep, pbNextKey, cbNextKey);
            memcpy(pbSep + cbNextKey, pbNextData, cbDataCommon + 1);
        }
    } else {
        cbSep = plast->cbKey;
        pbSep = os_malloc(cbSep + 1);
        if (pbSep == NULL)
            return JET_errOutOfMemory;
        memcpy(pbSep, plast->pb, cbSep);
    }
    uint8_t rgbPgno[4];
    le_put32(rgbPgno, pl->pgno);
    uint32_t pgnoDone = pl->pgno;
    level_clear(pl);
    pl->pgnoPrev = pgnoDone;
    pl->pgno = pgnoNext;
    err = level_add(pt, lv + 1, pbSep, cbSep, rgbPgno, 4);
    os_free(pbSep);
    return err;
}

/* Add a node to level lv, flushing the level's page first when it is full. */
static JET_ERR level_add(ESEPY_ESE_WTREE *pt, uint32_t lv, const uint8_t *pbKey, uint32_t cbKey, const uint8_t *pbData,
                         uint32_t cbData)
{
    ESEPY_ESE_WRITER *pw = pt->pw;
    if (lv >= ESEFMT_DEPTH_MAX)
        return JET_errOutOfDatabaseSpace; /* deeper than any reader accepts */
    if (lv >= pt->clevel)
        pt->clevel = lv + 1;
    w_level *pl = &pt->rglevel[lv];
    uint32_t cbAvail = pw->cbPage - pw->cbHeader;
    /* a node must fit a page alone, beside the 16-byte space header of a root
     * and a separator's worth in its parent (ESE keeps room for two nodes) */
    if ((uint64_t)cbKey + cbData + 16 + 8 + 4 + 16 > cbAvail / 2 && lv > 0)
        return JET_errKeyTooBig;
    if ((uint64_t)cbKey + cbData + 16 + 8 + 4 > cbAvail)
        return JET_errRecordTooBig;
    if (pl->cline > 0) {
        uint32_t cbPrefix = pl->cbPrefix;
        uint32_t c = common_prefix(pl->rgline[0].pb, pl->rgline[0].cbKey, pbKey, cbKey);
        if (c < cbPrefix)
            cbPrefix = c;
        uint32_t cbP = (pl->cline + 1 < 2 || cbPrefix < 4) ? 0 : cbPrefix;
        /* the page might become the root: its tag 0 then holds 16 bytes; the
         * root has no prefix, so the size is also checked without one */
        uint64_t cb = level_size(pl->cline + 1, pl->cbKeys + cbKey, pl->cbData + cbData, cbP, 0);
        uint64_t cbRoot = level_size(pl->cline + 1, pl->cbKeys + cbKey, pl->cbData + cbData, 0, 16);
        if (cb > cbAvail || cbRoot > cbAvail) {
            JET_ERR err = level_flush(pt, lv, pbKey, cbKey, pbData, cbData);
            if (err < 0)
                return err;
        }
    }
    return level_push_line(pl, pbKey, cbKey, pbData, cbData);
}

/* ---- public ------------------------------------------------------------------------------ */

JET_ERR EsepyEseWriterCreate(const char *szPath, uint32_t cbPage, ESEPY_ESE_WRITER **ppw)
{
    if (szPath == NULL || ppw == NULL ||
        (cbPage != 4096 && cbPage != 8192 && cbPage != 16384 && cbPage != 32768))
        return JET_errInvalidParameter;
    *ppw = NULL;
    ESEPY_ESE_WRITER *pw = os_calloc(1, sizeof(*pw));
    if (pw == NULL)
        return JET_errOutOfMemory;
    pw->cbPage = cbPage;
    pw->cbHeader = cbPage <= 8192 ? 40 : 80;
    pw->dbtime = 1;
    pw->pbPage = os_malloc(cbPage);
    if (pw->pbPage == NULL) {
        os_free(pw);
        return JET_errOutOfMemory;
    }
    /* pages 1..3 the database root and its space trees, 4..23 the catalog, then the shadow */
    uint32_t cpgShadow = cbPage == 4096 ? 5 : 5;
    pw->pgnoEnd = W_PGNO_SHADOW + cpgShadow;
    JET_ERR err = os_file_open(szPath, OS_FILE_WRITE | OS_FILE_CREATE, &pw->pf);
    if (err < 0) {
        os_free(pw->pbPage);
        os_free(pw);
        return err;
    }
    *ppw = pw;
    return JET_errSuccess;
}

JET_ERR EsepyEseWriterBeginTree(ESEPY_ESE_WRITER *pw, ESEPY_ESE_WTREE *pParent, uint32_t objid, uint32_t grbit,
                                uint32_t pgnoFixed, uint32_t cpgFixed, ESEPY_ESE_WTREE **ppt, uint32_t *ppgnoFDP)
{
    if (pw == NULL || ppt == NULL || objid == 0 || (pParent != NULL && (pParent->pw != pw || pParent->fEnded)) ||
        (grbit & ~(uint32_t)(ESEPY_ESE_WTREE_INDEX | ESEPY_ESE_WTREE_LV | ESEPY_ESE_WTREE_NONUNIQUE)) ||
        (pgnoFixed != 0 && cpgFixed < 3))
        return JET_errInvalidParameter;
    if (pw->errSticky < 0)
        return pw->errSticky;
    ESEPY_ESE_WTREE *pt = os_calloc(1, sizeof(*pt));
    if (pt == NULL)
        return JET_errOutOfMemory;
    pt->pw = pw;
    pt->pParent = pParent;
    pt->objid = objid;
    pt->fUnique = !(grbit & ESEPY_ESE_WTREE_NONUNIQUE);
    pt->fPageFlags = (grbit & ESEPY_ESE_WTREE_INDEX ? ESEPAGE_PG_INDEX : 0) | (grbit & ESEPY_ESE_WTREE_LV ? ESEPAGE_PG_LV : 0) |
                     (pt->fUnique ? 0 : 0x0400u /* non-unique keys */);
    pt->pgnoParentFDP = pParent ? pParent->pgnoFDP : W_PGNO_ROOT;
    pt->cpgChunk = W_CHUNK_MIN;
    JET_ERR err = JET_errSuccess;
    if (pgnoFixed) {
        /* a system tree at its fixed place, inside its parent's extent or the reserved pages */
        pt->pgnoFDP = pgnoFixed;
        pt->pgnoNext = pgnoFixed + 3;
        pt->pgnoChunkEnd = pgnoFixed + cpgFixed;
        err = ext_add(&pt->rgext, &pt->cext, &pt->cextMax, pgnoFixed, cpgFixed);
        if (err >= 0 && pParent != NULL && pParent->pgnoNext >= pgnoFixed && pParent->pgnoNext < pgnoFixed + cpgFixed)
            pParent->pgnoNext = pgnoFixed + cpgFixed; /* the parent allocates after it */
    } else {
        err = tree_grow(pt);
        if (err >= 0) {
            pt->pgnoFDP = pt->pgnoNext;
            pt->pgnoNext += 3; /* FDP, OE, AE */
        }
    }
    if (err < 0) {
        os_free(pt->rgext);
        os_free(pt);
        return err;
    }
    *ppt = pt;
    if (ppgnoFDP)
        *ppgnoFDP = pt->pgnoFDP;
    return JET_errSuccess;
}

JET_ERR EsepyEseWriterAppend(ESEPY_ESE_WTREE *pt, const void *pvKey, uint32_t cbKey, const void *pvData, uint32_t cbData)
{
    if (pt == NULL || pt->fEnded || (cbKey && pvKey == NULL) || (cbData && pvData == NULL) || cbKey > 0x1FFF)
        return JET_errInvalidParameter;
    if (pt->pw->errSticky < 0)
        return pt->pw->errSticky;
    const uint8_t *pbKey = pvKey, *pbData = pvData;
    if (pt->fHaveLast) { /* W1 */
        int fEq;
        int c = cmp_kd(pt->pbLast, pt->cbLastKey, pt->pbLast + pt->cbLastKey, pt->cbLastData, pbKey, cbKey, pbData,
                       cbData, &fEq);
        if (fEq && pt->fUnique)
            return JET_errKeyDuplicate;
        if (c >= 0)
            return JET_errInvalidParameter;
    }
    JET_ERR err = level_add(pt, 0, pbKey, cbKey, pbData, cbData);
    if (err < 0)
        return err;
    if ((uint64_t)cbKey + cbData > pt->cbLastMax) {
        uint8_t *pb = os_realloc(pt->pbLast, (size_t)cbKey + cbData + 1);
        if (pb == NULL)
            return JET_errOutOfMemory;
        pt->pbLast = pb;
        pt->cbLastMax = cbKey + cbData;
    }
    if (cbKey)
        memcpy(pt->pbLast, pbKey, cbKey);
    if (cbData)
        memcpy(pt->pbLast + cbKey, pbData, cbData);
    pt->cbLastKey = cbKey;
    pt->cbLastData = cbData;
    pt->fHaveLast = 1;
    pt->cnode++;
    return JET_errSuccess;
}

/* A one-page extent tree (OE or AE) at pgno: (big-endian last pgno -> count) per extent. */
static JET_ERR write_space_tree(ESEPY_ESE_WRITER *pw, uint32_t pgno, uint32_t objid, const w_ext *rgext, uint32_t cext)
{
    esepage page;
    memset(&page, 0, sizeof(page));
    uint8_t rgbZero[16] = {0};
    JET_ERR err = esepage_format(&page, pw->cbPage, pgno, objid, pw->dbtime,
                                 ESEPAGE_PG_ROOT | ESEPAGE_PG_LEAF | ESEPAGE_PG_SPACE | ESEPAGE_PG_NEWRECORD);
    page.ctagReservedStored = 0;
    if (err >= 0)
        err = esepage_set_external_header(&page, rgbZero, 16);
    for (uint32_t i = 0; err >= 0 && i < cext; i++) {
        uint8_t rgbKey[4], rgbData[4];
        put_be32(rgbKey, rgext[i].pgnoFirst + rgext[i].cpg - 1);
        le_put32(rgbData, rgext[i].cpg);
        err = esepage_insert(&page, i, rgbKey, 4, 0, rgbData, 4, 0);
    }
    if (err >= 0 && esepage_cb_used(&page) > pw->cbPage - pw->cbHeader)
        err = JET_errOutOfDatabaseSpace;
    if (err >= 0)
        err = write_page(pw, pgno, &page);
    esepage_free(&page);
    return err;
}

static int cmp_ext(const void *a, const void *b)
{
    const w_ext *pa = a, *pb = b;
    return pa->pgnoFirst < pb->pgnoFirst ? -1 : pa->pgnoFirst > pb->pgnoFirst;
}

JET_ERR EsepyEseWriterEndTree(ESEPY_ESE_WTREE *pt, ESEPY_ESE_WTREEINFO *pinfo)
{
    if (pt == NULL || pt->fEnded)
        return JET_errInvalidParameter;
    ESEPY_ESE_WRITER *pw = pt->pw;
    if (pw->errSticky < 0)
        return pw->errSticky;
    JET_ERR err = JET_errSuccess;
    /* finish the levels bottom-up: each level's last page pushes an
     * empty-key node (W3) unless it is the top, which becomes the root */
    if (pt->clevel == 0)
        pt->clevel = 1; /* an empty tree: an empty root leaf */
    for (uint32_t lv = 0; err >= 0 && lv < pt->clevel; lv++) {
        w_level *pl = &pt->rglevel[lv];
        if (lv + 1 == pt->clevel && pl->pgno == 0) {
            err = level_write(pt, lv, pt->pgnoFDP, 0, 1);
            break;
        }
        if (pl->pgno == 0 && (err = tree_alloc(pt, &pl->pgno)) < 0)
            break;
        err = level_write(pt, lv, pl->pgno, 0, 0);
        if (err < 0)
            break;
        uint8_t rgbPgno[4];
        le_put32(rgbPgno, pl->pgno);
        err = level_add(pt, lv + 1, NULL, 0, rgbPgno, 4);
    }
    /* space: owned extents (sorted), available = the rest of the current chunk */
    if (err >= 0 && pt->cext > 1)
        qsort(pt->rgext + 1, pt->cext - 1, sizeof(w_ext), cmp_ext); /* the primary extent stays first */
    if (err >= 0)
        err = write_space_tree(pw, pt->pgnoFDP + 1, pt->objid, pt->rgext, pt->cext);
    if (err >= 0) {
        w_ext avail = {pt->pgnoNext, pt->pgnoChunkEnd - pt->pgnoNext};
        err = write_space_tree(pw, pt->pgnoFDP + 2, pt->objid, &avail, avail.cpg ? 1 : 0);
    }
    if (err >= 0 && pinfo != NULL) {
        memset(pinfo, 0, sizeof(*pinfo));
        pinfo->pgnoFDP = pt->pgnoFDP;
        pinfo->cnode = pt->cnode;
        pinfo->clevel = pt->clevel;
        for (uint32_t i = 0; i < pt->cext; i++)
            pinfo->cpgOwned += pt->rgext[i].cpg;
    }
    if (err >= 0)
        pt->fEnded = 1;
    return err;
}

void EsepyEseWriterFreeTree(ESEPY_ESE_WTREE *pt)
{
    if (pt == NULL)
        return;
    for (uint32_t lv = 0; lv < ESEFMT_DEPTH_MAX; lv++) {
        level_clear(&pt->rglevel[lv]);
        os_free(pt->rglevel[lv].rgline);
    }
    os_free(pt->rgext);
    os_free(pt->pbLast);
    os_free(pt);
}

/* A LOGTIME as stored: JET_LOGTIME has the on-disk layout (8 bytes). */
_Static_assert(sizeof(JET_LOGTIME) == 8, "JET_LOGTIME is the 8-byte on-disk LOGTIME");
static void put_logtime(uint8_t *pb, const JET_LOGTIME *plt)
{
    memcpy(pb, plt, 8);
}

JET_ERR EsepyEseWriterFinish(ESEPY_ESE_WRITER *pw, uint32_t objidLast)
{
    if (pw == NULL)
        return JET_errInvalidParameter;
    if (pw->errSticky < 0)
        return pw->errSticky;
    uint32_t cpg = pw->pgnoEnd - 1; /* pages 1..pgnoEnd-1 */
    /* the database's own root and space trees: it owns every page; none is
     * free (the trees' free pages are in their own AE trees) */
    esepage page;
    memset(&page, 0, sizeof(page));
    JET_ERR err = esepage_format(&page, pw->cbPage, W_PGNO_ROOT, 1, pw->dbtime,
                                 ESEPAGE_PG_ROOT | ESEPAGE_PG_LEAF | ESEPAGE_PG_NEWRECORD);
    page.ctagReservedStored = 0;
    uint8_t rgb[16];
    space_header(rgb, cpg, 0, 2, 1);
    if (err >= 0)
        err = esepage_set_external_header(&page, rgb, 16);
    if (err >= 0)
        err = write_page(pw, W_PGNO_ROOT, &page);
    esepage_free(&page);
    w_ext all = {1, cpg};
    if (err >= 0)
        err = write_space_tree(pw, 2, 1, &all, 1);
    if (err >= 0)
        err = write_space_tree(pw, 3, 1, NULL, 0);
    /* never-used pages (reserved, chunk tails) stay zero: extend the file to its full size */
    if (err >= 0)
        err = os_file_truncate(pw->pf, (uint64_t)(cpg + 2) * pw->cbPage);
    if (err >= 0)
        err = os_file_sync(pw->pf);
    /* the header last (W4): both copies, clean shutdown */
    uint8_t *pbHdr = os_calloc(1, pw->cbPage);
    if (err >= 0 && pbHdr == NULL)
        err = JET_errOutOfMemory;
    if (err >= 0) {
        JET_LOGTIME now;
        os_logtime_now(&now);
        uint8_t rgbSign[28];
        memset(rgbSign, 0, sizeof(rgbSign));
        uint32_t ulRandom;
        os_random_bytes(&ulRandom, sizeof(ulRandom));
        le_put32(rgbSign, ulRandom);
        put_logtime(rgbSign + 4, &now);
        le_put32(pbHdr + 4, W_DB_MAGIC);
        le_put32(pbHdr + 8, 0x620);                /* format version */
        le_put64(pbHdr + 16, pw->dbtime);          /* dbtimeDirtied */
        memcpy(pbHdr + 24, rgbSign, 28);           /* signDb */
        le_put32(pbHdr + 52, 3);                   /* JET_dbstateCleanShutdown */
        put_logtime(pbHdr + 64, &now);               /* logtimeConsistent */
        put_logtime(pbHdr + 72, &now);               /* logtimeAttach */
        put_logtime(pbHdr + 88, &now);               /* logtimeDetach */
        le_put32(pbHdr + 104, 1);                  /* dbid */
        le_put32(pbHdr + 212, objidLast);
        le_put32(pbHdr + 216, 10);                 /* OS version of the writer: as Windows 10 */
        le_put32(pbHdr + 220, 0);
        le_put32(pbHdr + 224, 19041);
        le_put32(pbHdr + 232, 20);                 /* format update (revision) */
        le_put32(pbHdr + 236, pw->cbPage);
        le_put32(pbHdr + 340, 0x620);              /* create version / update */
        le_put32(pbHdr + 344, 20);
        le_put32(pbHdr + 667, 1);                  /* file type: database (byte-aligned field) */
        le_put32(pbHdr, esefmt_checksum_xor(pbHdr, W_HDR_CB));
        err = os_file_write(pw->pf, 0, pbHdr, pw->cbPage);
        if (err >= 0)
            err = os_file_write(pw->pf, pw->cbPage, pbHdr, pw->cbPage);
        if (err >= 0)
            err = os_file_sync(pw->pf);
    }
    os_free(pbHdr);
    if (err < 0)
        pw->errSticky = err;
    return err;
}

void EsepyEseWriterClose(ESEPY_ESE_WRITER *pw)
{
    if (pw == NULL)
        return;
    if (pw->pf)
        os_file_close(pw->pf);
    os_free(pw->pbPage);
    os_free(pw);
}

uint32_t EsepyEseWriterPageCount(const ESEPY_ESE_WRITER *pw)
{
    return pw ? pw->pgnoEnd - 1 : 0;
}
