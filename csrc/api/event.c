/*
 * event.c -- the event sink: what ESE writes to the Windows event log (init,
 * term, recovery, backup and restore milestones and their errors) goes to one
 * callback installed with EsepySetEventCallback.
 *
 * Owns: delivering an ESEPY_EVENT to the sink.  The sink pointer lives in the
 * process table (proc.event_pfn) and is read under proc.event_lock, a leaf
 * lock (the engine emits events with its own locks held); the call itself
 * happens with no api lock held, but possibly with engine locks held: a sink
 * must not call back into the engine.
 * Must not touch: instance state (callers pass what the event says).
 */
#include "api_int.h"

ESEPY_EXPORT JET_ERR EsepySetEventCallback(ESEPY_PFNEVENT pfn, void *pvContext)
{
    os_mutex_lock(&proc.event_lock);
    proc.event_pfn = pfn;
    proc.event_ctx = pvContext;
    os_mutex_unlock(&proc.event_lock);
    return JET_errSuccess;
}

void event_emit(uint32_t eventid, int32_t level, JET_ERR err, JET_INSTANCE inst,
                const char *instname, const char *operation, const char *message,
                uint32_t cfields, const ESEPY_EVENTFIELD *fields)
{
    os_mutex_lock(&proc.event_lock);
    ESEPY_PFNEVENT pfn = proc.event_pfn;
    void *ctx = proc.event_ctx;
    os_mutex_unlock(&proc.event_lock);
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
