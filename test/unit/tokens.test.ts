// The service account token authority: ES256 JWTs with upstream's bound-token claims, their
// verification (signature, issuer, times with one minute of leeway), kubelet-token extension and
// the signing key file.
import { describe, it, expect, afterEach, vi } from 'vitest';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenAuthority, loadOrCreateSigningKey, EXPIRATION_EXTENSION_SECONDS } from '../../src/auth/tokens.js';

const ISS = 'https://kubernetes.default.svc.cluster.local';
const SA = { name: 'bot', uid: '11111111-2222-3333-4444-555555555555' };
const POD = { name: 'web', uid: '66666666-7777-8888-9999-000000000000' };
const parts = (t: string) => t.split('.').map((p, i) => (i < 2 ? JSON.parse(Buffer.from(p, 'base64url').toString()) : p));

afterEach(() => {
  vi.useRealTimers();
});

describe('issue', () => {
  it('writes upstream claims: iss, aud (default the issuer), sub, iat = nbf, exp, jti and kubernetes.io', () => {
    const ta = createTokenAuthority({ issuer: ISS });
    const before = Math.floor(Date.now() / 1000);
    const { token, expiresAt } = ta.issue({
      namespace: 'apps',
      serviceAccount: SA,
      pod: POD,
      node: { name: 'node-a', uid: 'n-uid' },
      expirationSeconds: 3600,
    });
    const [header, claims, sig] = parts(token);
    expect(header).toMatchObject({ alg: 'ES256' });
    expect(header.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(sig, 'base64url')).toHaveLength(64);
    expect(Object.keys(claims)).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
    expect(claims).toMatchObject({ aud: [ISS], iss: ISS, sub: 'system:serviceaccount:apps:bot' });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp).toBe(claims.iat + 3600);
    expect(claims.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(claims['kubernetes.io']).toEqual({ namespace: 'apps', node: { name: 'node-a', uid: 'n-uid' }, pod: POD, serviceaccount: SA });
    expect(expiresAt.getTime()).toBe(claims.exp * 1000);
    expect(ta.verify(token)).toEqual(claims);
  });

  it('takes the asked audiences; a node without uid keeps only its name; no pod, no node binding claims', () => {
    const ta = createTokenAuthority({ issuer: ISS });
    const a = parts(ta.issue({ namespace: 'apps', serviceAccount: SA, audiences: ['vault', 'api'], expirationSeconds: 600 }).token)[1];
    expect(a.aud).toEqual(['vault', 'api']);
    expect(a['kubernetes.io']).toEqual({ namespace: 'apps', serviceaccount: SA });
    const b = parts(
      ta.issue({ namespace: 'apps', serviceAccount: SA, pod: POD, node: { name: 'node-a' }, expirationSeconds: 600 }).token,
    )[1];
    expect(b['kubernetes.io'].node).toEqual({ name: 'node-a' });
    const c = parts(
      ta.issue({ namespace: 'apps', serviceAccount: SA, node: { name: 'node-a', uid: 'n1' }, expirationSeconds: 600 }).token,
    )[1];
    expect(c['kubernetes.io']).toEqual({ namespace: 'apps', node: { name: 'node-a', uid: 'n1' }, serviceaccount: SA });
    expect(() => ta.issue({ namespace: 'apps', serviceAccount: SA, expirationSeconds: 0 })).toThrow(/positive integer/);
    expect(() =>
      ta.issue({ namespace: 'apps', serviceAccount: SA, pod: POD, secret: { name: 's', uid: 'u' }, expirationSeconds: 600 }),
    ).toThrow(/one object type/);
  });

  it("extends the kubelet's 3607 s Pod-bound tokens to a year with warnafter, and nothing else", () => {
    const ta = createTokenAuthority({ issuer: ISS });
    const r = ta.issue({ namespace: 'apps', serviceAccount: SA, pod: POD, expirationSeconds: 3607 });
    const c = parts(r.token)[1];
    expect(c.exp).toBe(c.iat + EXPIRATION_EXTENSION_SECONDS);
    expect(c['kubernetes.io'].warnafter).toBe(c.iat + 3607);
    expect(Object.keys(c['kubernetes.io'])).toEqual(['namespace', 'pod', 'serviceaccount', 'warnafter']);
    // The requested expiry is what the caller refreshes by.
    expect(r.expiresAt.getTime()).toBe((c.iat + 3607) * 1000);
    const notBound = parts(ta.issue({ namespace: 'apps', serviceAccount: SA, expirationSeconds: 3607 }).token)[1];
    expect(notBound.exp).toBe(notBound.iat + 3607);
    expect(notBound['kubernetes.io'].warnafter).toBeUndefined();
    const otherAudience = parts(
      ta.issue({ namespace: 'apps', serviceAccount: SA, pod: POD, audiences: ['vault'], expirationSeconds: 3607 }).token,
    )[1];
    expect(otherAudience.exp).toBe(otherAudience.iat + 3607);
    const otherTime = parts(ta.issue({ namespace: 'apps', serviceAccount: SA, pod: POD, expirationSeconds: 3600 }).token)[1];
    expect(otherTime.exp).toBe(otherTime.iat + 3600);
  });
});

describe('verify', () => {
  it('accepts until exp plus one minute of leeway, then refuses', () => {
    vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z'), toFake: ['Date'] });
    const ta = createTokenAuthority({ issuer: ISS });
    const { token } = ta.issue({ namespace: 'apps', serviceAccount: SA, expirationSeconds: 600 });
    expect(ta.verify(token)).toBeDefined();
    vi.setSystemTime(new Date('2030-01-01T00:10:59Z'));
    expect(ta.verify(token)).toBeDefined();
    vi.setSystemTime(new Date('2030-01-01T00:11:01Z'));
    expect(ta.verify(token)).toBeUndefined();
    // Issued "in the future" (a clock that went back by more than the leeway).
    vi.setSystemTime(new Date('2029-12-31T23:58:00Z'));
    expect(ta.verify(token)).toBeUndefined();
  });

  it('refuses tampered payloads, foreign signatures, other issuers, alg none and garbage', () => {
    const ta = createTokenAuthority({ issuer: ISS });
    const { token } = ta.issue({ namespace: 'apps', serviceAccount: SA, expirationSeconds: 600 });
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = Buffer.from(
      JSON.stringify({
        ...claims,
        sub: 'system:serviceaccount:kube-system:admin',
        'kubernetes.io': { ...claims['kubernetes.io'], namespace: 'kube-system' },
      }),
    ).toString('base64url');
    expect(ta.verify(`${h}.${forged}.${s}`)).toBeUndefined();
    const flipped = Buffer.from(s, 'base64url');
    flipped[10] ^= 1;
    expect(ta.verify(`${h}.${p}.${flipped.toString('base64url')}`)).toBeUndefined();
    // Signed with another key (the kid is left as ours).
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const sig = sign('sha256', Buffer.from(`${h}.${p}`), { key: other, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    expect(ta.verify(`${h}.${p}.${sig}`)).toBeUndefined();
    // Same key (in-memory authorities share the process key), another issuer.
    const elsewhere = createTokenAuthority({ issuer: 'https://kubernetes.default.svc.other.example' });
    expect(elsewhere.verify(token)).toBeUndefined();
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`;
    expect(ta.verify(none)).toBeUndefined();
    for (const junk of ['', 'garbage', 'a.b.c', `${h}.${p}`, `${token}.x`]) expect(ta.verify(junk)).toBeUndefined();
  });

  it('verifies tokens of another authority instance with the same key (a restart)', () => {
    const a = createTokenAuthority({ issuer: ISS });
    const b = createTokenAuthority({ issuer: ISS });
    const { token } = a.issue({ namespace: 'apps', serviceAccount: SA, pod: POD, expirationSeconds: 3607 });
    expect(b.verify(token)?.['kubernetes.io'].pod).toEqual(POD);
    expect(b.verify(token)).toBe(b.verify(token)); // the second time from the cache
  });

  it('accepts a single-string aud as upstream JWTs may carry it', () => {
    const ta = createTokenAuthority({ issuer: ISS });
    const { token } = ta.issue({ namespace: 'apps', serviceAccount: SA, expirationSeconds: 600 });
    const [h, p] = token.split('.') as [string, string];
    const c = JSON.parse(Buffer.from(p, 'base64url').toString());
    const p2 = Buffer.from(JSON.stringify({ ...c, aud: ISS })).toString('base64url');
    const sig = sign('sha256', Buffer.from(`${h}.${p2}`), { key: loadOrCreateSigningKey(undefined), dsaEncoding: 'ieee-p1363' }).toString(
      'base64url',
    );
    expect(ta.verify(`${h}.${p2}.${sig}`)?.aud).toEqual([ISS]);
  });
});

describe('signing key', () => {
  it('is created as <dataDir>/pki/sa.key (PEM, 0600) and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinykube-sa-key-'));
    try {
      const a = createTokenAuthority({ dataDir: dir, issuer: ISS });
      const f = join(dir, 'pki', 'sa.key');
      expect(statSync(f).mode & 0o777).toBe(0o600);
      expect(readFileSync(f, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      const { token } = a.issue({ namespace: 'apps', serviceAccount: SA, expirationSeconds: 600 });
      const b = createTokenAuthority({ dataDir: dir, issuer: ISS });
      expect(b.verify(token)).toBeDefined();
      // A different key (the in-memory one) does not accept it.
      expect(createTokenAuthority({ issuer: ISS }).verify(token)).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
