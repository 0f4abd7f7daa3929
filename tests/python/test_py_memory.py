"""Memory stays bounded while the data grows far past the page cache."""
import os
import subprocess
import sys
import textwrap


def test_memory_flat_with_data_far_beyond_the_cache(tmp_path):
    code = textwrap.dedent(f"""
        import os, esepy
        def rss():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        esepy.set_default_param("cache_size_max", 256)          # 1 MiB of 4 KiB pages
        inst = esepy.Instance("mem", system_path="{tmp_path}/", log_path="{tmp_path}/logs/",
                              temp_path="{tmp_path}/tmp.edb", create_path_if_not_exist=True,
                              log_file_size_kb=1024, circular_log=True)
        with inst, inst.begin_session() as s:
            t = s.create_database("{tmp_path}/m.edb").create_table(
                "big", {{"k": "long", "v": "binary"}}, primary_key=["k"])
            samples = []
            k = 0
            for batch in range(60):
                with s.transaction(lazy=True):
                    for _ in range(500):
                        t.insert({{"k": k, "v": bytes([k % 251]) * 250}})
                        k += 1
                if batch in (10, 59):
                    samples.append(rss())
            size = os.path.getsize("{tmp_path}/m.edb")
            print(samples[0], samples[1], size)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    early, late, db_size = map(int, out.stdout.split())
    assert db_size > 8 * 1024 * 1024          # the data is far larger than the 1 MiB cache
    assert late - early < 4 * 1024 * 1024      # ...and the process did not grow with it
