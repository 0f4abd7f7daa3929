/*
 * event.c -- the event sink: what ESE writes to the Windows event log (init,
 * term, recovery, backup and restore milestones and their errors) goes to one
 * callback installed with EsepySetEventCallback.
 *
 * Owns: delivering an ESEPY_EVENT to the sink.  The sink pointer lives in the
 * process table (proc.event_pfn) and is read under proc.lock; the call itself
 * happens with no lock held.
 * Must not touch: instance state (callers pass what the event says).
 */
#include "api_int.h"

ESEPY_EXPORT JET_ERR EsepySetEventCallback(ESEPY_PFNEVENT pfn, void *pvContext)
{
    JET_ERR err = proc_lock();
    if (err < 0)
        return err;
    proc.event_pfn = pfn;
    proc.event_ctx = pvContext;
    proc_unlock();
    return JET_errSuccess;
}

void event_emit(uint32_t eventid, int32_t level, JET_ERR err, JET_INSTANCE inst,
                const char *instname, const char *operation, const char *message,
                uint32_t cfields, const ESEPY_EVENTFIELD *fields)
{
    if (proc_lock() < 0)
        return;
    ESEPY_PFNEVENT pfn = proc.event_pfn;
    void *ctx = proc.event_ctx;
    proc_unlock();
    if (pfn == NULL)
        return;
    ESEPY_EVENT ev = {
        .cbStruct = sizeof(ESEPY_EVENT),
        .eventid = eventid,
        .level = level,
        .err = err,
        .instance = inst,
        .szInstanceName = instname ? instname : "",
        .szOperation = operation ? operation : "",
        .szMessage = message ? message : "",
        .cfields = cfields,
        .rgfields = fields,
    };
    pfn(&ev, ctx);
}
