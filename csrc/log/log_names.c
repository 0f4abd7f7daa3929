/*
 * log_names.c -- names of the log stream's files (ESE naming: B.log,
 * B<gen>.log with 5 or 8 uppercase hex digits, Btmp.log, Bres0000N.jrs, B.chk;
 * .jtx/.jcp without JET_bitESE98FileNames), the scan of a log folder for one
 * stream's files, and log_survey.
 *
 * Owns: mapping generations to file names and back; what "the files of this
 * stream in this folder" means.
 * Must not touch: file contents beyond reading headers (log_read_header) and
 * the checkpoint (log_checkpoint_read); it never writes, renames or deletes.
 */
#include "log_int.h"

#include <stdio.h>
#include <stdlib.h>

static const char *ext_log(const log_config *cfg)
{
    return (cfg->legacy_names & JET_bitESE98FileNames) ? ".log" : ".jtx";
}

static const char *ext_chk(const log_config *cfg)
{
    return (cfg->legacy_names & JET_bitESE98FileNames) ? ".chk" : ".jcp";
}

/* Whether generation gen is named with 5 digits under this configuration. */
static int five_digits(const log_config *cfg, int32_t gen)
{
    return (cfg->legacy_names & JET_bitEightDotThreeSoftCompat) && gen <= LOG_GEN_5DIGIT_MAX;
}

static JET_ERR path_fmt(size_t cbOut, int n)
{
    return (n < 0 || (size_t)n >= cbOut) ? JET_errInvalidPath : JET_errSuccess;
}

/* Archived name of gen with `digits` digits. */
static JET_ERR path_gen_digits(const log_config *cfg, const char *dir, int32_t gen, int digits, char *out,
                               size_t cbOut)
{
    return path_fmt(cbOut,
                    snprintf(out, cbOut, "%s/%s%0*X%s", dir, cfg->base, digits, (unsigned)gen, ext_log(cfg)));
}

JET_ERR log_path_dir(const log_config *cfg, const char *dir, int32_t gen, char *out, size_t cbOut)
{
    JET_ERR err = log_config_check_names(cfg);
    if (err < 0)
        return err;
    if (out == NULL || cbOut == 0)
        return JET_errInvalidParameter;
    if (dir == NULL)
        dir = cfg->log_dir;
    if (gen > 0)
        return path_gen_digits(cfg, dir, gen, five_digits(cfg, gen) ? 5 : 8, out, cbOut);
    switch (gen) {
    case LOG_GEN_CURRENT:
        return path_fmt(cbOut, snprintf(out, cbOut, "%s/%s%s", dir, cfg->base, ext_log(cfg)));
    case LOG_GEN_TMP:
        return path_fmt(cbOut, snprintf(out, cbOut, "%s/%stmp%s", dir, cfg->base, ext_log(cfg)));
    case LOG_GEN_RES1:
    case LOG_GEN_RES2:
        return path_fmt(cbOut, snprintf(out, cbOut, "%s/%sres%05d.jrs", dir, cfg->base, -1 - gen));
    case LOG_GEN_CHK:
        return path_fmt(cbOut, snprintf(out, cbOut, "%s/%s%s", cfg->system_dir, cfg->base, ext_chk(cfg)));
    default:
        return JET_errInvalidParameter;
    }
}

JET_ERR log_path(const log_config *cfg, int32_t gen, char *out, size_t cbOut)
{
    return log_path_dir(cfg, NULL, gen, out, cbOut);
}

JET_ERR log_find_gen(const log_config *cfg, const char *dir, int32_t gen, char *out, size_t cbOut)
{
    JET_ERR err;
    if (gen <= 0)
        return JET_errInvalidParameter;
    if (dir == NULL)
        dir = cfg->log_dir;
    err = path_gen_digits(cfg, dir, gen, five_digits(cfg, gen) ? 5 : 8, out, cbOut);
    if (err < 0 || os_exists(out))
        return err;
    if (gen <= LOG_GEN_5DIGIT_MAX) {
        err = path_gen_digits(cfg, dir, gen, five_digits(cfg, gen) ? 8 : 5, out, cbOut);
        if (err < 0 || os_exists(out))
            return err;
    }
    return JET_errFileNotFound;
}

/* ---- folder scan ------------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1; /* names are written in uppercase hex only */
}

/* Classify a folder entry: 1 = archived generation (*pgen), 0 = current log,
 * -1 = not a log file of this stream. */
static int parse_name(const log_config *cfg, const char *name, int32_t *pgen)
{
    const char *ext = ext_log(cfg);
    size_t len = strlen(name), cbase = strlen(cfg->base), cext = strlen(ext);
    /* Exactly as log_path spells them (case matters on POSIX file systems). */
    if (len < cbase + cext || strncmp(name, cfg->base, cbase) != 0 || strcmp(name + len - cext, ext) != 0)
        return -1;
    size_t digits = len - cbase - cext;
    if (digits == 0)
        return 0;
    if (digits != 5 && digits != 8)
        return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < digits; i++) {
        int h = hexval((unsigned char)name[cbase + i]);
        if (h < 0)
            return -1;
        v = (v << 4) | (uint32_t)h;
    }
    if (v == 0 || v > LOG_GEN_MAX)
        return -1;
    *pgen = (int32_t)v;
    return 1;
}

typedef struct scan_ctx {
    const log_config *cfg;
    log_dirscan      *ps;
    uint32_t          cap;
} scan_ctx;

static JET_ERR scan_one(const char *name, void *pv)
{
    scan_ctx *ctx = pv;
    int32_t gen = 0;
    int kind = parse_name(ctx->cfg, name, &gen);
    if (kind == 0)
        ctx->ps->fCurrent = 1;
    if (kind != 1)
        return JET_errSuccess;
    if (ctx->ps->cgens == ctx->cap) {
        uint32_t cap = ctx->cap ? ctx->cap * 2 : 64;
        int32_t *p = os_realloc(ctx->ps->gens, cap * sizeof(*p));
        if (p == NULL)
            return JET_errOutOfMemory;
        ctx->ps->gens = p;
        ctx->cap = cap;
    }
    ctx->ps->gens[ctx->ps->cgens++] = gen;
    return JET_errSuccess;
}

static int cmp_gen(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

JET_ERR log_scan_dir(const log_config *cfg, const char *dir, log_dirscan *ps)
{
    log_dirscan s = { 0, NULL, 0 };
    scan_ctx ctx = { cfg, &s, 0 };
    JET_ERR err = os_list_dir(dir ? dir : cfg->log_dir, scan_one, &ctx);
    if (err < 0) {
        os_free(s.gens);
        return err == JET_errFileNotFound ? JET_errInvalidPath : err;
    }
    if (s.cgens > 1) {
        qsort(s.gens, s.cgens, sizeof(*s.gens), cmp_gen);
        uint32_t w = 1; /* drop duplicates (5- and 8-digit names of one generation) */
        for (uint32_t r = 1; r < s.cgens; r++)
            if (s.gens[r] != s.gens[w - 1])
                s.gens[w++] = s.gens[r];
        s.cgens = w;
    }
    *ps = s;
    return JET_errSuccess;
}

void log_scan_free(log_dirscan *ps)
{
    os_free(ps->gens);
    ps->gens = NULL;
    ps->cgens = 0;
}

int log_scan_has(const log_dirscan *ps, int32_t gen)
{
    const int32_t *p = ps->cgens ? bsearch(&gen, ps->gens, ps->cgens, sizeof(gen), cmp_gen) : NULL;
    return p != NULL;
}

/* ---- survey --------------------------------------------------------------------------- */

JET_ERR log_survey(const log_config *cfg, log_stream_info *pinfo)
{
    JET_ERR err;
    log_dirscan scan = { 0, NULL, 0 };
    log_stream_info info;
    log_header hdr;
    log_checkpoint chk;
    char path[OS_PATH_MAX];
    int fSign = 0;

    memset(&info, 0, sizeof(info));
    if (pinfo == NULL)
        return JET_errInvalidParameter;
    err = log_config_check_names(cfg);
    if (err < 0)
        return err;
    err = log_scan_dir(cfg, NULL, &scan);
    if (err < 0)
        return err;

    if (scan.fCurrent) {
        err = log_path(cfg, LOG_GEN_CURRENT, path, sizeof(path));
        if (err >= 0)
            err = log_read_header(path, &hdr);
        if (err < 0)
            goto done;
        info.genCurrent = hdr.generation;
        info.signLog = hdr.signLog;
        fSign = 1;
    }
    if (scan.cgens > 0) {
        /* The contiguous range ending at the highest archived generation. */
        uint32_t i = scan.cgens - 1;
        while (i > 0 && scan.gens[i - 1] == scan.gens[i] - 1)
            i--;
        info.genHigh = scan.gens[scan.cgens - 1];
        info.genLow = scan.gens[i];
        if (i > 0 || (info.genCurrent != 0 && info.genHigh < info.genCurrent - 1)) {
            err = JET_errMissingLogFile; /* a hole below the range or before B.log */
            goto done;
        }
        if (info.genCurrent != 0 && info.genHigh >= info.genCurrent) {
            err = JET_errInvalidLogSequence; /* archived generations at or after B.log */
            goto done;
        }
        for (int32_t g = info.genHigh; g >= info.genLow; g--) {
            err = log_find_gen(cfg, NULL, g, path, sizeof(path));
            if (err >= 0)
                err = log_read_header(path, &hdr);
            if (err < 0)
                goto done;
            if (hdr.generation != g) {
                err = JET_errLogGenerationMismatch;
                goto done;
            }
            if (!fSign) {
                info.signLog = hdr.signLog;
                fSign = 1;
            } else if (!log_sign_equal(&hdr.signLog, &info.signLog)) {
                err = JET_errBadLogSignature;
                goto done;
            }
        }
    }
    info.exists = scan.fCurrent || scan.cgens > 0;

    /* The checkpoint counts only if it belongs to this stream (or no stream exists). */
    if (log_checkpoint_read(cfg, &chk) >= 0 && (!info.exists || log_sign_equal(&chk.signLog, &info.signLog))) {
        info.chkValid = 1;
        info.lsnCheckpoint = chk.lsnCheckpoint;
        if (!info.exists)
            info.signLog = chk.signLog;
    }
    err = JET_errSuccess;
    *pinfo = info;
done:
    log_scan_free(&scan);
    return err;
}
