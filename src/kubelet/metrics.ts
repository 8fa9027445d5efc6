// Resource usage of this node and its containers, as metrics-server reports it from the kubelet
// (metrics.k8s.io): CPU as the rate over a window between two samples, memory as the working set.
// A container is its process group (each runs in its own, see process.ts): its CPU is the sum of
// utime + stime of the group's processes and its memory their resident set, from /proc/<pid>/stat.
// The node's CPU is /proc/stat's busy time and its memory MemTotal - MemAvailable. Sampling starts
// with the first request (the first one waits a second for a window), then every 15 s, as
// metrics-server's default resolution, while requests keep coming.
import { readdirSync, readFileSync } from 'node:fs';
import type { NodeMetrics, PodMetrics, ContainerMetrics } from '../api/generated/metrics/v1beta1.js';
import type { Obj } from '../registry/define.js';
import type { PodObj } from '../registry/pod/strategy.js';
import { rfc3339 } from '../apimachinery/meta.js';
import { goDuration } from '../apimachinery/go-format.js';

/** USER_HZ and the page size: the values of every Linux on x86-64 and arm64. */
const TICK_NS = 10_000_000;
const PAGE = 4096;
const INTERVAL_MS = 15_000;
/** Stop sampling when nobody asked for this long. */
const IDLE_MS = 10 * 60_000;

interface Sample {
  at: number;
  /** Per process group: CPU time (ns) and resident bytes. */
  groups: Map<number, { cpu: number; rss: number }>;
  nodeCpu: number;
  nodeMem: number;
}

/** One /proc/<pid>/stat line: the fields after the command (which may hold spaces and parentheses). */
export function parseStat(line: string): { pgrp: number; ticks: number; rssPages: number } | undefined {
  const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): pgrp is field 5, utime 14, stime 15, rss 24.
  const pgrp = Number(f[2]);
  const ticks = Number(f[11]) + Number(f[12]);
  const rssPages = Number(f[21]);
  return Number.isFinite(pgrp) && Number.isFinite(ticks) && Number.isFinite(rssPages) ? { pgrp, ticks, rssPages } : undefined;
}

/** /proc/stat's first line: busy jiffies (everything but idle and iowait). */
export function parseCpuLine(line: string): number {
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + (b || 0), 0);
  return total - (v[3] ?? 0) - (v[4] ?? 0);
}

export function parseMemAvailable(meminfo: string): number {
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
  return kb('MemTotal') - kb('MemAvailable');
}

function sample(): Sample {
  const groups = new Map<number, { cpu: number; rss: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let line: string;
    try {
      line = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const s = parseStat(line);
    if (!s) continue;
    const g = groups.get(s.pgrp) ?? { cpu: 0, rss: 0 };
    g.cpu += s.ticks * TICK_NS;
    g.rss += s.rssPages * PAGE;
    groups.set(s.pgrp, g);
  }
  const stat = readFileSync('/proc/stat', 'utf8');
  return {
    at: Date.now(),
    groups,
    nodeCpu: parseCpuLine(stat.slice(0, stat.indexOf('\n'))) * TICK_NS,
    nodeMem: parseMemAvailable(readFileSync('/proc/meminfo', 'utf8')),
  };
}

export interface MetricsDeps {
  nodeName: string;
  nodeLabels: () => Record<string, string> | undefined;
  running: () => { pod: PodObj; name: string; pid: number }[];
}

export function createMetrics(d: MetricsDeps) {
  let prev: Sample | undefined;
  let cur: Sample | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastAsked = 0;
  let stopped = false;

  const take = () => {
    prev = cur;
    cur = sample();
  };
  const tick = () => {
    if (Date.now() - lastAsked > IDLE_MS) {
      timer = undefined;
      prev = cur = undefined;
      return;
    }
    take();
    timer = setTimeout(tick, INTERVAL_MS);
    timer.unref();
  };

  /** The first window being taken: requests arriving meanwhile wait for it, not take their own. */
  let first: Promise<void> | undefined;

  /** Two samples at least a second apart, the newer at most one interval old. */
  async function window(): Promise<{ a: Sample; b: Sample }> {
    lastAsked = Date.now();
    if (!cur || !prev) {
      first ??= (async () => {
        take();
        await new Promise((r) => setTimeout(r, 1000));
        take();
      })().finally(() => (first = undefined));
      await first;
    }
    if (!timer && !stopped) {
      timer = setTimeout(tick, INTERVAL_MS);
      timer.unref();
    }
    return { a: prev!, b: cur! };
  }

  // nanocores: CPU nanoseconds per second of the window.
  const cpu = (ns: number, ms: number) => `${Math.max(0, Math.round((ns / ms) * 1000))}n`;
  const mem = (bytes: number) => `${Math.round(bytes / 1024)}Ki`;

  return {
    async nodes(): Promise<Obj<NodeMetrics>[]> {
      const { a, b } = await window();
      const ms = b.at - a.at;
      return [
        {
          kind: 'NodeMetrics',
          apiVersion: 'metrics.k8s.io/v1beta1',
          metadata: { name: d.nodeName, creationTimestamp: rfc3339(new Date()), labels: d.nodeLabels() },
          timestamp: rfc3339(new Date(b.at)),
          window: goDuration(Math.round(ms)),
          usage: { cpu: cpu(b.nodeCpu - a.nodeCpu, ms), memory: mem(b.nodeMem) },
        },
      ];
    },
    async pods(namespace: string | undefined): Promise<Obj<PodMetrics>[]> {
      const { a, b } = await window();
      const ms = b.at - a.at;
      const byPod = new Map<string, { pod: PodObj; containers: ContainerMetrics[] }>();
      for (const r of d.running()) {
        if (namespace !== undefined && r.pod.metadata.namespace !== namespace) continue;
        // Only containers seen in both samples have a rate (metrics-server leaves out the rest).
        const x = a.groups.get(r.pid);
        const y = b.groups.get(r.pid);
        if (!x || !y) continue;
        const key = `${r.pod.metadata.namespace}/${r.pod.metadata.name}`;
        let e = byPod.get(key);
        if (!e) byPod.set(key, (e = { pod: r.pod, containers: [] }));
        e.containers.push({ name: r.name, usage: { cpu: cpu(y.cpu - x.cpu, ms), memory: mem(y.rss) } });
      }
      return [...byPod.values()]
        .sort((p, q) =>
          `${p.pod.metadata.namespace}/${p.pod.metadata.name}`.localeCompare(`${q.pod.metadata.namespace}/${q.pod.metadata.name}`),
        )
        .map(({ pod, containers }): Obj<PodMetrics> => ({
          kind: 'PodMetrics',
          apiVersion: 'metrics.k8s.io/v1beta1',
          metadata: {
            name: pod.metadata.name,
            namespace: pod.metadata.namespace,
            creationTimestamp: rfc3339(new Date()),
            labels: pod.metadata.labels,
          },
          timestamp: rfc3339(new Date(b.at)),
          window: goDuration(Math.round(ms)),
          containers,
        }));
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
