"""The ESENT function table (issue 18 item 5), kept true.

tests/c_api/esent_api.txt lists ESENT's public functions (names from
Microsoft's esent.h / esent.def; facts).  For each one this checks whether
esepy's esent.h declares it and its library exports it, and that the table
in docs/esent-differences.md gives it the right state:

* ``same`` / ``differs``: declared and exported (``differs`` says why);
* ``disabled``: declared and exported, returns JET_errDisabledFunctionality;
* ``missing``: not provided yet.

It also checks that every function whose source returns
JET_errDisabledFunctionality is marked ``disabled`` or ``differs``, and that
every A function taking a string has its W twin unless that twin is marked
``missing``."""
import ctypes
import os
import re
import subprocess

import esepy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DOC = os.path.join(ROOT, "docs", "esent-differences.md")
STATES = ("same", "differs", "disabled", "missing")


def esent_names():
    with open(os.path.join(HERE, "esent_api.txt")) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def header_functions():
    """{name: parameter text} of every Jet function esent.h declares."""
    src = subprocess.run(["cc", "-E", "-P", "-DJET_NO_STDINT_INCLUDE", "-I", esepy.include_dir(), "-x", "c",
                          os.path.join(esepy.include_dir(), "esent.h")],
                         capture_output=True, text=True, check=True).stdout
    return {m.group(1): " ".join(m.group(2).split())
            for m in re.finditer(r"JET_ERR\s+(Jet\w+)\s*\(([^;]*?)\)\s*;", src, re.S)}


def exported(name):
    lib = ctypes.CDLL(esepy.native_library())
    return hasattr(lib, name)


def doc_table():
    """{function: (state, note)} from the doc's function table."""
    rows = {}
    with open(DOC) as f:
        text = f.read()
    section = text.split("## Function table", 1)[1]
    for line in section.splitlines():
        m = re.match(r"\|\s*`(Jet\w+)`\s*\|\s*(\w+)\s*\|(.*)\|\s*$", line)
        if m:
            assert m.group(1) not in rows, f"{m.group(1)} listed twice"
            rows[m.group(1)] = (m.group(2), m.group(3).strip())
    return rows


def test_every_esent_function_has_its_true_state_in_the_docs():
    names = esent_names()
    decl = header_functions()
    rows = doc_table()
    assert sorted(rows) == sorted(names), "the doc table must list exactly ESENT's functions"
    for name in names:
        state, note = rows[name]
        assert state in STATES, (name, state)
        provided = name in decl and exported(name)
        if state == "missing":
            assert not provided, f"{name} is provided: update its row in docs/esent-differences.md"
        else:
            assert name in decl, f"{name} is marked {state} but esent.h does not declare it"
            assert exported(name), f"{name} is marked {state} but the library does not export it"
        if state in ("differs", "disabled"):
            assert note, f"{name}: say how it differs"


def test_functions_returning_disabled_functionality_are_marked():
    rows = doc_table()
    api = os.path.join(ROOT, "csrc", "api")
    for fn in sorted(os.listdir(api)):
        if not fn.endswith(".c"):
            continue
        with open(os.path.join(api, fn)) as f:
            src = f.read()
        for m in re.finditer(r"ESEPY_EXPORT JET_ERR (Jet\w+)\(.*?\n\}", src, re.S):
            if "JET_errDisabledFunctionality" in m.group(0):
                assert rows.get(m.group(1), ("?",))[0] in ("disabled", "differs"), m.group(1)


def test_every_string_function_has_its_w_twin():
    decl = header_functions()
    rows = doc_table()
    names = set(esent_names())
    for name, params in decl.items():
        if name.endswith("W") or name + "W" not in names:
            continue
        if rows[name + "W"][0] == "missing":
            continue
        assert name + "W" in decl, f"{name}W is not declared"
        # the twin takes the same parameters with JET_WCHAR for char
        w = decl[name + "W"]
        assert w.count("JET_WCHAR") >= params.count("char"), (name, params, w)


def test_missing_functions_are_printed_in_the_docs():
    rows = doc_table()
    missing = sorted(n for n, (s, _) in rows.items() if s == "missing")
    with open(DOC) as f:
        text = f.read()
    m = re.search(r"Still missing \((\d+)\): (.*)", text)
    assert m, "the doc must say which functions are still missing"
    assert int(m.group(1)) == len(missing)
    assert sorted(re.findall(r"`(Jet\w+)`", m.group(2))) == missing
