// Memory and CPU time of the gateway's runtime processes, read from /proc (Linux only). Miniflare spawns `workerd` and
// the Deno harness spawns `deno` as children of this process; their RSS is what a long stream would make grow, and
// their CPU time per request says where the time goes.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export function procAvailable(): boolean {
  try {
    readFileSync("/proc/self/status", "utf8");
    return true;
  } catch {
    return false;
  }
}

interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
}

function readProc(pid: number): ProcInfo | null {
  try {
    // /proc/<pid>/stat is "pid (comm) state ppid …"; comm may itself contain spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    const rest = stat.slice(close + 2).split(" ");
    return { pid, ppid: Number(rest[1]), comm: stat.slice(open + 1, close) };
  } catch {
    return null; // the process ended while we looked
  }
}

/** Pids of every descendant of `root` whose command name (or argv[0]) contains `name`. */
export function findDescendants(root: number, name: string): number[] {
  const all: ProcInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProc(Number(entry));
    if (info) all.push(info);
  }
  const children = new Map<number, ProcInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    for (const child of children.get(pid) ?? []) {
      queue.push(child.pid);
      if (child.comm.includes(name) || argv0(child.pid).includes(name)) found.push(child.pid);
    }
  }
  return found;
}

function argv0(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
  } catch {
    return "";
  }
}

export interface Rss {
  /** Current resident set, bytes. */
  rss: number;
  /** Peak resident set since the process started (VmHWM), bytes. */
  peak: number;
}

export function readRss(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]) * 1024;
  };
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}

/** Samples a process's RSS every `everyMs` while `work` runs; returns the largest sample and the work's result. */
export async function sampleMaxRss<T>(pid: number, work: () => Promise<T>, everyMs = 10): Promise<{ maxRss: number; result: T }> {
  let maxRss = readRss(pid).rss;
  const timer = setInterval(() => {
    try {
      maxRss = Math.max(maxRss, readRss(pid).rss);
    } catch {
      // process gone: the work will fail and say why
    }
  }, everyMs);
  try {
    const result = await work();
    maxRss = Math.max(maxRss, readRss(pid).rss);
    return { maxRss, result };
  } finally {
    clearInterval(timer);
  }
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every mainstream Linux). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * CPU time a process's threads have spent running so far, in µs, from the scheduler's nanosecond counters
 * (/proc/<pid>/task/<tid>/schedstat), for figures over runs too short for `cpuTimeMs`'s clock ticks. Falls back to
 * `cpuTimeMs` where the kernel keeps no schedstat.
 */
export function cpuTimeUs(pid: number): number {
  let ns = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // the thread ended while we looked: its time is lost either way
      }
    }
  } catch {
    return cpuTimeMs(pid) * 1000;
  }
  return Number.isFinite(ns) && ns > 0 ? ns / 1000 : cpuTimeMs(pid) * 1000;
}

/**
 * CPU time (user + system, all threads) a process has used so far, in ms. Resolution is one clock tick (10 ms), so
 * only differences over runs of a second or more mean much. For this process, process.cpuUsage() is finer.
 */
export function cpuTimeMs(pid: number): number {
  if (pid === process.pid) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after "(comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / clockTicks();
}
