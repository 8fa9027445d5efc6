// The data dir's files and what a start does with a damaged one (issue 19, item 6): the database,
// its WAL and the other secret files are 0600 whatever the directory's mode and the umask; a
// zero-length state.db next to a cluster is refused in one line; a corrupt row is skipped and
// reported (log, Event, /readyz?verbose) while everything else is served and the row is kept;
// startup errors name the path and the OS's real cause (EROFS, ENOSPC), here under real
// conditions: a tmpfs mounted in a private mount namespace (gone with the process), when this
// machine lets us mount.
import { describe, it, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pino from 'pino';
import { CLI, runCli } from '../helpers/cli.js';
import { startCluster } from '../../src/index.js';
import { silentLogger } from '../../src/base/log.js';
import { api } from '../helpers/http.js';
import { until } from '../helpers/wait.js';

const mode = (p: string) => statSync(p).mode & 0o777;
const quiet = {
  apiListen: '127.0.0.1:0',
  dnsListen: '127.0.0.1:0',
  dnsUpstream: '127.0.0.1:1',
  podIsolation: 'none' as const,
  logger: silentLogger(),
};
const upArgs = (dataDir: string, kc: string) => [
  'up',
  '--data-dir',
  dataDir,
  '--api-listen',
  '127.0.0.1:0',
  '--dns-listen',
  '127.0.0.1:0',
  '--dns-upstream',
  '127.0.0.1:1',
  '--kubeconfig',
  kc,
  '--pod-isolation',
  'none',
];

/** A stopped cluster's data dir (made by the library: quick). */
async function makeCluster(dir: string, fill?: (c: Awaited<ReturnType<typeof startCluster>>) => Promise<void>): Promise<void> {
  const c = await startCluster({ ...quiet, dataDir: dir });
  try {
    await fill?.(c);
  } finally {
    await c.stop();
  }
}

describe('file modes', () => {
  it('state.db, its WAL and shared memory, keys, token and kubeconfig are 0600 in a 0755 data dir under umask 000', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-modes-'));
    try {
      const data = join(dir, 'data');
      mkdirSync(data, { mode: 0o755 });
      chmodSync(data, 0o755);
      const kc = join(dir, 'kc.yaml');
      const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      const proc = spawn('sh', ['-c', `umask 000; exec ${q(process.execPath)} ${[CLI, ...upArgs(data, kc)].map(q).join(' ')}`], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout.on('data', (d) => (out += d));
      proc.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
      try {
        await until(() => existsSync(join(data, 'kubeconfig')), { timeout: 20_000, what: `start: ${out}` });
        for (const f of [
          'state.db',
          'state.db-wal',
          'state.db-shm',
          'token',
          'kubeconfig',
          join('pki', 'ca.key'),
          join('pki', 'apiserver.key'),
          join('pki', 'sa.key'),
        ]) {
          expect(`${f} ${mode(join(data, f)).toString(8)}`).toBe(`${f} 600`);
        }
        expect(mode(join(data, 'pods'))).toBe(0o700);
        // The data dir itself is the user's: left as it was.
        expect(mode(data)).toBe(0o755);
      } finally {
        proc.kill('SIGTERM');
        expect(await exited).toBe(0);
      }
      // A database an older tinykube left 0644 is made private at the next start.
      chmodSync(join(data, 'state.db'), 0o644);
      await makeCluster(data);
      expect(mode(join(data, 'state.db'))).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a zero-length state.db', () => {
  it('next to a cluster (pki, token): the start is refused in one line and nothing is overwritten', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-zero-'));
    try {
      const data = join(dir, 'data');
      await makeCluster(data);
      truncateSync(join(data, 'state.db'), 0);
      rmSync(join(data, 'state.db-wal'), { force: true });
      rmSync(join(data, 'state.db-shm'), { force: true });
      const run = runCli(upArgs(data, join(dir, 'kc.yaml')));
      let ex: { code: number | null } | undefined;
      void run.exited.then((e) => (ex = e));
      try {
        // (An old tinykube started an empty cluster here and kept running.)
        await until(() => ex !== undefined || existsSync(join(dir, 'kc.yaml')), { timeout: 20_000, what: 'exit' });
      } finally {
        if (!ex) run.proc.kill('SIGKILL');
      }
      expect(ex?.code).toBe(1);
      expect(run.stderr()).toBe(
        `tinykube: ${join(data, 'state.db')} is empty (0 bytes) but the data dir holds a cluster (pki/ca.crt, pki/ca.key, token): its objects are lost, so tinykube will not start an empty cluster over it; restore state.db from a backup, or delete the data dir to start afresh (tinykube reset --data-dir ${data})\n`,
      );
      expect(statSync(join(data, 'state.db')).size).toBe(0);
      await expect(startCluster({ ...quiet, dataDir: data })).rejects.toThrow(/is empty \(0 bytes\) but the data dir holds a cluster/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in a new data dir (a first start that stopped before SQLite wrote anything): starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-zero-new-'));
    try {
      writeFileSync(join(dir, 'state.db'), '');
      await makeCluster(dir, async (c) => {
        expect((await api(c, 'GET', '/api/v1/namespaces/default')).status).toBe(200);
      });
      expect(statSync(join(dir, 'state.db')).size).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a corrupt row', () => {
  it('is skipped and reported (log line, Event, /readyz?verbose); everything else is served; the row stays as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-corrupt-'));
    try {
      let goodIP = '';
      let badIP = '';
      await makeCluster(dir, async (c) => {
        const svc = (name: string) => ({ metadata: { name }, spec: { ports: [{ port: 80 }] } });
        goodIP = (await api(c, 'POST', '/api/v1/namespaces/default/services', { body: svc('good') })).json().spec.clusterIP;
        badIP = (await api(c, 'POST', '/api/v1/namespaces/default/services', { body: svc('bad') })).json().spec.clusterIP;
        expect(
          (await api(c, 'POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'keep' }, data: { k: 'v' } } }))
            .status,
        ).toBe(201);
      });
      // Damage one row with the sqlite3 API, as a bad disk or a careless hand would.
      const file = join(dir, 'state.db');
      let db = new Database(file);
      const broken = (
        db
          .prepare("SELECT data FROM objects WHERE resource = 'services' AND namespace = 'default' AND name = 'bad'")
          .pluck()
          .get() as string
      ).slice(0, 60);
      db.prepare("UPDATE objects SET data = ? WHERE resource = 'services' AND namespace = 'default' AND name = 'bad'").run(broken);
      db.close();

      const lines: string[] = [];
      const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }));
      const c = await startCluster({ ...quiet, dataDir: dir, logger });
      try {
        // Everything else is there.
        const good = await api(c, 'GET', '/api/v1/namespaces/default/services/good');
        expect(good.status).toBe(200);
        expect(good.json().spec.clusterIP).toBe(goodIP);
        expect((await api(c, 'GET', '/api/v1/namespaces/default/configmaps/keep')).json().data).toEqual({ k: 'v' });
        expect((await api(c, 'GET', '/api/v1/namespaces/default/services/bad')).status).toBe(404);
        const names = (await api(c, 'GET', '/api/v1/namespaces/default/services'))
          .json()
          .items.map((s: { metadata: { name: string } }) => s.metadata.name);
        expect(names).toEqual(['good', 'kubernetes']);
        // Reported: a log line, an Event about it, and the readiness details.
        const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'skipping an unreadable stored object');
        expect(logged).toMatchObject({ level: 50, resource: 'services', namespace: 'default', name: 'bad' });
        const ev = await until(async () =>
          (await api(c, 'GET', '/api/v1/namespaces/default/events'))
            .json()
            .items.find((e: { reason: string }) => e.reason === 'UnreadableObject'),
        );
        expect(ev).toMatchObject({
          type: 'Warning',
          involvedObject: { kind: 'Service', apiVersion: 'v1', namespace: 'default', name: 'bad' },
          source: { component: 'tinykube-store' },
        });
        expect(ev.message).toMatch(
          /^the stored object services default\/bad \(resourceVersion \d+\) cannot be read \(.+\): it is skipped and left in the database as it was; /,
        );
        const readyz = await until(async () => {
          const r = await api(c, 'GET', '/readyz?verbose', { token: null });
          return r.text.includes('unreadable') ? r : undefined;
        });
        expect(readyz.status).toBe(200);
        expect(readyz.text).toContain('[+]store ok: 1 unreadable stored object skipped (services default/bad)\n');
        // Its ClusterIP is not handed out again while the row waits for repair.
        const ips = [];
        for (let i = 0; i < 3; i++)
          ips.push(
            (
              await api(c, 'POST', '/api/v1/namespaces/default/services', {
                body: { metadata: { name: `new-${i}` }, spec: { ports: [{ port: 80 }] } },
              })
            ).json().spec.clusterIP,
          );
        expect(ips).not.toContain(badIP);
        expect(c.store.db.prepare("SELECT count(*) FROM allocations WHERE owner = 'default/bad'").pluck().get()).toBeGreaterThan(0);
      } finally {
        await c.stop();
      }
      db = new Database(file, { readonly: true });
      expect(
        db.prepare("SELECT data FROM objects WHERE resource = 'services' AND namespace = 'default' AND name = 'bad'").pluck().get(),
      ).toBe(broken);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- real read-only and full file systems ----

/** Whether this machine lets us mount a tmpfs in a private mount namespace (root, util-linux). */
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const d = mkdtempSync(join(tmpdir(), 'tk-mnt-probe-'));
  try {
    return (
      spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs -o size=64k tmpfs '${d}'`]).status === 0
    );
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
})();

/** Runs `setup` then the CLI in a private mount namespace: its mounts vanish with it. */
function cliInMountNamespace(setup: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = `set -e\n${setup}\nexec ${q(process.execPath)} ${[CLI, ...args].map(q).join(' ')}`;
  return new Promise((resolve) => {
    const p = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('startup errors name the path and the real cause', () => {
  it('read-only: a data dir that cannot be created is EROFS (not ENOENT); a read-only state.db is EROFS (not "unable to open database file")', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-erofs-'));
    try {
      const kc = join(dir, 'kc.yaml');
      if (canMount) {
        const m = join(dir, 'm');
        mkdirSync(m);
        let r = await cliInMountNamespace(
          `mount -t tmpfs -o size=1m tmpfs '${m}'\nmount -o remount,ro '${m}'`,
          upArgs(join(m, 'new', 'data'), kc),
        );
        expect(r).toEqual({
          code: 1,
          stderr: `tinykube: cannot create data dir ${join(m, 'new', 'data')}: read-only file system (EROFS)\n`,
        });
        const data = join(dir, 'data');
        await makeCluster(data);
        const db = join(data, 'state.db');
        r = await cliInMountNamespace(`mount --bind '${db}' '${db}'\nmount -o remount,bind,ro '${db}'`, upArgs(data, kc));
        expect(r).toEqual({ code: 1, stderr: `tinykube: cannot open the database ${db}: read-only file system (EROFS)\n` });
      } else {
        // Without mounts (not root: chmod is enough; the OS's cause is then EACCES).
        const ro = join(dir, 'ro');
        mkdirSync(ro);
        chmodSync(ro, 0o555);
        const r = runCli(upArgs(join(ro, 'data'), kc));
        expect((await r.exited).code).toBe(1);
        expect(r.stderr()).toBe(`tinykube: cannot create data dir ${join(ro, 'data')}: permission denied (EACCES)\n`);
        chmodSync(ro, 0o755);
      }
      expect(existsSync(kc)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a full file system: ENOSPC for the pid file and for state.db (not "disk I/O error")', async () => {
    // ENOSPC needs a file system that can really be filled: a small tmpfs (root only).
    if (!canMount) return;
    const dir = mkdtempSync(join(tmpdir(), 'tk-enospc-'));
    try {
      const m = join(dir, 'm');
      mkdirSync(m);
      const kc = join(dir, 'kc.yaml');
      const fill = `mount -t tmpfs -o size=1m tmpfs '${m}'\nmkdir '${m}/data'`;
      const fillUp = `dd if=/dev/zero of='${m}/fill' bs=4k 2>/dev/null || true`;
      let r = await cliInMountNamespace(`${fill}\n${fillUp}`, upArgs(join(m, 'data'), kc));
      expect(r).toEqual({
        code: 1,
        stderr: `tinykube: cannot write the pid file ${join(m, 'data', 'tinykube.pid')}: no space left on device (ENOSPC)\n`,
      });
      // One page left: the pid file fits, the database does not.
      r = await cliInMountNamespace(
        `${fill}\ndd if=/dev/zero of='${m}/reserve' bs=4k count=1 2>/dev/null\n${fillUp}\nrm '${m}/reserve'`,
        upArgs(join(m, 'data'), kc),
      );
      expect(r).toEqual({
        code: 1,
        stderr: `tinykube: cannot open the database ${join(m, 'data', 'state.db')}: no space left on device (ENOSPC)\n`,
      });
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
