/*
 * esent.h -- the public C API of esepy, an open implementation of the Extensible
 * Storage Engine ("JET" API, ESENT).
 *
 * What this header owns: the names, numeric values, types and structure layouts
 * of ESENT's esent.h, so that an ESENT program ports to esepy with a recompile.
 * Windows `long` / `unsigned long` are 32-bit, so they appear here as int32_t /
 * uint32_t; handles are pointer-sized (uintptr_t).  Strings are UTF-8 (ESENT's
 * "A" variants; JetFooA names are provided as macros for the unsuffixed ones);
 * the JetFooW variants take UTF-16 JET_WCHAR strings (csrc/api/wchar.c).
 *
 * Only functions that really work are declared.  esepy's own extensions (event
 * sink, parameter and error introspection, test hooks) live in esepy_ext.h and
 * use the prefix Esepy, never Jet.
 *
 * Overview
 *   - Every function returns JET_ERR: 0 = success, < 0 = error (nothing was
 *     done unless the function says otherwise), > 0 = warning (the call
 *     succeeded with a remark).  JetGetSystemParameter(JET_paramErrorToString)
 *     turns a code into "JET_errName, text".
 *   - An instance is one log stream plus its attached databases.  A process is
 *     in one of two sticky modes: one-instance (legacy; entered by JetInit with
 *     no instance) or multi-instance (entered by JetCreateInstance or
 *     JetEnableMultiInstance).  The mode resets once the last instance is freed.
 *   - Sessions are the unit of work; one thread at a time may use a session
 *     (JET_errSessionSharingViolation otherwise).  Different sessions may be
 *     used concurrently from different threads.
 *
 * Caveats
 *   - Handles are opaque integers validated on every call: a stale or forged
 *     handle returns an error, never undefined behaviour.
 *   - JET_paramDatabasePageSize and other process-wide parameters are fixed once
 *     the process has chosen its instance mode.
 */
#ifndef ESEPY_ESENT_H
#define ESEPY_ESENT_H

#ifndef JET_NO_STDINT_INCLUDE
#include <stddef.h>
#include <stdint.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ESENT's calling-convention macro; empty off Windows.  Exported symbols are
 * marked by the library build itself (see ESEPY_BUILDING_LIBRARY below). */
#ifndef JET_API
#define JET_API
#endif
#define JET_VERSION 0x0A00

/* ------------------------------------------------------------------------ */
/* Basic types                                                               */
/* ------------------------------------------------------------------------ */
typedef int32_t   JET_ERR;
typedef uintptr_t JET_API_PTR;
typedef JET_API_PTR JET_INSTANCE;
typedef JET_API_PTR JET_SESID;
typedef JET_API_PTR JET_TABLEID;
typedef JET_API_PTR JET_HANDLE;
typedef uint32_t  JET_DBID;
typedef uint32_t  JET_COLUMNID;
typedef uint32_t  JET_GRBIT;
typedef uint32_t  JET_COLTYP;
typedef uint32_t  JET_SNP;
typedef uint32_t  JET_SNT;
typedef uint32_t  JET_OBJTYP;
typedef const char *JET_PCSTR;
typedef char      *JET_PSTR;

#define JET_instanceNil   (~(JET_INSTANCE)0)
#define JET_sesidNil      (~(JET_SESID)0)
#define JET_tableidNil    (~(JET_TABLEID)0)
#define JET_dbidNil       ((JET_DBID)0xFFFFFFFF)
#define JET_bitNil        ((JET_GRBIT)0)
#define JET_handleNil     (~(JET_HANDLE)0)

/* Limits */
#define JET_cbNameMost              64
#define JET_cbFullNameMost          255
#define JET_cbColumnMost            255
#define JET_cbColumnLVPageOverhead  82
#define JET_cbLVDefaultValueMost    255
#define JET_cbLVColumnMost          0x7FFFFFFF
#define JET_cbKeyMost               255
#define JET_cbKeyMost2KBytePage     500
#define JET_cbKeyMost4KBytePage     1000
#define JET_cbKeyMost8KBytePage     2000
#define JET_cbKeyMostMin            255
#define JET_cbLimitKeyMost          256
#define JET_cbPrimaryKeyMost        255
#define JET_cbSecondaryKeyMost      255
#define JET_cbBookmarkMost          256
#define JET_ccolKeyMost             16
#define JET_ccolMost                0x0000FEE0
#define JET_ccolFixedMost           0x0000007F
#define JET_ccolVarMost             0x00000080
#define JET_ccolTaggedMost          (JET_ccolMost - 0x000000FF)
#define JET_cbNameMostW             128
#define JET_MAX_COMPUTERNAME_LENGTH 15

/* ------------------------------------------------------------------------ */
/* Structures (layouts match ESENT on x64; see tests/c_api/test_layout.py)   */
/* ------------------------------------------------------------------------ */

/* A log position: generation, 4096-byte log sector within it, byte offset in
 * the sector.  Compared generation first, then isec, then ib. */
typedef struct {
    unsigned short ib;
    unsigned short isec;
    int32_t        lGeneration;
} JET_LGPOS;

/* Broken-down time as ESE stores it in headers: year is years since 1900,
 * month 1-12, day 1-31.  bFiller1 bit 0 = time is UTC, bits 1-7 = low 7 bits of
 * the milliseconds; bFiller2 bits 1-3 = high 3 bits of the milliseconds. */
typedef struct {
    char bSeconds;
    char bMinutes;
    char bHours;
    char bDay;
    char bMonth;
    char bYear;
    union {
        char bFiller1;
        struct {
            unsigned char fTimeIsUTC : 1;
            unsigned char bMillisecondsLow : 7;
        };
    };
    union {
        char bFiller2;
        struct {
            unsigned char fReserved : 1;
            unsigned char bMillisecondsHigh : 3;
            unsigned char fUnused : 4;
        };
    };
} JET_LOGTIME;

/* Identity of a database or log stream: random number, creation time and the
 * creating computer's name (NUL-padded). */
typedef struct {
    uint32_t    ulRandom;
    JET_LOGTIME logtimeCreate;
    char        szComputerName[JET_MAX_COMPUTERNAME_LENGTH + 1];
} JET_SIGNATURE;

/* What one backup covered: its log mark, its time and the generation range. */
typedef struct {
    JET_LGPOS   lgposMark;
    JET_LOGTIME logtimeMark;
    uint32_t    genLow;
    uint32_t    genHigh;
} JET_BKINFO;

/* JetGetDatabaseFileInfo(JET_DbInfoMisc) */
typedef struct {
    uint32_t      ulVersion;
    uint32_t      ulUpdate;
    JET_SIGNATURE signDb;
    uint32_t      dbstate;
    JET_LGPOS     lgposConsistent;
    JET_LOGTIME   logtimeConsistent;
    JET_LOGTIME   logtimeAttach;
    JET_LGPOS     lgposAttach;
    JET_LOGTIME   logtimeDetach;
    JET_LGPOS     lgposDetach;
    JET_SIGNATURE signLog;
    JET_BKINFO    bkinfoFullPrev;
    JET_BKINFO    bkinfoIncPrev;
    JET_BKINFO    bkinfoFullCur;
    uint32_t      fShadowingDisabled;
    uint32_t      fUpgradeDb;
    uint32_t      dwMajorVersion;
    uint32_t      dwMinorVersion;
    uint32_t      dwBuildNumber;
    int32_t       lSPNumber;
    uint32_t      cbPageSize;
} JET_DBINFOMISC;

/* Progress passed as pv to a JET_PFNSTATUS callback. */
typedef struct {
    uint32_t cbStruct;
    uint32_t cunitDone;
    uint32_t cunitTotal;
} JET_SNPROG;

/* Status callback: backup, restore, recovery progress.  sesid is
 * JET_sesidNil for backup, restore and recovery.  Unlike ESENT, esepy honours
 * an error returned by the callback: the operation is cancelled and that error
 * is returned to the caller. */
typedef JET_ERR (JET_API *JET_PFNSTATUS)(JET_SESID sesid, JET_SNP snp, JET_SNT snt, void *pv);

/* Restore map entry: a database path as recorded in the logs, and where the
 * database is now. */
typedef struct {
    char *szDatabaseName;
    char *szNewDatabaseName;
} JET_RSTMAP;

/* JetInit3 recovery options. cbStruct must be sizeof(JET_RSTINFO). */
typedef struct {
    uint32_t      cbStruct;
    JET_RSTMAP   *rgrstmap;
    int32_t       crstmap;
    JET_LGPOS     lgposStop;
    JET_LOGTIME   logtimeStop;
    JET_PFNSTATUS pfnStatus;
} JET_RSTINFO;

/* One entry of JetGetInstanceInfo's result. */
typedef struct {
    JET_INSTANCE hInstanceId;
    char        *szInstanceName;
    JET_API_PTR  cDatabases;
    char       **szDatabaseFileName;
    char       **szDatabaseDisplayName;
    char       **szDatabaseSLVFileName_Obsolete;
} JET_INSTANCE_INFO;

/* One system parameter for JetEnableMultiInstance. */
typedef struct {
    uint32_t    paramid;
    JET_API_PTR lParam;
    const char *sz;
    JET_ERR     err;
} JET_SETSYSPARAM;

/* Log range of a streaming backup. */
typedef struct {
    uint32_t cbSize;
    uint32_t ulGenLow;
    uint32_t ulGenHigh;
    char     szBaseName[4];
} JET_LOGINFO;

/* JetEnumerateColumns: which columns (ctagSequence 0 = every value). */
typedef struct {
    JET_COLUMNID  columnid;
    uint32_t      ctagSequence;
    uint32_t     *rgtagSequence;
} JET_ENUMCOLUMNID;

typedef struct {
    uint32_t  itagSequence;
    JET_ERR   err;
    uint32_t  cbData;
    void     *pvData;
} JET_ENUMCOLUMNVALUE;

/* err JET_wrnColumnSingleValue: the value is in cbData / pvData, otherwise in
 * the cEnumColumnValue values. */
typedef struct {
    JET_COLUMNID columnid;
    JET_ERR      err;
    union {
        struct {
            uint32_t             cEnumColumnValue;
            JET_ENUMCOLUMNVALUE *rgEnumColumnValue;
        };
        struct {
            uint32_t  cbData;
            void     *pvData;
        };
    };
} JET_ENUMCOLUMN;

/* Allocates (pv NULL), resizes or frees (cb 0) memory for JetEnumerateColumns. */
typedef void *(JET_API *JET_PFNREALLOC)(void *pvContext, void *pv, uint32_t cb);

/* A position in an index (JetGetRecordPosition / JetGotoPosition). */
typedef struct {
    uint32_t cbStruct;
    uint32_t centriesLT;
    uint32_t centriesInRange;
    uint32_t centriesTotal;
} JET_RECPOS;

/* A table (JetGetTableInfo JET_TblInfo). */
typedef struct {
    uint32_t   cbStruct;
    uint32_t   objtyp;
    double     dtCreate;   /* obsolete */
    double     dtUpdate;   /* obsolete */
    JET_GRBIT  grbit;      /* JET_bitTableInfo* */
    uint32_t   flags;
    uint32_t   cRecord;
    uint32_t   cPage;
} JET_OBJECTINFO;

/* A column with its table (JetGetColumnInfo JET_ColInfoBase). */
typedef struct {
    uint32_t       cbStruct;
    JET_COLUMNID   columnid;
    uint32_t       coltyp;
    unsigned short wCountry;
    unsigned short langid;
    unsigned short cp;
    unsigned short wFiller;
    uint32_t       cbMax;
    JET_GRBIT      grbit;
    char           szBaseTableName[256];
    char           szBaseColumnName[256];
} JET_COLUMNBASE;

/* Column definition (JetAddColumn, JetGetColumnInfo). */
typedef struct {
    uint32_t       cbStruct;
    JET_COLUMNID   columnid;
    JET_COLTYP     coltyp;
    unsigned short wCountry;
    unsigned short langid;
    unsigned short cp;
    unsigned short wCollate;
    uint32_t       cbMax;
    JET_GRBIT      grbit;
} JET_COLUMNDEF;

/* JetSetColumn options. */
typedef struct {
    uint32_t cbStruct;
    uint32_t ibLongValue;
    uint32_t itagSequence;
} JET_SETINFO;

/* JetRetrieveColumn options and results. */
typedef struct {
    uint32_t     cbStruct;
    uint32_t     ibLongValue;
    uint32_t     itagSequence;
    JET_COLUMNID columnidNextTagged;
} JET_RETINFO;

/* One column of JetSetColumns; err receives its result. */
typedef struct {
    JET_COLUMNID columnid;
    const void  *pvData;
    uint32_t     cbData;
    JET_GRBIT    grbit;
    uint32_t     ibLongValue;
    uint32_t     itagSequence;
    JET_ERR      err;
} JET_SETCOLUMN;

/* One column of JetRetrieveColumns; cbActual, columnidNextTagged and err are results. */
typedef struct {
    JET_COLUMNID columnid;
    void        *pvData;
    uint32_t     cbData;
    uint32_t     cbActual;
    JET_GRBIT    grbit;
    uint32_t     ibLongValue;
    uint32_t     itagSequence;
    JET_COLUMNID columnidNextTagged;
    JET_ERR      err;
} JET_RETRIEVECOLUMN;

/* Locale and LCMapString flags of a Unicode index (JET_bitIndexUnicode).
 * esepy honours NORM_IGNORECASE (0x1) in dwMapFlags: without it, text keys
 * compare case-sensitively. */
typedef struct {
    uint32_t lcid;
    uint32_t dwMapFlags;
} JET_UNICODEINDEX;

typedef struct {
    uint16_t *szLocaleName;
    uint32_t  dwMapFlags;
} JET_UNICODEINDEX2;

/* JetOpenTemporaryTable: columns (JET_bitColumnTTKey ones form the key, in
 * array order), options (JET_bitTT*), and on return the tableid and the
 * column ids (prgcolumnid, ccolumn entries).  pidxunicode may be NULL. */
typedef struct tagJET_OPENTEMPORARYTABLE {
    uint32_t             cbStruct;
    const JET_COLUMNDEF *prgcolumndef;
    uint32_t             ccolumn;
    JET_UNICODEINDEX    *pidxunicode;
    JET_GRBIT            grbit;
    JET_COLUMNID        *prgcolumnid;
    uint32_t             cbKeyMost;      /* 0 = JET_cbKeyMost */
    uint32_t             cbVarSegMac;    /* 0 = no per-segment limit */
    JET_TABLEID          tableid;
} JET_OPENTEMPORARYTABLE;

/* JetOpenTemporaryTable2: the same with a locale name (JET_UNICODEINDEX2). */
typedef struct tagJET_OPENTEMPORARYTABLE2 {
    uint32_t             cbStruct;
    const JET_COLUMNDEF *prgcolumndef;
    uint32_t             ccolumn;
    JET_UNICODEINDEX2   *pidxunicode;
    JET_GRBIT            grbit;
    JET_COLUMNID        *prgcolumnid;
    uint32_t             cbKeyMost;
    uint32_t             cbVarSegMac;
    JET_TABLEID          tableid;
} JET_OPENTEMPORARYTABLE2;

/* JetGetTableColumnInfo / JetGetColumnInfo with JET_ColInfoList (and
 * ListCompact, ListSortColumnid): a temporary table with one row per column;
 * the caller closes tableid.  Each columnid* names the column of that table
 * holding the field. */
typedef struct {
    uint32_t     cbStruct;
    JET_TABLEID  tableid;
    uint32_t     cRecord;
    JET_COLUMNID columnidPresentationOrder;
    JET_COLUMNID columnidcolumnname;
    JET_COLUMNID columnidcolumnid;
    JET_COLUMNID columnidcoltyp;
    JET_COLUMNID columnidCountry;
    JET_COLUMNID columnidLangid;
    JET_COLUMNID columnidCp;
    JET_COLUMNID columnidCollate;
    JET_COLUMNID columnidcbMax;
    JET_COLUMNID columnidgrbit;
    JET_COLUMNID columnidDefault;
    JET_COLUMNID columnidBaseTableName;
    JET_COLUMNID columnidBaseColumnName;
    JET_COLUMNID columnidDefinitionName;
} JET_COLUMNLIST;

/* JetGetObjectInfo with JET_ObjInfoList / JET_ObjInfoListNoStats: a temporary
 * table with one row per object (table) of the database; the caller closes tableid. */
typedef struct {
    uint32_t     cbStruct;
    JET_TABLEID  tableid;
    uint32_t     cRecord;
    JET_COLUMNID columnidcontainername;
    JET_COLUMNID columnidobjectname;
    JET_COLUMNID columnidobjtyp;
    JET_COLUMNID columniddtCreate;
    JET_COLUMNID columniddtUpdate;
    JET_COLUMNID columnidgrbit;
    JET_COLUMNID columnidflags;
    JET_COLUMNID columnidcRecord;
    JET_COLUMNID columnidcPage;
} JET_OBJECTLIST;

/* JetGetTableIndexInfo / JetGetIndexInfo with JET_IdxInfo / JET_IdxInfoList:
 * a temporary table with one row per index segment; the caller closes tableid. */
typedef struct {
    uint32_t     cbStruct;
    JET_TABLEID  tableid;
    uint32_t     cRecord;
    JET_COLUMNID columnidindexname;
    JET_COLUMNID columnidgrbitIndex;
    JET_COLUMNID columnidcKey;
    JET_COLUMNID columnidcEntry;
    JET_COLUMNID columnidcPage;
    JET_COLUMNID columnidcColumn;
    JET_COLUMNID columnidiColumn;
    JET_COLUMNID columnidcolumnid;
    JET_COLUMNID columnidcoltyp;
    JET_COLUMNID columnidCountry;
    JET_COLUMNID columnidLangid;
    JET_COLUMNID columnidCp;
    JET_COLUMNID columnidCollate;
    JET_COLUMNID columnidgrbitColumn;
    JET_COLUMNID columnidcolumnname;
    JET_COLUMNID columnidLCMapFlags;
} JET_INDEXLIST;

typedef struct {
    uint32_t cbStruct;
    uint32_t ulInitialDensity;
    uint32_t cbInitial;
    JET_GRBIT grbit;
    uint32_t ulMaintDensity;
    uint32_t ulGrowth;
    uint32_t cbMinExtent;
    uint32_t cbMaxExtent;
} JET_SPACEHINTS;

typedef struct {
    uint32_t  cbStruct;
    char     *szColumnName;
    JET_GRBIT grbit;
} JET_CONDITIONALCOLUMN_A;
typedef JET_CONDITIONALCOLUMN_A JET_CONDITIONALCOLUMN;
/* JET_CONDITIONALCOLUMN grbit: exactly one of these. */
#define JET_bitIndexColumnMustBeNull    0x00000001
#define JET_bitIndexColumnMustBeNonNull 0x00000002

/* One index for JetCreateIndex2 (JET_INDEXCREATE), JetCreateIndex3
 * (JET_INDEXCREATE2: + space hints) and JetCreateIndex4 (JET_INDEXCREATE3:
 * JET_UNICODEINDEX2).  cbKeyMost is used with JET_bitIndexKeyMost; err
 * receives the result for this index. */
typedef struct {
    uint32_t  cbStruct;
    char     *szIndexName;
    char     *szKey;
    uint32_t  cbKey;
    JET_GRBIT grbit;
    uint32_t  ulDensity;
    union {
        uint32_t          lcid;
        JET_UNICODEINDEX *pidxunicode;
    };
    union {
        uint32_t cbVarSegMac;
        void    *ptuplelimits;
    };
    JET_CONDITIONALCOLUMN_A *rgconditionalcolumn;
    uint32_t  cConditionalColumn;
    JET_ERR   err;
    uint32_t  cbKeyMost;
} JET_INDEXCREATE_A;
typedef JET_INDEXCREATE_A JET_INDEXCREATE;

typedef struct {
    uint32_t  cbStruct;
    char     *szIndexName;
    char     *szKey;
    uint32_t  cbKey;
    JET_GRBIT grbit;
    uint32_t  ulDensity;
    union {
        uint32_t          lcid;
        JET_UNICODEINDEX *pidxunicode;
    };
    union {
        uint32_t cbVarSegMac;
        void    *ptuplelimits;
    };
    JET_CONDITIONALCOLUMN_A *rgconditionalcolumn;
    uint32_t  cConditionalColumn;
    JET_ERR   err;
    uint32_t  cbKeyMost;
    JET_SPACEHINTS *pSpacehints;
} JET_INDEXCREATE2_A;
typedef JET_INDEXCREATE2_A JET_INDEXCREATE2;

typedef struct {
    uint32_t  cbStruct;
    char     *szIndexName;
    char     *szKey;
    uint32_t  cbKey;
    JET_GRBIT grbit;
    uint32_t  ulDensity;
    JET_UNICODEINDEX2 *pidxunicode;
    union {
        uint32_t cbVarSegMac;
        void    *ptuplelimits;
    };
    JET_CONDITIONALCOLUMN_A *rgconditionalcolumn;
    uint32_t  cConditionalColumn;
    JET_ERR   err;
    uint32_t  cbKeyMost;
    JET_SPACEHINTS *pSpacehints;
} JET_INDEXCREATE3_A;

typedef uint32_t JET_CBTYP;

/* Callback types (a mask: one registration may cover several). */
#define JET_cbtypNull                    0x00000000
#define JET_cbtypFinalize                0x00000001
#define JET_cbtypBeforeInsert            0x00000002
#define JET_cbtypAfterInsert             0x00000004
#define JET_cbtypBeforeReplace           0x00000008
#define JET_cbtypAfterReplace            0x00000010
#define JET_cbtypBeforeDelete            0x00000020
#define JET_cbtypAfterDelete             0x00000040
#define JET_cbtypUserDefinedDefaultValue 0x00000080
#define JET_cbtypOnlineDefragCompleted   0x00000100
#define JET_cbtypFreeCursorLS            0x00000200
#define JET_cbtypFreeTableLS             0x00000400

/* A table callback (JetRegisterCallback).  esepy calls the Before* / After*
 * insert, replace and delete types with pvArg1 = pvArg2 = NULL, outside any
 * engine lock and with the session free, so the callback may use the session
 * and the cursor.  A Before* callback's error aborts the operation with that
 * error; an After* callback's result is ignored (as ESENT). */
typedef JET_ERR (JET_API *JET_CALLBACK)(JET_SESID sesid, JET_DBID dbid, JET_TABLEID tableid, JET_CBTYP cbtyp,
                                        void *pvArg1, void *pvArg2, void *pvContext, JET_API_PTR ulUnused);

/* JetAddColumn's pvDefault (cbDefault = its size) with
 * JET_bitColumnUserDefinedDefault: a default computed by a
 * JET_cbtypUserDefinedDefaultValue callback named "library!function" (called
 * with pvArg1 = the output buffer, pvArg2 = uint32_t * size in/out,
 * pvContext = a copy of pbUserData, ulUnused = the columnid).
 * szDependantColumns: NULL or a double-NUL-terminated list of names. */
typedef struct {
    char          *szCallback;
    unsigned char *pbUserData;
    uint32_t       cbUserData;
    char          *szDependantColumns;
} JET_USERDEFINEDDEFAULT;

/* One column of JetCreateTableColumnIndex*; columnid and err are results. */
typedef struct {
    uint32_t      cbStruct;
    char         *szColumnName;
    JET_COLTYP    coltyp;
    uint32_t      cbMax;
    JET_GRBIT     grbit;
    void         *pvDefault;
    uint32_t      cbDefault;
    uint32_t      cp;
    JET_COLUMNID  columnid;
    JET_ERR       err;
} JET_COLUMNCREATE_A;

/* JetCreateTableColumnIndex: a table, its columns and indexes in one call;
 * tableid (open on the new table) and cCreated are results. */
typedef struct {
    uint32_t            cbStruct;
    char               *szTableName;
    char               *szTemplateTableName;
    uint32_t            ulPages;
    uint32_t            ulDensity;
    JET_COLUMNCREATE_A *rgcolumncreate;
    uint32_t            cColumns;
    JET_INDEXCREATE_A  *rgindexcreate;
    uint32_t            cIndexes;
    JET_GRBIT           grbit;
    JET_TABLEID         tableid;
    uint32_t            cCreated;
} JET_TABLECREATE_A;

typedef struct {
    uint32_t            cbStruct;
    char               *szTableName;
    char               *szTemplateTableName;
    uint32_t            ulPages;
    uint32_t            ulDensity;
    JET_COLUMNCREATE_A *rgcolumncreate;
    uint32_t            cColumns;
    JET_INDEXCREATE_A  *rgindexcreate;
    uint32_t            cIndexes;
    char               *szCallback;      /* must be NULL: no callbacks */
    JET_CBTYP           cbtyp;
    JET_GRBIT           grbit;
    JET_TABLEID         tableid;
    uint32_t            cCreated;
} JET_TABLECREATE2_A;

typedef struct {
    uint32_t            cbStruct;
    char               *szTableName;
    char               *szTemplateTableName;
    uint32_t            ulPages;
    uint32_t            ulDensity;
    JET_COLUMNCREATE_A *rgcolumncreate;
    uint32_t            cColumns;
    JET_INDEXCREATE2_A *rgindexcreate;
    uint32_t            cIndexes;
    char               *szCallback;      /* must be NULL: no callbacks */
    JET_CBTYP           cbtyp;
    JET_GRBIT           grbit;
    JET_SPACEHINTS     *pSeqSpacehints;  /* accepted, ignored */
    JET_SPACEHINTS     *pLVSpacehints;   /* accepted, ignored */
    uint32_t            cbSeparateLV;    /* accepted, ignored */
    JET_TABLEID         tableid;
    uint32_t            cCreated;
} JET_TABLECREATE3_A;

typedef JET_COLUMNCREATE_A JET_COLUMNCREATE;
typedef JET_TABLECREATE_A  JET_TABLECREATE;
typedef JET_TABLECREATE2_A JET_TABLECREATE2;
typedef JET_TABLECREATE3_A JET_TABLECREATE3;
typedef JET_INDEXCREATE3_A JET_INDEXCREATE3;

/* JetCommitTransaction2 result.  commitId is the log position (JET_LGPOS
 * packed as (lGeneration << 32) | (isec << 16) | ib) of the last byte of the
 * commit record; a commit is durable once the durable-commit callback
 * reported a commitId greater than it (same signLog). */
typedef struct {
    JET_SIGNATURE signLog;
    int32_t       reserved;
    int64_t       commitId;
} JET_COMMIT_ID;

/* JET_paramDurableCommitCallback: called from the instance's log flusher
 * thread (no engine lock held) with the position just past the log written
 * durably so far, in increasing order; grbit
 * JET_bitDurableCommitCallbackLogUnavailable once the log failed.  Its return
 * value is ignored.  It must not end the instance (JetTerm). */
typedef JET_ERR (JET_API *JET_PFNDURABLECOMMITCALLBACK)(JET_INSTANCE instance, JET_COMMIT_ID *pCommitIdSeen,
                                                         JET_GRBIT grbit);
#define JET_bitDurableCommitCallbackLogUnavailable 0x00000001

/* Error categories (JET_ERRCAT), as ESE classifies its errors. */
typedef enum {
    JET_errcatUnknown = 0,
    JET_errcatError,
    JET_errcatOperation,
    JET_errcatFatal,
    JET_errcatIO,
    JET_errcatResource,
    JET_errcatMemory,
    JET_errcatQuota,
    JET_errcatDisk,
    JET_errcatData,
    JET_errcatCorruption,
    JET_errcatInconsistent,
    JET_errcatFragmentation,
    JET_errcatApi,
    JET_errcatUsage,
    JET_errcatState,
    JET_errcatObsolete,
    JET_errcatMax
} JET_ERRCAT;

/* ------------------------------------------------------------------------ */
/* Status notification: process (JET_SNP) and type (JET_SNT)                 */
/* ------------------------------------------------------------------------ */
#define JET_snpRepair               2
#define JET_snpCompact              4
#define JET_snpRestore              8
#define JET_snpBackup               9
#define JET_snpUpgrade              10
#define JET_snpScrub                11
#define JET_snpUpgradeRecordFormat  12

#define JET_sntProgress             0
#define JET_sntFail                 3
#define JET_sntBegin                5
#define JET_sntComplete             6
#define JET_sntRequirements         7
#define JET_sntRecoveryStep         8

/* ------------------------------------------------------------------------ */
/* System parameters (JET_param*)                                            */
/* ------------------------------------------------------------------------ */
#define JET_paramSystemPath                     0
#define JET_paramTempPath                       1
#define JET_paramLogFilePath                    2
#define JET_paramBaseName                       3
#define JET_paramEventSource                    4
#define JET_paramMaxSessions                    5
#define JET_paramMaxOpenTables                  6
#define JET_paramPreferredMaxOpenTables         7
#define JET_paramMaxCursors                     8
#define JET_paramMaxVerPages                    9
#define JET_paramMaxTemporaryTables             10
#define JET_paramLogFileSize                    11
#define JET_paramLogBuffers                     12
#define JET_paramWaitLogFlush                   13
#define JET_paramLogCheckpointPeriod            14
#define JET_paramLogWaitingUserMax              15
#define JET_paramCommitDefault                  16
#define JET_paramCircularLog                    17
#define JET_paramDbExtensionSize                18
#define JET_paramPageTempDBMin                  19
#define JET_paramPageFragment                   20
#define JET_paramPageReadAheadMax               21
#define JET_paramBatchIOBufferMax               22
#define JET_paramCacheSizeMax                   23
#define JET_paramCheckpointDepthMax             24
#define JET_paramLRUKCorrInterval               25
#define JET_paramLRUKHistoryMax                 26
#define JET_paramLRUKPolicy                     27
#define JET_paramLRUKTimeout                    28
#define JET_paramLRUKTrxCorrInterval            29
#define JET_paramOutstandingIOMax               30
#define JET_paramStartFlushThreshold            31
#define JET_paramStopFlushThreshold             32
#define JET_paramRecovery                       34
#define JET_paramEnableOnlineDefrag             35
#define JET_paramAssertAction                   36
#define JET_paramPrintFunction                  37
#define JET_paramTransactionLevel               38
#define JET_paramCacheSize                      41
#define JET_paramCheckFormatWhenOpenFail        44
#define JET_paramEnableIndexChecking            45
#define JET_paramEnableTempTableVersioning      46
#define JET_paramIgnoreLogVersion               47
#define JET_paramDeleteOldLogs                  48
#define JET_paramEventSourceKey                 49
#define JET_paramNoInformationEvent             50
#define JET_paramEventLoggingLevel              51
#define JET_paramDeleteOutOfRangeLogs           52
#define JET_paramAccessDeniedRetryPeriod        53
#define JET_paramEnableIndexCleanup             54
#define JET_paramCacheSizeMin                   60
#define JET_paramPreferredVerPages              63
#define JET_paramDatabasePageSize               64
#define JET_paramDisableCallbacks               65
#define JET_paramBackupChunkSize                66
#define JET_paramBackupOutstandingReads         67
#define JET_paramLogFileCreateAsynch            69
#define JET_paramErrorToString                  70
#define JET_paramZeroDatabaseDuringBackup       71
#define JET_paramUnicodeIndexDefault            72
#define JET_paramRuntimeCallback                73
#define JET_paramCleanupMismatchedLogFiles      77
#define JET_paramRecordUpgradeDirtyLevel        78
#define JET_paramGlobalMinVerPages              81
#define JET_paramOSSnapshotTimeout              82
#define JET_paramExceptionAction                98
#define JET_paramEventLogCache                  99
#define JET_paramCreatePathIfNotExist           100
#define JET_paramPageHintCacheSize              101
#define JET_paramOneDatabasePerSession          102
#define JET_paramMaxDatabasesPerInstance        103
#define JET_paramMaxInstances                   104
#define JET_paramVersionStoreTaskQueueMax       105
#define JET_paramDisablePerfmon                 107
#define JET_paramIndexTuplesLengthMin           110
#define JET_paramIndexTuplesLengthMax           111
#define JET_paramIndexTuplesToIndexMax          112
#define JET_paramAlternateDatabaseRecoveryPath  113
#define JET_paramCachedClosedTables             125
#define JET_paramEnableFileCache                126
#define JET_paramEnableViewCache                127
#define JET_paramVerPageSize                    128
#define JET_paramConfiguration                  129
#define JET_paramEnableAdvanced                 130
#define JET_paramMaxColtyp                      131
#define JET_paramIndexTupleIncrement            132
#define JET_paramIndexTupleStart                133
#define JET_paramKeyMost                        134
#define JET_paramCheckpointIOMax                135
#define JET_paramLegacyFileNames                136
#define JET_paramTableClass1Name                137
#define JET_paramTableClass2Name                138
#define JET_paramTableClass3Name                139
#define JET_paramTableClass4Name                140
#define JET_paramTableClass5Name                141
#define JET_paramTableClass6Name                142
#define JET_paramTableClass7Name                143
#define JET_paramTableClass8Name                144
#define JET_paramTableClass9Name                145
#define JET_paramTableClass10Name               146
#define JET_paramTableClass11Name               147
#define JET_paramTableClass12Name               148
#define JET_paramTableClass13Name               149
#define JET_paramTableClass14Name               150
#define JET_paramTableClass15Name               151
#define JET_paramIOPriority                     152
#define JET_paramWaypointLatency                153
#define JET_paramCheckpointTooDeep              154
#define JET_paramEnablePersistedCallbacks       156
#define JET_paramAggressiveLogRollover          157
#define JET_paramDefragmentSequentialBTrees     160
#define JET_paramDefragmentSequentialBTreesDensityCheckFrequency 161
#define JET_paramIOThrottlingTimeQuanta         162
#define JET_paramLVChunkSizeMost                163
#define JET_paramMaxCoalesceReadSize            164
#define JET_paramMaxCoalesceWriteSize           165
#define JET_paramMaxCoalesceReadGapSize         166
#define JET_paramMaxCoalesceWriteGapSize        167
#define JET_paramEnableDBScanInRecovery         169
#define JET_paramDbScanThrottle                 170
#define JET_paramDbScanIntervalMinSec           171
#define JET_paramDbScanIntervalMaxSec           172
#define JET_paramCachePriority                  177
#define JET_paramMaxTransactionSize             178
#define JET_paramPrereadIOMax                   179
#define JET_paramEnableDBScanSerialization      180
#define JET_paramHungIOThreshold                181
#define JET_paramHungIOActions                  182
/* JET_paramHungIOActions bits */
#define JET_bitHungIOEvent                      0x00000001
#define JET_bitHungIOCancel                     0x00000002
#define JET_bitHungIODebug                      0x00000004
#define JET_bitHungIOEnforce                    0x00000008
#define JET_bitHungIOTimeout                    0x00000010
#define JET_paramMinDataForXpress               183
#define JET_paramEnableShrinkDatabase           184
#define JET_paramProcessFriendlyName            186
#define JET_paramDurableCommitCallback          187
#define JET_paramEnableSqm                      188
#define JET_paramConfigStoreSpec                189
#define JET_paramPersistedLostFlushDetection    193
#define JET_paramEngineFormatVersion            194
#define JET_paramRecordSizeMost                 213
#define JET_paramUseFlushForWriteDurability     214
#define JET_paramEnableRBS                      215
#define JET_paramRBSFilePath                    216
#define JET_paramPerfmonRefreshInterval         217
#define JET_paramEnableBlockCache               218
#define JET_paramEnableBlockCacheDetach         220
#define JET_paramMaxValueInvalid                221

/* Session parameters */
#define JET_sesparamCommitDefault               4097
#define JET_sesparamTransactionLevel            4099

/* JET_paramLegacyFileNames bits */
#define JET_bitESE98FileNames                   0x00000001
#define JET_bitEightDotThreeSoftCompat          0x00000002

/* JET_paramConfiguration values */
#define JET_configDefault                       0x0001
#define JET_configRemoveQuotas                  0x0002
#define JET_configLowDiskFootprint              0x0004
#define JET_configMediumDiskFootprint           0x0008
#define JET_configLowMemory                     0x0010
#define JET_configDynamicMediumMemory           0x0020
#define JET_configLowPower                      0x0040
#define JET_configSSDProfileIO                  0x0080
#define JET_configRunSilent                     0x0100

/* JET_paramEnableIndexChecking values */
#define JET_IndexCheckingOff                    0
#define JET_IndexCheckingOn                     1
#define JET_IndexCheckingDeferToOpenTable       2

#define JET_OnlineDefragDisable                 0x0000
#define JET_OnlineDefragAllOBSOLETE             0x0001
#define JET_OnlineDefragDatabases               0x0002
#define JET_OnlineDefragSpaceTrees              0x0004
#define JET_OnlineDefragAll                     0x0000FFFF

#define JET_ExceptionMsgBox                     0x0001
#define JET_ExceptionNone                       0x0002
#define JET_ExceptionFailFast                   0x0004

/* ------------------------------------------------------------------------ */
/* Grbits                                                                    */
/* ------------------------------------------------------------------------ */

/* JetInit2 / JetInit3 */
#define JET_bitReplayReplicatedLogFiles             0x00000001
#define JET_bitReplayIgnoreMissingDB                0x00000004
#define JET_bitRecoveryWithoutUndo                  0x00000008
#define JET_bitTruncateLogsAfterRecovery            0x00000010
#define JET_bitReplayMissingMapEntryDB              0x00000020
#define JET_bitLogStreamMustExist                   0x00000040
#define JET_bitReplayIgnoreLostLogs                 0x00000080
#define JET_bitKeepDbAttachedAtEndOfRecovery        0x00001000

/* JetTerm2 */
#define JET_bitTermComplete                         0x00000001
#define JET_bitTermAbrupt                           0x00000002
#define JET_bitTermStopBackup                       0x00000004
#define JET_bitTermDirty                            0x00000008

/* JetCreateInstance2: reserved, must be 0 */

/* Backup */
#define JET_bitBackupIncremental                    0x00000001
#define JET_bitBackupAtomic                         0x00000004
#define JET_bitBackupSnapshot                       0x00000010
#define JET_bitBackupEndNormal                      0x00000001
#define JET_bitBackupEndAbort                       0x00000002
#define JET_bitBackupTruncateDone                   0x00000100

/* Databases */
#define JET_bitDbReadOnly                           0x00000001
#define JET_bitDbExclusive                          0x00000002
#define JET_bitDbDeleteCorruptIndexes               0x00000010
#define JET_bitDbDeleteUnicodeIndexes               0x00000400
#define JET_bitDbUpgrade                            0x00000200
#define JET_bitDbEnableBackgroundMaintenance        0x00000800
#define JET_bitDbPurgeCacheOnAttach                 0x00001000
#define JET_bitDbRecoveryOff                        0x00000008
#define JET_bitDbShadowingOff                       0x00000080
#define JET_bitDbOverwriteExisting                  0x00000200
#define JET_bitForceDetach                          0x00000001
#define JET_bitForceCloseAndDetach                  (0x00000002 | JET_bitForceDetach)

/* Transactions */
#define JET_bitTransactionReadOnly                  0x00000001
#define JET_bitCommitLazyFlush                      0x00000001
#define JET_bitWaitLastLevel0Commit                 0x00000002
#define JET_bitWaitAllLevel0Commit                  0x00000008
#define JET_bitForceNewLog                          0x00000010
#define JET_bitRollbackAll                          0x00000001

/* Tables */
#define JET_bitTableDenyWrite                       0x00000001
#define JET_bitTableDenyRead                        0x00000002
#define JET_bitTableReadOnly                        0x00000004
#define JET_bitTableUpdatable                       0x00000008
#define JET_bitTablePermitDDL                       0x00000010
#define JET_bitTableNoCache                         0x00000020
#define JET_bitTablePreread                         0x00000040
#define JET_bitTableOpportuneRead                   0x00000080
#define JET_bitTableSequential                      0x00008000
#define JET_bitTableCreateFixedDDL                  0x00000001
#define JET_bitTableCreateTemplateTable             0x00000002
#define JET_bitTableCreateNoFixedVarColumnsInDerivedTables 0x00000004
#define JET_bitTableCreateImmutableStructure        0x00000008

/* Temporary tables (JetOpenTempTable*, JetOpenTemporaryTable*) */
#define JET_bitTTIndexed                            0x00000001
#define JET_bitTTUnique                             0x00000002
#define JET_bitTTUpdatable                          0x00000004
#define JET_bitTTScrollable                         0x00000008
#define JET_bitTTSortNullsHigh                      0x00000010
#define JET_bitTTForceMaterialization               0x00000020
#define JET_bitTTErrorOnDuplicateInsertion          JET_bitTTForceMaterialization
#define JET_bitTTForwardOnly                        0x00000040
#define JET_bitTTIntrinsicLVsOnly                   0x00000080
#define JET_bitTTDotNetGuid                         0x00000100

/* Columns */
#define JET_bitColumnFixed                          0x00000001
#define JET_bitColumnTagged                         0x00000002
#define JET_bitColumnNotNULL                        0x00000004
#define JET_bitColumnVersion                        0x00000008
#define JET_bitColumnAutoincrement                  0x00000010
#define JET_bitColumnUpdatable                      0x00000020
#define JET_bitColumnTTKey                          0x00000040
#define JET_bitColumnTTDescending                   0x00000080
#define JET_bitColumnMultiValued                    0x00000400
#define JET_bitColumnEscrowUpdate                   0x00000800
#define JET_bitColumnUnversioned                    0x00001000
#define JET_bitColumnMaybeNull                      0x00002000
#define JET_bitColumnFinalize                       0x00004000
#define JET_bitColumnUserDefinedDefault             0x00008000
#define JET_bitColumnDeleteOnZero                   0x00020000
#define JET_bitColumnVariable                       0x00040000
#define JET_bitColumnCompressed                     0x00080000
#define JET_bitColumnEncrypted                      0x00100000

/* Column types */
#define JET_coltypNil               0
#define JET_coltypBit               1
#define JET_coltypUnsignedByte      2
#define JET_coltypShort             3
#define JET_coltypLong              4
#define JET_coltypCurrency          5
#define JET_coltypIEEESingle        6
#define JET_coltypIEEEDouble        7
#define JET_coltypDateTime          8
#define JET_coltypBinary            9
#define JET_coltypText              10
#define JET_coltypLongBinary        11
#define JET_coltypLongText          12
#define JET_coltypSLV               13
#define JET_coltypUnsignedLong      14
#define JET_coltypLongLong          15
#define JET_coltypGUID              16
#define JET_coltypUnsignedShort     17
#define JET_coltypUnsignedLongLong  18
#define JET_coltypMax               19

/* Indexes */
#define JET_bitIndexUnique                          0x00000001
#define JET_bitIndexPrimary                         0x00000002
#define JET_bitIndexDisallowNull                    0x00000004
#define JET_bitIndexIgnoreNull                      0x00000008
#define JET_bitIndexIgnoreAnyNull                   0x00000020
#define JET_bitIndexIgnoreFirstNull                 0x00000040
#define JET_bitIndexLazyFlush                       0x00000080
#define JET_bitIndexEmpty                           0x00000100
#define JET_bitIndexUnversioned                     0x00000200
#define JET_bitIndexSortNullsHigh                   0x00000400
#define JET_bitIndexUnicode                         0x00000800
#define JET_bitIndexTuples                          0x00001000
#define JET_bitIndexTupleLimits                     0x00002000
#define JET_bitIndexCrossProduct                    0x00004000
#define JET_bitIndexKeyMost                         0x00008000
#define JET_bitIndexDisallowTruncation              0x00010000
#define JET_bitIndexNestedTable                     0x00020000
#define JET_bitIndexDotNetGuid                      0x00040000
#define JET_bitIndexImmutableStructure              0x00080000
#define JET_bitKeyAscending                         0x00000000
#define JET_bitKeyDescending                        0x00000001

/* JetPrepareUpdate */
#define JET_prepInsert                              0
#define JET_prepReplace                             2
#define JET_prepCancel                              3
#define JET_prepReplaceNoLock                       4
#define JET_prepInsertCopy                          5
#define JET_prepInsertCopyDeleteOriginal            7
#define JET_prepInsertCopyReplaceOriginal           9

/* JetSetColumn */
#define JET_bitSetAppendLV                          0x00000001
#define JET_bitSetOverwriteLV                       0x00000004
#define JET_bitSetSizeLV                            0x00000008
#define JET_bitSetZeroLength                        0x00000020
#define JET_bitSetSeparateLV                        0x00000040
#define JET_bitSetUniqueMultiValues                 0x00000080
#define JET_bitSetUniqueNormalizedMultiValues       0x00000100
#define JET_bitSetRevertToDefaultValue              0x00000200
#define JET_bitSetIntrinsicLV                       0x00000400
#define JET_bitSetUncompressed                      0x00010000
#define JET_bitSetCompressed                        0x00020000

/* JetRetrieveColumn */
#define JET_bitRetrieveCopy                         0x00000001
#define JET_bitRetrieveFromIndex                    0x00000002
#define JET_bitRetrieveFromPrimaryBookmark          0x00000004
#define JET_bitRetrieveTag                          0x00000008
#define JET_bitRetrieveNull                         0x00000010
#define JET_bitRetrieveIgnoreDefault                0x00000020
#define JET_bitRetrieveTuple                        0x00000800

/* JetEnumerateColumns */
#define JET_bitEnumerateCopy                        JET_bitRetrieveCopy
#define JET_bitEnumerateIgnoreDefault               JET_bitRetrieveIgnoreDefault
#define JET_bitEnumerateLocal                       0x00010000
#define JET_bitEnumeratePresenceOnly                0x00020000
#define JET_bitEnumerateTaggedOnly                  0x00040000
#define JET_bitEnumerateCompressOutput              0x00080000
#define JET_bitEnumerateIgnoreUserDefinedDefault    0x00100000
#define JET_bitEnumerateInRecordOnly                0x00200000

/* JetGetLock */
#define JET_bitReadLock                             0x00000001
#define JET_bitWriteLock                            0x00000002

/* JetEscrowUpdate */
#define JET_bitEscrowNoRollback                     0x00000001

/* JetMove */
#define JET_MoveFirst                               ((int32_t)0x80000000)
#define JET_MovePrevious                            (-1)
#define JET_MoveNext                                (+1)
#define JET_MoveLast                                (0x7FFFFFFF)
#define JET_bitMoveKeyNE                            0x00000001

/* JetMakeKey */
#define JET_bitNewKey                               0x00000001
#define JET_bitStrLimit                             0x00000002
#define JET_bitSubStrLimit                          0x00000004
#define JET_bitNormalizedKey                        0x00000008
#define JET_bitKeyDataZeroLength                    0x00000010
#define JET_bitFullColumnStartLimit                 0x00000100
#define JET_bitFullColumnEndLimit                   0x00000200
#define JET_bitPartialColumnStartLimit              0x00000400
#define JET_bitPartialColumnEndLimit                0x00000800

/* JetSeek */
#define JET_bitSeekEQ                               0x00000001
#define JET_bitSeekLT                               0x00000002
#define JET_bitSeekLE                               0x00000004
#define JET_bitSeekGE                               0x00000008
#define JET_bitSeekGT                               0x00000010
#define JET_bitSetIndexRange                        0x00000020
#define JET_bitCheckUniqueness                      0x00000040

/* JetSetIndexRange */
#define JET_bitRangeInclusive                       0x00000001
#define JET_bitRangeUpperLimit                      0x00000002
#define JET_bitRangeInstantDuration                 0x00000004
#define JET_bitRangeRemove                          0x00000008

/* JetSetCurrentIndex2 */
#define JET_bitMoveFirst                            0x00000000
#define JET_bitNoMove                               0x00000002

/* ------------------------------------------------------------------------ */
/* Database information                                                      */
/* ------------------------------------------------------------------------ */
#define JET_DbInfoFilename          0
#define JET_DbInfoConnect           1
#define JET_DbInfoCountry           2
#define JET_DbInfoLCID              3
#define JET_DbInfoCp                4
#define JET_DbInfoCollate           5
#define JET_DbInfoOptions           6
#define JET_DbInfoTransactions      7
#define JET_DbInfoVersion           8
#define JET_DbInfoIsam              9
#define JET_DbInfoFilesize          10
#define JET_DbInfoSpaceOwned        11
#define JET_DbInfoSpaceAvailable    12
#define JET_DbInfoUpgrade           13
#define JET_DbInfoMisc              14
#define JET_DbInfoDBInUse           15
#define JET_DbInfoPageSize          17
#define JET_DbInfoFileType          19
#define JET_DbInfoFilesizeOnDisk    21

#define JET_dbstateJustCreated      1
#define JET_dbstateDirtyShutdown    2
#define JET_dbstateCleanShutdown    3
#define JET_dbstateBeingConverted   4
#define JET_dbstateForceDetach      5

#define JET_filetypeUnknown         0
#define JET_filetypeDatabase        1
#define JET_filetypeLog             3
#define JET_filetypeCheckpoint      4
#define JET_filetypeTempDatabase    5
#define JET_filetypeFlushMap        7

/* JetGetColumnInfo / JetGetTableColumnInfo */
#define JET_ColInfo                 0
#define JET_ColInfoList             1
#define JET_ColInfoSysTabCursor     3
#define JET_ColInfoBase             4
#define JET_ColInfoListCompact      5
#define JET_ColInfoByColid          6
#define JET_ColInfoListSortColumnid 7
#define JET_ColInfoBaseByColid      8

/* JetGetTableInfo */
/* JetGetObjectInfo */
#define JET_ObjInfo                  0
#define JET_ObjInfoListNoStats       1
#define JET_ObjInfoList              2
#define JET_ObjInfoSysTabCursor      3
#define JET_ObjInfoListACM           4
#define JET_ObjInfoNoStats           5
#define JET_ObjInfoSysTabReadOnly    6
#define JET_ObjInfoRulesLoaded       7
#define JET_ObjInfoMax               8
#define JET_TblInfo                  0
#define JET_TblInfoName              1
#define JET_TblInfoDbid              2
#define JET_TblInfoMostMany          3
#define JET_TblInfoRvt               4
#define JET_TblInfoOLC               5
#define JET_TblInfoResetOLC          6
#define JET_TblInfoSpaceUsage        7
#define JET_TblInfoDumpTable         8
#define JET_TblInfoSpaceAlloc        9
#define JET_TblInfoSpaceOwned        10
#define JET_TblInfoSpaceAvailable    11
#define JET_TblInfoTemplateTableName 12

/* JET_OBJECTINFO */
#define JET_objtypNil                0
#define JET_objtypTable              1
#define JET_bitTableInfoUpdatable    0x00000001
#define JET_bitTableInfoBookmark     0x00000002
/* JET_OBJECTINFO.flags of a table */
#define JET_bitObjectTableFixedDDL   0x40000000
#define JET_bitObjectTableTemplate   0x20000000
#define JET_bitObjectTableDerived    0x10000000
#define JET_bitTableInfoRollback     0x00000004

/* JetGetIndexInfo / JetGetTableIndexInfo */
#define JET_IdxInfo                 0
#define JET_IdxInfoList             1
#define JET_IdxInfoSysTabCursor     2
#define JET_IdxInfoOLC              3
#define JET_IdxInfoResetOLC         4
#define JET_IdxInfoSpaceAlloc       5
#define JET_IdxInfoLCID             6
#define JET_IdxInfoLangid           6
#define JET_IdxInfoCount            7
#define JET_IdxInfoVarSegMac        8
#define JET_IdxInfoIndexId          9
#define JET_IdxInfoKeyMost          10
#define JET_IdxInfoCreateIndex      11
#define JET_IdxInfoCreateIndex2     12
#define JET_IdxInfoCreateIndex3     13
#define JET_IdxInfoLocaleName       14

/* JetGotoSecondaryIndexBookmark */
#define JET_bitBookmarkPermitVirtualCurrency 0x00000001

#define JET_LogInfoMisc             0
#define JET_LogInfoMisc2            1
#define JET_LogInfoMisc3            2

/* ------------------------------------------------------------------------ */
/* Errors and warnings                                                       */
/* ------------------------------------------------------------------------ */
/* @@BEGIN GENERATED ERRORS (tools/generr.py from csrc/api/errors.tbl; do not edit) */
#define JET_errSuccess                                     (0) /* The operation completed successfully */
#define JET_wrnNyi                                         (-1) /* The function is not implemented yet */
#define JET_wrnRemainingVersions                           (321) /* Version store cleanup did not finish; versions remain active */
#define JET_wrnUniqueKey                                   (345) /* Seek on a non-unique index found exactly one matching key */
#define JET_wrnSeparateLongValue                           (406) /* The column value is stored as a separate long value */
#define JET_wrnNoMoreRecords                               (428) /* Record streaming reached the end; nothing more to return */
#define JET_wrnExistingLogFileHasBadSignature              (558) /* An existing log file has the wrong signature */
#define JET_wrnExistingLogFileIsNotContiguous              (559) /* Existing log files are not a continuous sequence */
#define JET_wrnSkipThisRecord                              (564) /* Skip the current record (obsolete) */
#define JET_wrnTargetInstanceRunning                       (578) /* The restore target instance is running */
#define JET_wrnCommittedLogFilesLost                       (585) /* Some committed logs were not replayed; database stays consistent */
#define JET_wrnCommittedLogFilesRemoved                    (587) /* Some committed logs were dropped during recovery; database stays consistent */
#define JET_wrnFinishWithUndo                              (588) /* Client signal that initialization finished after running undo */
#define JET_wrnDatabaseRepaired                            (595) /* Corruption in the database was repaired */
#define JET_wrnColumnNull                                  (1004) /* The column value is NULL */
#define JET_wrnBufferTruncated                             (1006) /* The output buffer was too small; the data was truncated */
#define JET_wrnDatabaseAttached                            (1007) /* The database was already attached */
#define JET_wrnSortOverflow                                (1009) /* The sort did not fit in memory and spilled to disk */
#define JET_wrnSeekNotEqual                                (1039) /* Seek landed on a nearby record instead of an exact match */
#define JET_wrnRecordFoundGreater                          (1039) /* Alias of JET_wrnSeekNotEqual (positioned on a greater key) */
#define JET_wrnRecordFoundLess                             (1039) /* Alias of JET_wrnSeekNotEqual (positioned on a lesser key) */
#define JET_wrnNoErrorInfo                                 (1055) /* Extended error details are unavailable */
#define JET_wrnNoIdleActivity                              (1058) /* There was no idle work to do */
#define JET_wrnNoWriteLock                                 (1067) /* Transaction level 0 holds no write lock (obsolete) */
#define JET_wrnColumnSetNull                               (1068) /* The column was set to NULL */
#define JET_wrnShrinkNotPossible                           (1122) /* The database file could not shrink; too little free space inside */
#define JET_wrnTableEmpty                                  (1301) /* The opened table is empty */
#define JET_wrnTableInUseBySystem                          (1327) /* Background cleanup has a cursor open on the table */
#define JET_wrnCorruptIndexDeleted                         (1415) /* An index that was out of date has been removed */
#define JET_wrnPrimaryIndexOutOfDate                       (1417) /* Primary index was built with an incompatible OS sort order */
#define JET_wrnSecondaryIndexOutOfDate                     (1418) /* Secondary indexes were built with an incompatible OS sort order */
#define JET_wrnColumnMaxTruncated                          (1512) /* The maximum column length was too large and has been reduced */
#define JET_wrnCopyLongValue                               (1520) /* A shared long value was copied for this record */
#define JET_wrnTaggedColumnsRemaining                      (1523) /* The buffer filled before all tagged columns were listed */
#define JET_wrnColumnSkipped                               (1531) /* Enumeration skipped values whose column id or itagSequence was not valid */
#define JET_wrnColumnNotLocal                              (1532) /* Enumeration skipped values that could not be rebuilt from local data */
#define JET_wrnColumnMoreTags                              (1533) /* More values exist than enumeration was asked to return */
#define JET_wrnColumnTruncated                             (1534) /* An enumerated value was cut at the requested size limit */
#define JET_wrnColumnPresent                               (1535) /* Values exist but enumeration was asked not to return them */
#define JET_wrnColumnSingleValue                           (1536) /* Value returned in compressed single-value form during enumeration */
#define JET_wrnColumnDefault                               (1537) /* Values equal to the column default were not returned by enumeration */
#define JET_wrnColumnNotInRecord                           (1539) /* Value not returned because it cannot be rebuilt from the record */
#define JET_wrnColumnReference                             (1541) /* A reference was returned because the value cannot be rebuilt from the record */
#define JET_wrnDataHasChanged                              (1610) /* The data changed meanwhile */
#define JET_wrnKeyChanged                                  (1618) /* The cursor moved to a different key */
#define JET_wrnFileOpenReadOnly                            (1813) /* The database file was opened read-only */
#define JET_wrnIdleFull                                    (1908) /* The idle work queue is full */
#define JET_wrnDefragAlreadyRunning                        (2000) /* Online defragmentation is already running on the database */
#define JET_wrnDefragNotRunning                            (2001) /* Online defragmentation is not running on the database */
#define JET_wrnCallbackNotRegistered                       (2100) /* The callback to unregister was not registered */
#define JET_wrnPreviousLogFileIncomplete                   (2602) /* Log data jumped to a new generation; the incomplete log was deleted */
#define JET_errRfsFailure                                  (-100) /* Resource failure simulator reported a failure (obsolete) */
#define JET_errRfsNotArmed                                 (-101) /* Resource failure simulator was not set up (obsolete) */
#define JET_errFileClose                                   (-102) /* A file could not be closed (obsolete) */
#define JET_errOutOfThreads                                (-103) /* The engine could not create a worker thread */
#define JET_errTooManyIO                                   (-105) /* Too many outstanding I/O requests; the system is busy */
#define JET_errTaskDropped                                 (-106) /* An asynchronous task was dropped and did not run */
#define JET_errInternalError                               (-107) /* The engine hit an unexpected internal failure */
#define JET_errDisabledFunctionality                       (-112) /* This feature is not available in this build of the engine */
#define JET_errUnloadableOSFunctionality                   (-113) /* A required operating system facility could not be loaded */
#define JET_errDatabaseBufferDependenciesCorrupted         (-255) /* Ordering dependencies between cached pages are damaged; recovery failed */
#define JET_errPageBoundary                                (-323) /* Reached the edge of a page (obsolete) */
#define JET_errKeyBoundary                                 (-324) /* Reached the edge of a key range (obsolete) */
#define JET_errBadPageLink                                 (-327) /* A B-tree page points to a wrong sibling or parent; database is corrupt */
#define JET_errBadBookmark                                 (-328) /* Bookmark does not resolve to a location in the database (obsolete) */
#define JET_errNTSystemCallFailed                          (-334) /* An operating system call failed */
#define JET_errBadParentPageLink                           (-338) /* A B-tree parent page link is invalid; database is corrupt */
#define JET_errSPAvailExtCacheOutOfSync                    (-340) /* Free-extent cache disagrees with its B-tree (obsolete) */
#define JET_errSPAvailExtCorrupted                         (-341) /* The free space (available extent) tree is corrupt */
#define JET_errSPAvailExtCacheOutOfMemory                  (-342) /* No memory for a free-extent cache entry (obsolete) */
#define JET_errSPOwnExtCorrupted                           (-343) /* The owned space (owned extent) tree is corrupt */
#define JET_errDbTimeCorrupted                             (-344) /* A page carries a timestamp newer than the database itself */
#define JET_errKeyTruncated                                (-346) /* Index key would be truncated but the index forbids truncation */
#define JET_errDatabaseLeakInSpace                         (-348) /* Some pages are no longer reachable; only offline defragmentation recovers them */
#define JET_errBadEmptyPage                                (-351) /* An unexpectedly empty page was found while searching; database is corrupt */
#define JET_errBadLineCount                                (-354) /* A page holds fewer entries than the operation expects */
#define JET_errPageTagCorrupted                            (-357) /* A page entry has a bad offset, size or count */
#define JET_errNodeCorrupted                               (-358) /* A B-tree node or its key prefix has an impossible size */
#define JET_errKeyTooBig                                   (-408) /* The key is longer than the maximum allowed size */
#define JET_errCannotSeparateIntrinsicLV                   (-416) /* This long value must stay in the record and cannot be separated */
#define JET_errSeparatedLongValue                          (-421) /* The operation cannot be applied to a separately stored long value */
#define JET_errMustBeSeparateLongValue                     (-423) /* Preread works only on long value columns that may be stored separately */
#define JET_errInvalidPreread                              (-424) /* Long values cannot be preread while a secondary index is current */
#define JET_errInvalidColumnReference                      (-426) /* The column reference is not valid */
#define JET_errStaleColumnReference                        (-427) /* The column reference no longer refers to current data */
#define JET_errCompressionIntegrityCheckFailed             (-431) /* Decompressed data did not match its integrity checksum */
#define JET_errInvalidLoggedOperation                      (-500) /* A log record describes an operation that cannot be replayed (obsolete) */
#define JET_errLogFileCorrupt                              (-501) /* The log file is damaged */
#define JET_errNoBackupDirectory                           (-503) /* No backup directory was supplied */
#define JET_errBackupDirectoryNotEmpty                     (-504) /* The backup directory must be empty */
#define JET_errBackupInProgress                            (-505) /* A backup is already running on this instance */
#define JET_errRestoreInProgress                           (-506) /* A restore is running on this instance */
#define JET_errMissingPreviousLogFile                      (-509) /* The log generation needed to start recovery at the checkpoint is missing */
#define JET_errLogWriteFail                                (-510) /* Writing to the transaction log failed; logging is halted */
#define JET_errLogDisabledDueToRecoveryFailure             (-511) /* Cannot write log records because recovery failed */
#define JET_errLogGenerationMismatch                       (-513) /* A log file name does not agree with the generation recorded inside it */
#define JET_errBadLogVersion                               (-514) /* The log file format is not supported by this engine version */
#define JET_errInvalidLogSequence                          (-515) /* Timestamp or signature of a log file does not continue the previous generation */
#define JET_errLoggingDisabled                             (-516) /* Transaction logging is turned off for this instance */
#define JET_errLogBufferTooSmall                           (-517) /* A log record did not fit in the log buffer or a log file (obsolete) */
#define JET_errLogSequenceEnd                              (-519) /* The highest possible log generation number has been used up */
#define JET_errNoBackup                                    (-520) /* No backup is currently in progress */
#define JET_errInvalidBackupSequence                       (-521) /* Backup API calls were made in the wrong order */
#define JET_errBackupNotAllowedYet                         (-523) /* A backup cannot be started at this moment */
#define JET_errDeleteBackupFileFail                        (-524) /* A backup file could not be deleted */
#define JET_errMakeBackupDirectoryFail                     (-525) /* The temporary backup directory could not be created */
#define JET_errInvalidBackup                               (-526) /* Incremental backup is impossible while circular logging is on */
#define JET_errRecoveredWithErrors                         (-527) /* Recovery finished but errors were found and skipped */
#define JET_errMissingLogFile                              (-528) /* The current log file or another required log file is missing */
#define JET_errLogDiskFull                                 (-529) /* The disk holding the log files is full */
#define JET_errBadLogSignature                             (-530) /* A log file signature does not match the log set */
#define JET_errBadDbSignature                              (-531) /* A database file signature is wrong (obsolete) */
#define JET_errBadCheckpointSignature                      (-532) /* The checkpoint file signature does not match the log set */
#define JET_errCheckpointCorrupt                           (-533) /* The checkpoint file is missing or damaged */
#define JET_errMissingPatchPage                            (-534) /* A page expected in the patch file was not found (obsolete) */
#define JET_errBadPatchPage                                (-535) /* A page in the patch file is not valid */
#define JET_errRedoAbruptEnded                             (-536) /* Replay stopped early because reading the logs failed */
#define JET_errPatchFileMissing                            (-538) /* The backup set lacks the patch file for a database */
#define JET_errDatabaseLogSetMismatch                      (-539) /* The database does not belong to this set of log files */
#define JET_errDatabaseStreamingFileMismatch               (-540) /* Database and its streaming file do not belong together (obsolete) */
#define JET_errLogFileSizeMismatch                         (-541) /* Existing log files have a size other than JET_paramLogFileSize */
#define JET_errCheckpointFileNotFound                      (-542) /* The checkpoint file could not be found */
#define JET_errRequiredLogFilesMissing                     (-543) /* Log files needed for recovery are missing */
#define JET_errSoftRecoveryOnBackupDatabase                (-544) /* This database is a backup copy; restore it instead of running soft recovery */
#define JET_errLogFileSizeMismatchDatabasesConsistent      (-545) /* Recovery succeeded but log file size differs from JET_paramLogFileSize */
#define JET_errLogSectorSizeMismatch                       (-546) /* Log file sector size differs from the sector size of the volume */
#define JET_errLogSectorSizeMismatchDatabasesConsistent    (-547) /* Recovery succeeded but log sector size differs from the volume */
#define JET_errLogSequenceEndDatabasesConsistent           (-548) /* Recovery succeeded but log generations are exhausted; remove the old logs */
#define JET_errStreamingDataNotLogged                      (-549) /* Replay of streaming file data that was never logged (obsolete) */
#define JET_errDatabaseDirtyShutdown                       (-550) /* The database was not shut down cleanly; run recovery first */
#define JET_errDatabaseInconsistent                        (-550) /* Obsolete name of JET_errDatabaseDirtyShutdown */
#define JET_errConsistentTimeMismatch                      (-551) /* Last consistent time of the database does not match the logs */
#define JET_errDatabasePatchFileMismatch                   (-552) /* The patch file was not made by this backup */
#define JET_errEndingRestoreLogTooLow                      (-553) /* The backup set ends before the log generation the database needs */
#define JET_errStartingRestoreLogTooHigh                   (-554) /* The backup set starts after the log generation the database needs */
#define JET_errGivenLogFileHasBadSignature                 (-555) /* A log file in the backup set has the wrong signature */
#define JET_errGivenLogFileIsNotContiguous                 (-556) /* Log files in the backup set are not a continuous sequence */
#define JET_errMissingRestoreLogFiles                      (-557) /* Some log files of the backup set are missing */
#define JET_errMissingFullBackup                           (-560) /* An incremental backup needs a previous full backup of the database */
#define JET_errBadBackupDatabaseSize                       (-561) /* Size of the backup database is not a whole number of pages (obsolete) */
#define JET_errDatabaseAlreadyUpgraded                     (-562) /* The database format is already current */
#define JET_errDatabaseIncompleteUpgrade                   (-563) /* The database was only partly converted; restore it from backup */
#define JET_errMissingCurrentLogFiles                      (-565) /* Current log files needed to continue the restore are missing */
#define JET_errDbTimeTooOld                                (-566) /* Page timestamp is older than the log record expects */
#define JET_errDbTimeTooNew                                (-567) /* Page timestamp is ahead of the log record's starting timestamp */
#define JET_errMissingFileToBackup                         (-569) /* A log or patch file to be backed up is missing */
#define JET_errLogTornWriteDuringHardRestore               (-570) /* A torn write was found in a backup set log during restore */
#define JET_errLogTornWriteDuringHardRecovery              (-571) /* A torn write was found in a log during hard recovery */
#define JET_errLogCorruptDuringHardRestore                 (-573) /* A damaged log was found in the backup set during restore */
#define JET_errLogCorruptDuringHardRecovery                (-574) /* A damaged log was found during hard recovery */
#define JET_errMustDisableLoggingForDbUpgrade              (-575) /* Logging must be off to upgrade the database (obsolete) */
#define JET_errBadRestoreTargetInstance                    (-577) /* Restore target instance not found or its logs do not match */
#define JET_errRecoveredWithoutUndo                        (-579) /* Redo completed and the undo phase was skipped as requested */
#define JET_errDatabasesNotFromSameSnapshot                (-580) /* Databases to restore come from different shadow copies (obsolete) */
#define JET_errSoftRecoveryOnSnapshot                      (-581) /* Soft recovery on a database from a shadow copy (obsolete) */
#define JET_errCommittedLogFilesMissing                    (-582) /* Logs with committed changes to this database are missing */
#define JET_errSectorSizeNotSupported                      (-583) /* The disk reports a sector size this file type cannot use */
#define JET_errRecoveredWithoutUndoDatabasesConsistent     (-584) /* Undo was to be skipped, but databases were already consistent */
#define JET_errCommittedLogFileCorrupt                     (-586) /* A log holding committed changes to this database is damaged */
#define JET_errLogSequenceChecksumMismatch                 (-590) /* Running checksum of the previous log does not match the next log */
#define JET_errPageInitializedMismatch                     (-596) /* A page is initialized here but empty on the other copy */
#define JET_errUnicodeTranslationBufferTooSmall            (-601) /* Buffer for Unicode conversion is too small (obsolete) */
#define JET_errUnicodeTranslationFail                      (-602) /* Unicode normalization of the data failed */
#define JET_errUnicodeNormalizationNotSupported            (-603) /* Unicode normalization is not available on this system */
#define JET_errUnicodeLanguageValidationFailure            (-604) /* The language could not be validated */
#define JET_errExistingLogFileHasBadSignature              (-610) /* A log file already in the log directory has the wrong signature */
#define JET_errExistingLogFileIsNotContiguous              (-611) /* Log files already in the log directory do not continue the sequence */
#define JET_errLogReadVerifyFailure                        (-612) /* A log file failed its checksum while being read */
#define JET_errCheckpointDepthTooDeep                      (-614) /* Too many log generations lie between the checkpoint and the current log */
#define JET_errRestoreOfNonBackupDatabase                  (-615) /* Hard recovery was attempted on a database that is not a backup */
#define JET_errLogFileNotCopied                            (-616) /* Logs cannot be truncated before every required log has been copied */
#define JET_errSurrogateBackupInProgress                   (-617) /* Another backup, run through a surrogate, is already active */
#define JET_errTransactionTooLong                          (-618) /* A transaction stayed open across too many log generations */
#define JET_errEngineFormatVersionNoLongerSupportedTooLow  (-619) /* The requested engine format version is too old to be supported */
#define JET_errEngineFormatVersionNotYetImplementedTooHigh (-620) /* The requested engine format version is newer than this engine */
#define JET_errEngineFormatVersionParamTooLowForRequestedFeature (-621) /* The engine format version setting is too low for this feature */
#define JET_errEngineFormatVersionSpecifiedTooLowForLogVersion (-622) /* The engine format version setting is below the version of the logs */
#define JET_errEngineFormatVersionSpecifiedTooLowForDatabaseVersion (-623) /* The engine format version setting is below the version of the database */
#define JET_errDbTimeBeyondMaxRequired                     (-625) /* Page timestamp is past what the log record allows and beyond the required range */
#define JET_errLogOperationInconsistentWithDatabase        (-626) /* A log record does not fit the current state of the database */
#define JET_errBackupAbortByCaller                         (-800) /* The backup was cancelled by the caller */
#define JET_errBackupAbortByServer                         (-801) /* The backup was cancelled by termination or JetStopBackup */
#define JET_errInvalidGrbit                                (-900) /* The flags (grbit) argument is not valid for this call */
#define JET_errTermInProgress                              (-1000) /* The instance is shutting down */
#define JET_errFeatureNotAvailable                         (-1001) /* The requested API or feature is not supported */
#define JET_errInvalidName                                 (-1002) /* The name is not valid */
#define JET_errInvalidParameter                            (-1003) /* An argument passed to the API is not valid */
#define JET_errDatabaseFileReadOnly                        (-1008) /* A read-only database file cannot be attached for writing */
#define JET_errInvalidDatabaseId                           (-1010) /* The database id is not valid */
#define JET_errOutOfMemory                                 (-1011) /* The engine ran out of memory */
#define JET_errOutOfDatabaseSpace                          (-1012) /* The database has reached its maximum size */
#define JET_errOutOfCursors                                (-1013) /* No more table cursors are available */
#define JET_errOutOfBuffers                                (-1014) /* No more database page buffers are available */
#define JET_errTooManyIndexes                              (-1015) /* The index limit for the table has been reached */
#define JET_errTooManyKeys                                 (-1016) /* The index definition has too many key columns */
#define JET_errRecordDeleted                               (-1017) /* The record was deleted and can no longer be used */
#define JET_errReadVerifyFailure                           (-1018) /* A database page failed its checksum when read */
#define JET_errPageNotInitialized                          (-1019) /* A database page that should hold data is blank */
#define JET_errOutOfFileHandles                            (-1020) /* No more file handles are available */
#define JET_errDiskReadVerificationFailure                 (-1021) /* The operating system reported a CRC error reading the file */
#define JET_errDiskIO                                      (-1022) /* A disk I/O operation failed */
#define JET_errInvalidPath                                 (-1023) /* The file path is not valid or too long */
#define JET_errInvalidSystemPath                           (-1024) /* The system path is not valid */
#define JET_errInvalidLogDirectory                         (-1025) /* The log directory is not valid */
#define JET_errRecordTooBig                                (-1026) /* The record exceeds the maximum record size */
#define JET_errTooManyOpenDatabases                        (-1027) /* Too many databases are open (obsolete) */
#define JET_errInvalidDatabase                             (-1028) /* The file is not a database */
#define JET_errNotInitialized                              (-1029) /* The instance has not been initialized */
#define JET_errAlreadyInitialized                          (-1030) /* The instance is already initialized */
#define JET_errInitInProgress                              (-1031) /* The instance is being initialized */
#define JET_errFileAccessDenied                            (-1032) /* The file cannot be opened; it is locked or in use */
#define JET_errBufferTooSmall                              (-1038) /* The buffer given by the caller cannot hold the result */
#define JET_errTooManyColumns                              (-1040) /* The table has too many columns */
#define JET_errContainerNotEmpty                           (-1043) /* Container still holds objects (obsolete) */
#define JET_errInvalidFilename                             (-1044) /* The file name is not valid (obsolete) */
#define JET_errInvalidBookmark                             (-1045) /* The bookmark is not valid */
#define JET_errColumnInUse                                 (-1046) /* The column is part of an index */
#define JET_errInvalidBufferSize                           (-1047) /* The data size does not suit the column */
#define JET_errColumnNotUpdatable                          (-1048) /* This column cannot be set */
#define JET_errIndexInUse                                  (-1051) /* The index is in use */
#define JET_errLinkNotSupported                            (-1052) /* Links are not supported (obsolete) */
#define JET_errNullKeyDisallowed                           (-1053) /* The index does not accept NULL keys */
#define JET_errNotInTransaction                            (-1054) /* This operation requires a transaction */
#define JET_errMustRollback                                (-1057) /* An unversioned update failed; the transaction must be rolled back */
#define JET_errTooManyActiveUsers                          (-1059) /* Sessions still have active transactions or too many users are active */
#define JET_errInvalidCountry                              (-1061) /* The country or region code is unknown (obsolete) */
#define JET_errInvalidLanguageId                           (-1062) /* The language id is unknown or not valid */
#define JET_errInvalidCodePage                             (-1063) /* The code page is unknown or not valid */
#define JET_errInvalidLCMapStringFlags                     (-1064) /* The LCMapString normalization flags are not valid */
#define JET_errVersionStoreEntryTooBig                     (-1065) /* A version store entry would exceed the size of a version bucket */
#define JET_errVersionStoreOutOfMemoryAndCleanupTimedOut   (-1066) /* Version store is full and its cleanup did not finish in time */
#define JET_errVersionStoreOutOfMemory                     (-1069) /* Version store is full even after cleanup */
#define JET_errCannotIndex                                 (-1071) /* An escrow-update column cannot be indexed */
#define JET_errRecordNotDeleted                            (-1072) /* The record is not deleted */
#define JET_errTooManyMempoolEntries                       (-1073) /* Too many memory pool entries were requested */
#define JET_errOutOfObjectIDs                              (-1074) /* B-tree object ids are exhausted; offline defragmentation may reclaim them */
#define JET_errOutOfLongValueIDs                           (-1075) /* Long value ids are exhausted; offline defragmentation may reclaim them */
#define JET_errOutOfAutoincrementValues                    (-1076) /* The autoincrement counter has reached its maximum */
#define JET_errOutOfDbtimeValues                           (-1077) /* The database timestamp counter has reached its maximum */
#define JET_errOutOfSequentialIndexValues                  (-1078) /* The sequential index counter has reached its maximum */
#define JET_errRunningInOneInstanceMode                    (-1080) /* Multi-instance call made while the process is in one-instance mode */
#define JET_errRunningInMultiInstanceMode                  (-1081) /* Single-instance call made while the process is in multi-instance mode */
#define JET_errSystemParamsAlreadySet                      (-1082) /* Global system parameters were already set */
#define JET_errSystemPathInUse                             (-1083) /* Another instance already uses this system path */
#define JET_errLogFilePathInUse                            (-1084) /* Another instance already uses this log file path */
#define JET_errTempPathInUse                               (-1085) /* Another instance already uses this temporary path */
#define JET_errInstanceNameInUse                           (-1086) /* An instance with this name already exists */
#define JET_errSystemParameterConflict                     (-1087) /* Global system parameters were already set to different values */
#define JET_errInstanceUnavailable                         (-1090) /* The instance hit a fatal error and can no longer be used */
#define JET_errDatabaseUnavailable                         (-1091) /* The database hit a fatal error and can no longer be used */
#define JET_errInstanceUnavailableDueToFatalLogDiskFull    (-1092) /* The instance is unusable because the log disk filled up */
#define JET_errInvalidSesparamId                           (-1093) /* The session parameter id is unknown */
#define JET_errTooManyRecords                              (-1094) /* Record count does not fit in 32 bits; use the 64-bit API */
#define JET_errInvalidDbparamId                            (-1095) /* The database parameter id is unknown */
#define JET_errOutOfSessions                               (-1101) /* No more sessions are available */
#define JET_errWriteConflict                               (-1102) /* The record is being updated by another uncommitted transaction */
#define JET_errTransTooDeep                                (-1103) /* Transactions are nested too deeply */
#define JET_errInvalidSesid                                (-1104) /* The session handle is not valid */
#define JET_errWriteConflictPrimaryIndex                   (-1105) /* The primary index was changed by an uncommitted transaction */
#define JET_errInTransaction                               (-1108) /* This operation is not allowed inside a transaction */
#define JET_errRollbackRequired                            (-1109) /* The transaction must be rolled back before going on (obsolete) */
#define JET_errTransReadOnly                               (-1110) /* A read-only transaction tried to change the database */
#define JET_errSessionWriteConflict                        (-1111) /* Two cursors of one session tried to replace the same record */
#define JET_errRecordTooBigForBackwardCompatibility        (-1112) /* The record would be too big in an older database format */
#define JET_errCannotMaterializeForwardOnlySort            (-1113) /* The temporary table options conflict with a forward-only sort */
#define JET_errSesidTableIdMismatch                        (-1114) /* This session cannot use this table id */
#define JET_errInvalidInstance                             (-1115) /* The instance handle is not valid */
#define JET_errDirtyShutdown                               (-1116) /* Instance stopped, but attached databases were left dirty */
#define JET_errReadPgnoVerifyFailure                       (-1118) /* A page read from disk carries the wrong page number */
#define JET_errReadLostFlushVerifyFailure                  (-1119) /* A page read from disk is missing a previously written change */
#define JET_errFileSystemCorruption                        (-1121) /* A file system operation reported that the file system is corrupt */
#define JET_errRecoveryVerifyFailure                       (-1123) /* Pages read during recovery do not match what the logs expect */
#define JET_errFilteredMoveNotSupported                    (-1124) /* A cursor filter is not supported in this situation */
#define JET_errDatabaseDuplicate                           (-1201) /* A database file with this name already exists */
#define JET_errDatabaseInUse                               (-1202) /* The database is in use */
#define JET_errDatabaseNotFound                            (-1203) /* The database does not exist or is not attached */
#define JET_errDatabaseInvalidName                         (-1204) /* The database name is not valid */
#define JET_errDatabaseInvalidPages                        (-1205) /* The number of pages is not valid */
#define JET_errDatabaseCorrupted                           (-1206) /* The file is not a database or the database is corrupt */
#define JET_errDatabaseLocked                              (-1207) /* The database is exclusively locked */
#define JET_errCannotDisableVersioning                     (-1208) /* Versioning cannot be turned off for this database */
#define JET_errInvalidDatabaseVersion                      (-1209) /* The database format is incompatible with this engine */
#define JET_errDatabase200Format                           (-1210) /* The database uses the old 200 format (obsolete) */
#define JET_errDatabase400Format                           (-1211) /* The database uses the old 400 format (obsolete) */
#define JET_errDatabase500Format                           (-1212) /* The database uses the old 500 format (obsolete) */
#define JET_errPageSizeMismatch                            (-1213) /* The page size of the database or logs differs from the engine setting */
#define JET_errTooManyInstances                            (-1214) /* The maximum number of instances is already running */
#define JET_errDatabaseSharingViolation                    (-1215) /* Another instance is using this database */
#define JET_errAttachedDatabaseMismatch                    (-1216) /* A database attachment in the logs is missing or differs at recovery start or end */
#define JET_errDatabaseInvalidPath                         (-1217) /* The path to the database file is not valid */
#define JET_errDatabaseIdInUse                             (-1218) /* The database id is already assigned (obsolete) */
#define JET_errForceDetachNotAllowed                       (-1219) /* Forced detach is allowed only after a normal detach failed */
#define JET_errCatalogCorrupted                            (-1220) /* The system catalog is corrupt */
#define JET_errPartiallyAttachedDB                         (-1221) /* The database is only partly attached; the attach cannot complete */
#define JET_errDatabaseSignInUse                           (-1222) /* A database with the same signature is already in use */
#define JET_errDatabaseCorruptedNoRepair                   (-1224) /* The database is corrupt and repair is not permitted */
#define JET_errInvalidCreateDbVersion                      (-1225) /* Recovery replayed a database creation made by an incompatible version */
#define JET_errDatabaseNotReady                            (-1230) /* Recovery has not progressed far enough to allow access to the database */
#define JET_errDatabaseAttachedForRecovery                 (-1231) /* The database is attached only for recovery; attach it explicitly */
#define JET_errTransactionsNotReadyDuringRecovery          (-1232) /* Recovery cannot yet tell which transactions were open */
#define JET_errTableLocked                                 (-1302) /* Another cursor holds an exclusive lock on the table */
#define JET_errTableDuplicate                              (-1303) /* A table with this name already exists */
#define JET_errTableInUse                                  (-1304) /* The table is in use and cannot be locked */
#define JET_errObjectNotFound                              (-1305) /* No table or object has this name */
#define JET_errDensityInvalid                              (-1307) /* The page density value is not valid */
#define JET_errTableNotEmpty                               (-1308) /* The operation requires an empty table */
#define JET_errInvalidTableId                              (-1310) /* The table id is not valid */
#define JET_errTooManyOpenTables                           (-1311) /* No more tables can be opened even after cleanup */
#define JET_errIllegalOperation                            (-1312) /* This operation is not supported on this table */
#define JET_errTooManyOpenTablesAndCleanupTimedOut         (-1313) /* No more tables can be opened and cleanup did not finish in time */
#define JET_errObjectDuplicate                             (-1314) /* The table or object name is already used */
#define JET_errInvalidObject                               (-1316) /* The object is not valid for this operation (obsolete) */
#define JET_errCannotDeleteTempTable                       (-1317) /* Temporary tables are removed by closing them, not by JetDeleteTable */
#define JET_errCannotDeleteSystemTable                     (-1318) /* System tables cannot be deleted */
#define JET_errCannotDeleteTemplateTable                   (-1319) /* Template tables cannot be deleted */
#define JET_errExclusiveTableLockRequired                  (-1322) /* This operation needs an exclusive lock on the table */
#define JET_errFixedDDL                                    (-1323) /* Schema changes are not allowed on this table */
#define JET_errFixedInheritedDDL                           (-1324) /* Schema inherited by a derived table cannot be changed */
#define JET_errCannotNestDDL                               (-1325) /* Hierarchical schema cannot be nested */
#define JET_errDDLNotInheritable                           (-1326) /* Schema can be inherited only from a template table */
#define JET_errInvalidSettings                             (-1328) /* System parameters are set inconsistently */
#define JET_errClientRequestToStopJetService               (-1329) /* The client asked the engine to stop its service */
#define JET_errCannotAddFixedVarColumnToDerivedTable       (-1330) /* Template forbids fixed or variable columns in derived tables (obsolete) */
#define JET_errIndexCantBuild                              (-1401) /* The index could not be built (obsolete) */
#define JET_errIndexHasPrimary                             (-1402) /* The table already has a primary index */
#define JET_errIndexDuplicate                              (-1403) /* An index with this name or definition already exists */
#define JET_errIndexNotFound                               (-1404) /* No index has this name */
#define JET_errIndexMustStay                               (-1405) /* The clustered (primary) index cannot be deleted */
#define JET_errIndexInvalidDef                             (-1406) /* The index definition is not valid */
#define JET_errInvalidCreateIndex                          (-1409) /* The index creation description is not valid */
#define JET_errTooManyOpenIndexes                          (-1410) /* No more index descriptors are available */
#define JET_errMultiValuedIndexViolation                   (-1411) /* A multi-valued index produced duplicate keys across records */
#define JET_errIndexBuildCorrupted                         (-1412) /* A built secondary index does not match the primary index */
#define JET_errPrimaryIndexCorrupted                       (-1413) /* The primary index is corrupt; defragment the database or drop the table */
#define JET_errSecondaryIndexCorrupted                     (-1414) /* A secondary index is corrupt; defragment the database or drop the index */
#define JET_errInvalidIndexId                              (-1416) /* The index id is not valid */
#define JET_errIndexTuplesSecondaryIndexOnly               (-1430) /* A tuple index must be a secondary index */
#define JET_errIndexTuplesTooManyColumns                   (-1431) /* The tuple index has too many key columns */
#define JET_errIndexTuplesOneColumnOnly                    (-1431) /* Obsolete name of JET_errIndexTuplesTooManyColumns */
#define JET_errIndexTuplesNonUniqueOnly                    (-1432) /* A tuple index must not be unique */
#define JET_errIndexTuplesTextBinaryColumnsOnly            (-1433) /* A tuple index may only cover text or binary columns */
#define JET_errIndexTuplesTextColumnsOnly                  (-1433) /* Obsolete name of JET_errIndexTuplesTextBinaryColumnsOnly */
#define JET_errIndexTuplesVarSegMacNotAllowed              (-1434) /* A tuple index cannot set cbVarSegMac */
#define JET_errIndexTuplesInvalidLimits                    (-1435) /* The tuple length or character limits are not valid */
#define JET_errIndexTuplesCannotRetrieveFromIndex          (-1436) /* Values cannot be retrieved from a tuple index */
#define JET_errIndexTuplesKeyTooSmall                      (-1437) /* The key is shorter than the minimum tuple length */
#define JET_errInvalidLVChunkSize                          (-1438) /* The long value chunk size is not supported */
#define JET_errColumnCannotBeEncrypted                     (-1439) /* Only long text or binary columns without defaults can be encrypted */
#define JET_errCannotIndexOnEncryptedColumn                (-1440) /* An encrypted column cannot be indexed */
#define JET_errColumnLong                                  (-1501) /* The column holds a long value (obsolete) */
#define JET_errColumnNoChunk                               (-1502) /* The requested offset is beyond the long value */
#define JET_errColumnDoesNotFit                            (-1503) /* The column value does not fit in the record */
#define JET_errNullInvalid                                 (-1504) /* The column may not be NULL */
#define JET_errColumnIllegalNull                           (-1504) /* Alias of JET_errNullInvalid */
#define JET_errColumnIndexed                               (-1505) /* The column is indexed and cannot be deleted (obsolete) */
#define JET_errColumnTooBig                                (-1506) /* The column length exceeds its maximum */
#define JET_errColumnNotFound                              (-1507) /* No column has this name or id */
#define JET_errColumnDuplicate                             (-1508) /* A column with this name already exists */
#define JET_errMultiValuedColumnMustBeTagged               (-1509) /* A multi-valued column must be a tagged column */
#define JET_errColumnRedundant                             (-1510) /* The table already has an autoincrement or version column */
#define JET_errInvalidColumnType                           (-1511) /* The column type is not valid */
#define JET_errTaggedNotNULL                               (-1514) /* Every tagged column is NULL (obsolete) */
#define JET_errNoCurrentIndex                              (-1515) /* This operation needs a current index */
#define JET_errKeyIsMade                                   (-1516) /* The search key already has all its columns */
#define JET_errBadColumnId                                 (-1517) /* The column id is not valid */
#define JET_errBadItagSequence                             (-1518) /* The value index (itagSequence) of the tagged column is not valid */
#define JET_errColumnInRelationship                        (-1519) /* The column is part of a relationship (obsolete) */
#define JET_errCannotBeTagged                              (-1521) /* Autoincrement and version columns cannot be tagged */
#define JET_errDefaultValueTooBig                          (-1524) /* The default value is larger than allowed */
#define JET_errMultiValuedDuplicate                        (-1525) /* A multi-valued column required to be unique got a duplicate value */
#define JET_errLVCorrupted                                 (-1526) /* The long value tree is corrupt */
#define JET_errMultiValuedDuplicateAfterTruncation         (-1528) /* Values of a unique multi-valued column collide after normalization and truncation */
#define JET_errDerivedColumnCorruption                     (-1529) /* A column in a derived table is not valid */
#define JET_errInvalidPlaceholderColumn                    (-1530) /* The column cannot become a primary index placeholder */
#define JET_errColumnCannotBeCompressed                    (-1538) /* Only long text and long binary columns can be compressed */
#define JET_errColumnNoEncryptionKey                       (-1540) /* An encryption key is needed to read or write this column */
#define JET_errRecordNotFound                              (-1601) /* No record matches the key */
#define JET_errRecordNoCopy                                (-1602) /* There is no copy buffer for the record */
#define JET_errNoCurrentRecord                             (-1603) /* The cursor is not positioned on a record */
#define JET_errRecordPrimaryChanged                        (-1604) /* The primary key of a record cannot be changed */
#define JET_errKeyDuplicate                                (-1605) /* The key already exists in a unique index */
#define JET_errAlreadyPrepared                             (-1607) /* An update is already prepared on this cursor */
#define JET_errKeyNotMade                                  (-1608) /* No search key has been built with JetMakeKey */
#define JET_errUpdateNotPrepared                           (-1609) /* No update has been prepared with JetPrepareUpdate */
#define JET_errDataHasChanged                              (-1611) /* The data changed meanwhile; the operation was cancelled */
#define JET_errLanguageNotSupported                        (-1619) /* The language is not installed on this system (obsolete) */
#define JET_errDecompressionFailed                         (-1620) /* Compressed data could not be decompressed */
#define JET_errUpdateMustVersion                           (-1621) /* Unversioned updates are allowed only on uncommitted tables */
#define JET_errDecryptionFailed                            (-1622) /* Decrypting the column data failed */
#define JET_errEncryptionBadItag                           (-1623) /* Only the first value of a tagged column can be encrypted */
#define JET_errSetAutoIncrementTooHigh                     (-1624) /* The explicitly set autoincrement value is too high */
#define JET_errAutoIncrementNotSet                         (-1625) /* This table requires the autoincrement column to be set explicitly */
#define JET_errTooManySorts                                (-1701) /* Too many sorts are running */
#define JET_errInvalidOnSort                               (-1702) /* The operation is not valid on a sort (obsolete) */
#define JET_errTempFileOpenError                           (-1803) /* The temporary file could not be opened (obsolete) */
#define JET_errTooManyAttachedDatabases                    (-1805) /* Too many databases are attached */
#define JET_errDiskFull                                    (-1808) /* The disk is full */
#define JET_errPermissionDenied                            (-1809) /* Permission was denied */
#define JET_errFileNotFound                                (-1811) /* The file does not exist */
#define JET_errFileInvalidType                             (-1812) /* The file is of the wrong type */
#define JET_errFileAlreadyExists                           (-1814) /* A file with this name is already present */
#define JET_errAfterInitialization                         (-1850) /* Restore cannot run on an instance that is already initialized */
#define JET_errLogCorrupted                                (-1852) /* The log records could not be interpreted */
#define JET_errInvalidOperation                            (-1906) /* The operation is not valid here */
#define JET_errAccessDenied                                (-1907) /* Access was denied (obsolete) */
#define JET_errTooManySplits                               (-1909) /* A page split did not terminate (obsolete) */
#define JET_errSessionSharingViolation                     (-1910) /* Several threads are using the same session at once */
#define JET_errEntryPointNotFound                          (-1911) /* A required function was not found in a system library */
#define JET_errSessionContextAlreadySet                    (-1912) /* The session already has a context set */
#define JET_errSessionContextNotSetByThisThread            (-1913) /* Only the thread that set the session context may reset it */
#define JET_errSessionInUse                                (-1914) /* The session is in use and cannot be ended */
#define JET_errRecordFormatConversionFailed                (-1915) /* Converting a record to the current format failed */
#define JET_errOneDatabasePerSession                       (-1916) /* Only one user database may be open per session */
#define JET_errRollbackError                               (-1917) /* Rolling back the transaction failed */
#define JET_errFlushMapVersionUnsupported                  (-1918) /* The persisted flush map has an unsupported version */
#define JET_errFlushMapDatabaseMismatch                    (-1919) /* The persisted flush map does not belong to this database */
#define JET_errFlushMapUnrecoverable                       (-1920) /* The persisted flush map cannot be rebuilt */
#define JET_errDatabaseAlreadyRunningMaintenance           (-2004) /* The database is already running this maintenance task */
#define JET_errCallbackFailed                              (-2101) /* A callback function returned a failure */
#define JET_errCallbackNotResolved                         (-2102) /* The callback function could not be located */
#define JET_errSpaceHintsInvalid                           (-2103) /* The space hints structure contains an unusable value */
#define JET_errOSSnapshotInvalidSequence                   (-2401) /* Shadow copy API calls were made in the wrong order */
#define JET_errOSSnapshotTimeOut                           (-2402) /* The shadow copy timed out */
#define JET_errOSSnapshotNotAllowed                        (-2403) /* A shadow copy is not allowed now; backup or recovery is running */
#define JET_errOSSnapshotInvalidSnapId                     (-2404) /* The shadow copy id is not valid */
#define JET_errInvalidLogDataSequence                      (-2601) /* Supplied log data does not follow the current state of the instance */
#define JET_errLSCallbackNotSpecified                      (-3000) /* Local storage needs a callback function, but none was given */
#define JET_errLSAlreadySet                                (-3001) /* Local storage is already set on this object */
#define JET_errLSNotSet                                    (-3002) /* The object has no local storage set */
#define JET_errFileIOSparse                                (-4000) /* I/O was issued to a sparse region of the file (obsolete) */
#define JET_errFileIOBeyondEOF                             (-4001) /* A read was issued beyond the end of the file */
#define JET_errFileIOAbort                                 (-4002) /* I/O callback directive to abort the I/O (obsolete) */
#define JET_errFileIORetry                                 (-4003) /* I/O callback directive to retry the I/O (obsolete) */
#define JET_errFileIOFail                                  (-4004) /* I/O callback directive to fail the I/O (obsolete) */
#define JET_errFileCompressed                              (-4005) /* Files compressed by the file system cannot be read or written */
#define JET_errClientSpaceBegin                            (-10000) /* First code of the range reserved for client applications */
#define JET_errClientSpaceEnd                              (-11999) /* Last code of the range reserved for client applications */
/* @@END GENERATED ERRORS */

/* ------------------------------------------------------------------------ */
/* Functions                                                                 */
/* ------------------------------------------------------------------------ */
#if defined(ESEPY_BUILDING_LIBRARY) && defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* Instances ---------------------------------------------------------------*/

/* Create an uninitialized instance named szInstanceName (may be NULL: one
 * unnamed instance at a time).  Enters multi-instance mode.
 * Errors: JET_errInvalidParameter (pinstance NULL), JET_errRunningInOneInstanceMode,
 * JET_errInstanceNameInUse, JET_errTooManyInstances, JET_errOutOfMemory. */
JET_ERR JET_API JetCreateInstance(JET_INSTANCE *pinstance, const char *szInstanceName);
/* As JetCreateInstance, with a display name used in events.  grbit must be 0. */
JET_ERR JET_API JetCreateInstance2(JET_INSTANCE *pinstance, const char *szInstanceName,
                                   const char *szDisplayName, JET_GRBIT grbit);

/* Initialize an instance (JetInit = JetInit2 with grbit 0).  With pinstance NULL
 * or *pinstance 0 / JET_instanceNil and no mode chosen, enters one-instance mode
 * and creates the global instance (its handle is written back to *pinstance).
 * Errors: JET_errRunningInMultiInstanceMode, JET_errAlreadyInitialized,
 * JET_errInvalidParameter, JET_errInvalidPath, JET_errSystemPathInUse,
 * JET_errLogFilePathInUse, JET_errTempPathInUse, JET_errInvalidGrbit.
 * As ESENT, once the instance is found a failure (a path in use, recovery
 * failing, even JET_errRecoveredWithoutUndo) frees it -- also one made by
 * JetCreateInstance -- and sets *pinstance to 0: create it again to retry. */
JET_ERR JET_API JetInit(JET_INSTANCE *pinstance);
JET_ERR JET_API JetInit2(JET_INSTANCE *pinstance, JET_GRBIT grbit);
/* JetInit2 with recovery options; prstInfo may be NULL, else its cbStruct must be
 * sizeof(JET_RSTINFO). */
JET_ERR JET_API JetInit3(JET_INSTANCE *pinstance, JET_RSTINFO *prstInfo, JET_GRBIT grbit);

/* Shut an instance down and free it (JetTerm = JetTerm2 with JET_bitTermAbrupt).
 * An uninitialized instance is just freed.  Open sessions are ended.  With
 * JET_bitTermDirty the instance stops and JET_errDirtyShutdown is returned.
 * Errors: JET_errInvalidParameter (bad handle or grbit). */
JET_ERR JET_API JetTerm(JET_INSTANCE instance);
JET_ERR JET_API JetTerm2(JET_INSTANCE instance, JET_GRBIT grbit);

/* Enter multi-instance mode, first setting the given process-wide parameters
 * (each entry's err receives its result; *pcsetsucceed the count set).
 * Errors: JET_errRunningInOneInstanceMode; when already in multi-instance mode
 * JET_errSystemParamsAlreadySet (same values) or JET_errSystemParameterConflict. */
JET_ERR JET_API JetEnableMultiInstance(JET_SETSYSPARAM *psetsysparam, uint32_t csetsysparam,
                                       uint32_t *pcsetsucceed);

/* Set a system parameter: on the instance *pinstance, or, with pinstance NULL /
 * *pinstance 0 or JET_instanceNil, as the process-wide default inherited by
 * instances created later (on the global instance in one-instance mode).
 * Integers go in lParam, strings in szParam.
 * Errors: JET_errInvalidParameter (unknown id, read-only, out of range),
 * JET_errAlreadyInitialized (fixed once initialized / process mode chosen). */
JET_ERR JET_API JetSetSystemParameter(JET_INSTANCE *pinstance, JET_SESID sesid, uint32_t paramid,
                                      JET_API_PTR lParam, const char *szParam);
/* Read a system parameter.  Integers into *plParam, strings into szParam
 * (cbMax bytes, NUL included; JET_errBufferTooSmall when it does not fit).
 * JET_paramErrorToString: *plParam holds the error code on entry and szParam
 * receives "JET_errName, description". */
JET_ERR JET_API JetGetSystemParameter(JET_INSTANCE instance, JET_SESID sesid, uint32_t paramid,
                                      JET_API_PTR *plParam, char *szParam, uint32_t cbMax);

/* List the initialized instances into one buffer released with JetFreeBuffer. */
JET_ERR JET_API JetGetInstanceInfo(uint32_t *pcInstanceInfo, JET_INSTANCE_INFO **paInstanceInfo);
/* Release a buffer the engine allocated (JetGetInstanceInfo); NULL is allowed. */
JET_ERR JET_API JetFreeBuffer(char *pbBuf);

/* Sessions ----------------------------------------------------------------*/

/* Begin a session on an initialized instance; szUserName/szPassword are ignored.
 * Errors: JET_errInvalidParameter, JET_errNotInitialized, JET_errOutOfSessions,
 * JET_errTermInProgress. */
JET_ERR JET_API JetBeginSession(JET_INSTANCE instance, JET_SESID *psesid, const char *szUserName,
                                const char *szPassword);
/* End a session, rolling back whatever it left open.  grbit must be 0.
 * Errors: JET_errInvalidSesid, JET_errSessionSharingViolation. */
JET_ERR JET_API JetEndSession(JET_SESID sesid, JET_GRBIT grbit);

/* Databases ---------------------------------------------------------------*/

/* Create a database file, attach it and open it (*pdbid).  grbit:
 * JET_bitDbRecoveryOff (not logged), JET_bitDbOverwriteExisting.  Errors:
 * JET_errDatabaseDuplicate (exists / attached), JET_errTooManyAttachedDatabases
 * (more than 6), JET_errInvalidPath, JET_errInTransaction. */
JET_ERR JET_API JetCreateDatabase(JET_SESID sesid, const char *szFilename, const char *szConnect, JET_DBID *pdbid,
                                  JET_GRBIT grbit);
JET_ERR JET_API JetCreateDatabase2(JET_SESID sesid, const char *szFilename, uint32_t cpgDatabaseSizeMax,
                                   JET_DBID *pdbid, JET_GRBIT grbit);
/* Attach a database file to the instance (logged).  JET_wrnDatabaseAttached if
 * it already is; JET_errDatabaseDirtyShutdown (needs recovery),
 * JET_errSoftRecoveryOnBackupDatabase, JET_errPageSizeMismatch,
 * JET_errDatabaseSharingViolation (used by another instance), JET_errFileNotFound. */
JET_ERR JET_API JetAttachDatabase(JET_SESID sesid, const char *szFilename, JET_GRBIT grbit);
JET_ERR JET_API JetAttachDatabase2(JET_SESID sesid, const char *szFilename, uint32_t cpgDatabaseSizeMax,
                                   JET_GRBIT grbit);
/* Detach (NULL = all): flush, mark CleanShutdown, close.  JET_errDatabaseInUse
 * while opened; JET_errDatabaseNotFound if not attached. */
JET_ERR JET_API JetDetachDatabase(JET_SESID sesid, const char *szFilename);
JET_ERR JET_API JetDetachDatabase2(JET_SESID sesid, const char *szFilename, JET_GRBIT grbit);
/* Get a dbid for an attached database (JET_errDatabaseNotFound otherwise). */
JET_ERR JET_API JetOpenDatabase(JET_SESID sesid, const char *szFilename, const char *szConnect, JET_DBID *pdbid,
                                JET_GRBIT grbit);
JET_ERR JET_API JetCloseDatabase(JET_SESID sesid, JET_DBID dbid, JET_GRBIT grbit);
/* JET_DbInfoMisc (JET_DBINFOMISC), JET_DbInfoPageSize, JET_DbInfoFilesize (pages),
 * JET_DbInfoSpaceOwned, JET_DbInfoFilename, JET_DbInfoFileType; and, on an open
 * database only, JET_DbInfoLCID, Options, Transactions (deepest nesting),
 * Version and SpaceAvailable (free pages), each 4 bytes (else
 * JET_errInvalidBufferSize). */
JET_ERR JET_API JetGetDatabaseInfo(JET_SESID sesid, JET_DBID dbid, void *pvResult, uint32_t cbMax,
                                   uint32_t InfoLevel);
/* The same levels, read from a (detached) file's header without an instance. */
JET_ERR JET_API JetGetDatabaseFileInfo(const char *szDatabaseName, void *pvResult, uint32_t cbMax,
                                       uint32_t InfoLevel);

/* Transactions ------------------------------------------------------------*/

/* Begin (or nest, up to 7 levels: JET_errTransTooDeep) a transaction with a
 * snapshot of committed data.  JET_bitTransactionReadOnly refuses writes. */
JET_ERR JET_API JetBeginTransaction(JET_SESID sesid);
JET_ERR JET_API JetBeginTransaction2(JET_SESID sesid, JET_GRBIT grbit);
/* Commit the innermost level; level 0 commits are durable when this returns
 * unless JET_bitCommitLazyFlush.  JET_errNotInTransaction outside a
 * transaction.  JET_bitWaitLastLevel0Commit / JET_bitWaitAllLevel0Commit
 * (flush earlier lazy commits) and JET_bitForceNewLog (start a new log
 * generation) are requests of their own, inside a transaction or not: they
 * commit nothing and must come alone (else JET_errInvalidGrbit). */
JET_ERR JET_API JetCommitTransaction(JET_SESID sesid, JET_GRBIT grbit);
JET_ERR JET_API JetCommitTransaction2(JET_SESID sesid, JET_GRBIT grbit, uint32_t cmsecDurableCommit,
                                      JET_COMMIT_ID *pCommitId);
/* Undo the innermost level (JET_bitRollbackAll: every level). */
JET_ERR JET_API JetRollback(JET_SESID sesid, JET_GRBIT grbit);

/* Tables ------------------------------------------------------------------*/

JET_ERR JET_API JetCreateTable(JET_SESID sesid, JET_DBID dbid, const char *szTableName, int32_t lPages,
                               int32_t lDensity, JET_TABLEID *ptableid);
JET_ERR JET_API JetOpenTable(JET_SESID sesid, JET_DBID dbid, const char *szTableName, const void *pvParameters,
                             uint32_t cbParameters, JET_GRBIT grbit, JET_TABLEID *ptableid);
JET_ERR JET_API JetCloseTable(JET_SESID sesid, JET_TABLEID tableid);
JET_ERR JET_API JetDeleteTable(JET_SESID sesid, JET_DBID dbid, const char *szTableName);
/* Temporary tables: a table in the instance's temporary database (created on
 * first use at JET_paramTempPath, never logged, deleted at JetTerm) that
 * keeps its records in the order of the JET_bitColumnTTKey columns (in
 * array order; JET_bitColumnTTDescending for descending segments) or, with
 * no key column, in insertion order.  prgcolumnid receives one column id per
 * definition.  Without JET_bitTTUnique duplicate keys are kept (in insertion
 * order); with it a duplicate insert fails with JET_errKeyDuplicate when
 * JET_bitTTErrorOnDuplicateInsertion is given, else it is dropped silently
 * (the first record with a key wins).  JetCloseTable deletes the table;
 * a rollback of the transaction level that opened it closes it.
 * JET_errTooManySorts when JET_paramMaxTemporaryTables is 0 or that many
 * are open; JET_errInvalidGrbit for unknown bits. */
JET_ERR JET_API JetOpenTempTable(JET_SESID sesid, const JET_COLUMNDEF *prgcolumndef, uint32_t ccolumn,
                                 JET_GRBIT grbit, JET_TABLEID *ptableid, JET_COLUMNID *prgcolumnid);
JET_ERR JET_API JetOpenTempTable2(JET_SESID sesid, const JET_COLUMNDEF *prgcolumndef, uint32_t ccolumn,
                                  uint32_t lcid, JET_GRBIT grbit, JET_TABLEID *ptableid,
                                  JET_COLUMNID *prgcolumnid);
JET_ERR JET_API JetOpenTempTable3(JET_SESID sesid, const JET_COLUMNDEF *prgcolumndef, uint32_t ccolumn,
                                  JET_UNICODEINDEX *pidxunicode, JET_GRBIT grbit, JET_TABLEID *ptableid,
                                  JET_COLUMNID *prgcolumnid);
/* cbStruct must be sizeof(JET_OPENTEMPORARYTABLE); cbKeyMost 0 or
 * JET_cbKeyMostMin..the page size's maximum (else JET_errInvalidParameter). */
JET_ERR JET_API JetOpenTemporaryTable(JET_SESID sesid, JET_OPENTEMPORARYTABLE *popentemporarytable);
JET_ERR JET_API JetOpenTemporaryTable2(JET_SESID sesid, JET_OPENTEMPORARYTABLE2 *popentemporarytable);
/* Fixed types (Bit .. GUID, UnsignedLong, LongLong, UnsignedShort,
 * UnsignedLongLong), variable Text/Binary (<= 255 bytes) and tagged columns. */
JET_ERR JET_API JetAddColumn(JET_SESID sesid, JET_TABLEID tableid, const char *szColumnName,
                             const JET_COLUMNDEF *pcolumndef, const void *pvDefault, uint32_t cbDefault,
                             JET_COLUMNID *pcolumnid);
/* InfoLevel JET_ColInfo: a JET_COLUMNDEF for szColumnName; JET_ColInfoList & co.: a JET_COLUMNLIST. */
JET_ERR JET_API JetGetTableColumnInfo(JET_SESID sesid, JET_TABLEID tableid, const char *szColumnName,
                                      void *pvResult, uint32_t cbMax, uint32_t InfoLevel);
/* An index ("+col\0-col\0\0", cbKey counting both final NULs).  The primary
 * index (JET_bitIndexPrimary) needs an empty table (JET_errTableNotEmpty
 * otherwise); tables without one use sequential 8-byte keys. */
JET_ERR JET_API JetCreateIndex(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName, JET_GRBIT grbit,
                               const char *szKey, uint32_t cbKey, uint32_t lDensity);

/* Records -----------------------------------------------------------------*/

JET_ERR JET_API JetPrepareUpdate(JET_SESID sesid, JET_TABLEID tableid, uint32_t prep);
JET_ERR JET_API JetSetColumn(JET_SESID sesid, JET_TABLEID tableid, JET_COLUMNID columnid, const void *pvData,
                             uint32_t cbData, JET_GRBIT grbit, JET_SETINFO *psetinfo);
JET_ERR JET_API JetUpdate(JET_SESID sesid, JET_TABLEID tableid, void *pvBookmark, uint32_t cbBookmark,
                          uint32_t *pcbActual);
JET_ERR JET_API JetUpdate2(JET_SESID sesid, JET_TABLEID tableid, void *pvBookmark, uint32_t cbBookmark,
                           uint32_t *pcbActual, JET_GRBIT grbit);
JET_ERR JET_API JetDelete(JET_SESID sesid, JET_TABLEID tableid);
/* JET_wrnColumnNull (cbActual 0) for NULL, JET_wrnBufferTruncated (cbActual =
 * full size) when cbData is short.  JET_bitRetrieveFromIndex /
 * JET_bitRetrieveFromPrimaryBookmark read the value back from the current
 * index entry / primary key when the key holds it exactly (else from the
 * record; JET_errColumnNotFound when the column is not in that key);
 * JET_bitRetrieveTag returns the itagSequence of the multi-valued value that
 * made the current index entry. */
JET_ERR JET_API JetRetrieveColumn(JET_SESID sesid, JET_TABLEID tableid, JET_COLUMNID columnid, void *pvData,
                                  uint32_t cbData, uint32_t *pcbActual, JET_GRBIT grbit, JET_RETINFO *pretinfo);
JET_ERR JET_API JetEscrowUpdate(JET_SESID sesid, JET_TABLEID tableid, JET_COLUMNID columnid, void *pv,
                                uint32_t cbMax, void *pvOld, uint32_t cbOldMax, uint32_t *pcbOldActual,
                                JET_GRBIT grbit);
JET_ERR JET_API JetMove(JET_SESID sesid, JET_TABLEID tableid, int32_t cRow, JET_GRBIT grbit);
/* Every value of the listed columns (or of every column with a value when
 * cEnumColumnId is 0), in memory from pfnRealloc that the caller frees. */
JET_ERR JET_API JetEnumerateColumns(JET_SESID sesid, JET_TABLEID tableid, uint32_t cEnumColumnId,
                                    JET_ENUMCOLUMNID *rgEnumColumnId, uint32_t *pcEnumColumn,
                                    JET_ENUMCOLUMN **prgEnumColumn, JET_PFNREALLOC pfnRealloc,
                                    void *pvReallocContext, uint32_t cbDataMost, JET_GRBIT grbit);
/* Counted exactly (ESE estimates); centriesInRange is 1. */
JET_ERR JET_API JetGetRecordPosition(JET_SESID sesid, JET_TABLEID tableid, JET_RECPOS *precpos, uint32_t cbRecpos);
JET_ERR JET_API JetGotoPosition(JET_SESID sesid, JET_TABLEID tableid, JET_RECPOS *precpos);
/* A new cursor on the same table and current index, with no current record. */
JET_ERR JET_API JetDupCursor(JET_SESID sesid, JET_TABLEID tableid, JET_TABLEID *ptableid, JET_GRBIT grbit);
/* Needs a transaction.  JET_bitWriteLock: the record is this transaction's to
 * change.  JET_bitReadLock: no other transaction may change it until this one
 * ends (read locks share).  Either: JET_errWriteConflict when another
 * transaction changed it after this one's snapshot or holds it. */
JET_ERR JET_API JetGetLock(JET_SESID sesid, JET_TABLEID tableid, JET_GRBIT grbit);
JET_ERR JET_API JetMakeKey(JET_SESID sesid, JET_TABLEID tableid, const void *pvData, uint32_t cbData,
                           JET_GRBIT grbit);
/* An inexact SeekGE / SeekLE hit gives JET_wrnSeekNotEqual; a SeekGT / SeekLT
 * hit gives JET_errSuccess (as ESENT). */
JET_ERR JET_API JetSeek(JET_SESID sesid, JET_TABLEID tableid, JET_GRBIT grbit);
JET_ERR JET_API JetGetBookmark(JET_SESID sesid, JET_TABLEID tableid, void *pvBookmark, uint32_t cbMax,
                               uint32_t *pcbActual);
JET_ERR JET_API JetGotoBookmark(JET_SESID sesid, JET_TABLEID tableid, const void *pvBookmark, uint32_t cbBookmark);

/* Several columns in one call: each entry's err receives its result
 * (warnings included); the call stops at, and returns, the first error, else
 * JET_errSuccess -- JetRetrieveColumns, as ESENT, JET_wrnBufferTruncated when
 * an entry was truncated.  JetRetrieveColumns reads the record once for all entries;
 * an entry with itagSequence 0 receives the column's number of values in
 * itagSequence (cbActual 0), as in ESENT. */
JET_ERR JET_API JetSetColumns(JET_SESID sesid, JET_TABLEID tableid, JET_SETCOLUMN *psetcolumn, uint32_t csetcolumn);
JET_ERR JET_API JetRetrieveColumns(JET_SESID sesid, JET_TABLEID tableid, JET_RETRIEVECOLUMN *pretrievecolumn,
                                   uint32_t cretrievecolumn);

/* Secondary indexes and navigation ----------------------------------------*/

/* Indexes over tables with data are built from the existing records. */
JET_ERR JET_API JetCreateIndex2(JET_SESID sesid, JET_TABLEID tableid, JET_INDEXCREATE_A *pindexcreate,
                                uint32_t cIndexCreate);
JET_ERR JET_API JetCreateIndex3(JET_SESID sesid, JET_TABLEID tableid, JET_INDEXCREATE2_A *pindexcreate,
                                uint32_t cIndexCreate);
JET_ERR JET_API JetCreateIndex4(JET_SESID sesid, JET_TABLEID tableid, JET_INDEXCREATE3_A *pindexcreate,
                                uint32_t cIndexCreate);
JET_ERR JET_API JetDeleteIndex(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName);
/* NULL or "" = the primary index.  grbit JET_bitMoveFirst / JET_bitNoMove. */
JET_ERR JET_API JetSetCurrentIndex(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName);
JET_ERR JET_API JetSetCurrentIndex2(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName,
                                    JET_GRBIT grbit);
JET_ERR JET_API JetSetCurrentIndex3(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName,
                                    JET_GRBIT grbit, uint32_t itagSequence);
JET_ERR JET_API JetGetCurrentIndex(JET_SESID sesid, JET_TABLEID tableid, char *szIndexName, uint32_t cbIndexName);
/* A move past the range's limit gives JET_errNoCurrentRecord, removes the
 * range and leaves the cursor after the end of the index (before its start,
 * moving backwards), as ESENT does. */
JET_ERR JET_API JetSetIndexRange(JET_SESID sesid, JET_TABLEID tableid, JET_GRBIT grbit);
JET_ERR JET_API JetIndexRecordCount(JET_SESID sesid, JET_TABLEID tableid, uint32_t *pcrec, uint32_t crecMax);
JET_ERR JET_API JetRetrieveKey(JET_SESID sesid, JET_TABLEID tableid, void *pvKey, uint32_t cbMax,
                               uint32_t *pcbActual, JET_GRBIT grbit);
JET_ERR JET_API JetGetSecondaryIndexBookmark(JET_SESID sesid, JET_TABLEID tableid, void *pvSecondaryKey,
                                             uint32_t cbSecondaryKeyMax, uint32_t *pcbSecondaryKeyActual,
                                             void *pvPrimaryBookmark, uint32_t cbPrimaryBookmarkMax,
                                             uint32_t *pcbPrimaryBookmarkActual, JET_GRBIT grbit);
JET_ERR JET_API JetGotoSecondaryIndexBookmark(JET_SESID sesid, JET_TABLEID tableid, const void *pvSecondaryKey,
                                              uint32_t cbSecondaryKey, const void *pvPrimaryBookmark,
                                              uint32_t cbPrimaryBookmark, JET_GRBIT grbit);
/* Info levels JET_IdxInfoCount, SpaceAlloc, LCID, VarSegMac, KeyMost; JET_IdxInfo / JET_IdxInfoList: a
 * JET_INDEXLIST (one row per segment; JET_IdxInfo with szIndexName: that index only). */
/* The table, its columns and indexes in one transaction (all or nothing);
 * szTemplateTableName and callbacks are not supported. */
JET_ERR JET_API JetCreateTableColumnIndex(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE_A *ptablecreate);
JET_ERR JET_API JetCreateTableColumnIndex2(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE2_A *ptablecreate);
JET_ERR JET_API JetCreateTableColumnIndex3(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE3_A *ptablecreate);
JET_ERR JET_API JetDeleteColumn(JET_SESID sesid, JET_TABLEID tableid, const char *szColumnName);
JET_ERR JET_API JetDeleteColumn2(JET_SESID sesid, JET_TABLEID tableid, const char *szColumnName, JET_GRBIT grbit);
JET_ERR JET_API JetRenameColumn(JET_SESID sesid, JET_TABLEID tableid, const char *szName, const char *szNameNew,
                                JET_GRBIT grbit);
JET_ERR JET_API JetRenameTable(JET_SESID sesid, JET_DBID dbid, const char *szName, const char *szNameNew);
/* Replace a column's default (records without a value read the new one); grbit ignored. */
JET_ERR JET_API JetSetColumnDefaultValue(JET_SESID sesid, JET_DBID dbid, const char *szTableName,
                                         const char *szColumnName, const void *pvData, uint32_t cbData,
                                         JET_GRBIT grbit);
/* InfoLevel JET_TblInfo (JET_OBJECTINFO), JET_TblInfoName (the name), JET_TblInfoDbid (JET_DBID). */
JET_ERR JET_API JetGetTableInfo(JET_SESID sesid, JET_TABLEID tableid, void *pvResult, uint32_t cbMax,
                                uint32_t InfoLevel);
/* InfoLevel JET_ColInfo / JET_ColInfoBase, or ..ByColid with szColumnName pointing at a JET_COLUMNID;
 * JET_ColInfoList / ListCompact / ListSortColumnid: a JET_COLUMNLIST (szColumnName ignored). */
JET_ERR JET_API JetGetColumnInfo(JET_SESID sesid, JET_DBID dbid, const char *szTableName, const char *szColumnName,
                                 void *pvResult, uint32_t cbMax, uint32_t InfoLevel);
JET_ERR JET_API JetGetTableIndexInfo(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName,
                                     void *pvResult, uint32_t cbResult, uint32_t InfoLevel);
/* objtyp JET_objtypNil (every kind) or JET_objtypTable.  InfoLevel
 * JET_ObjInfo / JET_ObjInfoNoStats: a JET_OBJECTINFO for table szObjectName;
 * JET_ObjInfoList / JET_ObjInfoListNoStats: a JET_OBJECTLIST (tables sorted by
 * name; cRecord and cPage are 0: esepy keeps no statistics).  The system-table
 * levels give JET_errFeatureNotAvailable; szContainerName must be NULL or "". */
JET_ERR JET_API JetGetObjectInfo(JET_SESID sesid, JET_DBID dbid, JET_OBJTYP objtyp, const char *szContainerName,
                                 const char *szObjectName, void *pvResult, uint32_t cbMax, uint32_t InfoLevel);
JET_ERR JET_API JetGetIndexInfo(JET_SESID sesid, JET_DBID dbid, const char *szTableName, const char *szIndexName,
                                void *pvResult, uint32_t cbResult, uint32_t InfoLevel);

#if defined(ESEPY_BUILDING_LIBRARY) && defined(__GNUC__)
#pragma GCC visibility pop
#endif

/* A-suffixed names (ESENT's JET_UNICODE-less spelling). */
#define JetCreateInstanceA      JetCreateInstance
#define JetCreateInstance2A     JetCreateInstance2
#define JetSetSystemParameterA  JetSetSystemParameter
#define JetGetSystemParameterA  JetGetSystemParameter
#define JetGetInstanceInfoA     JetGetInstanceInfo
#define JetBeginSessionA        JetBeginSession
#define JetInit3A               JetInit3
#define JetEnableMultiInstanceA JetEnableMultiInstance
#define JetCreateDatabaseA      JetCreateDatabase
#define JetCreateDatabase2A     JetCreateDatabase2
#define JetAttachDatabaseA      JetAttachDatabase
#define JetAttachDatabase2A     JetAttachDatabase2
#define JetDetachDatabaseA      JetDetachDatabase
#define JetDetachDatabase2A     JetDetachDatabase2
#define JetOpenDatabaseA        JetOpenDatabase
#define JetGetDatabaseInfoA     JetGetDatabaseInfo
#define JetGetDatabaseFileInfoA JetGetDatabaseFileInfo
#define JetCreateTableA         JetCreateTable
#define JetOpenTableA           JetOpenTable
#define JetDeleteTableA         JetDeleteTable
#define JetAddColumnA           JetAddColumn
#define JetGetTableColumnInfoA  JetGetTableColumnInfo
#define JetCreateIndexA         JetCreateIndex
#define JetCreateIndex2A        JetCreateIndex2
#define JetCreateIndex3A        JetCreateIndex3
#define JetCreateIndex4A        JetCreateIndex4
#define JetDeleteIndexA         JetDeleteIndex
#define JetSetCurrentIndexA     JetSetCurrentIndex
#define JetSetCurrentIndex2A    JetSetCurrentIndex2
#define JetSetCurrentIndex3A    JetSetCurrentIndex3
#define JetGetCurrentIndexA     JetGetCurrentIndex
#define JetGetTableIndexInfoA   JetGetTableIndexInfo
#define JetGetIndexInfoA        JetGetIndexInfo
#define JetGetColumnInfoA       JetGetColumnInfo
#define JetGetTableInfoA        JetGetTableInfo
#define JetDeleteColumnA        JetDeleteColumn
#define JetDeleteColumn2A       JetDeleteColumn2
#define JetRenameColumnA        JetRenameColumn
#define JetRenameTableA         JetRenameTable
#define JetSetColumnDefaultValueA JetSetColumnDefaultValue
#define JetCreateTableColumnIndexA  JetCreateTableColumnIndex
#define JetCreateTableColumnIndex2A JetCreateTableColumnIndex2
#define JetCreateTableColumnIndex3A JetCreateTableColumnIndex3

/* ---- Backup (JetBackupInstance and the external backup API) ----------------
 * JetBackupInstance(instance, folder, grbit, pfn): full (0) or
 * JET_bitBackupIncremental, JET_bitBackupAtomic; a NULL/empty folder truncates
 * the logs no longer needed.  The external API streams the same files: begin,
 * attach info, open/read/close each database, log info (rolls the log),
 * open/read/close each log, truncate, end.  Multi-strings are NUL-separated
 * with a final extra NUL; pass a NULL buffer to learn the size.  JetReadFile
 * needs cb to be a multiple of the page size for a database. */
JET_ERR JET_API JetBackupInstance(JET_INSTANCE instance, const char *szBackupPath, JET_GRBIT grbit,
                                  JET_PFNSTATUS pfnStatus);
JET_ERR JET_API JetBackup(const char *szBackupPath, JET_GRBIT grbit, JET_PFNSTATUS pfnStatus);
JET_ERR JET_API JetBeginExternalBackupInstance(JET_INSTANCE instance, JET_GRBIT grbit);
JET_ERR JET_API JetBeginExternalBackup(JET_GRBIT grbit);
JET_ERR JET_API JetGetAttachInfoInstance(JET_INSTANCE instance, char *szzDatabases, uint32_t cbMax,
                                         uint32_t *pcbActual);
JET_ERR JET_API JetGetAttachInfo(char *szzDatabases, uint32_t cbMax, uint32_t *pcbActual);
JET_ERR JET_API JetOpenFileInstance(JET_INSTANCE instance, const char *szFileName, JET_HANDLE *phfFile,
                                    uint32_t *pulFileSizeLow, uint32_t *pulFileSizeHigh);
JET_ERR JET_API JetOpenFile(const char *szFileName, JET_HANDLE *phfFile, uint32_t *pulFileSizeLow,
                            uint32_t *pulFileSizeHigh);
JET_ERR JET_API JetReadFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile, void *pv, uint32_t cb,
                                    uint32_t *pcbActual);
JET_ERR JET_API JetReadFile(JET_HANDLE hfFile, void *pv, uint32_t cb, uint32_t *pcbActual);
JET_ERR JET_API JetCloseFileInstance(JET_INSTANCE instance, JET_HANDLE hfFile);
JET_ERR JET_API JetCloseFile(JET_HANDLE hfFile);
JET_ERR JET_API JetGetLogInfoInstance(JET_INSTANCE instance, char *szzLogs, uint32_t cbMax, uint32_t *pcbActual);
JET_ERR JET_API JetGetLogInfoInstance2(JET_INSTANCE instance, char *szzLogs, uint32_t cbMax, uint32_t *pcbActual,
                                       JET_LOGINFO *pLogInfo);
JET_ERR JET_API JetGetLogInfo(char *szzLogs, uint32_t cbMax, uint32_t *pcbActual);
JET_ERR JET_API JetGetTruncateLogInfoInstance(JET_INSTANCE instance, char *szzLogs, uint32_t cbMax,
                                              uint32_t *pcbActual);
JET_ERR JET_API JetTruncateLogInstance(JET_INSTANCE instance);
JET_ERR JET_API JetTruncateLog(void);
JET_ERR JET_API JetEndExternalBackupInstance(JET_INSTANCE instance);
JET_ERR JET_API JetEndExternalBackupInstance2(JET_INSTANCE instance, JET_GRBIT grbit);
JET_ERR JET_API JetEndExternalBackup(void);
JET_ERR JET_API JetStopBackupInstance(JET_INSTANCE instance);
JET_ERR JET_API JetStopBackup(void);

/* ---- Restore ------------------------------------------------------------------
 * JetRestoreInstance(instance, backup folder, destination folder or NULL, pfn):
 * on a created, not initialized instance; leaves it not initialized. */
JET_ERR JET_API JetRestoreInstance(JET_INSTANCE instance, const char *sz, const char *szDest, JET_PFNSTATUS pfn);
JET_ERR JET_API JetRestore(const char *szSource, JET_PFNSTATUS pfn);
JET_ERR JET_API JetRestore2(const char *sz, const char *szDest, JET_PFNSTATUS pfn);
/* Restore on a temporary instance whose checkpoint / log folders are the
 * first two arguments.  esepy's subset: szBackupLogPath is a backup set (as
 * JetBackupInstance writes it), every rgrstmap entry keeps its file name and
 * all name one destination folder; no target instance.  Outside it:
 * JET_errFeatureNotAvailable (docs/esent-differences.md). */
JET_ERR JET_API JetExternalRestore(const char *szCheckpointFilePath, const char *szLogPath, JET_RSTMAP *rgrstmap,
                                   int32_t crstfilemap, const char *szBackupLogPath, int32_t genLow, int32_t genHigh,
                                   JET_PFNSTATUS pfn);
JET_ERR JET_API JetExternalRestore2(const char *szCheckpointFilePath, const char *szLogPath, JET_RSTMAP *rgrstmap,
                                    int32_t crstfilemap, const char *szBackupLogPath, JET_LOGINFO *pLogInfo,
                                    const char *szTargetInstanceName, const char *szTargetInstanceLogPath,
                                    const char *szTargetInstanceCheckpointPath, JET_PFNSTATUS pfn);

#define JetBackupInstanceA             JetBackupInstance
#define JetBackupA                     JetBackup
#define JetGetAttachInfoInstanceA      JetGetAttachInfoInstance
#define JetGetAttachInfoA              JetGetAttachInfo
#define JetOpenFileInstanceA           JetOpenFileInstance
#define JetOpenFileA                   JetOpenFile
#define JetGetLogInfoInstanceA         JetGetLogInfoInstance
#define JetGetLogInfoInstance2A        JetGetLogInfoInstance2
#define JetGetLogInfoA                 JetGetLogInfo
#define JetGetTruncateLogInfoInstanceA JetGetTruncateLogInfoInstance
#define JetRestoreInstanceA            JetRestoreInstance
#define JetRestoreA                    JetRestore
#define JetRestore2A                   JetRestore2

/* ---- Session, service, cursor and diagnostic functions (issue 18) ----------
 * Each behaves as ESENT documents; where esepy differs, docs/esent-differences.md
 * says how and why. */

/* UTF-16 code unit of the W functions (ESENT's WCHAR). */
typedef uint16_t JET_WCHAR;
#if !defined(_WCHAR_DEFINED) && !defined(ESEPY_NO_WCHAR_TYPEDEF)
#define _WCHAR_DEFINED
typedef uint16_t WCHAR;
#endif

typedef JET_API_PTR JET_OSSNAPID;

/* JetStopServiceInstance2 */
#define JET_bitStopServiceAll                  0x00000000
#define JET_bitStopServiceBackgroundUserTasks  0x00000002
#define JET_bitStopServiceQuiesceCaches        0x00000004
#define JET_bitStopServiceStopAndEmitLog       0x00000008
#define JET_bitStopServiceResume               0x80000000

/* JetIdle */
#define JET_bitIdleFlushBuffers          0x00000001
#define JET_bitIdleCompact               0x00000002
#define JET_bitIdleStatus                0x00000004
#define JET_bitIdleCompactAsync          0x00000010
#define JET_bitIdleAvailBuffersStatus    0x00000020
#define JET_bitIdleWaitForAsyncActivity  0x00000040

/* JetSetTableSequential, JetPrereadKeys, JetPrereadIndexRanges */
#define JET_bitPrereadForward        0x00000001
#define JET_bitPrereadBackward       0x00000002
#define JET_bitPrereadFirstPage      0x00000004
#define JET_bitPrereadNormalizedKey  0x00000008

/* JetGetRecordSize */
#define JET_bitRecordSizeInCopyBuffer  0x00000001
#define JET_bitRecordSizeRunningTotal  0x00000002
#define JET_bitRecordSizeLocal         0x00000004

/* JetGetInstanceMiscInfo levels */
#define JET_InstanceMiscInfoLogSignature  0U
#define JET_InstanceMiscInfoCheckpoint    1U
#define JET_InstanceMiscInfoRBS           2U

/* JetGetErrorInfoW level */
#define JET_ErrorInfoSpecificErr  1U

/* Session parameters beyond CommitDefault / TransactionLevel */
#define JET_sesparamOperationContext  4100
#define JET_sesparamCorrelationID     4101

typedef struct {
    uint32_t cbStruct;
    uint32_t cPageReferenced, cPageRead, cPagePreread, cPageDirtied, cPageRedirtied;
    uint32_t cLogRecord, cbLogRecord;
} JET_THREADSTATS;

typedef struct {
    uint32_t cbStruct;
    uint32_t cPageReferenced, cPageRead, cPagePreread, cPageDirtied, cPageRedirtied;
    uint32_t cLogRecord, cbLogRecord;
    uint64_t cusecPageCacheMiss;
    uint32_t cPageCacheMiss;
} JET_THREADSTATS2;

typedef struct {
    uint32_t   cbStruct;
    JET_ERR    errValue;
    JET_ERRCAT errcatMostSpecific;
    uint8_t    rgCategoricalHierarchy[8]; /* [0] the most general (JET_errcatError) */
    uint32_t   lSourceLine;               /* 0: esepy gives no source location */
    JET_WCHAR  rgszSourceFile[64];
} JET_ERRINFOBASIC_W;

typedef struct {
    uint32_t ulUserID;
    uint8_t  nOperationID, nOperationType, nClientType, fFlags;
} JET_OPERATIONCONTEXT;

/* ESENT's size: a pointer and two 32-bit values. */
#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ == 4
#define JET_cbIndexIdData 12
#else
#define JET_cbIndexIdData 16
#endif
typedef struct {
    uint32_t cbStruct;
    uint8_t  rgbIndexId[JET_cbIndexIdData];
} JET_INDEXID;

typedef enum {
    JET_relopEquals = 0,
    JET_relopPrefixEquals,
    JET_relopNotEquals,
    JET_relopLessThanOrEqual,
    JET_relopLessThan,
    JET_relopGreaterThanOrEqual,
    JET_relopGreaterThan,
    JET_relopBitmaskEqualsZero,
    JET_relopBitmaskNotEqualsZero
} JET_RELOP;

typedef struct {
    JET_COLUMNID columnid;
    JET_RELOP    relop;
    void        *pv;
    uint32_t     cb;
    JET_GRBIT    grbit;
} JET_INDEX_COLUMN;

typedef struct {
    JET_INDEX_COLUMN *rgStartColumns;
    uint32_t          cStartColumns;
    JET_INDEX_COLUMN *rgEndColumns;
    uint32_t          cEndColumns;
} JET_INDEX_RANGE;

typedef struct {
    uint64_t cbData, cbLongValueData, cbOverhead, cbLongValueOverhead;
    uint64_t cNonTaggedColumns, cTaggedColumns, cLongValues, cMultiValues;
} JET_RECSIZE;

typedef struct {
    uint64_t cbData, cbLongValueData, cbOverhead, cbLongValueOverhead;
    uint64_t cNonTaggedColumns, cTaggedColumns, cLongValues, cMultiValues;
    uint64_t cCompressedColumns, cbDataCompressed, cbLongValueDataCompressed;
} JET_RECSIZE2;

typedef struct {
    uint32_t            cbStruct;
    char               *szTableName;
    char               *szTemplateTableName;
    uint32_t            ulPages;
    uint32_t            ulDensity;
    JET_COLUMNCREATE_A *rgcolumncreate;
    uint32_t            cColumns;
    JET_INDEXCREATE3_A *rgindexcreate;
    uint32_t            cIndexes;
    char               *szCallback;      /* must be NULL: no callbacks */
    JET_CBTYP           cbtyp;
    JET_GRBIT           grbit;
    JET_SPACEHINTS     *pSeqSpacehints;  /* accepted, ignored */
    JET_SPACEHINTS     *pLVSpacehints;   /* accepted, ignored */
    uint32_t            cbSeparateLV;    /* accepted, ignored */
    JET_TABLEID         tableid;
    uint32_t            cCreated;
} JET_TABLECREATE4_A;
typedef JET_TABLECREATE4_A JET_TABLECREATE4;

/* JetStopService / JetStopServiceInstance(2): JET_bitStopServiceAll makes every
 * later session call (and JetBeginSession) on the instance return
 * JET_errClientRequestToStopJetService until JetTerm; it cannot be resumed. */
JET_ERR JET_API JetStopService(void);
JET_ERR JET_API JetStopServiceInstance(JET_INSTANCE instance);
JET_ERR JET_API JetStopServiceInstance2(JET_INSTANCE instance, const JET_GRBIT grbit);
/* A new session on the same instance as sesid. */
JET_ERR JET_API JetDupSession(JET_SESID sesid, JET_SESID *psesid);
/* Bind a session to the calling thread under a context: other threads get
 * JET_errSessionSharingViolation until this thread resets it. */
JET_ERR JET_API JetSetSessionContext(JET_SESID sesid, JET_API_PTR ulContext);
JET_ERR JET_API JetResetSessionContext(JET_SESID sesid);
JET_ERR JET_API JetSetSessionParameter(JET_SESID sesid, uint32_t sesparamid, void *pvParam, uint32_t cbParam);
JET_ERR JET_API JetGetSessionParameter(JET_SESID sesid, uint32_t sesparamid, void *pvParam, uint32_t cbParamMax,
                                       uint32_t *pcbParamActual);
JET_ERR JET_API JetBeginTransaction3(JET_SESID sesid, int64_t trxid, JET_GRBIT grbit);
JET_ERR JET_API JetGetVersion(JET_SESID sesid, uint32_t *pwVersion);
JET_ERR JET_API JetIdle(JET_SESID sesid, JET_GRBIT grbit);
JET_ERR JET_API JetGetThreadStats(void *pvResult, uint32_t cbMax);
JET_ERR JET_API JetGetErrorInfoW(void *pvContext, void *pvResult, uint32_t cbMax, uint32_t InfoLevel,
                                 JET_GRBIT grbit);
#define JetGetErrorInfo JetGetErrorInfoW
JET_ERR JET_API JetGetInstanceMiscInfo(JET_INSTANCE instance, void *pvResult, uint32_t cbMax, uint32_t InfoLevel);
/* Register pCallback for the cbtyp mask on the table of tableid, for the
 * cursors of the calling session; kept until JetUnregisterCallback or the
 * session ends.  Unknown hCallbackId: JET_errInvalidParameter. */
JET_ERR JET_API JetRegisterCallback(JET_SESID sesid, JET_TABLEID tableid, JET_CBTYP cbtyp, JET_CALLBACK pCallback,
                                    void *pvContext, JET_HANDLE *phCallbackId);
JET_ERR JET_API JetUnregisterCallback(JET_SESID sesid, JET_TABLEID tableid, JET_CBTYP cbtyp, JET_HANDLE hCallbackId);
JET_ERR JET_API JetGetCursorInfo(JET_SESID sesid, JET_TABLEID tableid, void *pvResult, uint32_t cbMax,
                                 uint32_t InfoLevel);
JET_ERR JET_API JetSetTableSequential(JET_SESID sesid, JET_TABLEID tableid, JET_GRBIT grbit);
JET_ERR JET_API JetResetTableSequential(JET_SESID sesid, JET_TABLEID tableid, JET_GRBIT grbit);
JET_ERR JET_API JetSetCurrentIndex4(JET_SESID sesid, JET_TABLEID tableid, const char *szIndexName,
                                    JET_INDEXID *pindexid, JET_GRBIT grbit, uint32_t itagSequence);
JET_ERR JET_API JetPrereadKeys(JET_SESID sesid, JET_TABLEID tableid, const void **rgpvKeys, const uint32_t *rgcbKeys,
                               int32_t ckeys, int32_t *pckeysPreread, JET_GRBIT grbit);
JET_ERR JET_API JetPrereadIndexRanges(JET_SESID sesid, JET_TABLEID tableid, const JET_INDEX_RANGE *const rgIndexRanges,
                                      const uint32_t cIndexRanges, uint32_t *const pcRangesPreread,
                                      const JET_COLUMNID *const rgcolumnidPreread, const uint32_t ccolumnidPreread,
                                      JET_GRBIT grbit);
JET_ERR JET_API JetComputeStats(JET_SESID sesid, JET_TABLEID tableid);
/* Filtered moves: JetMove on this cursor (a table cursor on its primary index)
 * skips records that fail any of the conditions; 0 conditions removes the
 * filter.  Long-value and text columns: JET_errFilteredMoveNotSupported. */
#define JET_bitZeroLength 0x00000001 /* JET_INDEX_COLUMN.grbit: the zero-length value, not NULL */
typedef struct {
    uint32_t    cbStruct;
    JET_TABLEID tableid;
    JET_GRBIT   grbit;     /* JET_bitRecordInIndex */
} JET_INDEXRANGE;
typedef struct {
    uint32_t     cbStruct;
    JET_TABLEID  tableid;  /* a temporary table of primary bookmarks */
    uint32_t     cRecord;
    JET_COLUMNID columnidBookmark;
} JET_RECORDLIST;
#define JET_bitRecordInIndex    0x00000001
#define JET_bitRecordNotInIndex 0x00000002
/* The records in every range: each cursor is on a secondary index of the same
 * table with an index range set; each is walked from its current entry to the
 * end of its range.  Close precordlist->tableid when done. */
JET_ERR JET_API JetIntersectIndexes(JET_SESID sesid, JET_INDEXRANGE *rgindexrange, uint32_t cindexrange,
                                    JET_RECORDLIST *precordlist, JET_GRBIT grbit);
JET_ERR JET_API JetSetCursorFilter(JET_SESID sesid, JET_TABLEID tableid, JET_INDEX_COLUMN *rgColumnFilters,
                                   uint32_t cColumnFilters, JET_GRBIT grbit);
JET_ERR JET_API JetGetRecordSize(JET_SESID sesid, JET_TABLEID tableid, JET_RECSIZE *precsize, const JET_GRBIT grbit);
JET_ERR JET_API JetGetRecordSize2(JET_SESID sesid, JET_TABLEID tableid, JET_RECSIZE2 *precsize,
                                  const JET_GRBIT grbit);
JET_ERR JET_API JetCreateTableColumnIndex4(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE4_A *ptablecreate);
JET_ERR JET_API JetIndexRecordCount2(JET_SESID sesid, JET_TABLEID tableid, uint64_t *pcrec, uint64_t crecMax);
/* Windows crash-dump configuration: JET_errDisabledFunctionality. */
JET_ERR JET_API JetConfigureProcessForCrashDump(const JET_GRBIT grbit);
#define JetSetCurrentIndex4A        JetSetCurrentIndex4
#define JetCreateTableColumnIndex4A JetCreateTableColumnIndex4
/* Windows Volume Shadow Copy coordination: JET_errDisabledFunctionality. */
JET_ERR JET_API JetOSSnapshotPrepare(JET_OSSNAPID *psnapId, const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotPrepareInstance(JET_OSSNAPID snapId, JET_INSTANCE instance, const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotFreeze(const JET_OSSNAPID snapId, uint32_t *pcInstanceInfo,
                                    JET_INSTANCE_INFO **paInstanceInfo, const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotGetFreezeInfo(const JET_OSSNAPID snapId, uint32_t *pcInstanceInfo,
                                           JET_INSTANCE_INFO **paInstanceInfo, const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotThaw(const JET_OSSNAPID snapId, const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotAbort(const JET_OSSNAPID snapId, const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotEnd(const JET_OSSNAPID snapId, const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotTruncateLog(const JET_OSSNAPID snapId, const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotTruncateLogInstance(const JET_OSSNAPID snapId, JET_INSTANCE instance,
                                                 const JET_GRBIT grbit);
#define JetOSSnapshotFreezeA        JetOSSnapshotFreeze
#define JetOSSnapshotGetFreezeInfoA JetOSSnapshotGetFreezeInfo

/* ---- W (UTF-16) variants --------------------------------------------------
 * Each takes JET_WCHAR (UTF-16LE) strings, converts them to UTF-8 and calls
 * its A function; a string with an unpaired surrogate gives
 * JET_errInvalidParameter.  String results are returned as UTF-16; their
 * buffer sizes (cbMax, cbIndexName, ...) count bytes, as in ESENT. */
typedef JET_WCHAR *JET_PWSTR;
typedef const JET_WCHAR *JET_PCWSTR;
JET_ERR JET_API JetCreateInstanceW(JET_INSTANCE *pinstance, const JET_WCHAR *szInstanceName);
JET_ERR JET_API JetCreateInstance2W(JET_INSTANCE *pinstance, const JET_WCHAR *szInstanceName,
                                    const JET_WCHAR *szDisplayName, JET_GRBIT grbit);
JET_ERR JET_API JetSetSystemParameterW(JET_INSTANCE *pinstance, JET_SESID sesid, uint32_t paramid,
                                       JET_API_PTR lParam, const JET_WCHAR *szParam);
JET_ERR JET_API JetGetSystemParameterW(JET_INSTANCE instance, JET_SESID sesid, uint32_t paramid,
                                       JET_API_PTR *plParam, JET_WCHAR *szParam, uint32_t cbMax);
JET_ERR JET_API JetBeginSessionW(JET_INSTANCE instance, JET_SESID *psesid, const JET_WCHAR *szUserName,
                                 const JET_WCHAR *szPassword);
JET_ERR JET_API JetCreateDatabaseW(JET_SESID sesid, const JET_WCHAR *szFilename, const JET_WCHAR *szConnect,
                                   JET_DBID *pdbid, JET_GRBIT grbit);
JET_ERR JET_API JetCreateDatabase2W(JET_SESID sesid, const JET_WCHAR *szFilename, uint32_t cpgDatabaseSizeMax,
                                    JET_DBID *pdbid, JET_GRBIT grbit);
JET_ERR JET_API JetAttachDatabaseW(JET_SESID sesid, const JET_WCHAR *szFilename, JET_GRBIT grbit);
JET_ERR JET_API JetAttachDatabase2W(JET_SESID sesid, const JET_WCHAR *szFilename, uint32_t cpgDatabaseSizeMax,
                                    JET_GRBIT grbit);
JET_ERR JET_API JetDetachDatabaseW(JET_SESID sesid, const JET_WCHAR *szFilename);
JET_ERR JET_API JetDetachDatabase2W(JET_SESID sesid, const JET_WCHAR *szFilename, JET_GRBIT grbit);
JET_ERR JET_API JetOpenDatabaseW(JET_SESID sesid, const JET_WCHAR *szFilename, const JET_WCHAR *szConnect,
                                 JET_DBID *pdbid, JET_GRBIT grbit);
JET_ERR JET_API JetGetDatabaseFileInfoW(const JET_WCHAR *szDatabaseName, void *pvResult, uint32_t cbMax,
                                        uint32_t InfoLevel);
JET_ERR JET_API JetCreateTableW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *szTableName, int32_t lPages,
                                int32_t lDensity, JET_TABLEID *ptableid);
JET_ERR JET_API JetOpenTableW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *szTableName,
                              const void *pvParameters, uint32_t cbParameters, JET_GRBIT grbit,
                              JET_TABLEID *ptableid);
JET_ERR JET_API JetDeleteTableW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *szTableName);
JET_ERR JET_API JetRenameTableW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *szName, const JET_WCHAR *szNameNew);
JET_ERR JET_API JetSetColumnDefaultValueW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *szTableName,
                                          const JET_WCHAR *szColumnName, const void *pvData, uint32_t cbData,
                                          JET_GRBIT grbit);
JET_ERR JET_API JetAddColumnW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *szColumnName,
                              const JET_COLUMNDEF *pcolumndef, const void *pvDefault, uint32_t cbDefault,
                              JET_COLUMNID *pcolumnid);
JET_ERR JET_API JetDeleteColumnW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *szColumnName);
JET_ERR JET_API JetDeleteColumn2W(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *szColumnName,
                                  JET_GRBIT grbit);
JET_ERR JET_API JetRenameColumnW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *szName,
                                 const JET_WCHAR *szNameNew, JET_GRBIT grbit);
/* cbKey: the size of the WCHAR key description in bytes. */
JET_ERR JET_API JetCreateIndexW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *szIndexName, JET_GRBIT grbit,
                                const JET_WCHAR *szKey, uint32_t cbKey, uint32_t lDensity);
JET_ERR JET_API JetDeleteIndexW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *szIndexName);
JET_ERR JET_API JetSetCurrentIndexW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *szIndexName);
JET_ERR JET_API JetSetCurrentIndex2W(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *szIndexName,
                                     JET_GRBIT grbit);
JET_ERR JET_API JetSetCurrentIndex3W(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *szIndexName,
                                     JET_GRBIT grbit, uint32_t itagSequence);
JET_ERR JET_API JetSetCurrentIndex4W(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *szIndexName,
                                     JET_INDEXID *pindexid, JET_GRBIT grbit, uint32_t itagSequence);
JET_ERR JET_API JetGetCurrentIndexW(JET_SESID sesid, JET_TABLEID tableid, JET_WCHAR *szIndexName,
                                    uint32_t cbIndexName);
JET_ERR JET_API JetBackupInstanceW(JET_INSTANCE instance, const JET_WCHAR *szBackupPath, JET_GRBIT grbit,
                                   JET_PFNSTATUS pfnStatus);
JET_ERR JET_API JetBackupW(const JET_WCHAR *szBackupPath, JET_GRBIT grbit, JET_PFNSTATUS pfnStatus);
JET_ERR JET_API JetRestoreInstanceW(JET_INSTANCE instance, const JET_WCHAR *sz, const JET_WCHAR *szDest,
                                    JET_PFNSTATUS pfn);
JET_ERR JET_API JetRestoreW(const JET_WCHAR *szSource, JET_PFNSTATUS pfn);
JET_ERR JET_API JetRestore2W(const JET_WCHAR *sz, const JET_WCHAR *szDest, JET_PFNSTATUS pfn);
JET_ERR JET_API JetOpenFileInstanceW(JET_INSTANCE instance, const JET_WCHAR *szFileName, JET_HANDLE *phfFile,
                                     uint32_t *pulFileSizeLow, uint32_t *pulFileSizeHigh);
JET_ERR JET_API JetOpenFileW(const JET_WCHAR *szFileName, JET_HANDLE *phfFile, uint32_t *pulFileSizeLow,
                             uint32_t *pulFileSizeHigh);
JET_ERR JET_API JetGetAttachInfoInstanceW(JET_INSTANCE instance, JET_WCHAR *szzDatabases, uint32_t cbMax,
                                          uint32_t *pcbActual);
JET_ERR JET_API JetGetAttachInfoW(JET_WCHAR *szzDatabases, uint32_t cbMax, uint32_t *pcbActual);
JET_ERR JET_API JetGetLogInfoInstanceW(JET_INSTANCE instance, JET_WCHAR *szzLogs, uint32_t cbMax,
                                       uint32_t *pcbActual);
JET_ERR JET_API JetGetLogInfoW(JET_WCHAR *szzLogs, uint32_t cbMax, uint32_t *pcbActual);
JET_ERR JET_API JetGetTruncateLogInfoInstanceW(JET_INSTANCE instance, JET_WCHAR *szzLogs, uint32_t cbMax,
                                               uint32_t *pcbActual);
typedef struct {
    uint32_t         paramid;
    JET_API_PTR      lParam;
    const JET_WCHAR *sz;
    JET_ERR          err;
} JET_SETSYSPARAM_W;
typedef struct {
    JET_WCHAR *szDatabaseName;
    JET_WCHAR *szNewDatabaseName;
} JET_RSTMAP_W;
typedef struct {
    uint32_t      cbStruct;      /* sizeof(JET_RSTINFO_W) */
    JET_RSTMAP_W *rgrstmap;
    int32_t       crstmap;
    JET_LGPOS     lgposStop;
    JET_LOGTIME   logtimeStop;
    JET_PFNSTATUS pfnStatus;
} JET_RSTINFO_W;
JET_ERR JET_API JetEnableMultiInstanceW(JET_SETSYSPARAM_W *psetsysparam, uint32_t csetsysparam,
                                        uint32_t *pcsetsucceed);
JET_ERR JET_API JetInit3W(JET_INSTANCE *pinstance, JET_RSTINFO_W *prstInfo, JET_GRBIT grbit);
JET_ERR JET_API JetExternalRestoreW(const JET_WCHAR *szCheckpointFilePath, const JET_WCHAR *szLogPath,
                                    JET_RSTMAP_W *rgrstmap, int32_t crstfilemap, const JET_WCHAR *szBackupLogPath,
                                    int32_t genLow, int32_t genHigh, JET_PFNSTATUS pfn);
typedef struct {
    uint32_t  cbSize;        /* sizeof(JET_LOGINFO_W) */
    uint32_t  ulGenLow;
    uint32_t  ulGenHigh;
    JET_WCHAR szBaseName[4];
} JET_LOGINFO_W;
JET_ERR JET_API JetExternalRestore2W(const JET_WCHAR *szCheckpointFilePath, const JET_WCHAR *szLogPath,
                                     JET_RSTMAP_W *rgrstmap, int32_t crstfilemap, const JET_WCHAR *szBackupLogPath,
                                     JET_LOGINFO_W *pLogInfo, const JET_WCHAR *szTargetInstanceName,
                                     const JET_WCHAR *szTargetInstanceLogPath,
                                     const JET_WCHAR *szTargetInstanceCheckpointPath, JET_PFNSTATUS pfn);
/* The W index structures: the A layouts with UTF-16 strings (szKey: cbKey
 * bytes of WCHARs, "+col\0-col\0\0"). */
typedef struct {
    uint32_t   cbStruct;
    JET_WCHAR *szColumnName;
    JET_GRBIT  grbit;
} JET_CONDITIONALCOLUMN_W;
typedef struct {
    uint32_t   cbStruct;
    JET_WCHAR *szIndexName;
    JET_WCHAR *szKey;
    uint32_t   cbKey;
    JET_GRBIT  grbit;
    uint32_t   ulDensity;
    union {
        uint32_t          lcid;
        JET_UNICODEINDEX *pidxunicode;
    };
    union {
        uint32_t cbVarSegMac;
        void    *ptuplelimits;
    };
    JET_CONDITIONALCOLUMN_W *rgconditionalcolumn;
    uint32_t   cConditionalColumn;
    JET_ERR    err;
    uint32_t   cbKeyMost;
} JET_INDEXCREATE_W;
typedef struct {
    uint32_t   cbStruct;
    JET_WCHAR *szIndexName;
    JET_WCHAR *szKey;
    uint32_t   cbKey;
    JET_GRBIT  grbit;
    uint32_t   ulDensity;
    union {
        uint32_t          lcid;
        JET_UNICODEINDEX *pidxunicode;
    };
    union {
        uint32_t cbVarSegMac;
        void    *ptuplelimits;
    };
    JET_CONDITIONALCOLUMN_W *rgconditionalcolumn;
    uint32_t   cConditionalColumn;
    JET_ERR    err;
    uint32_t   cbKeyMost;
    JET_SPACEHINTS *pSpacehints;
} JET_INDEXCREATE2_W;
typedef struct {
    uint32_t   cbStruct;
    JET_WCHAR *szIndexName;
    JET_WCHAR *szKey;
    uint32_t   cbKey;
    JET_GRBIT  grbit;
    uint32_t   ulDensity;
    JET_UNICODEINDEX2 *pidxunicode;
    union {
        uint32_t cbVarSegMac;
        void    *ptuplelimits;
    };
    JET_CONDITIONALCOLUMN_W *rgconditionalcolumn;
    uint32_t   cConditionalColumn;
    JET_ERR    err;
    uint32_t   cbKeyMost;
    JET_SPACEHINTS *pSpacehints;
} JET_INDEXCREATE3_W;
JET_ERR JET_API JetCreateIndex2W(JET_SESID sesid, JET_TABLEID tableid, JET_INDEXCREATE_W *pindexcreate,
                                 uint32_t cIndexCreate);
JET_ERR JET_API JetCreateIndex3W(JET_SESID sesid, JET_TABLEID tableid, JET_INDEXCREATE2_W *pindexcreate,
                                 uint32_t cIndexCreate);
JET_ERR JET_API JetCreateIndex4W(JET_SESID sesid, JET_TABLEID tableid, JET_INDEXCREATE3_W *pindexcreate,
                                 uint32_t cIndexCreate);
/* The W table structures: the A layouts with UTF-16 strings. */
typedef struct {
    uint32_t      cbStruct;
    JET_WCHAR    *szColumnName;
    JET_COLTYP    coltyp;
    uint32_t      cbMax;
    JET_GRBIT     grbit;
    void         *pvDefault;
    uint32_t      cbDefault;
    uint32_t      cp;
    JET_COLUMNID  columnid;
    JET_ERR       err;
} JET_COLUMNCREATE_W;
typedef struct {
    uint32_t            cbStruct;
    JET_WCHAR          *szTableName;
    JET_WCHAR          *szTemplateTableName;
    uint32_t            ulPages;
    uint32_t            ulDensity;
    JET_COLUMNCREATE_W *rgcolumncreate;
    uint32_t            cColumns;
    JET_INDEXCREATE_W  *rgindexcreate;
    uint32_t            cIndexes;
    JET_GRBIT           grbit;
    JET_TABLEID         tableid;
    uint32_t            cCreated;
} JET_TABLECREATE_W;
typedef struct {
    uint32_t            cbStruct;
    JET_WCHAR          *szTableName;
    JET_WCHAR          *szTemplateTableName;
    uint32_t            ulPages;
    uint32_t            ulDensity;
    JET_COLUMNCREATE_W *rgcolumncreate;
    uint32_t            cColumns;
    JET_INDEXCREATE_W  *rgindexcreate;
    uint32_t            cIndexes;
    JET_WCHAR          *szCallback;      /* must be NULL: no callbacks */
    JET_CBTYP           cbtyp;
    JET_GRBIT           grbit;
    JET_TABLEID         tableid;
    uint32_t            cCreated;
} JET_TABLECREATE2_W;
typedef struct {
    uint32_t            cbStruct;
    JET_WCHAR          *szTableName;
    JET_WCHAR          *szTemplateTableName;
    uint32_t            ulPages;
    uint32_t            ulDensity;
    JET_COLUMNCREATE_W *rgcolumncreate;
    uint32_t            cColumns;
    JET_INDEXCREATE2_W *rgindexcreate;
    uint32_t            cIndexes;
    JET_WCHAR          *szCallback;      /* must be NULL: no callbacks */
    JET_CBTYP           cbtyp;
    JET_GRBIT           grbit;
    JET_SPACEHINTS     *pSeqSpacehints;  /* accepted, ignored */
    JET_SPACEHINTS     *pLVSpacehints;   /* accepted, ignored */
    uint32_t            cbSeparateLV;    /* accepted, ignored */
    JET_TABLEID         tableid;
    uint32_t            cCreated;
} JET_TABLECREATE3_W;
typedef struct {
    uint32_t            cbStruct;
    JET_WCHAR          *szTableName;
    JET_WCHAR          *szTemplateTableName;
    uint32_t            ulPages;
    uint32_t            ulDensity;
    JET_COLUMNCREATE_W *rgcolumncreate;
    uint32_t            cColumns;
    JET_INDEXCREATE3_W *rgindexcreate;
    uint32_t            cIndexes;
    JET_WCHAR          *szCallback;      /* must be NULL: no callbacks */
    JET_CBTYP           cbtyp;
    JET_GRBIT           grbit;
    JET_SPACEHINTS     *pSeqSpacehints;  /* accepted, ignored */
    JET_SPACEHINTS     *pLVSpacehints;   /* accepted, ignored */
    uint32_t            cbSeparateLV;    /* accepted, ignored */
    JET_TABLEID         tableid;
    uint32_t            cCreated;
} JET_TABLECREATE4_W;
JET_ERR JET_API JetCreateTableColumnIndexW(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE_W *ptablecreate);
/* The names in UTF-16; the results as JetGetObjectInfo (the JET_OBJECTLIST
 * table's text columns hold UTF-8, unlike ESENT's Unicode ones). */
/* JET_ColInfoBase in UTF-16 (JetGetColumnInfoW / JetGetTableColumnInfoW). */
typedef struct {
    uint32_t       cbStruct;
    JET_COLUMNID   columnid;
    uint32_t       coltyp;
    unsigned short wCountry;
    unsigned short langid;
    unsigned short cp;
    unsigned short wFiller;
    uint32_t       cbMax;
    JET_GRBIT      grbit;
    JET_WCHAR      szBaseTableName[256];
    JET_WCHAR      szBaseColumnName[256];
} JET_COLUMNBASE_W;
/* Names in UTF-16 (..ByColid levels: szColumnName points at a JET_COLUMNID);
 * JET_ColInfoBase(ByColid) fill a JET_COLUMNBASE_W; other levels as the A
 * functions (JET_COLUMNLIST text columns hold UTF-8). */
JET_ERR JET_API JetGetColumnInfoW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *szTableName,
                                  const JET_WCHAR *szColumnName, void *pvResult, uint32_t cbMax, uint32_t InfoLevel);
JET_ERR JET_API JetGetTableColumnInfoW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *szColumnName,
                                       void *pvResult, uint32_t cbMax, uint32_t InfoLevel);
/* Names in UTF-16; results as the A functions (JET_INDEXLIST text columns
 * hold UTF-8; esepy has no JET_IdxInfoCreateIndex* levels). */
JET_ERR JET_API JetGetIndexInfoW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *szTableName,
                                 const JET_WCHAR *szIndexName, void *pvResult, uint32_t cbResult, uint32_t InfoLevel);
JET_ERR JET_API JetGetTableIndexInfoW(JET_SESID sesid, JET_TABLEID tableid, const JET_WCHAR *szIndexName,
                                      void *pvResult, uint32_t cbResult, uint32_t InfoLevel);
/* JetGetInstanceInfo with UTF-16 names; one buffer, freed by JetFreeBuffer. */
typedef struct {
    JET_INSTANCE hInstanceId;
    JET_WCHAR   *szInstanceName;
    JET_API_PTR  cDatabases;
    JET_WCHAR  **szDatabaseFileName;
    JET_WCHAR  **szDatabaseDisplayName;
    JET_WCHAR  **szDatabaseSLVFileName_Obsolete;
} JET_INSTANCE_INFO_W;
JET_ERR JET_API JetGetInstanceInfoW(uint32_t *pcInstanceInfo, JET_INSTANCE_INFO_W **paInstanceInfo);
JET_ERR JET_API JetGetObjectInfoW(JET_SESID sesid, JET_DBID dbid, JET_OBJTYP objtyp, const JET_WCHAR *szContainerName,
                                  const JET_WCHAR *szObjectName, void *pvResult, uint32_t cbMax, uint32_t InfoLevel);
JET_ERR JET_API JetCreateTableColumnIndex2W(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE2_W *ptablecreate);
JET_ERR JET_API JetCreateTableColumnIndex3W(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE3_W *ptablecreate);
JET_ERR JET_API JetCreateTableColumnIndex4W(JET_SESID sesid, JET_DBID dbid, JET_TABLECREATE4_W *ptablecreate);
JET_ERR JET_API JetGetLogInfoInstance2W(JET_INSTANCE instance, JET_WCHAR *szzLogs, uint32_t cbMax,
                                        uint32_t *pcbActual, JET_LOGINFO_W *pLogInfo);
/* String levels (JET_DbInfoFilename; JET_TblInfoName, JET_TblInfoTemplateTableName)
 * in UTF-16, cbMax in bytes; the other levels as the A functions. */
JET_ERR JET_API JetGetDatabaseInfoW(JET_SESID sesid, JET_DBID dbid, void *pvResult, uint32_t cbMax,
                                    uint32_t InfoLevel);
JET_ERR JET_API JetGetTableInfoW(JET_SESID sesid, JET_TABLEID tableid, void *pvResult, uint32_t cbMax,
                                 uint32_t InfoLevel);
/* paInstanceInfo would be JET_INSTANCE_INFO_W; never filled (disabled). */
JET_ERR JET_API JetOSSnapshotFreezeW(const JET_OSSNAPID snapId, uint32_t *pcInstanceInfo, void **paInstanceInfo,
                                     const JET_GRBIT grbit);
JET_ERR JET_API JetOSSnapshotGetFreezeInfoW(const JET_OSSNAPID snapId, uint32_t *pcInstanceInfo,
                                            void **paInstanceInfo, const JET_GRBIT grbit);

/* ---- compaction and file size (compact_api.c) ------------------------------ */
typedef struct JET_CONVERT JET_CONVERT; /* ESENT's conversion DLL description: must be NULL */
#define JET_bitCompactStats              0x00000020 /* accepted; no DFRGINFO.TXT is written */
#define JET_bitCompactRepair             0x00000040 /* JET_errFeatureNotAvailable */
#define JET_bitResizeDatabaseOnlyGrow    0x00000001
#define JET_bitResizeDatabaseOnlyShrink  0x00000002
/* Offline compaction of szDatabaseSrc (attached read-only for the call when
 * it is not attached) into the new file szDatabaseDest (JET_errDatabaseDuplicate
 * when it exists).  pfnStatus gets JET_snpCompact Begin / Progress / Complete
 * with a JET_SNPROG counting records; a negative return cancels (the
 * destination is not created) and is returned. */
JET_ERR JET_API JetCompact(JET_SESID sesid, const char *szDatabaseSrc, const char *szDatabaseDest,
                           JET_PFNSTATUS pfnStatus, JET_CONVERT *pconvert, JET_GRBIT grbit);
JET_ERR JET_API JetCompactW(JET_SESID sesid, const JET_WCHAR *szDatabaseSrc, const JET_WCHAR *szDatabaseDest,
                            JET_PFNSTATUS pfnStatus, JET_CONVERT *pconvert, JET_GRBIT grbit);
/* Grow the file to at least cpg pages (pages after the two header pages, as
 * JET_DbInfoSpaceOwned); *pcpgReal receives the size after the call.  Never shrinks. */
JET_ERR JET_API JetGrowDatabase(JET_SESID sesid, JET_DBID dbid, uint32_t cpg, uint32_t *pcpgReal);
JET_ERR JET_API JetSetDatabaseSize(JET_SESID sesid, const char *szDatabaseName, uint32_t cpg, uint32_t *pcpgReal);
JET_ERR JET_API JetSetDatabaseSizeW(JET_SESID sesid, const JET_WCHAR *szDatabaseName, uint32_t cpg,
                                    uint32_t *pcpgReal);
/* A larger cpg grows the file as JetGrowDatabase (not with
 * JET_bitResizeDatabaseOnlyShrink); a smaller one shrinks it (not with
 * JET_bitResizeDatabaseOnlyGrow) as far as the free and never-used pages at
 * its end allow -- no page is moved (defragment first to free pages) -- once
 * the checkpoint is past the shrink (an active transaction may hold the file
 * at its size).  *pcpgActual receives the file's size in pages after. */
JET_ERR JET_API JetResizeDatabase(JET_SESID sesid, JET_DBID dbid, uint32_t cpg, uint32_t *pcpgActual,
                                  JET_GRBIT grbit);

/* ---- online defragmentation (defrag_api.c) --------------------------------- */
#define JET_bitDefragmentBatchStart           0x00000001
#define JET_bitDefragmentBatchStop            0x00000002
#define JET_bitDefragmentAvailSpaceTreesOnly  0x00000040 /* accepted: the free space is a list, nothing to merge */
#define JET_bitDefragmentNoPartialMerges      0x00000080 /* accepted: merges are always whole pages */
#define JET_bitDefragmentBTree                0x00000100 /* szTableName names the table to defragment */
/* Start (JET_bitDefragmentBatchStart, or no grbit) a background task that
 * merges adjacent under-filled leaf pages of every B-tree of the database (or
 * of table szTableName's trees), freeing the emptied pages: *pcPasses passes
 * at most (NULL / 0: until a pass merges nothing), *pcSeconds seconds at most
 * (NULL / 0 / negative: no limit); JET_wrnDefragAlreadyRunning when one runs.
 * JET_bitDefragmentBatchStop stops it and waits, filling *pcPasses (passes
 * completed) and *pcSeconds; JET_wrnDefragNotRunning when none was running.
 * The callback (JetDefragment2/3) gets JET_cbtypOnlineDefragCompleted (with
 * pvContext for JetDefragment3) once, on the task's thread, when the task
 * ends: by itself, by BatchStop, or stopped by a detach or JetTerm. */
JET_ERR JET_API JetDefragment(JET_SESID sesid, JET_DBID dbid, const char *szTableName, uint32_t *pcPasses,
                              uint32_t *pcSeconds, JET_GRBIT grbit);
JET_ERR JET_API JetDefragmentW(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *szTableName, uint32_t *pcPasses,
                               uint32_t *pcSeconds, JET_GRBIT grbit);
JET_ERR JET_API JetDefragment2(JET_SESID sesid, JET_DBID dbid, const char *szTableName, uint32_t *pcPasses,
                               uint32_t *pcSeconds, JET_CALLBACK callback, JET_GRBIT grbit);
JET_ERR JET_API JetDefragment2W(JET_SESID sesid, JET_DBID dbid, const JET_WCHAR *szTableName, uint32_t *pcPasses,
                                uint32_t *pcSeconds, JET_CALLBACK callback, JET_GRBIT grbit);
JET_ERR JET_API JetDefragment3(JET_SESID sesid, const char *szDatabaseName, const char *szTableName,
                               uint32_t *pcPasses, uint32_t *pcSeconds, JET_CALLBACK callback, void *pvContext,
                               JET_GRBIT grbit);
JET_ERR JET_API JetDefragment3W(JET_SESID sesid, const JET_WCHAR *szDatabaseName, const JET_WCHAR *szTableName,
                                uint32_t *pcPasses, uint32_t *pcSeconds, JET_CALLBACK callback, void *pvContext,
                                JET_GRBIT grbit);

/* ---- local storage (defrag_api.c) ------------------------------------------ */
typedef JET_API_PTR JET_LS;
#define JET_LSNil        (~(JET_LS)0)
#define JET_bitLSReset   0x00000001
#define JET_bitLSCursor  0x00000002
#define JET_bitLSTable   0x00000004
/* Associate ls with the cursor (JET_bitLSCursor, the default) or with its
 * table (JET_bitLSTable, shared by every cursor on it).  When the cursor
 * closes -- or the table's last cursor closes, or the instance ends -- the
 * instance's JET_paramRuntimeCallback (as it was at this call) is called with
 * JET_cbtypFreeCursorLS / JET_cbtypFreeTableLS and pvArg1 = ls.
 * JET_errLSAlreadySet when one is set, JET_errLSCallbackNotSpecified without a
 * runtime callback; JET_bitLSReset clears it (no callback). */
JET_ERR JET_API JetSetLS(JET_SESID sesid, JET_TABLEID tableid, JET_LS ls, JET_GRBIT grbit);
/* The context (JET_errLSNotSet and JET_LSNil when none); with JET_bitLSReset
 * it is taken out as well (no callback: the caller has it back). */
JET_ERR JET_API JetGetLS(JET_SESID sesid, JET_TABLEID tableid, JET_LS *pls, JET_GRBIT grbit);

#ifdef __cplusplus
}
#endif
#endif /* ESEPY_ESENT_H */
