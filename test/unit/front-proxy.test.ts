// The aggregator's front-proxy identity: kept in the data dir's pki directory (so extension API
// servers keep trusting the cluster across restarts), made anew in memory.
import { describe, it, expect, afterEach } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateFrontProxy } from '../../src/pki/front-proxy.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('front-proxy identity', () => {
  it('is made once in a pki directory and read back after', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'tk-fp-'));
    dirs.push(parent);
    const dir = join(parent, 'pki');
    const first = await loadOrCreateFrontProxy(dir);
    const again = await loadOrCreateFrontProxy(dir);
    expect(again).toEqual(first);
    const ca = new X509Certificate(first.caPem);
    const cert = new X509Certificate(first.certPem);
    expect(ca.subject).toBe('CN=front-proxy-ca');
    expect(cert.subject).toBe('CN=front-proxy-client');
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    expect(statSync(join(dir, 'front-proxy-ca.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'front-proxy-client.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'front-proxy-ca.crt')).mode & 0o777).toBe(0o644);
  });

  it('renews a client certificate the CA did not sign, keeping the CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-fp-'));
    dirs.push(dir);
    const first = await loadOrCreateFrontProxy(dir);
    const other = await loadOrCreateFrontProxy(undefined);
    writeFileSync(join(dir, 'front-proxy-client.crt'), other.certPem);
    const next = await loadOrCreateFrontProxy(dir);
    expect(next.caPem).toBe(first.caPem);
    expect(next.certPem).not.toBe(other.certPem);
    expect(new X509Certificate(next.certPem).checkIssued(new X509Certificate(first.caPem))).toBe(true);
  });

  it('is new for every cluster without a data dir', async () => {
    const a = await loadOrCreateFrontProxy(undefined);
    const b = await loadOrCreateFrontProxy(undefined);
    expect(a.caPem).not.toBe(b.caPem);
  });
});
