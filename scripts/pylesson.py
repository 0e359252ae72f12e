#!/usr/bin/env python3
"""The lesson's experiments run by CPython, for parbench's py-* models (standard library only).

The CPU task is the lesson's exact loop, ``res *= i`` for i in 1..=iterations; the IO task is
``time.sleep``. Five models, as the lesson wrote them:

  sequential    every task in turn on the main thread
  threads       one threading.Thread per task, at most N alive
  processes     one multiprocessing.Process per task, at most N alive
  thread-pool   concurrent.futures.ThreadPoolExecutor(N), created once
  process-pool  concurrent.futures.ProcessPoolExecutor(N), created once and warmed up

Two ways to use it:

  pylesson.py run --model threads --workload cpu --tasks 12 --workers 12 [--iterations 10000000]
      time batches yourself and print one line per batch;
  pylesson.py serve --model threads --workers 12
      parbench's driver: after start-up it prints {"ready": ...}; then for every JSON request line
      on stdin ({"workload": "cpu", "param": 10000000, "tasks": 12}) it runs one batch and answers
      one JSON line with the combined checksum, the worker pids and cumulative CPU usage. It exits
      at the end of stdin. Timing is parbench's: it times the request round trip.

Each task returns a checksum (see parbench's src/workload/python.rs) so parbench can check that
every task ran to its end exactly once.
"""

import argparse
import json
import multiprocessing
import os
import resource
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing.connection import wait

MASK = (1 << 64) - 1
SALT_IO = 0x5EED000000000010
SALT_NOOP = 0x5EED000000000020
SALT_CPU = 0x5EED000000000040
MODELS = ("sequential", "threads", "processes", "thread-pool", "process-pool")


def mix(z):
    """SplitMix64's finaliser, as parbench's workload::mix."""
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def usage_self():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return (ru.ru_utime + ru.ru_stime, ru.ru_nvcsw, ru.ru_nivcsw, ru.ru_maxrss)


def task(job):
    """Runs one task; returns (checksum, pid, None)."""
    return _run(job), os.getpid(), None


def task_with_usage(job):
    """Runs one task in a worker process; returns (checksum, pid, cumulative usage of it).

    Only for processes: getrusage(RUSAGE_SELF) walks every thread of the process, and 4000
    threads each calling it turn the batch quadratic (55 s instead of 3 s here).
    """
    return _run(job), os.getpid(), usage_self()


def _run(job):
    workload, index, param = job
    if workload == "cpu":
        res = 0
        i = 0
        for i in range(1, param + 1):
            res *= i
        checksum = (mix(index ^ SALT_CPU) + res + i) & MASK
    elif workload == "io":
        time.sleep(param / 1000.0)
        checksum = mix(index ^ SALT_IO)
    elif workload == "noop":
        checksum = mix(index ^ SALT_NOOP)
    else:
        raise ValueError("unknown workload %r" % workload)
    return checksum


def _process_main(queue, job):
    queue.put(task_with_usage(job))


class Driver:
    """One model with N workers; pools are created (and process pools warmed up) here."""

    def __init__(self, model, workers):
        if model not in MODELS:
            raise ValueError("unknown model %r (expected one of: %s)" % (model, ", ".join(MODELS)))
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.model = model
        self.workers = workers
        self.pool = None
        self.pool_usage = {}
        if model == "thread-pool":
            self.pool = ThreadPoolExecutor(max_workers=workers)
        elif model == "process-pool":
            self.pool = ProcessPoolExecutor(max_workers=workers)
            # Start every worker process now, outside the timed batches.
            list(self.pool.map(task_with_usage, [("io", i, 20) for i in range(workers)]))

    def run(self, workload, param, tasks):
        jobs = [(workload, i, param) for i in range(tasks)]
        if self.model == "sequential":
            results = [task(j) for j in jobs]
        elif self.model == "threads":
            results = self._threads(jobs)
        elif self.model == "processes":
            results = self._processes(jobs)
        elif self.model == "process-pool":
            results = list(self.pool.map(task_with_usage, jobs))
        else:
            results = list(self.pool.map(task, jobs))
        checksum = 0
        for c, _, _ in results:
            checksum = (checksum + c) & MASK
        if self.model == "process-pool":
            for _, pid, u in results:
                self.pool_usage[pid] = u
        return checksum, sorted({pid for _, pid, _ in results})

    def _threads(self, jobs):
        results = [None] * len(jobs)
        slots = threading.BoundedSemaphore(self.workers)

        def body(k, job):
            try:
                results[k] = task(job)
            finally:
                slots.release()

        threads = []
        for k, job in enumerate(jobs):
            slots.acquire()
            t = threading.Thread(target=body, args=(k, job))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        return results

    def _processes(self, jobs):
        # Results are read while the processes run: a child blocks in put() once the pipe is
        # full (64 KiB), so joining before reading would deadlock with thousands of children.
        queue = multiprocessing.SimpleQueue()
        reader = queue._reader
        alive = []
        results = []

        def collect():
            ready = wait([reader] + [p.sentinel for p in alive])
            while reader.poll():
                results.append(queue.get())
            for p in [p for p in alive if p.sentinel in ready]:
                p.join()
                alive.remove(p)

        for job in jobs:
            while len(alive) >= self.workers:
                collect()
            p = multiprocessing.Process(target=_process_main, args=(queue, job))
            p.start()
            alive.append(p)
        while alive:
            collect()
        while reader.poll():
            results.append(queue.get())
        if len(results) != len(jobs):
            raise RuntimeError("%d of %d processes returned a result" % (len(results), len(jobs)))
        return results

    def usage(self):
        """Cumulative CPU of this process, its reaped children and the pool's live workers."""
        cpu, vol, invol, rss = usage_self()
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += ch.ru_utime + ch.ru_stime
        vol += ch.ru_nvcsw
        invol += ch.ru_nivcsw
        rss = max(rss, ch.ru_maxrss)
        for c, v, i, r in self.pool_usage.values():
            cpu += c
            vol += v
            invol += i
            rss = max(rss, r)
        return {"cpu_s": cpu, "voluntary_cs": vol, "involuntary_cs": invol, "max_rss_kib": rss}

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def serve(args):
    out = sys.stdout
    try:
        driver = Driver(args.model, args.workers)
    except Exception as e:  # reported to parbench as one line
        out.write(json.dumps({"error": "cannot start %s: %s" % (args.model, e)}) + "\n")
        out.flush()
        return 2
    out.write(json.dumps({"ready": True, "python": sys.version.split()[0], "pid": os.getpid()}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            checksum, pids = driver.run(req["workload"], int(req["param"]), int(req["tasks"]))
            answer = {"checksum": checksum, "pids": pids, "usage": driver.usage()}
        except Exception as e:
            answer = {"error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(answer) + "\n")
        out.flush()
    driver.close()
    return 0


def run(args):
    param = {"cpu": args.iterations, "io": args.sleep_ms, "noop": 0}[args.workload]
    driver = Driver(args.model, args.workers)
    try:
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            checksum, pids = driver.run(args.workload, param, args.tasks)
            elapsed = time.perf_counter() - t0
            print("%s %s tasks=%d workers=%d: %.3f s (checksum %#018x, %d pids)"
                  % (args.model, args.workload, args.tasks, args.workers, elapsed, checksum, len(pids)))
    finally:
        driver.close()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="parbench's driver protocol on stdin/stdout")
    r = sub.add_parser("run", help="time batches and print them")
    for q in (s, r):
        q.add_argument("--model", required=True, choices=MODELS)
        q.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    r.add_argument("--workload", choices=("cpu", "io", "noop"), default="cpu")
    r.add_argument("--tasks", type=int, default=12)
    r.add_argument("--iterations", type=int, default=10_000_000)
    r.add_argument("--sleep-ms", type=int, default=2000)
    r.add_argument("--repeat", type=int, default=1)
    args = p.parse_args()
    return serve(args) if args.command == "serve" else run(args)


if __name__ == "__main__":
    sys.exit(main())
