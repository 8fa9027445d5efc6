// src/kubelet/container-handle.ts alone: paths as the container sees them (its volumes at their
// mountPath) mapped to the host, commands found like execvp against the container's PATH, and the
// handle exec and attach use.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { containerHandle, findExecutable, hostPathOf } from '../../src/kubelet/container-handle.js';
import { ctr, pod, running, worker } from './kubelet-fakes.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-handle-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('hostPathOf', () => {
  const mounts = [
    { source: '/host/vol', target: '/data', readOnly: false },
    { source: '/host/inner', target: '/data/inner/', readOnly: false },
  ];
  it('maps a path into the volume mounted at its longest prefix', () => {
    expect(hostPathOf(mounts, '/data/x')).toBe('/host/vol/x');
    expect(hostPathOf(mounts, '/data')).toBe('/host/vol');
    expect(hostPathOf(mounts, '/data/inner/y')).toBe('/host/inner/y');
    expect(hostPathOf(mounts, '/database')).toBe('/database');
  });
  it('resolves .. as the container does, never to a path above the volume', () => {
    expect(hostPathOf(mounts, '/data/../etc/passwd')).toBe('/etc/passwd');
    expect(hostPathOf(mounts, '/data/inner/../z')).toBe('/host/vol/z');
  });
});

describe('findExecutable', () => {
  it('searches PATH through the container’s mounts, and takes a path with a slash as it is', () => {
    const bin = join(dir, 'vol', 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'tool'), '#!/bin/sh\n');
    chmodSync(join(bin, 'tool'), 0o755);
    writeFileSync(join(bin, 'data'), 'not executable');
    const host = (p: string) => hostPathOf([{ source: join(dir, 'vol'), target: '/opt', readOnly: true }], p);
    expect(findExecutable('tool', '/usr/bin:/opt/bin', '/', host)).toBe('/opt/bin/tool');
    expect(findExecutable('tool', '/usr/bin', '/', host)).toBeUndefined();
    expect(findExecutable('data', '/opt/bin', '/', host)).toBeUndefined();
    expect(findExecutable('/opt/bin/tool', '', '/', host)).toBe('/opt/bin/tool');
    expect(findExecutable('./bin/tool', '', '/opt', host)).toBe('./bin/tool');
    expect(findExecutable('bin', '/opt', '/', host)).toBeUndefined(); // a directory
  });
});

describe('containerHandle', () => {
  it('gives exec the container’s env and working dir, and attach its output until detached', () => {
    const c = ctr(
      { name: 'app' },
      { state: running, proc: { pid: 1 } as never, env: { PATH: '/bin:/usr/bin' }, cwd: '/data', attached: new Set() },
    );
    c.mounts = [{ source: dir, target: '/data', readOnly: false }];
    const w = worker(pod(), [c], { dir: '/pods/uid' });
    const h = containerHandle(w, c);
    expect(h).toMatchObject({ running: true, env: { PATH: '/bin:/usr/bin' }, cwd: '/data', hostCwd: dir });
    expect(h.findExecutable('sh')).toBe(true);
    expect(h.findExecutable('no-such-command-here')).toBe(false);
    expect(h.command(['ls'])).toEqual(['ls']);
    c.command = (a) => ['wrapped', ...a];
    expect(h.command(['ls'])).toEqual(['wrapped', 'ls']);
    const out = new PassThrough();
    const detach = h.attach({ stdout: out });
    expect(c.attached!.size).toBe(1);
    detach();
    expect(c.attached!.size).toBe(0);
    // Namespaces of its own: exec starts from the Pod's directory and enters them.
    c.enter = (a) => a;
    expect(containerHandle(w, c).hostCwd).toBe('/pods/uid');
    expect(containerHandle(w, ctr({ name: 'app' }, { state: running })).running).toBe(false);
  });
});
