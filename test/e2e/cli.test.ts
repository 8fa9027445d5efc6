// The CLI as users run it: `tinykube up` with the contract flags, kubeconfig handling, health
// endpoints, clean shutdown on signals, clear errors for bad flags.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import YAML from 'yaml';
import { runCli, readKubeconfig } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';
import { runKubectl } from '../helpers/cluster.js';
import { nthIP } from '../helpers/ranges.js';

async function get(info: { server: string; ca: string; token?: string }, path: string) {
  const agent = new Agent({ connect: { ca: info.ca } });
  const res = await request(info.server + path, {
    headers: info.token ? { authorization: `Bearer ${info.token}` } : {},
    dispatcher: agent,
  });
  const text = await res.body.text();
  await agent.close();
  return { status: res.statusCode, text };
}

describe('tinykube up', () => {
  it('starts with a data dir, writes a standalone kubeconfig, serves kubectl and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-cli-'));
    try {
      const kubeconfig = join(dir, 'kc.yaml');
      const run = runCli([
        'up',
        '--data-dir',
        join(dir, 'data'),
        '--api-listen',
        '127.0.0.1:0',
        '--kubeconfig',
        kubeconfig,
        '--name',
        'clitest',
      ]);
      await until(() => existsSync(kubeconfig) && run.stdout().includes('clitest'), { timeout: 20_000, what: 'kubeconfig' });
      const info = readKubeconfig(kubeconfig);
      expect(info.context).toBe('clitest');
      expect((await get(info, '/readyz')).text).toBe('ok');
      expect((await get(info, '/livez')).status).toBe(200);
      const r = await runKubectl(['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'ns', 'default', '-o', 'name']);
      expect(r.stdout.trim()).toBe('namespace/default');
      expect(existsSync(join(dir, 'data', 'state.db'))).toBe(true);
      expect(existsSync(join(dir, 'data', 'pki', 'ca.crt'))).toBe(true);
      // The banner names the DNS server (the kube-dns address, the tenth of the service CIDR of its
      // host slot, port 53 or a free one) and a dig line.
      const kubeDNS = JSON.parse(
        (
          await runKubectl([
            '--kubeconfig',
            kubeconfig,
            '--cache-dir',
            join(dir, 'cache'),
            'get',
            'svc',
            'kube-dns',
            '-n',
            'kube-system',
            '-o',
            'json',
          ])
        ).stdout,
      ).spec.clusterIP as string;
      await until(() => run.stdout().includes('\n  Pods '), { timeout: 10_000, what: 'the banner' });
      const serviceCIDR = /\n  Services {4}([^,\s]+)[,\n]/.exec(run.stdout())?.[1];
      expect(serviceCIDR, run.stdout()).toBeDefined();
      expect(kubeDNS).toBe(nthIP(serviceCIDR!, 10));
      const esc = kubeDNS.replace(/\./g, '\\.');
      expect(run.stdout()).toMatch(new RegExp(`\\n  DNS {9}${esc}:\\d+ \\(UDP and TCP\\)`));
      expect(run.stdout()).toMatch(new RegExp(`dig @${esc} -p \\d+ kubernetes\\.default\\.svc\\.cluster\\.local`));
      run.proc.kill('SIGTERM');
      const ex = await run.exited;
      expect(ex.code).toBe(0);
      expect(run.stderr()).not.toMatch(/Error|at .*\.js:\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('merges a context into $KUBECONFIG like kind and keeps the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-cli-'));
    try {
      const kcPath = join(dir, 'config');
      writeFileSync(
        kcPath,
        YAML.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'other', cluster: { server: 'https://127.0.0.1:1' } }],
          users: [{ name: 'other', user: { token: 'x' } }],
          contexts: [{ name: 'other', context: { cluster: 'other', user: 'other' } }],
          'current-context': 'other',
        }),
      );
      const run = runCli(['up', '--in-memory', '--api-listen', '127.0.0.1:0', '--name', 'merged'], { KUBECONFIG: kcPath, HOME: dir });
      await until(() => readFileSync(kcPath, 'utf8').includes('merged'), { timeout: 20_000, what: 'merged kubeconfig' });
      const kc = YAML.parse(readFileSync(kcPath, 'utf8'));
      expect(kc['current-context']).toBe('merged');
      expect(kc.contexts.map((c: { name: string }) => c.name).sort()).toEqual(['merged', 'other']);
      const info = readKubeconfig(kcPath, 'merged');
      expect((await get(info, '/api/v1/namespaces/default')).status).toBe(200);
      run.proc.kill('SIGINT');
      expect((await run.exited).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects malformed flags with a clear message', async () => {
    const bad: [string[], RegExp][] = [
      [['--api-listen', 'nope'], /--api-listen/],
      [['--service-cidr', '10.96.0.0/99'], /--service-cidr/],
      [['--pod-cidr', 'banana'], /--pod-cidr/],
      [['--service-node-port-range', '32000-30000'], /--service-node-port-range/],
      [['--dns-listen', '127.0.0.1:99999'], /--dns-listen/],
      [['--name', 'Not A Name'], /--name/],
      [['--pod-isolation', 'chroot'], /--pod-isolation: invalid value "chroot": must be one of auto, mount, userns, none/],
      [['--max-endpoints-per-slice', '1001'], /--max-endpoints-per-slice: invalid value "1001": must be between 1 and 1000/],
      [['--dns-ttl', '-1'], /--dns-ttl/],
      [['--nodeport-addresses', '127.0.0.1/33'], /--nodeport-addresses: invalid CIDR "127\.0\.0\.1\/33"/],
    ];
    for (const [args, msg] of bad) {
      const run = runCli(['up', '--in-memory', '--api-listen', '127.0.0.1:0', '--kubeconfig', '/dev/null', ...args]);
      const ex = await run.exited;
      expect(ex.code, args.join(' ')).toBe(1);
      expect(run.stderr()).toMatch(msg);
      expect(run.stderr()).not.toMatch(/\n\s+at /);
    }
  });
});
