/*
 * tree.c -- walking one B+tree of a database file in key order: a
 * depth-first descent through parent pages (never trusting sibling links),
 * a seek used by long-value lookups, and the end of the space the database
 * owns (the last page of its own owned-extent tree, to spot truncated files).
 * Must not touch: record contents, the catalog.  Pages come from page.c.
 * Invariants: the walk owns a private copy of the leaf it is on, so node
 * pointers it returns survive other cache traffic until the next call; depth
 * and the number of page visits are bounded (damage is reported, never a
 * hang); a child page must belong to the same tree (objidFDP) to be entered.
 */
#include <stdio.h>

#include "esefmt_int.h"

JET_ERR esefmt_walk_init(ESEPY_ESE_FILE *pfile, uint32_t pgnoRoot, uint32_t objidFDP, esefmt_walk *pwalk)
{
    memset(pwalk, 0, offsetof(esefmt_walk, rgbKey));
    pwalk->pfile = pfile;
    pwalk->pgnoRoot = pgnoRoot;
    pwalk->objidFDP = objidFDP;
    pwalk->cvisitMax = (uint64_t)pfile->cpg * ESEFMT_VISIT_FACTOR + 64;
    pwalk->pbLeaf = os_malloc(pfile->cbPage);
    if (pwalk->pbLeaf == NULL)
        return JET_errOutOfMemory;
    return JET_errSuccess;
}

void esefmt_walk_term(esefmt_walk *pwalk)
{
    os_free(pwalk->pbLeaf);
    pwalk->pbLeaf = NULL;
}

static void walk_damage(esefmt_walk *pwalk, uint32_t pgno, JET_ERR err, const char *szWhat)
{
    char sz[120];
    snprintf(sz, sizeof(sz), "tree of objid %u: %s", pwalk->objidFDP, szWhat);
    esefmt_damage(pwalk->pfile, pgno, err, pwalk->objidFDP, sz);
}

/* Load page pgno as a page of this tree.  Returns < 0 when it cannot be
 * used (damage already reported). */
static JET_ERR walk_page(esefmt_walk *pwalk, uint32_t pgno, esefmt_page *ppage)
{
    if (++pwalk->cvisit > pwalk->cvisitMax) {
        walk_damage(pwalk, pgno, JET_errBadPageLink, "too many page visits (loop in the tree)");
        pwalk->fDone = 1;
        return JET_errBadPageLink;
    }
    JET_ERR err = esefmt_page_get(pwalk->pfile, pgno, ppage);
    if (err < 0) {
        walk_damage(pwalk, pgno, err == JET_errFileIOBeyondEOF ? JET_errBadPageLink : err,
                    err == JET_errPageNotInitialized ? "child page is blank"
                    : err == JET_errFileIOBeyondEOF  ? "child page beyond the end of the file"
                                                     : "child page unreadable");
        return err;
    }
    if (ppage->objidFDP != pwalk->objidFDP) {
        walk_damage(pwalk, pgno, JET_errBadPageLink, "page belongs to another tree");
        return JET_errBadPageLink;
    }
    if (ppage->ctag == 0 || ppage->cbHeader + 4 * ppage->ctag > ppage->cbPage) {
        walk_damage(pwalk, pgno, JET_errDatabaseCorrupted, "page has an impossible tag count");
        return JET_errDatabaseCorrupted;
    }
    return JET_errSuccess;
}

static void walk_take_leaf(esefmt_walk *pwalk, const esefmt_page *ppage, uint32_t itag)
{
    memcpy(pwalk->pbLeaf, ppage->pb, pwalk->pfile->cbPage);
    esefmt_page_init(pwalk->pfile, pwalk->pbLeaf, ppage->pgno, &pwalk->leaf);
    pwalk->itagNext = itag;
    pwalk->fHaveLeaf = 1;
}

/* Child page number stored in a parent node's data. */
static JET_ERR child_pgno(const esefmt_node *pnode, uint32_t *ppgno)
{
    if (pnode->cbData < 4)
        return JET_errDatabaseCorrupted;
    *ppgno = le_get32(pnode->pbData);
    return JET_errSuccess;
}

/* Advance until a leaf with a tag left to return is loaded. */
static JET_ERR walk_advance(esefmt_walk *pwalk)
{
    if (!pwalk->fStarted) {
        pwalk->fStarted = 1;
        esefmt_page root;
        if (walk_page(pwalk, pwalk->pgnoRoot, &root) < 0) {
            pwalk->fDone = 1;
            return JET_errNoCurrentRecord;
        }
        if (root.fFlags & ESEFMT_PG_LEAF) {
            walk_take_leaf(pwalk, &root, 1);
        } else {
            pwalk->rglevel[0].pgno = pwalk->pgnoRoot;
            pwalk->rglevel[0].iline = 1;
            pwalk->clevel = 1;
        }
    }
    while (!pwalk->fDone) {
        if (pwalk->fHaveLeaf && pwalk->itagNext < pwalk->leaf.ctag)
            return JET_errSuccess;
        pwalk->fHaveLeaf = 0;
        if (pwalk->clevel == 0) {
            pwalk->fDone = 1;
            break;
        }
        esefmt_level *plevel = &pwalk->rglevel[pwalk->clevel - 1];
        esefmt_page page; /* validated by walk_page when it was pushed */
        if (esefmt_page_get(pwalk->pfile, plevel->pgno, &page) < 0 || plevel->iline >= page.ctag) {
            pwalk->clevel--;
            continue;
        }
        esefmt_node node;
        uint32_t pgnoChild = 0;
        uint32_t iline = plevel->iline++;
        if (esefmt_page_node(&page, iline, &node) < 0 || child_pgno(&node, &pgnoChild) < 0) {
            walk_damage(pwalk, plevel->pgno, JET_errDatabaseCorrupted, "damaged parent node");
            continue;
        }
        esefmt_page child;
        if (walk_page(pwalk, pgnoChild, &child) < 0)
            continue;
        if (child.fFlags & ESEFMT_PG_LEAF) {
            walk_take_leaf(pwalk, &child, 1);
            continue;
        }
        if (pwalk->clevel >= ESEFMT_DEPTH_MAX) {
            walk_damage(pwalk, pgnoChild, JET_errBadPageLink, "tree deeper than any real tree");
            continue;
        }
        pwalk->rglevel[pwalk->clevel].pgno = pgnoChild;
        pwalk->rglevel[pwalk->clevel].iline = 1;
        pwalk->clevel++;
    }
    return JET_errNoCurrentRecord;
}

JET_ERR esefmt_walk_next(esefmt_walk *pwalk, esefmt_node *pnode)
{
    for (;;) {
        JET_ERR err = walk_advance(pwalk);
        if (err < 0)
            return err;
        uint32_t itag = pwalk->itagNext++;
        if (esefmt_page_node(&pwalk->leaf, itag, pnode) < 0) {
            walk_damage(pwalk, pwalk->leaf.pgno, JET_errDatabaseCorrupted, "damaged leaf node skipped");
            continue;
        }
        if (pnode->cbPrefix + pnode->cbSuffix > sizeof(pwalk->rgbKey)) {
            walk_damage(pwalk, pwalk->leaf.pgno, JET_errDatabaseCorrupted, "key too long");
            continue;
        }
        if (pnode->cbPrefix)
            memcpy(pwalk->rgbKey, pnode->pbPrefix, pnode->cbPrefix);
        if (pnode->cbSuffix)
            memcpy(pwalk->rgbKey + pnode->cbPrefix, pnode->pbSuffix, pnode->cbSuffix);
        pwalk->cbKey = pnode->cbPrefix + pnode->cbSuffix;
        pwalk->itagCur = itag;
        return JET_errSuccess;
    }
}

/* Compare key a with the node's key (prefix + suffix), shorter-is-less. */
static int cmp_node_key(const uint8_t *pbKey, uint32_t cbKey, const esefmt_node *pnode)
{
    uint32_t cbNode = pnode->cbPrefix + pnode->cbSuffix;
    uint32_t cb = cbKey < cbNode ? cbKey : cbNode;
    for (uint32_t i = 0; i < cb; i++) {
        uint8_t b = i < pnode->cbPrefix ? pnode->pbPrefix[i] : pnode->pbSuffix[i - pnode->cbPrefix];
        if (pbKey[i] != b)
            return pbKey[i] < b ? -1 : 1;
    }
    return cbKey < cbNode ? -1 : cbKey > cbNode ? 1 : 0;
}

JET_ERR esefmt_walk_seek(esefmt_walk *pwalk, const uint8_t *pbKey, uint32_t cbKey)
{
    /* restart from the root */
    pwalk->fStarted = 1;
    pwalk->clevel = 0;
    pwalk->fHaveLeaf = 0;
    pwalk->fDone = 0;
    uint32_t pgno = pwalk->pgnoRoot;
    for (;;) {
        esefmt_page page;
        JET_ERR err = walk_page(pwalk, pgno, &page);
        if (err < 0) {
            pwalk->fDone = pwalk->clevel == 0;
            return err;
        }
        if (page.fFlags & ESEFMT_PG_LEAF) {
            /* first node >= key on this leaf (or past the end: the walk then
             * continues with the next subtree) */
            uint32_t itag = 1;
            for (; itag < page.ctag; itag++) {
                esefmt_node node;
                if (esefmt_page_node(&page, itag, &node) >= 0 && cmp_node_key(pbKey, cbKey, &node) <= 0)
                    break;
            }
            walk_take_leaf(pwalk, &page, itag);
            return JET_errSuccess;
        }
        if (pwalk->clevel >= ESEFMT_DEPTH_MAX) {
            walk_damage(pwalk, pgno, JET_errBadPageLink, "tree deeper than any real tree");
            return JET_errBadPageLink;
        }
        /* first separator >= key; the last node (empty key) catches the rest */
        uint32_t itag = 1, pgnoChild = 0;
        for (; itag < page.ctag; itag++) {
            esefmt_node node;
            if (esefmt_page_node(&page, itag, &node) < 0)
                continue;
            if (itag == page.ctag - 1 || node.cbPrefix + node.cbSuffix == 0 || cmp_node_key(pbKey, cbKey, &node) <= 0) {
                if (child_pgno(&node, &pgnoChild) < 0)
                    return JET_errDatabaseCorrupted;
                break;
            }
        }
        if (pgnoChild == 0)
            return JET_errDatabaseCorrupted;
        pwalk->rglevel[pwalk->clevel].pgno = pgno;
        pwalk->rglevel[pwalk->clevel].iline = itag + 1;
        pwalk->clevel++;
        pgno = pgnoChild;
    }
}

/* ---- the database's own space tree ------------------------------------------- */

/* Every ESE database is created with its root (objid 1) on page 1 and the
 * root's owned-extent tree on page 2.  Each node of that tree is one extent:
 * the key ends with the extent's last page number (big-endian), the data
 * holds its page count.  The highest last page is the end of the space the
 * database owns: where the file must reach. */
#define ESEFMT_PGNO_DB_OE 2u
#define ESEFMT_OBJID_DB   1u

uint32_t esefmt_owned_pages(ESEPY_ESE_FILE *pfile)
{
    esefmt_page page;
    if (esefmt_page_get(pfile, ESEFMT_PGNO_DB_OE, &page) < 0 || page.objidFDP != ESEFMT_OBJID_DB ||
        (page.fFlags & (ESEFMT_PG_SPACE | ESEFMT_PG_ROOT)) != (ESEFMT_PG_SPACE | ESEFMT_PG_ROOT))
        return 0;
    esefmt_walk walk;
    if (esefmt_walk_init(pfile, ESEFMT_PGNO_DB_OE, ESEFMT_OBJID_DB, &walk) < 0)
        return 0;
    uint32_t pgnoLast = 0;
    esefmt_node node;
    while (esefmt_walk_next(&walk, &node) >= 0) {
        if ((node.fFlags & ESEFMT_ND_DELETED) || walk.cbKey < 4)
            continue;
        uint32_t pgno = be_get32(walk.rgbKey + walk.cbKey - 4);
        if (pgno > pgnoLast && pgno <= 0x7FFFFFFFu)
            pgnoLast = pgno;
    }
    esefmt_walk_term(&walk);
    return pgnoLast;
}
