// Several `tinykube up` on one host (issue 20): a second one of the same name that would take over
// the kubeconfig context is refused in one line; another name gets its own ranges, a free API port
// when 6443 is taken (said in the banner); an explicit range of a running cluster is refused naming
// it; a foreground `up` stops when the process that started it is killed.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli, type CliRun } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';

const home = mkdtempSync(join(tmpdir(), 'tk-many-'));
const env = { HOME: home, XDG_DATA_HOME: join(home, 'data'), KUBECONFIG: '' };
const runs: CliRun[] = [];
afterAll(async () => {
  for (const r of runs) r.proc.kill('SIGTERM');
  await Promise.all(runs.map((r) => r.exited));
  rmSync(home, { recursive: true, force: true });
});

const up = (args: string[]) => {
  const r = runCli(['up', '--in-memory', '--dns-upstream', '127.0.0.1:1', ...args], env);
  runs.push(r);
  return r;
};
const ready = (r: CliRun) => until(() => r.stdout().includes(' is up in '), { timeout: 30_000, what: 'the banner' });
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('tinykube up, twice on one host', () => {
  let squatter: Server | undefined;
  afterAll(() => squatter?.close());

  it('refuses a second cluster of the same name merging into the same kubeconfig; another name gets its own ranges and a free API port', async () => {
    // 6443 held by someone else (a real Kubernetes, say) unless a cluster of ours already has it.
    squatter = createServer();
    await new Promise<void>((r) => squatter!.once('error', () => r()).listen(6443, '127.0.0.1', () => r()));
    const first = up(['--api-listen', '127.0.0.1:0']);
    await ready(first);
    const second = up(['--api-listen', '127.0.0.1:0']);
    const ex = await second.exited;
    expect(ex.code).toBe(1);
    const kc = join(home, '.kube', 'config');
    expect(second.stderr()).toBe(
      `tinykube: a cluster named "tinykube" is already running (pid ${first.proc.pid}, in memory) with its context in ${kc}; choose another --name, stop it (tinykube down), or pass --kubeconfig FILE to keep this one's kubeconfig apart\n`,
    );
    // With its own kubeconfig file it is not in the way: both run.
    const apart = up(['--api-listen', '127.0.0.1:0', '--kubeconfig', join(home, 'apart.yaml')]);
    await ready(apart);

    const dev = up(['--name', 'dev']);
    await ready(dev);
    const banner = dev.stdout();
    expect(banner).toMatch(
      /\n  note {8}127\.0\.0\.1:6443 is in use \(by another program or cluster\): the API server listens on port \d+ instead\n/,
    );
    const services = (s: string) => /\n  Services {4}(\S+), NodePorts (\d+-\d+)/.exec(s)!.slice(1);
    expect(new Set([services(first.stdout())[0], services(apart.stdout())[0], services(banner)[0]]).size).toBe(3);
    expect(new Set([services(first.stdout())[1], services(apart.stdout())[1], services(banner)[1]]).size).toBe(3);
    // The merged kubeconfig has both contexts, each pointing at its own server.
    const text = readFileSync(kc, 'utf8');
    expect(text).toContain('name: tinykube');
    expect(text).toContain('name: dev');

    // `tinykube list` shows them all, with what the banners said.
    const listed = runCli(['list'], env);
    expect((await listed.exited).code).toBe(0);
    const lines = listed.stdout().trim().split('\n');
    expect(lines[0]).toMatch(/^NAME +PID +KIND +SLOT +API SERVER +SERVICES +PODS +NODEPORTS +DATA$/);
    for (const r of [first, apart, dev]) {
      const [svc, nodePorts] = services(r.stdout());
      const row = lines.find((l) => l.split(/ +/)[1] === String(r.proc.pid));
      expect(row?.split(/ +/)).toEqual([
        expect.any(String),
        String(r.proc.pid),
        'cli',
        expect.stringMatching(/^\d+$/),
        expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/),
        svc,
        expect.stringMatching(/^127\./),
        nodePorts,
        '(in',
        'memory)',
      ]);
    }
    const json = runCli(['list', '-o', 'json'], env);
    expect((await json.exited).code).toBe(0);
    const recs = JSON.parse(json.stdout()) as { pid: number; name: string; kubeconfig?: string }[];
    expect(recs.find((x) => x.pid === dev.proc.pid)).toMatchObject({ name: 'dev', kubeconfig: kc });
  });

  it('refuses an explicit range of a running cluster in one line naming it', async () => {
    const first = runs[0]!;
    const [svc] = /\n  Services {4}(\S+),/.exec(first.stdout())!.slice(1);
    const r = up(['--name', 'clash', '--api-listen', '127.0.0.1:0', '--service-cidr', svc!]);
    expect((await r.exited).code).toBe(1);
    expect(r.stderr()).toBe(
      `tinykube: --service-cidr: ${svc} overlaps the service CIDR ${svc} of the running cluster "tinykube" (pid ${first.proc.pid}, in memory): choose another range, or leave it out to get a free one\n`,
    );
  });

  it('stops a foreground cluster whose starter is killed', async () => {
    const kcFile = join(home, 'orphan.yaml');
    // A shell stands for the CI step or test runner that started tinykube.
    const sh = spawn(
      'sh',
      [
        '-c',
        `"${process.execPath}" "${CLI}" up --in-memory --dns-upstream 127.0.0.1:1 --api-listen 127.0.0.1:0 --kubeconfig "${kcFile}" >"${home}/orphan.log" 2>&1 & echo $!; wait`,
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let pidText = '';
    sh.stdout!.on('data', (d) => (pidText += d));
    await until(() => existsSync(kcFile) && readFileSync(join(home, 'orphan.log'), 'utf8').includes(' is up in '), {
      timeout: 30_000,
      what: 'the orphan-to-be',
    });
    const pid = Number(pidText.trim());
    expect(alive(pid)).toBe(true);
    sh.kill('SIGKILL');
    await until(async () => !alive(pid), { timeout: 15_000, every: 50 });
    expect(readFileSync(join(home, 'orphan.log'), 'utf8')).toMatch(/tinykube: its parent process \(pid \d+\) is gone: stopping\n/);
  });
});
