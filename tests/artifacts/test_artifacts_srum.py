"""esepy.artifacts.srum on the real SRUM sample of Windows 11 (recovered with esepy.recover_ese),
checked against dissect.esedb's own SRUM tool (a test extra) as an independent oracle."""
import datetime as dt
import os

import pytest

import esepy
from esepy.artifacts import srum, sid_string

pd = pytest.importorskip("pandas", reason="pandas is part of the test extra")
sru_tool = pytest.importorskip("dissect.esedb.tools.sru", reason="dissect.esedb is part of the test extra")

UTC = dt.timezone.utc
USER_SID = "S-1-5-21-2209459975-2648094048-902850153-1000"


@pytest.fixture(scope="module")
def oracle(srum_recovered):
    with open(srum_recovered, "rb") as fh:
        s = sru_tool.SRU(fh)
        entries = {name: list(s.get_table_entries(table_guid=guid)) for guid, name in srum.SRUM_PROVIDERS.items()
                   if s.get_table(table_guid=guid) is not None}
        ids = {}
        for i in range(0, 4096):
            try:
                ids[i] = s.resolve_id(i)
            except IndexError:      # not in its id map
                pass
    return entries, ids


def test_id_map_decodes_paths_names_and_sids(srum_recovered):
    m = srum.id_map(srum_recovered)
    assert len(m) == 1044
    assert m["Kind"].value_counts().to_dict() == {"application": 713, "user": 214, "package": 95, "service": 22}
    by = dict(zip(m["IdIndex"], m["Value"]))
    assert by[513] == "\\device\\harddiskvolume3\\windows\\explorer.exe"
    assert by[12] == USER_SID
    assert by[518] == "S-1-5-21-2209459975-2648094048-902850153-1001"
    assert by[4] == "S-1-5-18" and by[28] == "S-1-5-20"
    assert by[159] == "wuauserv"
    assert by[221] == "Microsoft.Windows.ContentDeliveryManager_10.0.22000.1_neutral_neutral_cw5n1h2txyewy"


def test_id_map_matches_dissect(srum_recovered, oracle):
    _, ids = oracle
    m = srum.id_map(srum_recovered)
    for idx, value in zip(m["IdIndex"], m["Value"]):
        assert idx in ids
        assert (value if isinstance(value, str) else None) == ids[idx], (idx, value, ids[idx])


def test_providers_named_by_guid_with_their_counts(srum_recovered):
    p = srum.providers(srum_recovered)
    got = dict(zip(p["Provider"], p["Records"]))
    assert got == {"energy_estimator": 810, "application_timeline": 791, "vfu": 33, "network_usage": 143,
                   "application_resource_usage": 662, "network_connectivity": 9, "energy_usage": 13,
                   "energy_usage_long_term": 2}


def test_network_usage_resolves_apps_and_users(srum_recovered, oracle):
    entries, ids = oracle
    df = srum.network_usage(srum_recovered)
    assert len(df) == 143 == len(entries["network_usage"])
    assert list(df.columns[:6]) == ["AutoIncId", "TimeStamp", "AppId", "App", "UserId", "User"]
    first = df.iloc[0]
    assert first["App"] == "\\device\\harddiskvolume3\\windows\\explorer.exe" and first["User"] == USER_SID
    assert first["BytesSent"] == 4811 and first["BytesRecvd"] == 6535
    assert first["TimeStamp"] == dt.datetime(2022, 5, 28, 3, 28, tzinfo=UTC)
    for (_, row), e in zip(df.iterrows(), entries["network_usage"]):
        assert (row["AutoIncId"], row["BytesSent"], row["BytesRecvd"]) == (e.AutoIncId, e.BytesSent, e.BytesRecvd)
        # dissect's entries resolve AppId / UserId themselves
        for mine, theirs in ((row["App"], e.AppId), (row["User"], e.UserId)):
            assert (mine if isinstance(mine, str) else None) == theirs, (row["AutoIncId"], mine, theirs)
    explorer = df[df["App"].str.endswith("explorer.exe", na=False)]
    assert explorer["BytesRecvd"].sum() > 0


def test_filetime_columns_are_utc_datetimes_matching_dissect(srum_recovered, oracle):
    entries, _ = oracle
    c = srum.network_connectivity(srum_recovered)
    assert len(c) == 9
    assert c["ConnectStartTime"].iloc[0] == dt.datetime(2022, 3, 5, 13, 32, 57, 676083, tzinfo=UTC)
    # dissect converts through a float: it can be a few microseconds off (esepy truncates exactly)
    def close(mine, theirs):
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            assert abs(a.to_pydatetime() - b) <= dt.timedelta(microseconds=5), (a, b)
    close(list(c["ConnectStartTime"]), [e.ConnectStartTime for e in entries["network_connectivity"]])
    assert c["ConnectStartTime"].iloc[1] == dt.datetime(2022, 5, 28, 2, 39, 9, 937976, tzinfo=UTC)  # ...7760 // 10
    t = srum.application_timeline(srum_recovered)
    close(list(t["EndTime"]), [e.EndTime for e in entries["application_timeline"]])
    e = srum.energy_usage(srum_recovered)
    assert e["EventTimestamp"].iloc[0] == dt.datetime(2022, 3, 5, 13, 32, 57, 691618, tzinfo=UTC)
    v = srum.vfu(srum_recovered)
    assert v["StartTime"].iloc[0] == dt.datetime(2022, 5, 28, 2, 43, 0, 9368, tzinfo=UTC)


def test_application_resource_usage_per_app(srum_recovered):
    a = srum.application_resource_usage(srum_recovered)
    assert len(a) == 662
    per_app = a.groupby("App")["ForegroundCycleTime"].sum()
    assert per_app.idxmax().endswith(".exe") or per_app.max() > 0


def test_an_open_database_and_a_dirty_path_with_logs(samples, srum_recovered):
    folder = samples("srum_win11_dirty")
    via_logs = srum.network_usage(os.path.join(folder, "SRUDB.dat"), logs=folder)
    with esepy.open_ese(srum_recovered) as db:                       # opened without FILETIME knowledge
        via_db = srum.network_connectivity(db)
        assert db.tables["{DD6636C4-8929-4683-974E-22C046A43763}"].filetime_columns == []
    assert len(via_logs) == 143
    assert isinstance(via_db["ConnectStartTime"].iloc[0], pd.Timestamp)
    with pytest.raises(KeyError, match="no SRUM table"):
        srum.table(srum_recovered, "nonsense")


def test_sid_string():
    assert sid_string(bytes.fromhex("010100000000000512000000")) == "S-1-5-18"
    assert sid_string(bytes.fromhex("010200000000000520000000" "20020000")) == "S-1-5-32-544"
    assert sid_string(b"\x01\x05short") == b"\x01\x05short"          # not a SID: unchanged
    assert srum.decode_id_blob(0, "a\0".encode("utf-16-le")) == "a"
    assert srum.decode_id_blob(0, b"\xff") == b"\xff"


def test_open_ese_filetime_rule(srum_recovered):
    table = "{DD6636C4-8929-4683-974E-22C046A43763}"
    with esepy.open_ese(srum_recovered) as db:                       # default: as stored
        raw = next(iter(db.tables[table]))["ConnectStartTime"]
        assert raw == 132909607776760833
    with esepy.open_ese(srum_recovered, filetime_columns="known") as db:
        assert next(iter(db.tables[table]))["ConnectStartTime"] == esepy.ese.filetime_to_datetime(raw)
        # no other 64-bit column is taken for a time
        assert isinstance(next(iter(db.tables[table]))["InterfaceLuid"], int)
        assert db.tables["{973F5D5C-1D90-4944-BE8E-24B94231A174}"].filetime_columns == []
    with esepy.open_ese(srum_recovered, filetime_columns={table: ["ConnectStartTime"]}) as db:
        assert next(iter(db.tables[table]))["ConnectStartTime"].year == 2022
    with esepy.open_ese(srum_recovered, filetime_columns={"*": "ConnectStartTime"}) as db:
        assert next(iter(db.tables[table]))["ConnectStartTime"].tzinfo == UTC
    with pytest.raises(ValueError, match="has no column 'Nope'"):
        esepy.open_ese(srum_recovered, filetime_columns={table: ["Nope"]})
    with pytest.raises(ValueError, match="only 64-bit columns"):
        esepy.open_ese(srum_recovered, filetime_columns={table: ["ConnectedTime"]})   # a Long
    with pytest.raises(ValueError, match="no table named"):
        esepy.open_ese(srum_recovered, filetime_columns={"Nope": ["x"]})
    with pytest.raises(ValueError):
        esepy.open_ese(srum_recovered, filetime_columns="everything")


def test_filetime_to_datetime_edges():
    f = esepy.ese.filetime_to_datetime
    assert f(0) is None
    assert f(116444736000000000) == dt.datetime(1970, 1, 1, tzinfo=UTC)
    assert f(-5) == -5 and f(2**64 - 1) == 2**64 - 1 and f(True) is True and f(None) is None
