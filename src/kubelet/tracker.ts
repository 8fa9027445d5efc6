// Which processes belong to a container, so that none outlives it. A container is every process
// it started, however it detaches: `setsid`, a double fork or a daemon that closes its output all
// leave the process group the container was started in, so signalling that group (what tinykube did
// first) misses them, and one that keeps the container's stdout open even kept it from ever
// counting as exited. On a real node the container's cgroup and PID namespace hold them: the kernel
// kills every process of a PID namespace when its init exits (zap_pid_ns_processes), and runc kills
// the whole cgroup of a container that shares the host's (libcontainer signalAllProcesses).
//
// Two ways here, chosen once per cluster at start:
// - `cgroup`: a cgroup v2 directory per container, under tinykube's own cgroup
//   (<own>/tinykube-<cluster>/pod<uid>/<container>). Every process enters it before it execs the
//   container's command (a one-line `sh` that writes itself to cgroup.procs: Node cannot spawn
//   into a cgroup) and every process forked from it stays in it whatever it does, short of root
//   writing itself elsewhere. The kernel lists them (cgroup.procs) and kills them all at once
//   (cgroup.kill). It needs a writable cgroup2 hierarchy: root on most hosts (also a hybrid one,
//   where it is mounted at /sys/fs/cgroup/unified without controllers: tracking needs none), or a
//   user whose cgroup is delegated to it (systemd's user@.service).
// - `proc` otherwise (not root, no delegation, no cgroup2, or TINYKUBE_POD_CGROUPS=off): every
//   process of a container carries TINYKUBE_CONTAINER=<cluster>/<owner>/<pod uid>/<container>/<run>
//   in its environment, which children inherit through setsid and double forks; a scan of /proc
//   finds those, plus what shares the main process's session or process group and the descendants
//   of all of them (the processes that cleared their environment without leaving). The requests
//   of one event-loop turn share one scan (a bulk delete handles its Pods in batches, not one scan
//   per Pod), and only processes started after this tinykube have their environment read (about
//   30 µs a process here). A process that
//   both clears its environment and detaches escapes; nothing short of a cgroup or a PID namespace
//   (which would make the container's command PID 1, deaf to SIGTERM without a handler) holds it.
//   A subreaper (PR_SET_CHILD_SUBREAPER) would need a helper binary: Node has no prctl and
//   util-linux's setpriv does not set it.
// Both modes set the marker: at start, tinykube kills what a previous run of the same data dir left
// (kill -9, a crash) by it and by the recorded cgroup, never what a live tinykube owns.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';

export const MARKER = 'TINYKUBE_CONTAINER';

/** A container (all its runs, or one run), or a whole Pod when `name` is left out. */
export interface ContainerRef {
  pod: string;
  name?: string;
  /** One run (restart) of the container: its processes only. */
  run?: number;
  /** That run's main process: its session and process group belong to it too. */
  leader?: number;
}

export interface Tracker {
  /** `proc` until `ready` when the cgroup is still being probed. */
  mode: 'cgroup' | 'proc';
  reason: string;
  /** Resolves once the mode is known (Pods start after it). */
  ready: Promise<void>;
  /** The marker every process of this container run carries (the value of TINYKUBE_CONTAINER). */
  marker(ref: { pod: string; name: string; run: number }): string;
  /** argv that puts the process into the container's cgroup first (cgroup mode; else argv). */
  join(ref: { pod: string; name: string }, argv: string[]): string[];
  /** Sends sig to every process of ref; resolves with how many there were. */
  signal(ref: ContainerRef, sig: NodeJS.Signals): Promise<number>;
  /** SIGKILL to every process of ref until none is left (bounded); resolves when they are gone. */
  kill(ref: ContainerRef): Promise<void>;
  /** sig to every process of this cluster's containers (tinykube stops). */
  signalAll(sig: NodeJS.Signals): Promise<number>;
  /** The Pod is gone: its cgroups go too (once empty). */
  release(pod: string): void;
  /** tinykube stops: what is left in its cgroups is killed and they go; its markers are a dead instance's from now on. */
  close(): void;
}

/** The id of a cluster in markers and cgroup names: its Pod directory (one per data dir). */
export const clusterIdOf = (podsDir: string) => createHash('sha256').update(resolve(podsDir)).digest('hex').slice(0, 12);

// ---- /proc ----

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
export function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

interface Marker {
  cluster: string;
  owner: string;
  pod: string;
  name: string;
  run: number;
}

interface Proc {
  pid: number;
  ppid: number;
  pgrp: number;
  sid: number;
  marker?: Marker;
}

function parseMarker(v: string): Marker | undefined {
  const [cluster, owner, pod, name, run] = v.split('/');
  if (!cluster || !owner || !pod || !name || run === undefined) return undefined;
  return { cluster, owner, pod, name, run: Number(run) };
}

const MARKER_PREFIX = `${MARKER}=`;

function readMarker(pid: string): Marker | undefined {
  let env: string;
  try {
    env = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return undefined; // gone, or another user's
  }
  let i = 0;
  if (!env.startsWith(MARKER_PREFIX)) {
    i = env.indexOf(`\0${MARKER_PREFIX}`) + 1;
    if (i === 0) return undefined;
  }
  const from = i + MARKER_PREFIX.length;
  const end = env.indexOf('\0', from);
  return parseMarker(env.slice(from, end < 0 ? undefined : end));
}

/**
 * Every live process (zombies are already dead), with the marker of those started at or after
 * `since` (clock ticks since boot; 0: all). Reading an environment costs as much as the stat line,
 * and the processes that were there before this tinykube cannot be its containers'.
 */
function scanProc(since: number): Proc[] {
  const out: Proc[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const d of names) {
    const c = d.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'latin1');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state); ppid 4, pgrp 5, session 6, starttime 22.
    if (f[0] === 'Z' || f[0] === 'X') continue;
    const p: Proc = { pid: Number(d), ppid: Number(f[1]), pgrp: Number(f[2]), sid: Number(f[3]) };
    if (Number(f[19]) >= since) p.marker = readMarker(d);
    out.push(p);
  }
  return out;
}

/** The matching processes and all their descendants (a child that cleared its environment stays theirs). */
function withDescendants(procs: Proc[], seed: Set<number>, exclude: (p: Proc) => boolean): number[] {
  const children = new Map<number, Proc[]>();
  for (const p of procs) {
    const l = children.get(p.ppid);
    if (l) l.push(p);
    else children.set(p.ppid, [p]);
  }
  const out = new Set(seed);
  const queue = [...seed];
  while (queue.length) {
    for (const ch of children.get(queue.pop()!) ?? []) {
      if (out.has(ch.pid) || exclude(ch)) continue;
      out.add(ch.pid);
      queue.push(ch.pid);
    }
  }
  out.delete(process.pid);
  out.delete(1);
  return [...out];
}

function killPids(pids: Iterable<number>, sig: NodeJS.Signals): number {
  let n = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
      n++;
    } catch {
      // gone meanwhile, or not ours to signal
    }
  }
  return n;
}

/** Clock ticks since boot now (USER_HZ is 100 on every Linux tinykube runs on). */
function ticksNow(): number {
  try {
    return Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);
  } catch {
    return 0;
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

// ---- owners: which tinykube a marker belongs to ----

const SELF_START = procStartTime(process.pid) ?? '0';
/** Trackers alive in this process (library users may run and stop several clusters in one process). */
const liveNonces = new Set<string>();

/** A tinykube instance: its pid, that pid's start time (pids are reused) and a nonce (several per process). */
function ownerAlive(owner: string): boolean {
  const [pid, start, nonce] = owner.split('.');
  if (Number(pid) === process.pid && start === SELF_START) return liveNonces.has(nonce ?? '');
  return procStartTime(Number(pid)) === start;
}

// ---- cgroup v2 ----

/** Where this process's cgroup v2 directory is, if the host has a cgroup2 hierarchy mounted. */
function ownCgroupDir(): { dir?: string; why?: string } {
  let mountPoint: string | undefined;
  let mountRoot = '/';
  try {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [pre, post] = line.split(' - ');
      if (!post?.startsWith('cgroup2 ')) continue;
      const f = pre!.split(' ');
      mountRoot = f[3]!;
      mountPoint = f[4]!.replace(/\\040/g, ' ');
      break;
    }
  } catch {
    return { why: 'no /proc/self/mountinfo' };
  }
  if (!mountPoint) return { why: 'no cgroup v2 hierarchy is mounted' };
  let own: string | undefined;
  try {
    own = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'))
      ?.slice(3);
  } catch {
    return { why: 'no /proc/self/cgroup' };
  }
  if (own === undefined) return { why: 'this process is in no cgroup v2' };
  // The path is relative to the cgroup namespace's root; a mount of another root is not ours to map.
  const rel = mountRoot === '/' ? own : own.startsWith(mountRoot) ? own.slice(mountRoot.length) : undefined;
  if (rel === undefined || own.endsWith(' (deleted)'))
    return { why: `the cgroup2 mount at ${mountPoint} does not show this process's cgroup` };
  const dir = join(mountPoint, rel);
  try {
    if (!readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').includes(String(process.pid)))
      return { why: `${dir} does not list this process` };
  } catch {
    return { why: `${dir} cannot be read` };
  }
  return { dir };
}

/** The cgroup directories under (and with) dir, deepest first. */
function cgroupTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: string[] = [];
    try {
      entries = readdirSync(d, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const e of entries) walk(join(d, e));
    out.push(d);
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

function cgroupPids(dir: string): number[] {
  const out: number[] = [];
  for (const d of cgroupTree(dir)) {
    try {
      for (const l of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (l) out.push(Number(l));
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

const populated = (dir: string) => {
  try {
    return /^populated 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
};

/** SIGKILL to every process in dir and below: cgroup.kill (Linux 5.14) in one step, else freeze, kill, thaw. */
function cgroupKill(dir: string): void {
  if (!existsSync(dir)) return;
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
    return;
  } catch {
    // older kernel
  }
  let frozen = false;
  try {
    writeFileSync(join(dir, 'cgroup.freeze'), '1');
    frozen = true;
  } catch {
    // no freezer either: a fork may slip between reading and killing, the loop below catches it
  }
  for (let i = 0; i < 10 && killPids(cgroupPids(dir), 'SIGKILL') > 0; i++);
  if (frozen) {
    try {
      writeFileSync(join(dir, 'cgroup.freeze'), '0');
    } catch {
      // removed meanwhile
    }
  }
}

/** Removes dir and its children once empty; false while processes are still leaving. */
function cgroupRemove(dir: string): boolean {
  let ok = true;
  for (const d of cgroupTree(dir)) {
    try {
      rmdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') ok = false;
    }
  }
  return ok;
}

interface CgroupRecord {
  path: string;
  owner: string;
}

const recordFile = (podsDir: string) => join(podsDir, '.cgroup.json');

/** Whether a process can be moved into a cgroup under each parent probed: '' yes, else why not. */
const probes = new Map<string, Promise<string>>();

/** Moves a throwaway shell into the new cgroup `probe`: '' when that works, else why not. */
function probeMove(probe: string, sh: string): Promise<string> {
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn(sh, ['-c', 'echo 0 > "$1"', 'sh', join(probe, 'cgroup.procs')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.on('error', (err) => resolve(err.message));
    child.on('close', (code) => {
      // The shell takes a moment to leave the cgroup: retry its removal for a while.
      let tries = 0;
      const remove = () => {
        if (cgroupRemove(probe) || ++tries >= 50) return resolve(code === 0 ? '' : stderr.trim() || `exit ${code}`);
        setTimeout(remove, 10);
      };
      remove();
    });
  });
}

/**
 * A cgroup v2 directory for this cluster's containers, if this host lets us make and use one:
 * decided at once when it cannot be, else once a probe has run (a shell spawned: asynchronously,
 * so a start does not wait for it; Pods do).
 */
function setupCgroup(
  base: string | undefined,
  sh: string | undefined,
): { dir?: string; why: string } | Promise<{ dir?: string; why: string }> {
  if (process.env.TINYKUBE_POD_CGROUPS === 'off') return { why: 'TINYKUBE_POD_CGROUPS=off' };
  if (process.platform !== 'linux') return { why: 'not Linux' };
  if (!sh) return { why: 'no /bin/sh' };
  if (!base) return { why: 'no cgroup v2 directory of our own' };
  // Moving a process needs write access to the target and to the common ancestor's cgroup.procs:
  // try it with a throwaway shell, as every container process will. The answer holds for every
  // cluster of this process (their cgroups share our own as that ancestor): asked once.
  const known = probes.get(dirname(base));
  const probe = join(base, `probe-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    mkdirSync(known ? base : probe, { recursive: true });
  } catch (e) {
    return { why: `cannot create a cgroup under ${base} (${(e as NodeJS.ErrnoException).code})` };
  }
  let answer = known;
  if (!answer) probes.set(dirname(base), (answer = probeMove(probe, sh)));
  return answer.then((cannot) => {
    if (!cannot) return { dir: base, why: `a cgroup v2 per container under ${base}` };
    cgroupRemove(base);
    return { why: `cannot move a process into a cgroup under ${base}: ${cannot}` };
  });
}

// ---- leftovers of a previous run ----

/**
 * At start: kills what a previous tinykube of this data dir left running (kill -9, a crash): the
 * cgroup it recorded, and every process carrying its marker, unless their tinykube is alive.
 */
export function killLeftoverContainers(podsDir: string): number {
  if (process.platform !== 'linux') return 0;
  const cluster = clusterIdOf(podsDir);
  let killed = 0;
  try {
    const rec = JSON.parse(readFileSync(recordFile(podsDir), 'utf8')) as CgroupRecord;
    if (rec.path && rec.owner && !ownerAlive(rec.owner) && existsSync(rec.path)) {
      killed += cgroupPids(rec.path).length;
      cgroupKill(rec.path);
      for (let i = 0; i < 100 && populated(rec.path); i++) sleepSync(10);
      cgroupRemove(rec.path);
    }
    if (!ownerAlive(rec.owner)) rmSync(recordFile(podsDir), { force: true });
  } catch {
    // no record: no cgroups were used
  }
  const gone = new Set<number>();
  const stale = new Map<string, boolean>();
  const ours = (p: Proc) => {
    if (p.marker?.cluster !== cluster) return false;
    let dead = stale.get(p.marker.owner);
    if (dead === undefined) stale.set(p.marker.owner, (dead = !ownerAlive(p.marker.owner)));
    return dead;
  };
  for (let round = 0; round < 20; round++) {
    const procs = scanProc(0);
    const seed = new Set(procs.filter(ours).map((p) => p.pid));
    if (!seed.size) break;
    for (const pid of withDescendants(procs, seed, (p) => !!p.marker && !ours(p))) if (killPids([pid], 'SIGKILL')) gone.add(pid);
    sleepSync(10);
  }
  return killed + gone.size;
}

// ---- the watchdog ----

interface Watchdog {
  /** tinykube stops by itself (and kills its containers itself): the watchdog exits doing nothing. */
  dismiss(): void;
}

// Its stdin is a pipe whose only writer is tinykube: `read` returns a line when tinykube dismisses
// it, and end-of-file when tinykube is gone however it went (kill -9, a killed test runner taking
// its worker threads along, a crash). Then it kills every process of this tinykube's containers:
// the whole cgroup at once, or what carries its marker (GNU grep -z reads /proc/*/environ's NUL-
// separated variables), a few rounds for what forks meanwhile. setpriv --pdeathsig already takes
// each container's main process along; this takes the rest. A shell costs ~1 MB, started with the
// first container.
const WATCHDOG_CGROUP = `read -r _ && exit 0
echo 1 > "$1/cgroup.kill" 2>/dev/null && exit 0
for i in 1 2 3 4 5; do
  pids=$(find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null)
  [ -z "$pids" ] && exit 0
  kill -9 $pids 2>/dev/null
  sleep 0.05
done`;
const WATCHDOG_PROC = `read -r _ && exit 0
for i in 1 2 3 4 5; do
  pids=$(grep -lsz "^${MARKER}=$1" /proc/[0-9]*/environ 2>/dev/null | sed -n 's#^/proc/\\([0-9]*\\)/environ$#\\1#p')
  [ -z "$pids" ] && exit 0
  kill -9 $pids 2>/dev/null
  sleep 0.05
done`;

function startWatchdog(sh: string | undefined, cgroup: string | undefined, markerPrefix: string, log: Logger): Watchdog | undefined {
  if (!sh || process.platform !== 'linux') return undefined;
  try {
    const child = spawn(sh, ['-c', cgroup ? WATCHDOG_CGROUP : WATCHDOG_PROC, 'tinykube-watchdog', cgroup ?? markerPrefix], {
      stdio: ['pipe', 'ignore', 'ignore'],
      // Its own process group: a Ctrl-C meant for tinykube does not take it first.
      detached: true,
    });
    child.on('error', (err) => log.debug({ err }, 'container watchdog not started'));
    child.stdin!.on('error', () => undefined);
    // It must never keep a program alive that has nothing else to do.
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    return {
      dismiss() {
        if (child.exitCode === null && child.stdin!.writable) child.stdin!.end('stop\n');
      },
    };
  } catch (err) {
    log.debug({ err }, 'container watchdog not started');
    return undefined;
  }
}

// ---- the tracker ----

export function createTracker(o: { podsDir: string; log: Logger }): Tracker {
  const cluster = clusterIdOf(o.podsDir);
  const nonce = randomBytes(4).toString('hex');
  liveNonces.add(nonce);
  const owner = `${process.pid}.${SELF_START}.${nonce}`;
  // Processes started before this tracker are not its containers' (1 s of margin for the tick clock).
  const since = Math.max(ticksNow() - 100, 0);
  const sh = ['/bin/sh', '/usr/bin/sh'].find(existsSync);
  const own = process.platform === 'linux' ? ownCgroupDir() : { why: 'not Linux' };
  let base: string | undefined;
  let reason = 'probing for a cgroup v2 of its own';
  let closed = false;
  const decide = (cg: { dir?: string; why: string }) => {
    if (closed) {
      // Stopped before the probe answered: nothing ever ran in it.
      if (cg.dir) cgroupRemove(cg.dir);
      return;
    }
    base = cg.dir;
    reason = base ? cg.why : `${own.why ? `${own.why}; ` : ''}${cg.why}: processes are found by their TINYKUBE_CONTAINER variable in /proc`;
    if (!base) return;
    try {
      writeFileSync(recordFile(o.podsDir), JSON.stringify({ path: base, owner } satisfies CgroupRecord));
    } catch (err) {
      // After a crash its processes are still found by their marker.
      o.log.warn({ err, podsDir: o.podsDir }, 'the cgroup of the containers is not recorded');
    }
  };
  const cg = setupCgroup(own.dir ? join(own.dir, `tinykube-${cluster}`) : undefined, sh);
  const ready = cg instanceof Promise ? cg.then(decide) : Promise.resolve(decide(cg));
  const podDir = (pod: string) => join(base!, `pod${pod}`);
  const ctrDir = (ref: ContainerRef) => (ref.name ? join(podDir(ref.pod), ref.name) : podDir(ref.pod));
  const pendingRemoval = new Map<string, NodeJS.Timeout>();
  let watchdog: Watchdog | undefined;

  // proc mode: every request of one event-loop turn shares one scan.
  type Req = { match: (p: Proc) => boolean; sig: NodeJS.Signals; done: (n: number) => void };
  let queue: Req[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const reqs = queue;
    queue = [];
    const procs = scanProc(since);
    for (const r of reqs) {
      const seed = new Set(procs.filter(r.match).map((p) => p.pid));
      // A child carrying another container's marker is that container's (never the case unless a
      // process passes its environment on by hand).
      r.done(
        seed.size
          ? killPids(
              withDescendants(procs, seed, (p) => !!p.marker && p.marker.owner === owner && !r.match(p)),
              r.sig,
            )
          : 0,
      );
    }
  };
  const enqueue = (match: (p: Proc) => boolean, sig: NodeJS.Signals) =>
    new Promise<number>((done) => {
      queue.push({ match, sig, done });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  const mine = (m: Marker | undefined): m is Marker => !!m && m.cluster === cluster && m.owner === owner;
  const matcher = (ref: ContainerRef) => (p: Proc) => {
    if (p.marker)
      return (
        mine(p.marker) &&
        p.marker.pod === ref.pod &&
        (ref.name === undefined || p.marker.name === ref.name) &&
        (ref.run === undefined || p.marker.run === ref.run)
      );
    // Without a marker: the main process's session or group (a pid that names a live session or
    // group is never reused, so these are its processes).
    return !!ref.leader && (p.sid === ref.leader || p.pgrp === ref.leader);
  };

  const tracker: Tracker = {
    get mode() {
      return base ? 'cgroup' : 'proc';
    },
    get reason() {
      return reason;
    },
    ready,
    marker: (ref) => {
      watchdog ??= startWatchdog(sh, base, `${cluster}/${owner}/`, o.log);
      return `${cluster}/${owner}/${ref.pod}/${ref.name}/${ref.run}`;
    },
    join(ref, argv) {
      if (!base || !sh) return argv;
      const dir = ctrDir(ref);
      try {
        mkdirSync(dir, { recursive: true });
      } catch (e) {
        o.log.debug({ err: e, dir }, 'container cgroup not created');
        return argv;
      }
      clearTimeout(pendingRemoval.get(ref.pod));
      pendingRemoval.delete(ref.pod);
      // The shell moves itself, then execs: the command and all it forks start inside.
      return [sh, '-c', '{ echo 0 > "$1"; } 2>/dev/null; shift; exec "$@"', 'sh', join(dir, 'cgroup.procs'), ...argv];
    },
    signal(ref, sig) {
      if (base) {
        // Synchronous: done before this returns (a restart that follows never meets the old run).
        if (sig === 'SIGKILL') {
          const dir = ctrDir(ref);
          const n = cgroupPids(dir).length;
          cgroupKill(dir);
          return Promise.resolve(n);
        }
        // The main process too, should it have failed to enter the cgroup (it is alive or not
        // yet reaped: its pid is not anyone else's).
        const pids = new Set(cgroupPids(ctrDir(ref)));
        if (ref.leader) pids.add(ref.leader);
        return Promise.resolve(killPids(pids, sig));
      }
      return enqueue(matcher(ref), sig);
    },
    async kill(ref) {
      if (base) {
        const dir = ctrDir(ref);
        cgroupKill(dir);
        for (let i = 0; i < 200 && populated(dir); i++) await new Promise((r) => setTimeout(r, 10));
        return;
      }
      const match = matcher(ref);
      for (let i = 0; i < 20 && (await enqueue(match, 'SIGKILL')) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    },
    signalAll(sig) {
      if (base) {
        if (sig === 'SIGKILL') {
          const n = cgroupPids(base).length;
          cgroupKill(base);
          return Promise.resolve(n);
        }
        return Promise.resolve(killPids(cgroupPids(base), sig));
      }
      return enqueue((p) => mine(p.marker), sig);
    },
    release(pod) {
      if (!base) return;
      const dir = podDir(pod);
      clearTimeout(pendingRemoval.get(pod));
      // Processes take a moment to leave after SIGKILL: retry for a while.
      let tries = 0;
      const attempt = () => {
        pendingRemoval.delete(pod);
        if (cgroupRemove(dir) || ++tries > 50) return;
        const t = setTimeout(attempt, 100);
        t.unref();
        pendingRemoval.set(pod, t);
      };
      attempt();
    },
    close() {
      closed = true;
      liveNonces.delete(nonce);
      watchdog?.dismiss();
      for (const t of pendingRemoval.values()) clearTimeout(t);
      pendingRemoval.clear();
      if (!base) return;
      cgroupKill(base);
      for (let i = 0; i < 100 && populated(base); i++) sleepSync(10);
      if (cgroupRemove(base)) {
        try {
          const rec = JSON.parse(readFileSync(recordFile(o.podsDir), 'utf8')) as CgroupRecord;
          if (rec.owner === owner) rmSync(recordFile(o.podsDir), { force: true });
        } catch {
          // already gone (a temporary Pod directory)
        }
      }
    },
  };
  return tracker;
}
