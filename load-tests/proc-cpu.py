#!/usr/bin/env python3
"""CPU time of processes by thread group, from /proc/<pid>/task/*/stat (utime + stime).

  proc-cpu.py snap FILE NAME=PID [NAME=PID ...]   write a snapshot of every thread's CPU time
  proc-cpu.py diff BEFORE AFTER OPS               CPU per operation between two snapshots, by
                                                  process and by thread group, as JSON on stdout

Threads are grouped by the name the JVM gives them (the kernel keeps its first 15 characters):
Vert.x event loops, Vert.x workers, Kafka clients (producer network threads, Courier's consumer
and owner poll threads, heartbeats, admin), Hazelcast, the JIT compilers, the garbage collector,
and everything else. A thread that ended between the snapshots is counted up to the first one.
Used by load-tests/scale-out-cost.sh (and any run that wants CPU per operation); reads only /proc.
"""
import json
import os
import re
import sys

TICKS = os.sysconf("SC_CLK_TCK")

GROUPS = [
    ("event loops", re.compile(r"^vert\.x-eventloo")),
    ("workers", re.compile(r"^vert\.x-(worker|internal|virtual)")),
    ("kafka clients", re.compile(r"^(kafka-|courier-consum|courier-owner|courier-publis)")),
    ("hazelcast", re.compile(r"^hz\.")),
    ("jit", re.compile(r"^C[12] Compiler")),
    ("gc", re.compile(r"^(GC Thread|G1 |VM Thread|VM Periodic)")),
]


def group_of(name):
    for group, pattern in GROUPS:
        if pattern.search(name):
            return group
    return "other"


def snapshot(pid):
    threads = {}
    task_dir = f"/proc/{pid}/task"
    for tid in os.listdir(task_dir):
        try:
            with open(f"{task_dir}/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # the thread ended while we listed them
        # The name is between the first '(' and the last ')': it may itself hold either.
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        utime, stime = int(fields[11]), int(fields[12])
        threads[tid] = {"name": name, "ticks": utime + stime}
    return threads


def snap(path, named_pids):
    result = {}
    for item in named_pids:
        name, pid = item.split("=", 1)
        result[name] = snapshot(int(pid))
    with open(path, "w") as f:
        json.dump(result, f)


def diff(before_path, after_path, ops):
    with open(before_path) as f:
        before = json.load(f)
    with open(after_path) as f:
        after = json.load(f)
    ops = float(ops)
    report = {"operations": ops, "processes": {}, "groups": {}, "total_ms_per_op": 0.0}
    for process, threads in after.items():
        old = before.get(process, {})
        per_group = {}
        for tid, thread in threads.items():
            used = thread["ticks"] - old.get(tid, {}).get("ticks", 0)
            group = group_of(thread["name"])
            per_group[group] = per_group.get(group, 0) + used
        ms = {g: ticks * 1000.0 / TICKS / ops for g, ticks in per_group.items()}
        report["processes"][process] = {
            "ms_per_op": sum(ms.values()),
            "cpu_seconds": sum(per_group.values()) / TICKS,
            "groups": ms,
        }
        for g, value in ms.items():
            report["groups"][g] = report["groups"].get(g, 0.0) + value
        report["total_ms_per_op"] += sum(ms.values())
    json.dump(report, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "snap":
        snap(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 5 and sys.argv[1] == "diff":
        diff(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
