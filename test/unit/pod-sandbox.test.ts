// The pure parts of Pod volumes and the Pod sandbox: mount planning, resolv.conf by dnsPolicy, the
// managed hosts file, the atomic writer and the files of API-data volumes.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, readFileSync, readlinkSync, readdirSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  planMounts,
  podResolvConf,
  parseResolvConf,
  formatResolvConf,
  hostsFile,
  sandboxArgv,
  enterArgv,
} from '../../src/kubelet/sandbox.js';
import { podHostname } from '../../src/kubelet/env.js';
import { writeAtomic } from '../../src/kubelet/atomic-writer.js';
import { volumeFiles, MountError, type VolumeContext } from '../../src/kubelet/volumes.js';
import type { KubeObject } from '../../src/apimachinery/types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-sandbox-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('planMounts', () => {
  it('binds existing targets directly, read-only where asked, parents first', () => {
    const src = join(dir, 'vol');
    mkdirSync(src);
    const plan = planMounts(
      [
        { source: src, target: `${dir}/a/b`, readOnly: false },
        { source: src, target: dir, readOnly: true },
      ],
      join(dir, 'skel'),
      false,
    );
    const lines = plan.fstab.trim().split('\n');
    expect(lines[0]).toBe(`${src} ${dir} none bind,ro 0 0`);
    // The nested target is made inside the outer volume, not on the host.
    expect(lines[1]).toBe(`${src} ${dir}/a/b none bind 0 0`);
    expect(existsSync(join(src, 'a/b'))).toBe(true);
    expect(plan.skipped).toEqual([]);
  });

  it('shows a missing mount point through a read-only overlay of its nearest existing parent', () => {
    const parent = join(dir, 'etc');
    mkdirSync(parent);
    const src = join(dir, 'vol');
    mkdirSync(src);
    const plan = planMounts(
      [
        { source: src, target: `${parent}/config/deep`, readOnly: false },
        { source: src, target: `${parent}/other`, readOnly: false },
      ],
      join(dir, 'skel'),
      false,
    );
    const lines = plan.fstab.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`overlay ${parent} overlay lowerdir=${join(dir, 'skel', '0')}:${parent} 0 0`);
    expect(statSync(join(dir, 'skel/0/config/deep')).isDirectory()).toBe(true);
    expect(statSync(join(dir, 'skel/0/other')).isDirectory()).toBe(true);
    // Nothing was created on the "host" side.
    expect(readdirSync(parent)).toEqual([]);
  });

  it('escapes blanks for fstab and refuses file-over-directory mounts', () => {
    const spaced = join(dir, 'with space');
    mkdirSync(spaced);
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    const plan = planMounts(
      [
        { source: spaced, target: spaced, readOnly: false },
        { source: file, target: dir, readOnly: false },
      ],
      join(dir, 'skel'),
      false,
    );
    expect(plan.fstab).toContain('with\\040space');
    expect(plan.skipped).toEqual([{ target: dir, reason: `cannot mount a file over the directory ${dir}` }]);
  });

  it('cannot create a missing directory under / without root', () => {
    const plan = planMounts([{ source: dir, target: '/tinykube-no-such-top-level-dir', readOnly: false }], join(dir, 'skel'), false);
    expect(plan.fstab.trim()).toBe('');
    expect(plan.skipped[0]!.reason).toContain('only root may create it under /');
  });
});

describe('sandbox argv', () => {
  const iso = {
    mode: 'userns' as const,
    reason: '',
    tools: { unshare: '/u', setpriv: '/s', mount: '/m', sh: '/bin/sh', nsenter: '/n', hostname: '/h' },
  };
  it('enters a user namespace, sets pdeathsig inside it, mounts, renames, changes directory, execs', () => {
    const a = sandboxArgv(iso, { fstabPath: '/p/f', hostname: 'web', cwd: "/it's", argv: ['cmd', 'arg'] });
    expect(a.slice(0, 4)).toEqual(['/u', '-Urm', '--uts', '--']);
    expect(a.slice(4, 8)).toEqual(['/s', '--pdeathsig', 'KILL', '--']);
    expect(a[10]).toContain(`'/m' -n -a -T '/p/f' || exit 125`);
    expect(a[10]).toContain(`cd -- '/it'\\''s' || exit 126`);
    expect(a.slice(-3)).toEqual(['sh', 'cmd', 'arg']);
    expect(enterArgv(iso, 42, ['cat', 'x'])).toEqual([
      '/n',
      '-t',
      '42',
      '-m',
      '-u',
      '-U',
      '--preserve-credentials',
      '--wd',
      '--',
      '/s',
      '--pdeathsig',
      'KILL',
      '--',
      'cat',
      'x',
    ]);
    expect(enterArgv({ mode: 'none', reason: '' }, 42, ['x'])).toBeUndefined();
  });
});

const pod = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns1', uid: 'u1', ...meta },
  spec,
});

describe('resolv.conf by dnsPolicy', () => {
  const host = parseResolvConf('# comment\nnameserver 127.0.0.53\nsearch corp.example\noptions edns0 trust-ad\n');
  const cluster = { nameserver: '127.96.0.10', domain: 'cluster.local' };
  it('ClusterFirst: the cluster server, the namespace search path before the host one, ndots:5', () => {
    expect(formatResolvConf(podResolvConf(pod({ dnsPolicy: 'ClusterFirst' }), host, cluster))).toBe(
      'search ns1.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 127.96.0.10\noptions ndots:5\n',
    );
  });
  it('ClusterFirst without a cluster DNS server, and host networking, fall back to the host', () => {
    expect(podResolvConf(pod({}), host).nameservers).toEqual(['127.0.0.53']);
    expect(podResolvConf(pod({ hostNetwork: true }), host, cluster).nameservers).toEqual(['127.0.0.53']);
    expect(podResolvConf(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), host, cluster).nameservers).toEqual([
      '127.96.0.10',
    ]);
  });
  it('None uses dnsConfig only; dnsConfig merges into the others with options overriding by name', () => {
    expect(
      formatResolvConf(podResolvConf(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['a.b'] } }), host)),
    ).toBe('search a.b\nnameserver 1.2.3.4\n');
    const r = podResolvConf(
      pod({
        dnsPolicy: 'Default',
        dnsConfig: { nameservers: ['127.0.0.53', '9.9.9.9'], options: [{ name: 'edns0' }, { name: 'ndots', value: '1' }] },
      }),
      host,
    );
    expect(r.nameservers).toEqual(['127.0.0.53', '9.9.9.9']);
    expect(formatResolvConf(r)).toContain('options edns0 trust-ad ndots:1');
  });
});

describe('hosts file and hostname', () => {
  it('lists the Pod on each IP, with its FQDN when it has a subdomain', () => {
    const h = hostsFile({ ips: ['127.244.0.5'], hostname: 'web-0', domain: 'web.ns1.svc.cluster.local' });
    expect(h.split('\n').slice(-2)).toEqual(['127.244.0.5\tweb-0.web.ns1.svc.cluster.local\tweb-0', '']);
    expect(hostsFile({ ips: ['127.244.0.6'], hostname: 'p' })).toContain('\n127.244.0.6\tp\n');
  });
  it('cuts a long Pod name to 63 characters without a trailing dash or dot', () => {
    expect(podHostname(pod({}, { name: `${'a'.repeat(62)}-bcd` }))).toBe('a'.repeat(62));
    expect(podHostname(pod({ hostname: 'h' }))).toBe('h');
  });
});

describe('atomic writer', () => {
  it('writes through ..data, swaps on change, removes stale names, and skips an unchanged write', () => {
    const v = join(dir, 'v');
    expect(
      writeAtomic(
        v,
        new Map([
          ['a', { data: Buffer.from('1'), mode: 0o644 }],
          ['sub/b', { data: Buffer.from('2'), mode: 0o400 }],
        ]),
      ),
    ).toBe(true);
    expect(readFileSync(join(v, 'a'), 'utf8')).toBe('1');
    expect(readlinkSync(join(v, 'a'))).toBe('..data/a');
    expect(statSync(join(v, 'sub/b')).mode & 0o777).toBe(0o400);
    const first = readlinkSync(join(v, '..data'));
    expect(
      writeAtomic(
        v,
        new Map([
          ['a', { data: Buffer.from('1'), mode: 0o644 }],
          ['sub/b', { data: Buffer.from('2'), mode: 0o400 }],
        ]),
      ),
    ).toBe(false);
    expect(writeAtomic(v, new Map([['a', { data: Buffer.from('changed'), mode: 0o644 }]]))).toBe(true);
    expect(readFileSync(join(v, 'a'), 'utf8')).toBe('changed');
    expect(existsSync(join(v, 'sub'))).toBe(false);
    expect(existsSync(join(v, first))).toBe(false);
    expect(readdirSync(v).filter((n) => n.startsWith('..') && n !== '..data')).toHaveLength(1);
  });
});

describe('API-data volume files', () => {
  const objects: Record<string, KubeObject> = {
    'configmaps/cm': {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace: 'ns1' },
      data: { a: 'A', b: 'B' },
      binaryData: { bin: Buffer.from([0, 1, 2]).toString('base64') },
    } as KubeObject,
    'secrets/s': {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'ns1' },
      data: { pw: Buffer.from('hunter2').toString('base64') },
    } as KubeObject,
    'serviceaccounts/default': { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'ns1', uid: 'sa-uid' } },
  };
  const ctx = (issued: { req?: unknown }): VolumeContext => ({
    pod: pod(
      { serviceAccountName: 'default', containers: [{ name: 'c', resources: { limits: { memory: '64Mi' } } }] },
      { labels: { b: '2', a: '1' } },
    ),
    podIPs: ['127.244.0.9'],
    hostIP: '127.0.0.1',
    node: { cpu: '2', memory: '1G', ephemeralStorage: '10G' },
    getConfigMap: (_n, name) => objects[`configmaps/${name}`],
    getSecret: (_n, name) => objects[`secrets/${name}`],
    getServiceAccount: (_n, name) => objects[`serviceaccounts/${name}`],
    nodeName: 'node-a',
    issueToken: (req) => {
      issued.req = req;
      return { token: 'tok', expiresAt: new Date(Date.now() + 3600_000) };
    },
  });
  const text = (m: Map<string, { data: Buffer; mode: number }> | undefined, k: string) => m?.get(k)?.data.toString();

  it('configMap: all keys incl. binaryData, or the listed items; missing keys fail unless optional', () => {
    const all = volumeFiles({ name: 'v', configMap: { name: 'cm' } }, ctx({}))!;
    expect([...all.files.keys()].sort()).toEqual(['a', 'b', 'bin']);
    expect([...all.files.get('bin')!.data]).toEqual([0, 1, 2]);
    expect(all.refs).toEqual([{ kind: 'configmaps', name: 'cm' }]);
    const items = volumeFiles({ name: 'v', configMap: { name: 'cm', items: [{ key: 'a', path: 'x/y', mode: 0o600 }] } }, ctx({}))!;
    expect([...items.files.entries()].map(([k, f]) => [k, f.data.toString(), f.mode])).toEqual([['x/y', 'A', 0o600]]);
    expect(() => volumeFiles({ name: 'v', configMap: { name: 'cm', items: [{ key: 'zz', path: 'z' }] } }, ctx({}))).toThrow(
      'configmap references non-existent config key: zz',
    );
    expect(
      volumeFiles({ name: 'v', configMap: { name: 'cm', optional: true, items: [{ key: 'zz', path: 'z' }] } }, ctx({}))!.files.size,
    ).toBe(0);
    expect(() => volumeFiles({ name: 'v', configMap: { name: 'nope' } }, ctx({}))).toThrow(MountError);
    expect(volumeFiles({ name: 'v', configMap: { name: 'nope', optional: true } }, ctx({}))!.files.size).toBe(0);
  });

  it('secret: decoded bytes, upstream message for a missing one', () => {
    expect(text(volumeFiles({ name: 'v', secret: { secretName: 's' } }, ctx({}))!.files, 'pw')).toBe('hunter2');
    expect(() => volumeFiles({ name: 'v', secret: { secretName: 'gone' } }, ctx({}))).toThrow('secret "gone" not found');
  });

  it('downwardAPI: labels as sorted key="value" lines, resource limits', () => {
    const f = volumeFiles(
      {
        name: 'v',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
          ],
        },
      },
      ctx({}),
    )!.files;
    expect(text(f, 'labels')).toBe('a="1"\nb="2"');
    expect(text(f, 'mem')).toBe('64');
  });

  it('projected: the kube-api-access layout with a token bound to the Pod, refreshed before it expires', () => {
    const issued: { req?: unknown } = {};
    const r = volumeFiles(
      {
        name: 'kube-api-access-abcde',
        projected: {
          defaultMode: 0o644,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'cm', items: [{ key: 'a', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      },
      ctx(issued),
    )!;
    expect([...r.files.keys()].sort()).toEqual(['ca.crt', 'namespace', 'token']);
    expect(text(r.files, 'namespace')).toBe('ns1');
    expect(issued.req).toMatchObject({
      namespace: 'ns1',
      serviceAccount: { name: 'default', uid: 'sa-uid' },
      pod: { name: 'p', uid: 'u1' },
      expirationSeconds: 3607,
    });
    // 80% of one hour.
    expect(r.refreshAt! - Date.now()).toBeGreaterThan(2800_000);
    expect(r.refreshAt! - Date.now()).toBeLessThan(2900_000);
  });
});
