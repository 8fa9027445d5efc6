// The commands around `up` (dist/cli.js, as npm users run it): up --detach, status, kubeconfig,
// down, reset; one data dir per tinykube; errors as one line with exit code 1.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { alive } from '../../src/cli/instance.js';
import { CLI, runCli } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';
import { runKubectl } from '../helpers/cluster.js';

// DNS on a free port, forwarding nowhere (address ranges: each cluster's own host slot).
const DNS_FLAGS = ['--dns-listen', '127.0.0.1:0', '--dns-upstream', '127.0.0.1:1'];

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tk-cli-cmd-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, HOME: join(work, 'home'), KUBECONFIG: join(work, 'home', 'config'), XDG_DATA_HOME: join(work, 'xdg'), ...extra };
}

function tk(args: string[], extra: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: env(extra), timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

/** One line on stderr, `tinykube: ...`, no stack trace. */
function expectOneLineError(r: Run, msg: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^tinykube: [^\n]+\n$/);
  expect(r.stderr).toMatch(msg);
}

describe('tinykube up runs the cluster bundle', () => {
  it('from dist/cluster.cjs through the V8 code cache (a start that bundled the cluster into the ES chunks would write none)', async () => {
    const cacheDir = join(work, 'code-cache');
    const dir = join(work, 'cc');
    const up = await tk(['up', '--detach', '--data-dir', dir, '--api-listen', '127.0.0.1:0', ...DNS_FLAGS], {
      TINYKUBE_CACHE_DIR: cacheDir,
    });
    expect(up.code, up.stderr).toBe(0);
    try {
      // Written a second after the start (or at exit): the compiled code of the whole start.
      const file = await until(
        () =>
          existsSync(cacheDir)
            ? readdirSync(cacheDir, { recursive: true })
                .map(String)
                .find((f) => /cluster\.cjs-[0-9a-f]{16}-v[\d.]+\.v8cache$/.test(f))
            : undefined,
        { what: 'the code cache of dist/cluster.cjs' },
      );
      expect(statSync(join(cacheDir, file)).size).toBeGreaterThan(100_000);
    } finally {
      // Stopped also when the wait fails: a detached cluster outlives the test otherwise.
      expect((await tk(['down', '--data-dir', dir])).code).toBe(0);
    }
  });
});

describe('tinykube up --detach, status, kubeconfig, down, reset', () => {
  it('manages a background cluster through its data dir', async () => {
    const dir = join(work, 'bg');
    const up = await tk(['up', '--detach', '--data-dir', dir, '--api-listen', '127.0.0.1:0', ...DNS_FLAGS]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^Starting tinykube "tinykube" \(data dir .*bg\)\n/);
    expect(up.stdout).toContain(`Stop it with: tinykube down --data-dir ${dir}`);
    const pid = Number(/Running in the background \(pid (\d+), pid file (\S+)\); log: (\S+)\n$/.exec(up.stdout)?.[1]);
    expect(alive(pid)).toBe(true);
    // The background process writes its output to the log in the data dir.
    expect(readFileSync(join(dir, 'tinykube.log'), 'utf8')).toContain('is up in');

    const st = await tk(['status', '--data-dir', dir]);
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(
      new RegExp(
        `^tinykube "tinykube" is running \\(pid ${pid}\\), ready\\n {2}API server {2}https://127\\.0\\.0\\.1:\\d+\\n {2}data {8}${dir}\\n {2}log {9}${dir}/tinykube.log\\n$`,
      ),
    );

    // kubeconfig prints a working standalone kubeconfig; the merged context is the same cluster.
    const kc = await tk(['kubeconfig', '--data-dir', dir]);
    expect(kc.code).toBe(0);
    const kcFile = join(work, 'bg.yaml');
    writeFileSync(kcFile, kc.stdout);
    const ns = await runKubectl(['--kubeconfig', kcFile, '--cache-dir', join(work, 'cache'), 'get', 'ns', 'default', '-o', 'name']);
    expect(ns.stdout.trim()).toBe('namespace/default');
    const merged = YAML.parse(readFileSync(join(work, 'home', 'config'), 'utf8'));
    expect(merged.contexts.map((c: { name: string }) => c.name)).toContain('tinykube');

    // A second tinykube on the same data dir: one line, at once, naming the first.
    const again = await tk(['up', '--data-dir', dir, '--api-listen', '127.0.0.1:0', ...DNS_FLAGS]);
    expectOneLineError(
      again,
      new RegExp(
        `^tinykube: data dir ${dir} is in use by another tinykube \\(pid ${pid}\\); stop it with: tinykube down --data-dir ${dir}\\n$`,
      ),
    );
    const againDetached = await tk(['up', '--detach', '--data-dir', dir, '--api-listen', '127.0.0.1:0', ...DNS_FLAGS]);
    expectOneLineError(againDetached, /is in use by another tinykube/);
    // reset refuses while it runs.
    expectOneLineError(
      await tk(['reset', '--yes', '--data-dir', dir]),
      new RegExp(`tinykube \\(pid ${pid}\\) is running on ${dir}: stop it first`),
    );

    const down = await tk(['down', '--data-dir', dir]);
    expect(down.code).toBe(0);
    expect(down.stdout).toBe(`stopped tinykube (pid ${pid}); its state stays in ${dir} (tinykube reset --data-dir ${dir} deletes it)\n`);
    expect(alive(pid)).toBe(false);
    expect(existsSync(join(dir, 'tinykube.pid'))).toBe(false);
    expect(existsSync(join(dir, 'state.db'))).toBe(true);
    // Stopped: status says so with exit code 1; down again is fine.
    const st2 = await tk(['status', '--data-dir', dir]);
    expect(st2).toMatchObject({ code: 1, stdout: `tinykube "tinykube" is stopped (data dir ${dir})\n` });
    expect(await tk(['down', '--data-dir', dir])).toMatchObject({ code: 0, stdout: `tinykube is not running (data dir ${dir})\n` });

    // reset: needs confirmation (stdin is not a terminal here), then deletes the dir and our context.
    expectOneLineError(await tk(['reset', '--data-dir', dir]), /reset deletes .*: pass --yes to confirm/);
    expect(existsSync(dir)).toBe(true);
    const reset = await tk(['reset', '--yes', '--data-dir', dir]);
    expect(reset).toMatchObject({ code: 0, stdout: `deleted ${dir} and its context "tinykube"\n` });
    expect(existsSync(dir)).toBe(false);
    const after = YAML.parse(readFileSync(join(work, 'home', 'config'), 'utf8'));
    expect(after.contexts.map((c: { name: string }) => c.name)).not.toContain('tinykube');
    expect(await tk(['reset', '--yes', '--data-dir', dir])).toMatchObject({ code: 0, stdout: `nothing to reset: ${dir} does not exist\n` });
  }, 90_000);

  it('finds the data dir by --name like up does', async () => {
    const up = await tk(['up', '--detach', '--name', 'named', '--api-listen', '127.0.0.1:0', ...DNS_FLAGS]);
    expect(up.code, up.stderr).toBe(0);
    const dir = join(work, 'xdg', 'tinykube', 'named');
    expect(up.stdout).toContain(`data        ${dir}\n`);
    expect(up.stdout).toContain('Stop it with: tinykube down --name named');
    expect((await tk(['status', '--name', 'named'])).stdout).toMatch(/^tinykube "named" is running/);
    expect(YAML.parse((await tk(['kubeconfig', '--name', 'named'])).stdout)['current-context']).toBe('named');
    expect((await tk(['down', '--name', 'named'])).code).toBe(0);
    expect((await tk(['reset', '--name', 'named', '-y'])).stdout).toBe(`deleted ${dir} and its context "named"\n`);
  }, 60_000);

  it("reset says only what it did to the kubeconfig: a context that is not there, or is another cluster's, stays unmentioned or is named as left", async () => {
    const kc = join(work, 'reset-kc', 'config');
    // Three stopped clusters of one name, each started after the other: the context "twin" in the
    // kubeconfig is the last one's.
    const servers: string[] = [];
    for (const d of ['twin-a', 'twin-b', 'twin-c']) {
      const up = await tk(['up', '--detach', '--name', 'twin', '--data-dir', join(work, d), '--api-listen', '127.0.0.1:0', ...DNS_FLAGS], {
        KUBECONFIG: kc,
      });
      expect(up.code, up.stderr).toBe(0);
      servers.push(YAML.parse((await tk(['kubeconfig', '--data-dir', join(work, d)])).stdout).clusters[0].cluster.server);
      expect((await tk(['down', '--data-dir', join(work, d)])).code).toBe(0);
    }
    expect(new Set(servers).size).toBe(3);
    const twin = () => YAML.parse(readFileSync(kc, 'utf8')).clusters.find((c: { name: string }) => c.name === 'twin')?.cluster.server;
    expect(twin()).toBe(servers[2]);

    // The first one's reset: the context points at another server, and stays.
    const a = await tk(['reset', '--yes', '--data-dir', join(work, 'twin-a')], { KUBECONFIG: kc });
    expect(a).toMatchObject({
      code: 0,
      stderr: '',
      stdout: `deleted ${join(work, 'twin-a')}; left the context "twin" in ${kc} as it was: it points at another server (${servers[2]})\n`,
    });
    expect(twin()).toBe(servers[2]);
    // The last one's: its context goes.
    const c = await tk(['reset', '--yes', '--data-dir', join(work, 'twin-c')], { KUBECONFIG: kc });
    expect(c).toMatchObject({ code: 0, stderr: '', stdout: `deleted ${join(work, 'twin-c')} and its context "twin"\n` });
    expect(twin()).toBeUndefined();
    expect(YAML.parse(readFileSync(kc, 'utf8')).contexts.map((x: { name: string }) => x.name)).not.toContain('twin');
    // The second one's: no such context any more; the kubeconfig is not touched.
    const before = readFileSync(kc, 'utf8');
    const b = await tk(['reset', '--yes', '--data-dir', join(work, 'twin-b')], { KUBECONFIG: kc });
    expect(b).toMatchObject({ code: 0, stderr: '', stdout: `deleted ${join(work, 'twin-b')}\n` });
    expect(readFileSync(kc, 'utf8')).toBe(before);

    // No kubeconfig at all: none is created, none is mentioned.
    const solo = join(work, 'solo');
    const soloKc = join(work, 'reset-kc-solo', 'config');
    expect(
      (await tk(['up', '--detach', '--data-dir', solo, '--api-listen', '127.0.0.1:0', ...DNS_FLAGS], { KUBECONFIG: soloKc })).code,
    ).toBe(0);
    expect((await tk(['down', '--data-dir', solo])).code).toBe(0);
    rmSync(soloKc);
    expect(await tk(['reset', '--yes', '--data-dir', solo], { KUBECONFIG: soloKc })).toMatchObject({
      code: 0,
      stderr: '',
      stdout: `deleted ${solo}\n`,
    });
    expect(existsSync(soloKc)).toBe(false);
  }, 90_000);

  it('replaces a pid file left by a tinykube that died', async () => {
    const dir = join(work, 'stale');
    mkdirSync(dir, { recursive: true });
    // A pid that is certainly gone: a child that already exited.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, 'tinykube.pid'), `${dead}\n`);
    const run = runCli(
      ['up', '--data-dir', dir, '--api-listen', '127.0.0.1:0', '--kubeconfig', join(work, 'stale.yaml'), ...DNS_FLAGS],
      env(),
    );
    await until(() => run.stdout().includes('is up in'), { timeout: 20_000, what: 'start' });
    expect(readFileSync(join(dir, 'tinykube.pid'), 'utf8').trim()).toBe(String(run.proc.pid));
    // tinykube down works for a foreground cluster too.
    expect((await tk(['down', '--data-dir', dir])).code).toBe(0);
    expect((await run.exited).code).toBe(0);
    expect(existsSync(join(dir, 'tinykube.pid'))).toBe(false);
  }, 60_000);
});

describe('one-line errors', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('says which address is taken, with a stack trace only with --verbose', async () => {
    const args = ['up', '--in-memory', '--api-listen', `127.0.0.1:${port}`, '--kubeconfig', join(work, 'never.yaml'), ...DNS_FLAGS];
    const r = await tk(args);
    expectOneLineError(
      r,
      new RegExp(
        `^tinykube: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use \\(another tinykube\\? see tinykube status, or choose another address with --api-listen\\)\\n$`,
      ),
    );
    const v = await tk([...args, '--verbose']);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/\n\s+at /);
    expect(v.stderr).toMatch(/\ntinykube: cannot listen on 127\.0\.0\.1:\d+: address already in use/);
  }, 30_000);

  it('refuses what it cannot do, in one line', async () => {
    expectOneLineError(await tk(['up', '--detach', '--in-memory']), /^tinykube: --detach needs a data dir/);
    expectOneLineError(await tk(['up', '--bogus']), /^tinykube: unknown option '--bogus' \(see tinykube up --help\)\n$/);
    expectOneLineError(await tk(['frobnicate']), /^tinykube: unknown command 'frobnicate' \(see tinykube --help\)\n$/);
    expectOneLineError(
      await tk(['kubeconfig', '--data-dir', join(work, 'none')]),
      /^tinykube: no kubeconfig in .*none: start the cluster first \(tinykube up --data-dir .*none\)\n$/,
    );
    expectOneLineError(await tk(['down', '--timeout', 'soon']), /--timeout: invalid value "soon"/);
    // reset never deletes a directory that is not a data dir.
    const notOurs = join(work, 'precious');
    mkdirSync(notOurs);
    writeFileSync(join(notOurs, 'thesis.txt'), 'x');
    expectOneLineError(await tk(['reset', '--yes', '--data-dir', notOurs]), /does not look like a tinykube data dir .*; not deleting it/);
    expect(existsSync(join(notOurs, 'thesis.txt'))).toBe(true);
  }, 30_000);

  it('prints help with examples for every command, and for no command at all', async () => {
    const bare = await tk([]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/^Usage: tinykube \[options\] \[command\]/);
    for (const cmd of ['up', 'down', 'status', 'kubeconfig', 'reset', 'version']) {
      const h = await tk([cmd, '--help']);
      expect(h.code, cmd).toBe(0);
      expect(h.stdout, cmd).toMatch(new RegExp(`^Usage: tinykube ${cmd} `));
      expect(h.stdout, cmd).toMatch(/\nExamples:\n {2}tinykube /);
    }
    expect((await tk(['version'])).stdout).toMatch(/^tinykube v1\.32\.0-tinykube\.\S+ \(linux\/amd64, node \d+\.\d+\.\d+\)\n$/);
  }, 30_000);
});
