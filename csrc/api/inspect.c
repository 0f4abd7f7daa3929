/*
 * inspect.c -- esepy_inspect.h: read-only inspection of esepy's own files
 * through the lower layers' parsers (the api layer may expose them).
 *
 * Owns: the public structs of esepy_inspect.h and their filling from the
 * layers' own types: db_header and db_header_read_copies (cache), page
 * verification (cache_page_verify) and the tree page view (btree view.c), the
 * one-file log reader and log_header_decode (log), the checkpoint reader
 * (log), catalog rows and what a log record is about (isam: cat_row_decode,
 * isam_log_describe), the backup trailer decoder
 * (backup), os_crc32c (os).
 * Must not touch: any file for writing, any instance or the process table;
 * every file is opened OS_FILE_READ through csrc/os, no lock is taken.  No
 * layout knowledge of its own beyond the magic numbers it tests to tell
 * "another kind of file" (JET_errFileInvalidType) from damage.
 *
 * Invariants:
 *   I-1. Every function fills its output only on success; every error path
 *        closes and frees what it opened or allocated.
 *   I-2. Nothing read from a file sizes an allocation beyond the largest
 *        page (32 KiB), a log header, or the checkpoint (8 KiB).
 */
#include <string.h>

#include "api_int.h"
#include "esepy_inspect.h"
#include "cache.h"
#include "log.h"
#include "btree.h"
#include "backup.h"
#include "lsn.h"
#include "le.h"

#define INSPECT_CHUNK_PAGES  64u
#define INSPECT_CHK_MAGIC    0x43504553u /* "SEPC" (log_checkpoint.c) */

struct EsepyInspectDb {
    os_file  *pf;
    db_header hdr;
    db_header_copies copies;
    uint64_t  cbFile;
    uint8_t  *pvChunk;   /* INSPECT_CHUNK_PAGES pages */
};

struct EsepyInspectLog {
    log_reader *prd;
    os_file    *pf;       /* the same file, for the torn-tail look */
    int32_t     gen;
    JET_ERR     state;    /* 0 while reading; the reader's final answer after */
};

ESEPY_EXPORT uint32_t EsepyCrc32c(uint32_t crc, const void *pv, size_t cb)
{
    return pv == NULL ? crc : os_crc32c(crc, pv, cb);
}

/* ---- database header ---------------------------------------------------------- */

static void fill_dbheader(const db_header *h, ESEPY_INSPECT_DBHEADER *p)
{
    uint32_t cbStruct = p->cbStruct;
    memset(p, 0, sizeof(*p));
    p->cbStruct = cbStruct;
    p->ulVersion = h->version;
    p->cbPage = h->cbPage;
    p->filetype = h->filetype;
    p->signDb = h->signDb;
    p->dbstate = h->dbstate;
    p->signLog = h->signLog;
    p->lgposConsistent = lsn_to_lgpos(h->lsnConsistent);
    p->logtimeConsistent = h->tmConsistent;
    p->lgposAttach = lsn_to_lgpos(h->lsnAttach);
    p->logtimeAttach = h->tmAttach;
    p->lgposDetach = lsn_to_lgpos(h->lsnDetach);
    p->logtimeDetach = h->tmDetach;
    p->genMinRequired = h->genMinRequired;
    p->genMaxRequired = h->genMaxRequired;
    p->genMaxCommitted = h->genMaxCommitted;
    p->bkinfoFullPrev = h->bkinfoFullPrev;
    p->bkinfoIncPrev = h->bkinfoIncPrev;
    p->bkinfoFullCur = h->bkinfoFullCur;
    p->bkinfoCopyPrev = h->bkinfoCopyPrev;
    p->bkinfoDiffPrev = h->bkinfoDiffPrev;
    p->dbid = h->dbid;
    p->flags = h->flags;
    p->objidLast = h->objidLast;
    p->cpgOwned = h->cpgOwned;
    p->pgnoSpace = h->pgnoSpace;
    p->pgnoCatalog = h->pgnoCatalog;
    p->dbtime = h->dbtime;
}

static void fill_copies(const db_header_copies *c, ESEPY_INSPECT_DBHEADER *p)
{
    p->ulChecksum = c->crc;
    p->iCopy = (uint32_t)c->iUsed;
    p->fCopyAValid = c->fValidA;
    p->fCopyBValid = c->fValidB;
}

ESEPY_EXPORT JET_ERR EsepyInspectDbOpen(const char *szPath, ESEPY_INSPECT_DB **ppdb)
{
    JET_ERR err;
    if (szPath == NULL || ppdb == NULL)
        return JET_errInvalidParameter;
    ESEPY_INSPECT_DB *pdb = os_calloc(1, sizeof(*pdb));
    if (pdb == NULL)
        return JET_errOutOfMemory;
    err = os_file_open(szPath, OS_FILE_READ, &pdb->pf);
    if (err >= 0)
        err = db_header_read_copies(pdb->pf, &pdb->hdr, &pdb->copies);
    if (err >= 0)
        err = os_file_size(pdb->pf, &pdb->cbFile);
    if (err >= 0) {
        pdb->pvChunk = os_malloc((size_t)INSPECT_CHUNK_PAGES * pdb->hdr.cbPage);
        if (pdb->pvChunk == NULL)
            err = JET_errOutOfMemory;
    }
    if (err < 0) {
        EsepyInspectDbClose(pdb);
        return err;
    }
    *ppdb = pdb;
    return JET_errSuccess;
}

ESEPY_EXPORT void EsepyInspectDbClose(ESEPY_INSPECT_DB *pdb)
{
    if (pdb == NULL)
        return;
    os_file_close(pdb->pf);
    os_free(pdb->pvChunk);
    os_free(pdb);
}

ESEPY_EXPORT JET_ERR EsepyInspectDbHeader(ESEPY_INSPECT_DB *pdb, ESEPY_INSPECT_DBHEADER *phdr)
{
    if (pdb == NULL || phdr == NULL || phdr->cbStruct != sizeof(*phdr))
        return JET_errInvalidParameter;
    fill_dbheader(&pdb->hdr, phdr);
    fill_copies(&pdb->copies, phdr);
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyInspectDatabaseHeader(const char *szPath, ESEPY_INSPECT_DBHEADER *phdr)
{
    ESEPY_INSPECT_DB *pdb = NULL;
    if (phdr == NULL || phdr->cbStruct != sizeof(*phdr))
        return JET_errInvalidParameter;
    JET_ERR err = EsepyInspectDbOpen(szPath, &pdb);
    if (err < 0)
        return err;
    err = EsepyInspectDbHeader(pdb, phdr);
    EsepyInspectDbClose(pdb);
    return err;
}

ESEPY_EXPORT JET_ERR EsepyInspectDecodeDatabaseHeader(const void *pv, size_t cb, ESEPY_INSPECT_DBHEADER *phdr)
{
    db_header h;
    uint32_t crc = 0;
    if (pv == NULL || phdr == NULL || phdr->cbStruct != sizeof(*phdr))
        return JET_errInvalidParameter;
    JET_ERR err = db_header_decode_block(pv, cb, &h, &crc);
    if (err < 0)
        return err;
    fill_dbheader(&h, phdr);
    db_header_copies c = { 1, 1, 0, crc };
    fill_copies(&c, phdr);
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyInspectDbSize(ESEPY_INSPECT_DB *pdb, uint64_t *pcbFile, uint32_t *pcpg)
{
    if (pdb == NULL || pcbFile == NULL || pcpg == NULL)
        return JET_errInvalidParameter;
    uint64_t cpg = pdb->cbFile / pdb->hdr.cbPage;
    *pcbFile = pdb->cbFile;
    *pcpg = cpg > 2 ? (uint32_t)(cpg - 2 > UINT32_MAX ? UINT32_MAX : cpg - 2) : 0;
    return JET_errSuccess;
}

/* ---- pages ----------------------------------------------------------------------- */

static uint32_t page_status(const uint8_t *pv, uint32_t cbPage, uint32_t pgno)
{
    JET_ERR err = cache_page_verify(pv, cbPage, pgno);
    if (err == JET_errSuccess)
        return ESEPY_INSPECT_PAGE_OK;
    if (err == JET_errPageNotInitialized)
        return ESEPY_INSPECT_PAGE_UNINITIALIZED;
    uint32_t stored = le_get32(pv + PAGE_OFF_PGNO);
    if (stored != pgno && cache_page_verify(pv, cbPage, stored) == JET_errSuccess)
        return ESEPY_INSPECT_PAGE_WRONG_PGNO;
    return ESEPY_INSPECT_PAGE_CHECKSUM;
}

static int page_size_ok(uint32_t cb)
{
    return cb == 4096 || cb == 8192 || cb == 16384 || cb == 32768;
}

ESEPY_EXPORT JET_ERR EsepyInspectPage(const void *pvIn, uint32_t cbPage, uint32_t pgno, ESEPY_INSPECT_PAGE *p)
{
    const uint8_t *pv = pvIn;
    if (pv == NULL || p == NULL || p->cbStruct != sizeof(*p) || !page_size_ok(cbPage))
        return JET_errInvalidParameter;
    bt_page_view v;
    bt_page_view_of(pv, cbPage, &v);
    memset(p, 0, sizeof(*p));
    p->cbStruct = sizeof(*p);
    p->status = page_status(pv, cbPage, pgno);
    p->pgnoStored = le_get32(pv + PAGE_OFF_PGNO);
    p->lsn = le_get64(pv + PAGE_OFF_LSN);
    p->objid = v.objid;
    p->flags = v.flags;
    p->pgnoPrev = v.prev;
    p->pgnoNext = v.next;
    p->fLeaf = v.fLeaf;
    p->fInternal = v.fInternal;
    p->fRoot = v.fRoot;
    p->fSpace = v.fSpace;
    p->fFree = v.fFree;
    p->cslot = v.cslot;
    p->ibHeap = v.ibHeap;
    p->cbFrag = v.cbFrag;
    p->level = v.level;
    p->fLayoutOk = v.fLayoutOk;
    p->cbUsed = v.cbUsed;
    p->cpgOwned = v.cpgOwned;
    p->pgnoHwm = v.pgnoHwm;
    p->pgnoFree = v.pgnoFree;
    p->cpgFree = v.cpgFree;
    p->fSpaceMagic = v.fSpaceMagic;
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyInspectPageNode(const void *pv, uint32_t cbPage, uint32_t i, ESEPY_INSPECT_NODE *pnode)
{
    if (pv == NULL || pnode == NULL || !page_size_ok(cbPage))
        return JET_errInvalidParameter;
    ESEPY_INSPECT_NODE n;
    JET_ERR err = bt_page_view_node(pv, cbPage, i, &n.pbPrefix, &n.cbPrefix, &n.pbKey, &n.cbKey, &n.pbData,
                                    &n.cbData, &n.flags);
    if (err < 0)
        return err;
    bt_page_view v;
    bt_page_view_of(pv, cbPage, &v);
    n.pgnoChild = v.fInternal ? le_get32(n.pbData) : 0; /* P2: internal data is the 4-byte child */
    *pnode = n;
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyInspectCatalogRow(const void *pvKey, uint32_t cbKey, const void *pvData, uint32_t cbData,
                                            ESEPY_INSPECT_CATALOG_ROW *prow)
{
    cat_row_view v;
    _Static_assert(sizeof(prow->szName) == sizeof(v.name), "catalog names fit");
    if (pvKey == NULL || pvData == NULL || prow == NULL || prow->cbStruct != sizeof(*prow))
        return JET_errInvalidParameter;
    JET_ERR err = cat_row_decode(pvKey, cbKey, pvData, cbData, &v);
    if (err < 0)
        return err;
    memset(prow, 0, sizeof(*prow));
    prow->cbStruct = sizeof(*prow);
    prow->kind = v.kind;
    prow->objidTable = v.objidTable;
    prow->objid = v.objid;
    prow->pgnoRoot = v.pgnoRoot;
    prow->objidLV = v.objidLV;
    prow->pgnoLV = v.pgnoLV;
    memcpy(prow->szName, v.name, sizeof(prow->szName));
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyInspectDbReadPage(ESEPY_INSPECT_DB *pdb, uint32_t pgno, void *pv, uint32_t cb,
                                            ESEPY_INSPECT_PAGE *ppage)
{
    if (pdb == NULL || pv == NULL || ppage == NULL || ppage->cbStruct != sizeof(*ppage) || pgno == 0 ||
        cb < pdb->hdr.cbPage)
        return JET_errInvalidParameter;
    uint32_t cbPage = pdb->hdr.cbPage;
    uint64_t off = ((uint64_t)pgno + 1) * cbPage;
    size_t got = 0;
    memset(pv, 0, cbPage);
    if (off + cbPage <= pdb->cbFile) {
        JET_ERR err = os_file_read(pdb->pf, off, pv, cbPage, &got);
        if (err < 0)
            return err;
    }
    JET_ERR err = EsepyInspectPage(pv, cbPage, pgno, ppage);
    if (err >= 0 && got < cbPage)
        ppage->status = ESEPY_INSPECT_PAGE_MISSING;
    return err;
}

ESEPY_EXPORT JET_ERR EsepyInspectDbCheckPages(ESEPY_INSPECT_DB *pdb, uint32_t pgnoFirst, uint32_t cpg,
                                              uint8_t *rgstatus)
{
    if (pdb == NULL || rgstatus == NULL || pgnoFirst == 0)
        return JET_errInvalidParameter;
    uint32_t cbPage = pdb->hdr.cbPage;
    for (uint32_t done = 0; done < cpg;) {
        uint32_t n = cpg - done < INSPECT_CHUNK_PAGES ? cpg - done : INSPECT_CHUNK_PAGES;
        uint64_t pgno = (uint64_t)pgnoFirst + done;
        size_t got = 0;
        JET_ERR err = os_file_read(pdb->pf, (pgno + 1) * cbPage, pdb->pvChunk, (size_t)n * cbPage, &got);
        if (err < 0)
            return err;
        for (uint32_t i = 0; i < n; i++) {
            if ((size_t)(i + 1) * cbPage > got)
                rgstatus[done + i] = ESEPY_INSPECT_PAGE_MISSING;
            else
                rgstatus[done + i] = (uint8_t)page_status(pdb->pvChunk + (size_t)i * cbPage, cbPage,
                                                          (uint32_t)(pgno + i));
        }
        done += n;
    }
    return JET_errSuccess;
}

/* ---- logs ------------------------------------------------------------------------ */

static void fill_attach(const log_attach *a, ESEPY_INSPECT_ATTACH *p)
{
    memset(p, 0, sizeof(*p));
    p->dbid = a->dbid;
    p->flags = a->flags;
    p->signDb = a->signDb;
    p->lgposAttach = lsn_to_lgpos(a->lsnAttach);
    memcpy(p->szPath, a->path, sizeof(p->szPath));
    p->szPath[sizeof(p->szPath) - 1] = '\0';
}

static void fill_logheader(const log_header *h, ESEPY_INSPECT_LOGHEADER *p)
{
    uint32_t cbStruct = p->cbStruct;
    memset(p, 0, sizeof(*p));
    p->cbStruct = cbStruct;
    p->lGeneration = h->generation;
    p->cbFile = h->cbFile;
    p->cbPage = h->cbPage;
    p->flags = h->flags;
    p->logtimeCreate = h->tmCreate;
    p->logtimePrevGen = h->tmPrevGen;
    p->signLog = h->signLog;
    p->lgposCheckpoint = lsn_to_lgpos(h->lsnCheckpoint);
    p->cattach = h->cattach <= ESEPY_INSPECT_MAX_ATTACH ? h->cattach : ESEPY_INSPECT_MAX_ATTACH;
    for (uint32_t i = 0; i < p->cattach; i++)
        fill_attach(&h->attach[i], &p->rgattach[i]);
}

/* The first 8 bytes of a file: JET_errFileInvalidType unless the magic at
 * offset 4 is `magic`; a file too short for it is damage of kind errShort. */
static JET_ERR check_magic(os_file *pf, uint32_t magic, JET_ERR errShort)
{
    uint8_t b[8];
    size_t got = 0;
    JET_ERR err = os_file_read(pf, 0, b, sizeof(b), &got);
    if (err < 0)
        return err;
    if (got < sizeof(b))
        return got == 0 ? JET_errFileInvalidType : errShort;
    return le_get32(b + 4) == magic ? JET_errSuccess : JET_errFileInvalidType;
}

static JET_ERR check_magic_path(const char *szPath, uint32_t magic, JET_ERR errShort)
{
    os_file *pf = NULL;
    JET_ERR err = os_file_open(szPath, OS_FILE_READ, &pf);
    if (err >= 0)
        err = check_magic(pf, magic, errShort);
    os_file_close(pf);
    return err;
}

ESEPY_EXPORT JET_ERR EsepyInspectLogHeader(const char *szPath, ESEPY_INSPECT_LOGHEADER *phdr)
{
    log_header h;
    if (szPath == NULL || phdr == NULL || phdr->cbStruct != sizeof(*phdr))
        return JET_errInvalidParameter;
    JET_ERR err = check_magic_path(szPath, LOG_MAGIC, JET_errLogFileCorrupt);
    if (err >= 0)
        err = log_read_header(szPath, &h);
    if (err < 0)
        return err;
    fill_logheader(&h, phdr);
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyInspectDecodeLogHeader(const void *pv, size_t cb, ESEPY_INSPECT_LOGHEADER *phdr)
{
    log_header h;
    if (pv == NULL || phdr == NULL || phdr->cbStruct != sizeof(*phdr))
        return JET_errInvalidParameter;
    if (cb < 8 || le_get32((const uint8_t *)pv + 4) != LOG_MAGIC)
        return JET_errFileInvalidType;
    if (cb < LOG_HEADER_SIZE)
        return JET_errLogFileCorrupt;
    JET_ERR err = log_header_decode(pv, &h);
    if (err < 0)
        return err;
    fill_logheader(&h, phdr);
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyInspectLogOpen(const char *szPath, ESEPY_INSPECT_LOG **pplog)
{
    if (szPath == NULL || pplog == NULL)
        return JET_errInvalidParameter;
    ESEPY_INSPECT_LOG *plog = os_calloc(1, sizeof(*plog));
    if (plog == NULL)
        return JET_errOutOfMemory;
    JET_ERR err = os_file_open(szPath, OS_FILE_READ, &plog->pf);
    if (err >= 0)
        err = check_magic(plog->pf, LOG_MAGIC, JET_errLogFileCorrupt);
    if (err >= 0)
        err = log_reader_open_file(szPath, &plog->prd);
    if (err < 0) {
        EsepyInspectLogClose(plog);
        return err;
    }
    log_header h;
    log_reader_header(plog->prd, &h);
    plog->gen = h.generation;
    *pplog = plog;
    return JET_errSuccess;
}

ESEPY_EXPORT JET_ERR EsepyInspectLogNext(ESEPY_INSPECT_LOG *plog, ESEPY_INSPECT_LOGRECORD *prec)
{
    if (plog == NULL || prec == NULL)
        return JET_errInvalidParameter;
    if (plog->state != JET_errSuccess)
        return JET_wrnNoMoreRecords;
    log_record r;
    JET_ERR err = log_reader_next(plog->prd, &r);
    if (err == JET_errSuccess) {
        prec->lgpos = lsn_to_lgpos(r.lsn);
        prec->type = r.type;
        prec->cb = r.cb + LOG_REC_HEADER;
        prec->pvPayload = r.pv;
        prec->cbPayload = r.cb;
        isam_log_view v;
        isam_log_describe(r.type, r.pv, r.cb, &v);
        prec->fTrx = v.fTrx;
        prec->fDbid = v.fDbid;
        prec->fPgno = v.fPgno;
        prec->trx = v.trx;
        prec->dbid = v.dbid;
        prec->pgno = v.pgno;
        memcpy(prec->szDbPath, v.path, sizeof(prec->szDbPath));
        return JET_errSuccess;
    }
    /* The chain ended: a clean end, or damage the tail reports. */
    if (err == JET_wrnNoMoreRecords || err == JET_errLogFileCorrupt) {
        plog->state = err;
        return JET_wrnNoMoreRecords;
    }
    return err;
}

ESEPY_EXPORT JET_ERR EsepyInspectLogTail(ESEPY_INSPECT_LOG *plog, ESEPY_INSPECT_LOGTAIL *ptail)
{
    if (plog == NULL || ptail == NULL)
        return JET_errInvalidParameter;
    uint64_t off = 0, cbLimit = 0;
    int fGenEnd = 0;
    uint32_t ccorrected = 0;
    lsn_t lsnCorrected = LSN_NIL;
    log_reader_file_tail(plog->prd, &off, &fGenEnd, &cbLimit);
    log_reader_corrected(plog->prd, &ccorrected, &lsnCorrected);
    memset(ptail, 0, sizeof(*ptail));
    ptail->lgposEnd = lsn_to_lgpos(LSN_MAKE(plog->gen, off / LOG_SECTOR, off % LOG_SECTOR));
    ptail->fGenEnd = fGenEnd;
    ptail->fDamaged = plog->state == JET_errLogFileCorrupt;
    ptail->ccorrected = ccorrected;
    ptail->lgposCorrected = lsn_to_lgpos(lsnCorrected);
    if (!fGenEnd && plog->state != JET_errSuccess && off < cbLimit) {
        /* Torn: the bytes where the next record would start are not zero. */
        uint8_t b[LOG_REC_HEADER];
        size_t got = 0;
        uint64_t o = off;
        if (LOG_BLOCK - o % LOG_BLOCK < LOG_REC_HEADER)
            o += LOG_BLOCK - o % LOG_BLOCK;
        JET_ERR err = o < cbLimit ? os_file_read(plog->pf, o, b, sizeof(b), &got) : JET_errSuccess;
        if (err < 0)
            return err;
        for (size_t i = 0; i < got; i++)
            ptail->fTorn |= b[i] != 0;
    }
    return JET_errSuccess;
}

ESEPY_EXPORT void EsepyInspectLogClose(ESEPY_INSPECT_LOG *plog)
{
    if (plog == NULL)
        return;
    log_reader_close(plog->prd);
    os_file_close(plog->pf);
    os_free(plog);
}

/* ---- checkpoint ---------------------------------------------------------------------- */

ESEPY_EXPORT JET_ERR EsepyInspectCheckpoint(const char *szPath, ESEPY_INSPECT_CHECKPOINT *p)
{
    log_checkpoint c;
    int fA = 0, fB = 0;
    if (szPath == NULL || p == NULL || p->cbStruct != sizeof(*p))
        return JET_errInvalidParameter;
    JET_ERR err = check_magic_path(szPath, INSPECT_CHK_MAGIC, JET_errCheckpointCorrupt);
    if (err >= 0)
        err = log_checkpoint_read_file(szPath, &c, &fA, &fB);
    if (err < 0)
        return err;
    memset(p, 0, sizeof(*p));
    p->cbStruct = sizeof(*p);
    p->lgposCheckpoint = lsn_to_lgpos(c.lsnCheckpoint);
    p->signLog = c.signLog;
    p->lgposFullBackup = lsn_to_lgpos(c.lsnFullBackup);
    p->lgposIncBackup = lsn_to_lgpos(c.lsnIncBackup);
    p->logtimeFullBackup = c.tmFullBackup;
    p->logtimeIncBackup = c.tmIncBackup;
    p->cattach = c.cattach <= ESEPY_INSPECT_MAX_ATTACH ? c.cattach : ESEPY_INSPECT_MAX_ATTACH;
    for (uint32_t i = 0; i < p->cattach; i++)
        fill_attach(&c.attach[i], &p->rgattach[i]);
    p->iCopy = fA ? 0 : 1;
    p->fCopyAValid = fA;
    p->fCopyBValid = fB;
    return JET_errSuccess;
}

/* ---- backup trailer ------------------------------------------------------------------ */

ESEPY_EXPORT JET_ERR EsepyInspectBackupTrailer(const char *szPath, uint32_t cbPage, ESEPY_INSPECT_TRAILER *ptr)
{
    os_file *pf = NULL;
    uint8_t *pv = NULL;
    uint64_t cbFile = 0;
    size_t got = 0;
    bk_trailer t;
    if (szPath == NULL || ptr == NULL || ptr->cbStruct != sizeof(*ptr) || !page_size_ok(cbPage))
        return JET_errInvalidParameter;
    JET_ERR err = os_file_open(szPath, OS_FILE_READ, &pf);
    if (err >= 0)
        err = os_file_size(pf, &cbFile);
    if (err >= 0 && (cbFile % cbPage != 0 || cbFile < 3 * (uint64_t)cbPage))
        err = JET_errDatabasePatchFileMismatch; /* no trailer page */
    if (err >= 0) {
        pv = os_malloc(cbPage);
        if (pv == NULL)
            err = JET_errOutOfMemory;
    }
    if (err >= 0)
        err = os_file_read(pf, cbFile - cbPage, pv, cbPage, &got);
    if (err >= 0 && got < cbPage)
        err = JET_errDatabasePatchFileMismatch;
    if (err >= 0)
        err = bk_trailer_decode(pv, cbPage, &t);
    if (err >= 0 && ((uint64_t)t.cpg + 3) * cbPage != cbFile)
        err = JET_errDatabasePatchFileMismatch; /* the copy is not as long as the trailer says */
    if (err >= 0) {
        memset(ptr, 0, sizeof(*ptr));
        ptr->cbStruct = sizeof(*ptr);
        ptr->cbPage = t.cbPage;
        ptr->cpg = t.cpg;
        ptr->signDb = t.signDb;
        ptr->signLog = t.signLog;
        ptr->bkinfo = t.bk;
        memcpy(ptr->szName, t.name, sizeof(ptr->szName));
        ptr->szName[sizeof(ptr->szName) - 1] = '\0';
    }
    os_free(pv);
    os_file_close(pf);
    return err;
}
