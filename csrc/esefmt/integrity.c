/*
 * integrity.c -- the B+tree and space check of a database written by Windows'
 * ESE (EsepyEseCheckIntegrity): every tree reachable from the catalog (the
 * database root, each table, its long-value tree and secondary indexes, and
 * the owned/available-extent trees of each of them) is walked from its root:
 * keys ordered within pages and across siblings, parent separators bounding
 * their children, one objidFDP per tree, leaves at one depth, sibling links
 * matching the walk, checksums valid; then every page is matched against the
 * space trees (pages owned by two trees, pages in use that their tree does
 * not own or lists as free, pages owned by no tree that still hold a tree).
 * Findings go to the file's damage list (EsepyEseGetDamage), one line each.
 * Must not touch: records and their columns, the file (reads only through
 * page.c), the catalog's contents (read through catalog.c).
 * Invariants: recursion depth <= ESEFMT_DEPTH_MAX; each page is entered at
 * most once per check (a second reach is a finding, never a loop); the
 * per-page arrays have cpg + 1 entries and every index is checked against cpg.
 */
#include <stdio.h>
#include <stdlib.h>

#include "esefmt_int.h"

#define OBJID_DB    1u
#define PGNO_DB     1u
#define CB_SPACEHDR 16u
#define SPH_MULTIPLE_EXTENT 0x01u
#define EXTHDR_SPACE        0x01u

typedef struct {
    uint32_t objid, pgnoFDP, objidParent;
    const char *szName;
} chk_tree;

typedef struct {
    uint32_t pgnoLast;     /* last page met at this level (0: none yet) */
    uint32_t pgnoNextOfLast;
} chk_level;

typedef struct {
    ESEPY_ESE_FILE *pfile;
    uint32_t       *rgobjidUsed;  /* tree whose walk entered the page */
    uint32_t       *rgobjidOwner; /* most specific tree owning the page (space trees) */
    uint32_t       *rgobjidFree;  /* tree whose available-extent tree lists the page */
    chk_level       rglevel[ESEFMT_DEPTH_MAX];
    uint32_t        clevelLeaf;   /* depth of the first leaf (0: none yet) */
    ESEPY_ESE_INTEGRITY *pinfo;
    const chk_tree *ptree;
} chk_state;

static void finding(chk_state *ps, uint32_t pgno, JET_ERR err, const char *szFmt, uint32_t a, uint32_t b)
{
    char szWhat[100], sz[120];
    snprintf(szWhat, sizeof(szWhat), szFmt, a, b);
    snprintf(sz, sizeof(sz), "%.30s: %.86s", ps->ptree ? ps->ptree->szName : "space", szWhat);
    esefmt_damage(ps->pfile, pgno, err, ps->ptree ? ps->ptree->objid : 0, sz);
    ps->pinfo->cfinding++;
}

static int cmp_key(const uint8_t *pa, uint32_t ca, const uint8_t *pb, uint32_t cb)
{
    uint32_t c = ca < cb ? ca : cb;
    int r = c ? memcmp(pa, pb, c) : 0;
    if (r != 0)
        return r < 0 ? -1 : 1;
    return ca < cb ? -1 : ca > cb ? 1 : 0;
}

/* Key (prefix + suffix) of a node into pb (ESEFMT_KEY_MAX bytes). */
static uint32_t node_key(const esefmt_node *pn, uint8_t *pb)
{
    if (pn->cbPrefix)
        memcpy(pb, pn->pbPrefix, pn->cbPrefix);
    if (pn->cbSuffix)
        memcpy(pb + pn->cbPrefix, pn->pbSuffix, pn->cbSuffix);
    return pn->cbPrefix + pn->cbSuffix;
}

/* Keys are bounded by the parent: lo < key <= hi (separators are upper bounds
 * of their child; lo is the separator before, NULL at the left edge, hi NULL
 * at the right edge).  A leaf's keys ascend; equal keys (non-unique indexes)
 * ascend by their data. */
static void check_page(chk_state *ps, uint32_t pgno, uint32_t level, const uint8_t *pbLo, uint32_t cbLo,
                       const uint8_t *pbHi, uint32_t cbHi)
{
    ESEPY_ESE_FILE *pfile = ps->pfile;
    const chk_tree *pt = ps->ptree;
    if (pgno == 0 || pgno > pfile->cpg) {
        finding(ps, pgno, JET_errBadPageLink, "child page %u beyond the end of the file (%u pages)", pgno, pfile->cpg);
        return;
    }
    if (ps->rgobjidUsed[pgno] != 0) {
        finding(ps, pgno, JET_errBadPageLink, "page %u reached twice (already by the tree of objid %u)", pgno,
                ps->rgobjidUsed[pgno]);
        return;
    }
    ps->rgobjidUsed[pgno] = pt->objid;
    ps->pinfo->cpageChecked++;
    esefmt_page page;
    uint32_t cdamage = pfile->cdamage;
    JET_ERR err = esefmt_page_get(pfile, pgno, &page);
    if (pfile->cdamage != cdamage)
        ps->pinfo->cfinding += pfile->cdamage - cdamage; /* a checksum failure, reported by page.c */
    if (err < 0) {
        finding(ps, pgno, err == JET_errPageNotInitialized ? JET_errPageNotInitialized : JET_errBadPageLink,
                err == JET_errPageNotInitialized ? "page %u is blank but the tree links to it"
                                                 : "page %u unreadable", pgno, 0);
        return;
    }
    if (page.objidFDP != pt->objid) {
        finding(ps, pgno, JET_errBadPageLink, "page %u has objidFDP %u", pgno, page.objidFDP);
        return;
    }
    if (page.ctag == 0 || page.cbHeader + 4 * page.ctag > page.cbPage) {
        finding(ps, pgno, JET_errDatabaseCorrupted, "page %u has an impossible tag count %u", pgno, page.ctag);
        return;
    }
    if (level >= ESEFMT_DEPTH_MAX) {
        finding(ps, pgno, JET_errBadPageLink, "page %u lies deeper than %u levels", pgno, ESEFMT_DEPTH_MAX);
        return;
    }
    int fLeaf = (page.fFlags & ESEFMT_PG_LEAF) != 0;
    if ((level == 0) != ((page.fFlags & ESEFMT_PG_ROOT) != 0))
        finding(ps, pgno, JET_errDatabaseCorrupted, level == 0 ? "root page %u lacks the root flag"
                                                               : "page %u is flagged root below the root", pgno, 0);
    /* sibling links: the previous leaf names this one, and back.  ESE links
     * leaves only (a split fixes siblings on leaf pages; internal pages keep
     * 0 links, as libesedb also expects) */
    chk_level *pl = &ps->rglevel[level];
    if (level > 0 && fLeaf) {
        if (page.pgnoPrev != pl->pgnoLast)
            finding(ps, pgno, JET_errBadPageLink, "page %u: previous-page link %u", pgno, page.pgnoPrev);
        if (pl->pgnoLast != 0 && pl->pgnoNextOfLast != pgno)
            finding(ps, pl->pgnoLast, JET_errBadPageLink, "page %u: next-page link %u", pl->pgnoLast,
                    pl->pgnoNextOfLast);
        pl->pgnoLast = pgno;
        pl->pgnoNextOfLast = page.pgnoNext;
    }
    if (fLeaf) {
        if (ps->clevelLeaf == 0)
            ps->clevelLeaf = level + 1;
        else if (ps->clevelLeaf != level + 1)
            finding(ps, pgno, JET_errDatabaseCorrupted, "leaf page %u at depth %u, other leaves deeper or higher",
                    pgno, level + 1);
    }
    /* the page may leave the cache during recursion: keep a copy */
    uint8_t *pb = os_malloc(pfile->cbPage);
    uint8_t *pbKey = os_malloc(2 * ESEFMT_KEY_MAX);
    if (pb == NULL || pbKey == NULL) {
        os_free(pb);
        os_free(pbKey);
        finding(ps, pgno, JET_errOutOfMemory, "page %u not checked (out of memory)", pgno, 0);
        return;
    }
    memcpy(pb, page.pb, pfile->cbPage);
    esefmt_page_init(pfile, pb, pgno, &page);
    uint8_t *pbPrev = pbKey + ESEFMT_KEY_MAX;
    uint32_t cbPrev = 0;
    const uint8_t *pbPrevData = NULL;
    uint32_t cbPrevData = 0;
    int fHavePrev = 0;
    for (uint32_t itag = 1; itag < page.ctag; itag++) {
        esefmt_node node;
        if (esefmt_page_node(&page, itag, &node) < 0 || node.cbPrefix + node.cbSuffix > ESEFMT_KEY_MAX) {
            finding(ps, pgno, JET_errDatabaseCorrupted, "page %u: node %u is damaged", pgno, itag);
            continue;
        }
        uint32_t cbKey = node_key(&node, pbKey);
        int fLastParent = !fLeaf && itag == page.ctag - 1;
        if (fHavePrev && !(fLastParent && cbKey == 0)) {
            int c = cmp_key(pbPrev, cbPrev, pbKey, cbKey);
            if (c == 0 && fLeaf)
                c = cmp_key(pbPrevData, cbPrevData, node.pbData, node.cbData);
            if (c >= 0)
                finding(ps, pgno, JET_errDatabaseCorrupted, "page %u: key of node %u is not above the one before",
                        pgno, itag);
        }
        /* bounds set by the parent (the last parent node's empty key means "no upper bound") */
        if (!(fLastParent && cbKey == 0) && (node.fFlags & ESEFMT_ND_DELETED) == 0) {
            if (pbLo != NULL && cmp_key(pbKey, cbKey, pbLo, cbLo) < 0)
                finding(ps, pgno, JET_errDatabaseCorrupted,
                        "page %u: key of node %u is below its parent's separator for the page before", pgno, itag);
            if (pbHi != NULL && cmp_key(pbKey, cbKey, pbHi, cbHi) > 0)
                finding(ps, pgno, JET_errDatabaseCorrupted, "page %u: key of node %u is above its parent's separator",
                        pgno, itag);
        }
        if (!fLeaf) {
            if (node.cbData < 4) {
                finding(ps, pgno, JET_errDatabaseCorrupted, "page %u: parent node %u has no child page", pgno, itag);
            } else {
                uint32_t pgnoChild = le_get32(node.pbData);
                int fOpenHi = fLastParent && cbKey == 0;
                check_page(ps, pgnoChild, level + 1, fHavePrev ? pbPrev : pbLo, fHavePrev ? cbPrev : cbLo,
                           fOpenHi ? pbHi : pbKey, fOpenHi ? cbHi : cbKey);
            }
        }
        memcpy(pbPrev, pbKey, cbKey);
        cbPrev = cbKey;
        pbPrevData = node.pbData;
        cbPrevData = node.cbData;
        fHavePrev = 1;
    }
    os_free(pbKey);
    os_free(pb);
}

static void check_tree(chk_state *ps, const chk_tree *pt, uint32_t pgnoRoot)
{
    ps->ptree = pt;
    memset(ps->rglevel, 0, sizeof(ps->rglevel));
    ps->clevelLeaf = 0;
    check_page(ps, pgnoRoot, 0, NULL, 0, NULL, 0);
    for (uint32_t l = 1; l < ESEFMT_DEPTH_MAX; l++)
        if (ps->rglevel[l].pgnoLast != 0 && ps->rglevel[l].pgnoNextOfLast != 0)
            finding(ps, ps->rglevel[l].pgnoLast, JET_errBadPageLink,
                    "page %u is the last of its level but links to next page %u", ps->rglevel[l].pgnoLast,
                    ps->rglevel[l].pgnoNextOfLast);
    ps->pinfo->ctree++;
}

/* Pages of the extents of a space tree (key ends with the extent's last page,
 * big-endian; data starts with its page count), passed to fn. */
static void space_extents(chk_state *ps, uint32_t pgnoRoot, uint32_t objid, int fAvail)
{
    ESEPY_ESE_FILE *pfile = ps->pfile;
    esefmt_walk walk;
    if (esefmt_walk_init(pfile, pgnoRoot, objid, &walk) < 0)
        return;
    const chk_tree *pt = ps->ptree;
    esefmt_node node;
    while (esefmt_walk_next(&walk, &node) >= 0) {
        if ((node.fFlags & ESEFMT_ND_DELETED) || walk.cbKey < 4 || node.cbData < 4)
            continue;
        uint32_t pgnoLast = be_get32(walk.rgbKey + walk.cbKey - 4);
        uint32_t cpg = le_get32(node.pbData);
        if (cpg == 0)
            continue; /* an empty extent (a pool marker) */
        if (cpg > pgnoLast) {
            finding(ps, walk.leaf.pgno, fAvail ? JET_errSPAvailExtCorrupted : JET_errSPOwnExtCorrupted,
                    "extent ending at page %u has %u pages", pgnoLast, cpg);
            continue;
        }
        for (uint32_t p = pgnoLast - cpg + 1; p <= pgnoLast && p <= pfile->cpg; p++) {
            if (fAvail) {
                if (ps->rgobjidOwner[p] != pt->objid)
                    finding(ps, p, JET_errSPAvailExtCorrupted, "page %u is listed free but owned by objid %u", p,
                            ps->rgobjidOwner[p]);
                ps->rgobjidFree[p] = pt->objid;
                continue;
            }
            uint32_t owner = ps->rgobjidOwner[p];
            if (owner == pt->objid)
                finding(ps, p, JET_errSPOwnExtCorrupted, "page %u is in two owned extents of the same tree (%u)", p,
                        owner);
            else if (owner != 0 && owner != pt->objidParent)
                finding(ps, p, JET_errSPOwnExtCorrupted, "page %u is owned twice: also by objid %u", p, owner);
            else if (owner != 0 && ps->rgobjidFree[p] == owner)
                finding(ps, p, JET_errSPOwnExtCorrupted, "page %u is owned but free in its parent objid %u", p,
                        owner);
            ps->rgobjidOwner[p] = pt->objid;
        }
    }
    esefmt_walk_term(&walk);
}

/* The space of one tree: its root's space header, then owned and available
 * extents (multiple-extent trees) or the single extent. */
static void check_space(chk_state *ps, const chk_tree *pt)
{
    ESEPY_ESE_FILE *pfile = ps->pfile;
    ps->ptree = pt;
    esefmt_page root;
    esefmt_line line;
    if (esefmt_page_get(pfile, pt->pgnoFDP, &root) < 0 || root.objidFDP != pt->objid ||
        esefmt_page_line(&root, 0, &line) < 0 || line.cb < CB_SPACEHDR) {
        finding(ps, pt->pgnoFDP, JET_errSPOwnExtCorrupted, "root page %u has no space header (objid %u)",
                pt->pgnoFDP, pt->objid);
        return;
    }
    /* Tag 0 of a tree's root is its external header: the 16-byte space
     * header, or (longer, newer formats) a byte of field flags -- 0x1 space
     * header, 0x2 auto-increment counter -- followed by those fields in order */
    const uint8_t *pbSph = line.pb;
    if (line.cb > CB_SPACEHDR) {
        if (!(line.pb[0] & EXTHDR_SPACE) || line.cb < 1 + CB_SPACEHDR) {
            finding(ps, pt->pgnoFDP, JET_errSPOwnExtCorrupted, "root page %u: external header without a space "
                    "header (flags 0x%x)", pt->pgnoFDP, line.pb[0]);
            return;
        }
        pbSph = line.pb + 1;
    }
    uint32_t cpgPrimary = le_get32(pbSph);
    uint32_t fFlags = pbSph[8];
    uint32_t pgnoOE = le_get32(pbSph + 12);
    if (!(fFlags & SPH_MULTIPLE_EXTENT)) {
        for (uint32_t p = pt->pgnoFDP; cpgPrimary && p < pt->pgnoFDP + cpgPrimary && p <= pfile->cpg; p++) {
            uint32_t owner = ps->rgobjidOwner[p];
            if (owner != 0 && owner != pt->objidParent)
                finding(ps, p, JET_errSPOwnExtCorrupted, "page %u is owned twice: also by objid %u", p, owner);
            ps->rgobjidOwner[p] = pt->objid;
        }
        return;
    }
    space_extents(ps, pgnoOE, pt->objid, 0);
    space_extents(ps, pgnoOE + 1, pt->objid, 1);
    /* the space trees are trees of this objid too */
    chk_tree oe = *pt, ae = *pt;
    oe.szName = "owned-extent tree";
    ae.szName = "available-extent tree";
    check_tree(ps, &oe, pgnoOE);
    check_tree(ps, &ae, pgnoOE + 1);
}

static int add_tree(chk_tree **prg, uint32_t *pc, uint32_t *pcMax, uint32_t objid, uint32_t pgno, uint32_t objidParent,
                    const char *szName)
{
    if (objid == 0 || pgno == 0)
        return 1;
    for (uint32_t i = 0; i < *pc; i++)
        if ((*prg)[i].objid == objid)
            return 1;
    if (*pc == *pcMax) {
        uint32_t cNew = *pcMax ? 2 * *pcMax : 32;
        chk_tree *p = os_realloc(*prg, cNew * sizeof(chk_tree));
        if (p == NULL)
            return 0;
        *prg = p;
        *pcMax = cNew;
    }
    chk_tree *pt = &(*prg)[(*pc)++];
    pt->objid = objid;
    pt->pgnoFDP = pgno;
    pt->objidParent = objidParent;
    pt->szName = szName;
    return 1;
}

JET_ERR EsepyEseCheckIntegrity(ESEPY_ESE_FILE *pfile, ESEPY_ESE_INTEGRITY *pinfo)
{
    if (pfile == NULL || pinfo == NULL)
        return JET_errInvalidParameter;
    memset(pinfo, 0, sizeof(*pinfo));
    pinfo->cbStruct = sizeof(*pinfo);
    pinfo->idamageFirst = pfile->cdamageStored;
    JET_ERR err = esefmt_catalog_load(pfile);
    if (err < 0)
        return err;
    if (pfile->fCatalogEmpty)
        return JET_errObjectNotFound; /* nothing to check: no stored catalog */
    chk_tree *rgtree = NULL;
    uint32_t ctree = 0, ctreeMax = 0;
    int fOK = add_tree(&rgtree, &ctree, &ctreeMax, OBJID_DB, PGNO_DB, 0, "database root");
    for (uint32_t i = 0; fOK && i < pfile->ctable; i++) {
        const esefmt_table *pt = &pfile->rgtable[i];
        fOK = add_tree(&rgtree, &ctree, &ctreeMax, pt->objid, pt->pgnoFDP, OBJID_DB, pt->szName);
    }
    for (uint32_t i = 0; fOK && i < pfile->ctable; i++) {
        const esefmt_table *pt = &pfile->rgtable[i];
        fOK = add_tree(&rgtree, &ctree, &ctreeMax, pt->objidLV, pt->pgnoFDPLV, pt->objid, pt->szName);
        for (uint32_t j = 0; fOK && j < pt->cidx; j++)
            fOK = add_tree(&rgtree, &ctree, &ctreeMax, pt->rgidx[j].objid, pt->rgidx[j].pgnoFDP, pt->objid,
                           pt->rgidx[j].szName);
    }
    chk_state st;
    memset(&st, 0, sizeof(st));
    st.pfile = pfile;
    st.pinfo = pinfo;
    size_t cpg = (size_t)pfile->cpg + 1;
    st.rgobjidUsed = os_calloc(cpg, sizeof(uint32_t));
    st.rgobjidOwner = os_calloc(cpg, sizeof(uint32_t));
    st.rgobjidFree = os_calloc(cpg, sizeof(uint32_t));
    if (!fOK || st.rgobjidUsed == NULL || st.rgobjidOwner == NULL || st.rgobjidFree == NULL) {
        err = JET_errOutOfMemory;
        goto done;
    }
    /* space first, parents before children (the list is in that order) */
    for (uint32_t i = 0; i < ctree; i++)
        check_space(&st, &rgtree[i]);
    for (uint32_t i = 0; i < ctree; i++)
        check_tree(&st, &rgtree[i], rgtree[i].pgnoFDP);
    /* every page in use belongs to its tree's space and is not listed free */
    st.ptree = NULL;
    for (uint32_t p = 1; p < cpg; p++) {
        uint32_t used = st.rgobjidUsed[p], owner = st.rgobjidOwner[p];
        if (owner != 0)
            pinfo->cpageOwned++;
        if (used == 0)
            continue;
        if (owner != used)
            finding(&st, p, JET_errSPOwnExtCorrupted,
                    owner ? "page %u in use by objid %u is owned by another tree"
                          : "page %u in use by objid %u is owned by no tree", p, used);
        else if (st.rgobjidFree[p] == used)
            finding(&st, p, JET_errSPAvailExtCorrupted, "page %u in use by objid %u is listed free in its space", p,
                    used);
    }
    pinfo->ctable = pfile->ctable;
done:
    os_free(st.rgobjidUsed);
    os_free(st.rgobjidOwner);
    os_free(st.rgobjidFree);
    os_free(rgtree);
    pinfo->cdamageTotal = pfile->cdamage;
    return err;
}
