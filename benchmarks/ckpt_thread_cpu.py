"""CPU of the calling thread, process CPU and wall time of run.py's fillrandom
and indexbuild, with the checkpoint inline or on the checkpointer thread
(issue 20, ``ckpt20``; docs/benchmarks.md "Background checkpointer").

    python benchmarks/ckpt_thread_cpu.py --rows 500000 --only indexbuild --mode thread
    python benchmarks/ckpt_thread_cpu.py --rows 1000000 --only fillrandom --mode inline

--mode thread / inline sets ESEPY_paramCheckpointThread (``checkpoint_thread``);
--mode default leaves it alone (an engine without the parameter: the "before"
build).  The workloads are run.py's (same keys, values, batches, engine
parameters); the figures: the timed part's time.thread_time() (the thread that
calls the engine), time.process_time() (every thread of the process) and wall.
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=50000)
    ap.add_argument("--only", default="fillrandom,indexbuild")
    ap.add_argument("--mode", choices=("thread", "inline", "default"), default="default")
    a = ap.parse_args()
    import esepy
    if a.mode != "default":
        esepy.set_default_param("checkpoint_thread", a.mode == "thread")
    for w in a.only.split(","):
        with tempfile.TemporaryDirectory(prefix="ckth-") as d:
            if w == "fillrandom":
                order = run.shuffled(run.keys(a.rows))
                e = run.Esepy(d)
                t0, c0, p0 = time.perf_counter(), time.thread_time(), time.process_time()
                e.fill(order)
            else:
                ppl = run.people(a.rows)
                e = run.Esepy(d)
                e.people_table(ppl)
                t0, c0, p0 = time.perf_counter(), time.thread_time(), time.process_time()
                e.build_index()
            wall, thr, proc = time.perf_counter() - t0, time.thread_time() - c0, time.process_time() - p0
            e.inst.term()
        print(f"{w} rows={a.rows} mode={a.mode}: wall {wall:.3f} s, calling thread CPU {thr:.3f} s, "
              f"process CPU {proc:.3f} s, load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
