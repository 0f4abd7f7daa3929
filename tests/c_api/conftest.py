"""Fixtures of the C API tests."""
import os
import subprocess

import cffi
import pytest

# The callbacks the engine resolves by name ("library!function"): a table's own
# callback (test_table_callback_by_name.py) and a user-defined default
# (test_user_defined_default.py).  Each keeps its own counters, so the two
# modules share the loaded object without seeing each other's calls.
CALLBACK_SOURCE = r"""
#include <stdint.h>
#include <string.h>

/* table callback: calls and the last session, per cbtyp bit */
int32_t tcb_calls[16];
uintptr_t tcb_sessions[16];
int32_t esepy_test_table_cb(uintptr_t sesid, uint32_t dbid, uintptr_t tableid, uint32_t cbtyp,
                            void *a1, void *a2, void *ctx, uintptr_t ulUnused)
{
    (void)dbid; (void)tableid; (void)a1; (void)a2; (void)ctx; (void)ulUnused;
    for (int i = 0; i < 16; i++)
        if (cbtyp == (1u << i)) {
            tcb_calls[i]++;
            tcb_sessions[i] = sesid;
        }
    return 0;
}

/* user-defined default: the value is "val=" then the first 4 bytes of the user data;
 * no user data: NULL; udd_fail != 0: that error */
int32_t udd_calls, udd_fail;
uint32_t udd_cbtyp, udd_cbIn;
uintptr_t udd_ulUnused, udd_tableid;
int32_t esepy_test_udd(uintptr_t sesid, uint32_t dbid, uintptr_t tableid, uint32_t cbtyp,
                       void *a1, void *a2, void *ctx, uintptr_t ulUnused)
{
    (void)sesid; (void)dbid;
    uint32_t *pcb = a2;
    udd_calls++;
    udd_cbtyp = cbtyp;
    udd_cbIn = *pcb;
    udd_ulUnused = ulUnused;
    udd_tableid = tableid;
    if (udd_fail)
        return udd_fail;
    if (ctx == 0) {
        *pcb = 0;
        return 1004; /* JET_wrnColumnNull */
    }
    unsigned char v[8] = {'v', 'a', 'l', '='};
    memcpy(v + 4, ctx, 4);
    memcpy(a1, v, *pcb < 8 ? *pcb : 8);
    *pcb = 8;
    return 0;
}
"""


@pytest.fixture(scope="session")
def callback_lib(tmp_path_factory):
    """(path, cffi module) of a shared library with the test callbacks, compiled once per
    session; the module is the same loaded object the engine resolves, so its counters are
    the ones the callbacks update."""
    d = tmp_path_factory.mktemp("cblib")
    src, so = d / "cb.c", d / "libesepytestcb.so"
    src.write_text(CALLBACK_SOURCE)
    subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    own = cffi.FFI()
    own.cdef("extern int32_t tcb_calls[16]; extern uintptr_t tcb_sessions[16];"
             "extern int32_t udd_calls, udd_fail; extern uint32_t udd_cbtyp, udd_cbIn;"
             "extern uintptr_t udd_ulUnused, udd_tableid;")
    return str(so), own.dlopen(str(so))
