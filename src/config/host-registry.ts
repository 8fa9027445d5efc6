// The host-wide registry of running clusters: which slot (default ranges, see slots.ts) each holds
// and which ranges it really uses, so that clusters started without options never share an
// address or a NodePort and an explicit range that collides with a running cluster's is refused
// with that cluster's name, pid and data dir.
//
// A cluster's entry is a listening Unix socket that it holds while it runs:
// - Linux: in the abstract namespace (`@tinykube/slot/<n>`, or `@tinykube/own/<pid>.<n>` for a
//   cluster that gave every range itself). The kernel frees it the moment its process dies, however
//   it dies, so a killed tinykube never leaves a stale lease, nothing is written to disk, and any
//   user's clusters see each other. Abstract sockets belong to a network namespace, exactly like
//   the loopback addresses the slots hand out: clusters in another network namespace have their
//   own 127.0.0.0/8 and their own registry. `ss -xl | grep tinykube` lists them.
// - elsewhere (macOS): socket files in /tmp/tinykube-registry (mode 1777); a file whose socket
//   refuses connections is a dead cluster's and is replaced.
// Connecting to an entry returns the cluster's record (one JSON line): that is how a start learns
// the others' names, pids, data dirs and ranges. A second bind of a slot fails with EADDRINUSE,
// which is the lock: two starts racing for a slot cannot both win.
//
// Asking costs a turn of the other cluster's event loop, which a busy cluster (a test hammering
// it) may take long to give. So a cluster that is plain (a library one on its slot's ranges, as
// test suites start them) is known by its name alone: its ranges are the slot's. Only the others
// (ranges of their own, or a CLI cluster whose name and kubeconfig matter) hold a second entry,
// `@tinykube/x/<n>` (or `own/...`), that says their record must be asked for.
import { createConnection, createServer, type Server } from 'node:net';
import { chmodSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { HostRanges } from './slots.js';

export interface ClusterRecord {
  /** Unique per start (two clusters of one process may share name and start time). */
  id: string;
  name: string;
  pid: number;
  /** Undefined: in memory. */
  dataDir?: string;
  /** `cli` for `tinykube up`, `library` for startCluster() in someone's program. */
  kind: 'cli' | 'library';
  /** The kubeconfig file whose context `name` the CLI merged (switching current-context). */
  kubeconfig?: string;
  /** The API server's URL, once listening. */
  server?: string;
  slot?: number;
  ranges: HostRanges;
  /** ms since the epoch: of two clusters that collide, the later one gives way. */
  startedAt: number;
}

const PREFIX = 'tinykube/';
const ABSTRACT = process.platform === 'linux';
const DIR = '/tmp/tinykube-registry';
const QUERY_TIMEOUT_MS = 1000;

const socketPath = (entry: string) => (ABSTRACT ? `\0${PREFIX}${entry}` : join(DIR, `${entry.replace(/\//g, '.')}.sock`));

/** The entries registered now (`slot/3`, `own/1234.1`). */
function entries(): string[] {
  if (ABSTRACT) {
    let text: string;
    try {
      text = readFileSync('/proc/net/unix', 'latin1');
    } catch {
      return [];
    }
    const out = new Set<string>();
    for (const line of text.split('\n')) {
      // Num RefCount Protocol Flags Type St Inode Path; accepted connections share the listener's
      // name, so only sockets in the listening state (flag __SO_ACCEPTCON) count.
      const at = line.indexOf(` @${PREFIX}`);
      if (at < 0) continue;
      const f = line.trim().split(/\s+/);
      if (f[3] !== '00010000') continue;
      // Node binds abstract names padded with NULs to the full sun_path, which /proc shows as '@'.
      out.add(
        line
          .slice(at + 2 + PREFIX.length)
          .trim()
          .replace(/@+$/, ''),
      );
    }
    return [...out];
  }
  try {
    return readdirSync(DIR)
      .filter((f) => f.endsWith('.sock'))
      .map((f) => f.slice(0, -5).replace('.', '/'));
  } catch {
    return [];
  }
}

/** The record of one entry; undefined when it does not answer (gone meanwhile, or frozen). */
function query(entry: string): Promise<ClusterRecord | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = createConnection({ path: socketPath(entry) });
    const timer = setTimeout(() => s.destroy(), QUERY_TIMEOUT_MS);
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      try {
        const rec = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ClusterRecord;
        resolve(rec && typeof rec.pid === 'number' && rec.ranges ? rec : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** Every cluster running on this host (this network namespace), this process's included. */
export async function runningClusters(): Promise<ClusterRecord[]> {
  const names = entries().filter((e) => !e.startsWith('x/'));
  const found = await Promise.all(names.map(query));
  return found.filter((r): r is ClusterRecord => !!r);
}

/** What placement needs of a running cluster: its ranges, and its record where it had to be asked. */
export interface HostEntry {
  entry: string;
  slot?: number;
  ranges: HostRanges;
  /** Asked for (clusters with ranges or a kubeconfig context of their own); plain ones: ask via load(). */
  record?: ClusterRecord;
  load(): Promise<ClusterRecord | undefined>;
}

/** The clusters of this host as placement sees them: plain slots by name, the others asked. */
export async function hostEntries(plainRanges: (slot: number) => HostRanges): Promise<HostEntry[]> {
  const all = entries();
  const flagged = new Set(all.filter((e) => e.startsWith('x/')).map((e) => e.slice(2)));
  const out = await Promise.all(
    all
      .filter((e) => !e.startsWith('x/'))
      .map(async (entry): Promise<HostEntry | undefined> => {
        const slot = entry.startsWith('slot/') ? Number(entry.slice(5)) : undefined;
        const load = () => query(entry);
        if (slot !== undefined && Number.isInteger(slot) && !flagged.has(String(slot)))
          return { entry, slot, ranges: plainRanges(slot), load };
        const record = await load();
        return record ? { entry, slot, ranges: record.ranges, record, load } : undefined;
      }),
  );
  return out.filter((e): e is HostEntry => !!e);
}

export interface Lease {
  entry: string;
  slot?: number;
  /** Replaces the record others read (the API URL is known only once it listens). */
  publish(rec: ClusterRecord): void;
  release(): Promise<void>;
}

let ownSeq = 0;

/**
 * Holds an entry: `slot/<n>` when slot is given, else a per-process one. Resolves undefined when
 * the slot is taken (the caller tries the next). `plain`: others may take the slot's ranges for
 * this cluster's without asking (see above); otherwise a flag entry says to ask.
 */
export async function lease(slot: number | undefined, rec: ClusterRecord, plain = false): Promise<Lease | undefined> {
  const entry = slot === undefined ? `own/${process.pid}.${++ownSeq}` : `slot/${slot}`;
  let current = JSON.stringify(rec);
  const server = await listenEntry(entry, () => current);
  if (!server) return undefined;
  // The flag entry of a slot whose ranges are not the slot's: bound right after the slot (a start
  // that lists in between sees a plain slot for a moment; placement's second look catches it).
  const flag = slot !== undefined && !plain ? await listenEntry(`x/${slot}`, () => current) : undefined;
  return {
    entry,
    slot,
    publish(r) {
      current = JSON.stringify(r);
    },
    release: async () => {
      await Promise.all([server, flag].map((s) => s && new Promise<void>((done) => s.close(() => done()))));
    },
  };
}

/** A listening socket for `entry` answering `record()`; undefined when the name is taken. */
async function listenEntry(entry: string, record: () => string): Promise<Server | undefined> {
  const server: Server = createServer((sock) => {
    sock.on('error', () => undefined);
    sock.end(`${record()}\n`);
  });
  server.on('error', () => undefined);
  const path = socketPath(entry);
  if (!ABSTRACT) {
    mkdirSync(DIR, { recursive: true, mode: 0o1777 });
    try {
      chmodSync(DIR, 0o1777);
    } catch {
      /* another user's: it was made 1777 by them */
    }
  }
  const listen = () =>
    new Promise<NodeJS.ErrnoException | undefined>((done) => {
      const onError = (err: NodeJS.ErrnoException) => done(err);
      server.once('error', onError);
      server.listen({ path, exclusive: true }, () => {
        server.off('error', onError);
        done(undefined);
      });
    });
  let err = await listen();
  if (err?.code === 'EADDRINUSE' && !ABSTRACT && !(await query(entry))) {
    // A socket file left by a dead cluster: nobody answers on it.
    try {
      unlinkSync(path);
    } catch {
      /* raced with another start */
    }
    err = await listen();
  }
  if (err) {
    if (err.code === 'EADDRINUSE') return undefined;
    throw err;
  }
  // The registry must never keep a program alive that has nothing else to do.
  server.unref();
  return server;
}

/** `"name" (pid 1234, data dir /x)` for messages about another cluster. */
export function describeCluster(r: ClusterRecord): string {
  return `"${r.name}" (pid ${r.pid}, ${r.dataDir ? `data dir ${r.dataDir}` : 'in memory'})`;
}
