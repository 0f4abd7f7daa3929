"""Which file is which: esepy.identify / esepy.open tell esepy's own files from
those written by Windows' ESE, and every reader handed the wrong kind of file
says what the file is and which reader fits."""
import os
import re

import pytest

import esepy
from esepy import ese, inspection
from esepy import errors as E


@pytest.fixture
def own_files(tmp_path):
    """An esepy database, log and checkpoint (clean shutdown)."""
    system, logs = tmp_path / "system", tmp_path / "logs"
    with esepy.Instance("formats", system_path=f"{system}/", log_path=f"{logs}/",
                        create_path_if_not_exist=True) as inst, inst.begin_session() as s:
        db = s.create_database(str(tmp_path / "own.edb"))
        db.create_table("t", {"id": "long"}, primary_key=["id"]).close()
        db.close()
    return {"database": str(tmp_path / "own.edb"), "log": str(logs / "edb.log"),
            "checkpoint": str(system / "edb.chk"), "folder": str(tmp_path)}


@pytest.fixture
def windows_files(ese_samples):
    srum = os.path.join(ese_samples, "srum_win11_dirty")
    return {"database": os.path.join(srum, "SRUDB.dat"), "log": os.path.join(srum, "SRU.log"),
            "checkpoint": os.path.join(srum, "SRU.chk"), "flush map": os.path.join(srum, "SRUDB.jfm"),
            "reserve": os.path.join(srum, "SRUres00001.jrs"),
            "database 16k": os.path.join(ese_samples, "qmgr_win11_24h2_16k.db")}


def test_identify(own_files, windows_files):
    for kind in ("database", "log", "checkpoint"):
        assert (esepy.identify(own_files[kind]).format, esepy.identify(own_files[kind]).kind) == ("esepy", kind)
        f = esepy.identify(windows_files[kind])
        assert (f.format, f.kind) == ("windows-ese", kind)
    assert esepy.identify(windows_files["database 16k"]).kind == "database"
    assert esepy.identify(windows_files["flush map"]).kind == "flush map"
    assert esepy.identify(windows_files["reserve"]).format == "unknown"  # all zero
    assert esepy.identify(own_files["folder"]).kind == "folder"
    assert str(esepy.identify(windows_files["database"])).endswith("is a database written by Windows' ESE")
    assert esepy.identify(own_files["database"]).reader.startswith("esepy.inspect.DatabaseFile(path)")
    with pytest.raises(E.FileNotFound):
        esepy.identify(os.path.join(own_files["folder"], "missing.edb"))


def test_open_returns_the_reader_that_fits(own_files, windows_files):
    assert isinstance(esepy.open(own_files["database"]), inspection.DatabaseFile)
    assert isinstance(esepy.open(own_files["log"]), inspection.LogFile)
    assert isinstance(esepy.open(own_files["checkpoint"]), inspection.Checkpoint)
    with esepy.open(windows_files["database"]) as db:
        assert isinstance(db, ese.EseDatabase) and db.header["state"] == "DirtyShutdown"
    assert esepy.open(windows_files["log"])["generation"] == 92
    assert esepy.open(windows_files["checkpoint"])["lgpos_checkpoint"][0] == 92
    with esepy.open(windows_files["database"], verify_checksums=False) as db:
        assert len(db.tables) == 14
    for name, what in (("flush map", "flush map"), ("reserve", "not a file of esepy or of Windows' ESE")):
        with pytest.raises(E.FileInvalidType, match=re.escape(what)):
            esepy.open(windows_files[name])
    with pytest.raises(E.FileInvalidType, match="is a folder.*LogFolder"):
        esepy.open(own_files["folder"])


# (reader, kind of file given, what the message must name)
WRONG = [
    (esepy.open_ese, ("own", "database"), r"is an esepy database, not a database written by Windows' ESE: "
                                          r"read it with esepy\.inspect\.DatabaseFile"),
    (esepy.open_ese, ("windows", "log"), r"is a transaction log written by Windows' ESE.*esepy\.ese\.read_log_header"),
    (inspection.DatabaseFile, ("windows", "database"), r"is a database written by Windows' ESE, not an esepy "
                                                       r"database: read it with esepy\.open_ese\(path\)"),
    (inspection.read_database_header, ("windows", "database"), r"esepy\.open_ese\(path\)"),
    (esepy.database_file_info, ("windows", "database"), r"esepy\.open_ese\(path\)"),
    (esepy.database_file_info, ("own", "log"), r"is an esepy transaction log.*esepy\.inspect\.LogFile"),
    (inspection.LogFile, ("windows", "log"), r"esepy\.ese\.read_log_header\(path\)"),
    (ese.read_log_header, ("own", "log"), r"is an esepy transaction log.*esepy\.inspect\.LogFile\(path\)"),
    (inspection.read_checkpoint, ("windows", "checkpoint"), r"esepy\.ese\.read_checkpoint\(path\)"),
    (ese.read_checkpoint, ("own", "checkpoint"), r"esepy\.inspect\.read_checkpoint\(path\)"),
]


@pytest.mark.parametrize("reader,given,message", WRONG, ids=[f"{r.__name__}-{g[0]}-{g[1]}" for r, g, _ in WRONG])
def test_wrong_reader_names_the_right_one(own_files, windows_files, reader, given, message):
    path = (own_files if given[0] == "own" else windows_files)[given[1]]
    with pytest.raises(E.FileInvalidType) as info:
        reader(path)
    assert re.search(message, str(info.value)), str(info.value)
    assert "esepy.open(path) picks the reader by itself" in str(info.value)
