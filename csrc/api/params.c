/*
 * params.c -- the system-parameter table: every JET_param* esepy knows, with
 * its type, scope, default and accepted range, and the rules to validate and
 * store a value.
 *
 * Owns: g_param_defs (read-only) and the value arrays' validation/copy/free.
 * Where a value is stored (process defaults or an instance) and when a change
 * is refused is decided by instance.c (JetSetSystemParameter), which holds
 * proc.lock around these calls.
 * Must not touch: instances or the process table directly.
 */
#include "api_int.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#define I ESEPY_PARAMTYPE_INTEGER
#define B ESEPY_PARAMTYPE_BOOLEAN
#define S ESEPY_PARAMTYPE_STRING
#define F ESEPY_PARAMTYPE_FOLDER
#define PA ESEPY_PARAMTYPE_PATH
#define PT ESEPY_PARAMTYPE_POINTER
#define GL ESEPY_PARAMFLAG_GLOBAL
#define FI ESEPY_PARAMFLAG_FIXEDATINIT
#define FM ESEPY_PARAMFLAG_FIXEDATMODE
#define RO ESEPY_PARAMFLAG_READONLY
#define NE ESEPY_PARAMFLAG_NOEFFECT
#define IMAX ((JET_API_PTR)INT32_MAX)
#define UMAX ((JET_API_PTR)UINT32_MAX)
#define PMAX (~(JET_API_PTR)0)

/* Integer row: id, name, python name, type, flags, default, min, max. */
#define PI(id, n, py, t, fl, d, lo, hi) { id, n, py, t, fl, d, lo, hi, NULL, 0 }
/* String row: id, name, python name, type, flags, default, longest. */
#define PS(id, n, py, t, fl, d, cch)    { id, n, py, t, fl, 0, 0, 0, d, cch }
/* JET_paramTableClass<n>Name: a global name of 1..JET_cbNameMost characters
 * (min / max: its length range), "TableClass<n>" by default. */
#define TC(n) { JET_paramTableClass##n##Name, "TableClass" #n "Name", "table_class" #n "_name", S, GL | FM | NE, 0, 1, 64, \
                "TableClass" #n, JET_cbNameMost }

const param_def g_param_defs[] = {
    PS(JET_paramSystemPath, "SystemPath", "system_path", F, FI, "./", 246),
    PS(JET_paramTempPath, "TempPath", "temp_path", PA, FI, "tmp.edb", 247),
    PS(JET_paramLogFilePath, "LogFilePath", "log_path", F, FI, "./", 246),
    PS(JET_paramBaseName, "BaseName", "base_name", S, FI, "edb", 3),
    PS(JET_paramEventSource, "EventSource", "event_source", S, FI | NE, "", 259),
    PI(JET_paramMaxSessions, "MaxSessions", "max_sessions", I, FI, 16, 0, 30000),
    PI(JET_paramMaxOpenTables, "MaxOpenTables", "max_open_tables", I, FI, 300, 0, IMAX),
    PI(JET_paramPreferredMaxOpenTables, "PreferredMaxOpenTables", "preferred_max_open_tables", I, FI | NE, 300, 0, IMAX),
    PI(JET_paramMaxCursors, "MaxCursors", "max_cursors", I, FI, 1024, 0, IMAX),
    PI(JET_paramMaxVerPages, "MaxVerPages", "max_ver_pages", I, FI, 64, 1, IMAX),
    PI(JET_paramMaxTemporaryTables, "MaxTemporaryTables", "max_temporary_tables", I, FI, 20, 0, IMAX),
    PI(JET_paramLogFileSize, "LogFileSize", "log_file_size_kb", I, FI, 5120, 64, 32768),
    PI(JET_paramLogBuffers, "LogBuffers", "log_buffers", I, FI, 126, 1, IMAX),
    PI(JET_paramWaitLogFlush, "WaitLogFlush", "wait_log_flush", I, NE, 0, 0, IMAX),
    PI(JET_paramLogCheckpointPeriod, "LogCheckpointPeriod", "log_checkpoint_period", I, NE, 0, 0, IMAX),
    PI(JET_paramLogWaitingUserMax, "LogWaitingUserMax", "log_waiting_user_max", I, NE, 0, 0, IMAX),
    PI(JET_paramCommitDefault, "CommitDefault", "commit_default", I, 0, 0, 0, UMAX),
    PI(JET_paramCircularLog, "CircularLog", "circular_log", B, FI, 0, 0, 1),
    PI(JET_paramDbExtensionSize, "DbExtensionSize", "db_extension_size", I, 0, 256, 1, IMAX),
    PI(JET_paramPageTempDBMin, "PageTempDBMin", "page_temp_db_min", I, FI, 0, 0, IMAX),
    PI(JET_paramPageFragment, "PageFragment", "page_fragment", I, FI | NE, 8, 0, IMAX),
    PI(JET_paramPageReadAheadMax, "PageReadAheadMax", "page_read_ahead_max", I, NE, 20, 0, IMAX),
    PI(JET_paramBatchIOBufferMax, "BatchIOBufferMax", "batch_io_buffer_max", I, GL | NE, 0, 0, IMAX),
    PI(JET_paramCacheSizeMax, "CacheSizeMax", "cache_size_max", I, GL, 2000000000, 1, IMAX),
    PI(JET_paramCheckpointDepthMax, "CheckpointDepthMax", "checkpoint_depth_max", I, 0, 20971520, 0, IMAX),
    PI(ESEPY_paramCheckpointThread, "CheckpointThread", "checkpoint_thread", B, FI, 0, 0, 1),
    PI(JET_paramLRUKCorrInterval, "LRUKCorrInterval", "lruk_corr_interval", I, GL | NE, 128000, 0, IMAX),
    PI(JET_paramLRUKHistoryMax, "LRUKHistoryMax", "lruk_history_max", I, GL | NE, 0, 0, IMAX),
    PI(JET_paramLRUKPolicy, "LRUKPolicy", "lruk_policy", I, GL | NE, 2, 0, IMAX),
    PI(JET_paramLRUKTimeout, "LRUKTimeout", "lruk_timeout", I, GL | NE, 100, 0, IMAX),
    PI(JET_paramOutstandingIOMax, "OutstandingIOMax", "outstanding_io_max", I, GL | NE, 1024, 0, IMAX),
    PI(JET_paramStartFlushThreshold, "StartFlushThreshold", "start_flush_threshold", I, GL | NE, 0, 0, IMAX),
    PI(JET_paramStopFlushThreshold, "StopFlushThreshold", "stop_flush_threshold", I, GL | NE, 0, 0, IMAX),
    PS(JET_paramRecovery, "Recovery", "recovery", S, FI, "on", 259),
    PI(JET_paramEnableOnlineDefrag, "EnableOnlineDefrag", "enable_online_defrag", I, NE, 0xFFFF, 0, 0xFFFF),
    PI(JET_paramAssertAction, "AssertAction", "assert_action", I, GL | NE, 0, 0, IMAX),
    PI(JET_paramPrintFunction, "PrintFunction", "print_function", PT, GL | NE, 0, 0, 0),
    PI(JET_paramTransactionLevel, "TransactionLevel", "transaction_level", I, NE, 0, 0, IMAX),
    PI(JET_paramCacheSize, "CacheSize", "cache_size", I, GL | NE, 0, 0, IMAX),
    PI(JET_paramCheckFormatWhenOpenFail, "CheckFormatWhenOpenFail", "check_format_when_open_fail", B, NE, 0, 0, 1),
    PI(JET_paramEnableIndexChecking, "EnableIndexChecking", "enable_index_checking", I, 0, 1, 0, 2),
    PI(JET_paramEnableTempTableVersioning, "EnableTempTableVersioning", "enable_temp_table_versioning", B, FI, 1, 0, 1),
    PI(JET_paramIgnoreLogVersion, "IgnoreLogVersion", "ignore_log_version", B, NE, 0, 0, 1),
    PI(JET_paramDeleteOldLogs, "DeleteOldLogs", "delete_old_logs", B, NE, 0, 0, 1),
    PS(JET_paramEventSourceKey, "EventSourceKey", "event_source_key", S, FI | NE, "", 259),
    PI(JET_paramNoInformationEvent, "NoInformationEvent", "no_information_event", B, FI, 0, 0, 1),
    PI(JET_paramEventLoggingLevel, "EventLoggingLevel", "event_logging_level", I, FI, 100, 0, 100),
    PI(JET_paramDeleteOutOfRangeLogs, "DeleteOutOfRangeLogs", "delete_out_of_range_logs", B, FI, 0, 0, 1),
    PI(JET_paramAccessDeniedRetryPeriod, "AccessDeniedRetryPeriod", "access_denied_retry_period", I, NE, 10000, 0, IMAX),
    PI(JET_paramEnableIndexCleanup, "EnableIndexCleanup", "enable_index_cleanup", B, NE, 1, 0, 1),
    PI(JET_paramCacheSizeMin, "CacheSizeMin", "cache_size_min", I, GL, 1, 1, IMAX),
    PI(JET_paramPreferredVerPages, "PreferredVerPages", "preferred_ver_pages", I, NE, 58, 0, IMAX),
    PI(JET_paramDatabasePageSize, "DatabasePageSize", "database_page_size", I, GL | FM, 4096, 4096, 32768),
    PI(JET_paramDisableCallbacks, "DisableCallbacks", "disable_callbacks", B, FI, 0, 0, 1),
    PI(JET_paramBackupChunkSize, "BackupChunkSize", "backup_chunk_size", I, NE, 0, 0, IMAX),
    PI(JET_paramBackupOutstandingReads, "BackupOutstandingReads", "backup_outstanding_reads", I, NE, 0, 0, IMAX),
    PI(JET_paramLogFileCreateAsynch, "LogFileCreateAsynch", "log_file_create_asynch", B, FI | NE, 1, 0, 1),
    PI(JET_paramErrorToString, "ErrorToString", "error_to_string", S, RO, 0, 0, 0),
    PI(JET_paramZeroDatabaseDuringBackup, "ZeroDatabaseDuringBackup", "zero_database_during_backup", B, FI | NE, 0, 0, 1),
    PI(JET_paramUnicodeIndexDefault, "UnicodeIndexDefault", "unicode_index_default", PT, NE, 0, 0, 0),
    PI(JET_paramRuntimeCallback, "RuntimeCallback", "runtime_callback", PT, NE, 0, 0, 0),
    PI(JET_paramCleanupMismatchedLogFiles, "CleanupMismatchedLogFiles", "cleanup_mismatched_log_files", B, FI, 0, 0, 1),
    PI(JET_paramRecordUpgradeDirtyLevel, "RecordUpgradeDirtyLevel", "record_upgrade_dirty_level", I, GL | NE, 1, 0, 3),
    PI(JET_paramGlobalMinVerPages, "GlobalMinVerPages", "global_min_ver_pages", I, GL | FM | NE, 64, 0, IMAX),
    PI(JET_paramOSSnapshotTimeout, "OSSnapshotTimeout", "os_snapshot_timeout", I, GL | NE, 70000, 0, IMAX),
    PI(JET_paramExceptionAction, "ExceptionAction", "exception_action", I, GL | NE, JET_ExceptionFailFast, 0, IMAX),
    PI(JET_paramCreatePathIfNotExist, "CreatePathIfNotExist", "create_path_if_not_exist", B, 0, 0, 0, 1),
    PI(JET_paramOneDatabasePerSession, "OneDatabasePerSession", "one_database_per_session", B, FI | NE, 0, 0, 1),
    PI(JET_paramMaxDatabasesPerInstance, "MaxDatabasesPerInstance", "max_databases_per_instance", I, GL, 7, 7, 7),
    PI(JET_paramMaxInstances, "MaxInstances", "max_instances", I, GL | FM, 16, 1, PROC_MAX_INSTANCES),
    PI(JET_paramDisablePerfmon, "DisablePerfmon", "disable_perfmon", B, GL | FM | NE, 1, 0, 1),
    PI(JET_paramIndexTuplesLengthMin, "IndexTuplesLengthMin", "index_tuples_length_min", I, NE, 3, 0, IMAX),
    PI(JET_paramIndexTuplesLengthMax, "IndexTuplesLengthMax", "index_tuples_length_max", I, NE, 10, 0, IMAX),
    PI(JET_paramIndexTuplesToIndexMax, "IndexTuplesToIndexMax", "index_tuples_to_index_max", I, NE, 32767, 0, IMAX),
    PS(JET_paramAlternateDatabaseRecoveryPath, "AlternateDatabaseRecoveryPath", "alternate_database_recovery_path", F, FI, "", 246),
    PI(JET_paramCachedClosedTables, "CachedClosedTables", "cached_closed_tables", I, NE, 64, 0, IMAX),
    PI(JET_paramEnableFileCache, "EnableFileCache", "enable_file_cache", B, GL | FM | NE, 0, 0, 1),
    PI(JET_paramEnableViewCache, "EnableViewCache", "enable_view_cache", B, GL | FM | NE, 0, 0, 1),
    PI(JET_paramVerPageSize, "VerPageSize", "ver_page_size", I, GL | FM, 32768, 1024, 65536),
    PI(JET_paramConfiguration, "Configuration", "configuration", I, FI | NE, JET_configDefault, 0, IMAX),
    PI(JET_paramEnableAdvanced, "EnableAdvanced", "enable_advanced", B, NE, 1, 0, 1),
    PI(JET_paramMaxColtyp, "MaxColtyp", "max_coltyp", I, RO, JET_coltypMax, 0, 0),
    PI(JET_paramKeyMost, "KeyMost", "key_most", I, RO, 0, 0, 0),
    PI(JET_paramCheckpointIOMax, "CheckpointIOMax", "checkpoint_io_max", I, NE, 0, 0, IMAX),
    PI(JET_paramLegacyFileNames, "LegacyFileNames", "legacy_file_names", I, FI,
       JET_bitESE98FileNames | JET_bitEightDotThreeSoftCompat, 0, 255),
    PI(JET_paramIOPriority, "IOPriority", "io_priority", I, NE, 0, 0, IMAX),
    PI(JET_paramWaypointLatency, "WaypointLatency", "waypoint_latency", I, FI | NE, 0, 0, 1023),
    PI(JET_paramCheckpointTooDeep, "CheckpointTooDeep", "checkpoint_too_deep", I, FI, 65536, 32, 65536),
    PI(JET_paramEnablePersistedCallbacks, "EnablePersistedCallbacks", "enable_persisted_callbacks", B, FI | NE, 0, 0, 1),
    PI(JET_paramAggressiveLogRollover, "AggressiveLogRollover", "aggressive_log_rollover", B, FI | NE, 0, 0, 1),
    PI(JET_paramDefragmentSequentialBTrees, "DefragmentSequentialBTrees", "defragment_sequential_btrees", B, NE, 1, 0, 1),
    PI(JET_paramLVChunkSizeMost, "LVChunkSizeMost", "lv_chunk_size_most", I, RO, 0, 0, 0),
    PI(JET_paramEnableDBScanInRecovery, "EnableDBScanInRecovery", "enable_db_scan_in_recovery", I, NE, 0, 0, IMAX),
    PI(JET_paramCachePriority, "CachePriority", "cache_priority", I, NE, 100, 0, 1000),
    PI(JET_paramMaxTransactionSize, "MaxTransactionSize", "max_transaction_size", I, NE, 0, 0, IMAX),
    PI(JET_paramEnableShrinkDatabase, "EnableShrinkDatabase", "enable_shrink_database", I, FI | NE, 0, 0, IMAX),
    PS(JET_paramProcessFriendlyName, "ProcessFriendlyName", "process_friendly_name", S, GL | NE, "", 259),
    PI(JET_paramDurableCommitCallback, "DurableCommitCallback", "durable_commit_callback", PT, 0, 0, 0, 0),
    PS(JET_paramConfigStoreSpec, "ConfigStoreSpec", "config_store_spec", S, GL | NE, "", 259),
    PI(JET_paramPersistedLostFlushDetection, "PersistedLostFlushDetection", "persisted_lost_flush_detection", I, NE, 0, 0, IMAX),
    PI(JET_paramEngineFormatVersion, "EngineFormatVersion", "engine_format_version", I, NE, 0x40000001, 0, UMAX),
    PI(JET_paramRecordSizeMost, "RecordSizeMost", "record_size_most", I, RO, 0, 0, 0),
    /* The rest of ESENT's published parameters: kept and read back as ESENT
     * does (its scope, range and default), with no effect on esepy. */
    PI(JET_paramLRUKTrxCorrInterval, "LRUKTrxCorrInterval", "lruk_trx_corr_interval", I, GL | FM | NE, 0, 0, PMAX),
    PI(JET_paramEventLogCache, "EventLogCache", "event_log_cache", I, GL | FM | NE, 0, 0, IMAX),
    PI(JET_paramPageHintCacheSize, "PageHintCacheSize", "page_hint_cache_size", I, GL | FM | NE, 262144, 0, IMAX),
    PI(JET_paramVersionStoreTaskQueueMax, "VersionStoreTaskQueueMax", "version_store_task_queue_max", I, NE, 4, 1, 127),
    PI(JET_paramIndexTupleIncrement, "IndexTupleIncrement", "index_tuple_increment", I, FI | NE, 1, 0, 32767),
    PI(JET_paramIndexTupleStart, "IndexTupleStart", "index_tuple_start", I, NE, 0, 0, 32767),
    TC(1), TC(2), TC(3), TC(4), TC(5), TC(6), TC(7), TC(8), TC(9), TC(10), TC(11), TC(12), TC(13), TC(14), TC(15),
    PI(JET_paramDefragmentSequentialBTreesDensityCheckFrequency, "DefragmentSequentialBTreesDensityCheckFrequency",
       "defragment_sequential_btrees_density_check_frequency", I, FI | NE, 10, 0, PMAX),
    PI(JET_paramIOThrottlingTimeQuanta, "IOThrottlingTimeQuanta", "io_throttling_time_quanta", I, GL | FM | NE, 100, 1,
       10000),
    PI(JET_paramMaxCoalesceReadSize, "MaxCoalesceReadSize", "max_coalesce_read_size", I, GL | FM | NE, 524288, 0,
       10485760),
    PI(JET_paramMaxCoalesceWriteSize, "MaxCoalesceWriteSize", "max_coalesce_write_size", I, GL | FM | NE, 524288, 0,
       10485760),
    PI(JET_paramMaxCoalesceReadGapSize, "MaxCoalesceReadGapSize", "max_coalesce_read_gap_size", I, GL | FM | NE, 524288,
       0, 10485760),
    PI(JET_paramMaxCoalesceWriteGapSize, "MaxCoalesceWriteGapSize", "max_coalesce_write_gap_size", I, GL | FM | NE,
       524288, 0, 10485760),
    PI(JET_paramDbScanThrottle, "DbScanThrottle", "db_scan_throttle", I, NE, 20, 0, 60000),
    PI(JET_paramDbScanIntervalMinSec, "DbScanIntervalMinSec", "db_scan_interval_min_sec", I, FI | NE, 86400, 0, 1814400),
    PI(JET_paramDbScanIntervalMaxSec, "DbScanIntervalMaxSec", "db_scan_interval_max_sec", I, FI | NE, 604800, 1,
       1576800000),
    PI(JET_paramPrereadIOMax, "PrereadIOMax", "preread_io_max", I, NE, 8, 0, 256),
    PI(JET_paramEnableDBScanSerialization, "EnableDBScanSerialization", "enable_db_scan_serialization", B, FI | NE, 0, 0,
       1),
    PI(JET_paramHungIOThreshold, "HungIOThreshold", "hung_io_threshold", I, GL | FM | NE, 30000, 11000, 1800000),
    PI(JET_paramHungIOActions, "HungIOActions", "hung_io_actions", I, GL | FM | NE, JET_bitHungIOEvent, 0, 0x1F),
    PI(JET_paramMinDataForXpress, "MinDataForXpress", "min_data_for_xpress", I, GL | FM | NE, 1024, 0, IMAX),
    PI(JET_paramEnableSqm, "EnableSqm", "enable_sqm", I, FI | NE, 1, 0, 2),
    PI(JET_paramUseFlushForWriteDurability, "UseFlushForWriteDurability", "use_flush_for_write_durability", B, FI | NE, 1,
       0, 1),
    PI(JET_paramEnableRBS, "EnableRBS", "enable_rbs", B, NE, 0, 0, 1),
    PS(JET_paramRBSFilePath, "RBSFilePath", "rbs_file_path", F, FI | NE, "./", 246),
    PI(JET_paramPerfmonRefreshInterval, "PerfmonRefreshInterval", "perfmon_refresh_interval", I, GL | FM | NE, 100, 0,
       86400000),
    PI(JET_paramEnableBlockCache, "EnableBlockCache", "enable_block_cache", B, GL | FM | NE, 0, 0, 1),
    PI(JET_paramEnableBlockCacheDetach, "EnableBlockCacheDetach", "enable_block_cache_detach", B, GL | FM | NE, 0, 0, 1),
};
const uint32_t g_cparam_defs = ARRAY_SIZE(g_param_defs);

_Static_assert(ARRAY_SIZE(g_param_defs) <= PARAM_SLOTS, "param value arrays hold PARAM_SLOTS entries");

int param_index(uint32_t id)
{
    for (uint32_t i = 0; i < g_cparam_defs; i++)
        if (g_param_defs[i].id == id)
            return (int)i;
    return -1;
}

static int is_string_type(uint8_t t)
{
    return t == ESEPY_PARAMTYPE_STRING || t == ESEPY_PARAMTYPE_FOLDER || t == ESEPY_PARAMTYPE_PATH;
}

JET_ERR param_init_defaults(param_value *vals)
{
    memset(vals, 0, sizeof(param_value) * g_cparam_defs);
    for (uint32_t i = 0; i < g_cparam_defs; i++) {
        const param_def *d = &g_param_defs[i];
        if (d->flags & ESEPY_PARAMFLAG_READONLY)
            continue;
        vals[i].num = d->def;
        if (is_string_type(d->type)) {
            vals[i].str = os_strdup(d->sdef ? d->sdef : "");
            if (vals[i].str == NULL) {
                param_free(vals);
                return JET_errOutOfMemory;
            }
        }
    }
    return JET_errSuccess;
}

JET_ERR param_copy(param_value *dst, const param_value *src)
{
    memset(dst, 0, sizeof(param_value) * g_cparam_defs);
    for (uint32_t i = 0; i < g_cparam_defs; i++) {
        dst[i].num = src[i].num;
        dst[i].fSet = src[i].fSet;
        if (src[i].str) {
            dst[i].str = os_strdup(src[i].str);
            if (dst[i].str == NULL) {
                param_free(dst);
                return JET_errOutOfMemory;
            }
        }
    }
    return JET_errSuccess;
}

void param_free(param_value *vals)
{
    for (uint32_t i = 0; i < g_cparam_defs; i++) {
        os_free(vals[i].str);
        vals[i].str = NULL;
    }
}

/* As ESENT: a folder or path parameter is kept as an absolute path (a folder
 * with its trailing '/'); a path that is a bare file name ("tmp.edb") is kept
 * as given.  Unlike ESENT, the default value itself ("./") is kept as it is,
 * so that the default can be put back (docs/esent-differences.md).
 * *psz: sz itself or buf (OS_PATH_MAX bytes) holding the result. */
static JET_ERR param_complete(const param_def *d, const char *sz, char *buf, const char **psz)
{
    *psz = sz;
    if (sz == NULL || sz[0] == '\0' || (d->type != ESEPY_PARAMTYPE_FOLDER && d->type != ESEPY_PARAMTYPE_PATH) ||
        (d->sdef && strcmp(sz, d->sdef) == 0))
        return JET_errSuccess;
    size_t len = strlen(sz);
    int fFolder = d->type == ESEPY_PARAMTYPE_FOLDER || sz[len - 1] == '/';
    if (!fFolder && strchr(sz, '/') == NULL)
        return JET_errSuccess;
    if (os_path_absolute(sz, buf, OS_PATH_MAX - 1) < 0)
        return JET_errInvalidParameter;
    size_t n = strlen(buf);
    if (fFolder && buf[n - 1] != '/') {
        buf[n] = '/';
        buf[n + 1] = '\0';
    }
    *psz = buf;
    return JET_errSuccess;
}

/* Check a value against the definition without storing it. */
static JET_ERR param_validate(const param_def *d, JET_API_PTR l, const char *sz)
{
    if (d->flags & ESEPY_PARAMFLAG_READONLY)
        return JET_errInvalidParameter;
    switch (d->type) {
    case ESEPY_PARAMTYPE_INTEGER:
        if (l < d->min || l > d->max)
            return JET_errInvalidParameter;
        if (d->id == JET_paramDatabasePageSize && (l & (l - 1)) != 0)
            return JET_errInvalidParameter; /* 4, 8, 16 or 32 KiB */
        return JET_errSuccess;
    case ESEPY_PARAMTYPE_BOOLEAN:
    case ESEPY_PARAMTYPE_POINTER:
        return JET_errSuccess;
    default:
        break;
    }
    /* strings */
    if (sz == NULL)
        return JET_errInvalidParameter;
    size_t len = strlen(sz);
    if (len > d->cchMax || len < d->min) /* min: the shortest string (TableClass names) */
        return JET_errInvalidParameter;
    if (d->id == JET_paramBaseName && len != 3)
        return JET_errInvalidParameter;
    if (d->id == JET_paramRecovery && strcasecmp(sz, "on") != 0 && strcasecmp(sz, "off") != 0 &&
        strcasecmp(sz, "repair") != 0)
        return JET_errInvalidParameter;
    if ((d->type == ESEPY_PARAMTYPE_FOLDER || d->type == ESEPY_PARAMTYPE_PATH) && len == 0 &&
        d->id != JET_paramAlternateDatabaseRecoveryPath)
        return JET_errInvalidParameter;
    return JET_errSuccess;
}

JET_ERR param_store(param_value *vals, int index, JET_API_PTR l, const char *sz)
{
    const param_def *d = &g_param_defs[index];
    char buf[OS_PATH_MAX];
    JET_ERR err = param_complete(d, sz, buf, &sz);
    if (err >= 0)
        err = param_validate(d, l, sz);
    if (err < 0)
        return err;
    if (is_string_type(d->type)) {
        char *copy = os_strdup(sz);
        if (copy == NULL)
            return JET_errOutOfMemory;
        os_free(vals[index].str);
        vals[index].str = copy;
    } else if (d->type == ESEPY_PARAMTYPE_BOOLEAN) {
        vals[index].num = l != 0;
    } else {
        vals[index].num = l;
    }
    /* Unlike ESENT, a value equal to the default makes the parameter the
     * default again (so that a default can be put back; only
     * JET_paramLogFileSize's adoption looks at fSet). */
    vals[index].fSet = is_string_type(d->type) ? !(d->sdef && strcmp(vals[index].str, d->sdef) == 0)
                                               : vals[index].num != d->def;
    return JET_errSuccess;
}

int param_same(const param_value *vals, int index, JET_API_PTR l, const char *sz)
{
    const param_def *d = &g_param_defs[index];
    char buf[OS_PATH_MAX];
    if (param_complete(d, sz, buf, &sz) < 0)
        return 0;
    if (is_string_type(d->type))
        return sz != NULL && vals[index].str != NULL && strcmp(sz, vals[index].str) == 0;
    if (d->type == ESEPY_PARAMTYPE_BOOLEAN)
        return vals[index].num == (JET_API_PTR)(l != 0);
    return vals[index].num == l;
}

ESEPY_EXPORT JET_ERR EsepyGetParamInfo(uint32_t iparam, ESEPY_PARAMINFO *pinfo)
{
    if (pinfo == NULL || pinfo->cbStruct != sizeof(*pinfo) || iparam >= g_cparam_defs)
        return JET_errInvalidParameter;
    const param_def *d = &g_param_defs[iparam];
    pinfo->paramid = d->id;
    pinfo->szName = d->name;
    pinfo->szPythonName = d->pyname;
    pinfo->type = d->type;
    pinfo->flags = d->flags;
    pinfo->lDefault = d->def;
    pinfo->lMin = d->min;
    pinfo->lMax = d->max;
    pinfo->szDefault = is_string_type(d->type) ? (d->sdef ? d->sdef : "") : NULL;
    pinfo->cchMax = d->cchMax;
    return JET_errSuccess;
}
