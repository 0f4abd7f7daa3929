"""esepy.artifacts.ual on dissect.esedb's UAL sample (Current.mdb of Windows Server 2019), checked
against dissect.esedb's UAL tool, and esepy.artifacts.bits on the BITS queue of Windows 11 24H2."""
import datetime as dt
import uuid

import pytest

import esepy
from esepy.artifacts import bits, kind_of, ual

pd = pytest.importorskip("pandas", reason="pandas is part of the test extra")
ual_tool = pytest.importorskip("dissect.esedb.tools.ual", reason="dissect.esedb is part of the test extra")

UTC = dt.timezone.utc
UAL = "dissect_ual_current_4k.mdb"
QMGR = "qmgr_win11_24h2_16k.db"


def _py(v):
    return v.to_pydatetime() if isinstance(v, pd.Timestamp) else v


@pytest.fixture(scope="module")
def oracle(samples):
    with open(samples(UAL), "rb") as fh:
        u = ual_tool.UAL(fh)
        return {name: list(u.get_table_records(name)) for name in ("CLIENTS", "ROLE_ACCESS", "DNS")}


def test_ual_is_recognised_and_its_datetimes_are_filetimes(samples):
    with esepy.open_ese(samples(UAL)) as db:
        assert kind_of(db.tables.names()) == "ual"
        # read as OLE dates (the column type says DateTime) they are all 1899-12-30
        assert next(iter(db.tables["CLIENTS"]))["InsertDate"] == dt.datetime(1899, 12, 30, tzinfo=UTC)
    with esepy.open_ese(samples(UAL), filetime_columns="known") as db:
        first = next(iter(db.tables["CLIENTS"]))
        assert first["InsertDate"] == dt.datetime(2021, 7, 23, 10, 30, 55, 980808, tzinfo=UTC)
        assert first["LastAccess"] == dt.datetime(2021, 11, 22, 15, 56, 27, 94593, tzinfo=UTC)
        assert db.tables["CLIENTS"].filetime_columns == ["InsertDate", "LastAccess"]


def test_ual_clients_match_dissect(samples, oracle):
    c = ual.clients(samples(UAL))
    assert len(c) == 19 == len(oracle["CLIENTS"])
    assert not any(col.startswith("Day") for col in c.columns)
    first = c.iloc[0]
    assert first["AuthenticatedUserName"] == "blackclover\\blackclover-dc$" and first["TotalAccesses"] == 2529
    assert first["Address"] == "::1" and c.iloc[2]["Address"] == "10.10.10.100"
    for (_, mine), theirs in zip(c.iterrows(), oracle["CLIENTS"]):
        assert str(mine["RoleGuid"]) == str(theirs["RoleGuid"]) and mine["TotalAccesses"] == theirs["TotalAccesses"]
        assert mine["AuthenticatedUserName"] == theirs["AuthenticatedUserName"]
        assert mine["Address"] == theirs["Address"]
        for col in ("InsertDate", "LastAccess"):
            # dissect converts through a float: allow its few microseconds
            assert abs(_py(mine[col]) - theirs[col]) <= dt.timedelta(microseconds=5), (col, mine[col], theirs[col])


def test_ual_client_activity_per_day_matches_dissect(samples, oracle):
    a = ual.client_activity(samples(UAL))
    want = []
    for r in oracle["CLIENTS"]:
        for day, n in r["activity_counts"]:
            want.append((day, n, r["AuthenticatedUserName"], r["Address"]))
    got = [(_py(d), n, u, addr) for d, n, u, addr in
           zip(a["Date"], a["Accesses"], a["AuthenticatedUserName"], a["Address"])]
    assert got == want and len(got) > 19
    assert got[0] == (dt.datetime(2021, 7, 23, tzinfo=UTC), 357, "blackclover\\blackclover-dc$", "::1")


def test_ual_role_access_and_dns(samples, oracle):
    r = ual.role_access(samples(UAL))
    assert len(r) == 3 and r.iloc[0]["RoleGuid"] == uuid.UUID("ad495fc3-0eaa-413d-ba7d-8b13fa7ec598")
    for (_, mine), theirs in zip(r.iterrows(), oracle["ROLE_ACCESS"]):
        for col in ("FirstSeen", "LastSeen"):
            assert abs(_py(mine[col]) - theirs[col]) <= dt.timedelta(microseconds=5)
    d = ual.dns(samples(UAL))
    assert len(d) == 12 and list(d["HostName"][:2]) == ["gc", "gc"]
    assert _py(d["LastSeen"].iloc[0]) == dt.datetime(2021, 9, 22, 14, 2, 29, 370000, tzinfo=UTC)
    assert [h for h in d["HostName"]] == [x["HostName"] for x in oracle["DNS"]]
    assert len(ual.virtual_machines(samples(UAL))) == 0
    with pytest.raises(KeyError, match="SYSTEM_IDENTITY"):
        ual.system_identity(samples(UAL))       # in SystemIdentity.mdb, not Current.mdb


def test_ual_address():
    assert ual.address(bytes([10, 0, 0, 1])) == "10.0.0.1"
    assert ual.address(b"abc") == b"abc"


def test_bits_job_decoded(samples):
    j = bits.jobs(samples(QMGR))
    assert len(j) == 1
    job = j.iloc[0]
    assert job["JobId"] == uuid.UUID("d387e452-e2b3-472d-b3b3-85c2be33cbb3") and job["DecodeError"] is None
    assert job["Name"] == "Edge Component Updater"
    assert job["Description"] == "2132f61f-f790-4ae6-a355-8cf9a1533800"
    assert job["Owner"] == "S-1-5-21-549467458-3727351111-1684278619-1001"
    assert (job["Type"], job["Priority"], job["State"]) == ("download", "normal", "transferred")
    assert job["Command"] == "" and job["Arguments"] == ""
    assert job["FileIds"] == [uuid.UUID("3f4a8b1a-98e5-4aa8-a2e7-c0bf1bc6f48d")]
    assert _py(job["Created"]) == dt.datetime(2024, 7, 29, 4, 34, 53, 137451, tzinfo=UTC)
    assert _py(job["Modified"]) == _py(job["Completed"]) == dt.datetime(2024, 7, 30, 7, 19, 8, 757607, tzinfo=UTC)
    assert isinstance(job["Blob"], bytes) and len(job["Blob"]) == 2212


def test_bits_file_decoded_and_linked_to_its_job(samples):
    f = bits.files(samples(QMGR))
    assert len(f) == 1
    x = f.iloc[0]
    assert x["DecodeError"] is None
    assert x["Destination"] == ("C:\\Users\\bob\\AppData\\Local\\Temp\\edge_BITS_2972_515758394\\"
                                "2132f61f-f790-4ae6-a355-8cf9a1533800")
    assert x["Source"].startswith("http://msedge.b.tlu.dl.delivery.mp.microsoft.com/filestreamingservice/files/"
                                  "2132f61f-f790-4ae6-a355-8cf9a1533800?P1=1722623147")
    assert x["Temporary"].endswith("\\BIT2B52.tmp")
    assert x["Size"] == x["Transferred"] == 975576
    assert x["Drive"] == "C:\\" and x["Volume"] == "\\\\?\\Volume{537fb036-a3cd-47ab-9a2c-4ba87cc2c588}\\"
    j = bits.jobs(samples(QMGR))
    assert x["FileId"] in j.iloc[0]["FileIds"]


def test_bits_blobs_that_do_not_fit_are_reported_not_guessed():
    job_id = uuid.UUID("d387e452-e2b3-472d-b3b3-85c2be33cbb3")
    d = bits.decode_job(job_id, b"\0" * 40)
    assert d["DecodeError"] and d["Name"] is None and d["Type"] is None
    d = bits.decode_job(uuid.uuid4(), bytes(16) + bytes(12) + bytes(4) + job_id.bytes_le + bytes(64))
    assert "not the row's Id" in d["DecodeError"]
    d = bits.decode_file(job_id, bytes(16) + b"\xff\xff\x00\x00")
    assert "more than the blob holds" in d["DecodeError"] and d["Destination"] is None
    assert bits.decode_file(job_id, None)["DecodeError"] == "no blob"
