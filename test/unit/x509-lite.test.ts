// src/pki/x509-lite.ts issues the certificates @peculiar/x509 issued: the same keys, serial, dates and
// extensions give the same to-be-signed bytes, and the results verify and chain as before
// (including a serving certificate issued now under a CA that @peculiar/x509 issued).
import { describe, expect, it } from 'vitest';
import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import * as peculiar from '@peculiar/x509';
import * as lite from '../../src/pki/x509-lite.js';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const px = (
  (peculiar as { cryptoProvider?: unknown }).cryptoProvider ? peculiar : (peculiar as unknown as { default: typeof peculiar }).default
) as typeof peculiar;
px.cryptoProvider.set(webcrypto as unknown as Crypto);

type Lib = typeof lite | typeof peculiar;

/** The to-be-signed part of a DER certificate (its first element). */
function tbs(der: Buffer): Buffer {
  const at = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
  const l = der[at + 1]! & 0x80 ? Number.parseInt(der.subarray(at + 2, at + 2 + (der[at + 1]! & 0x7f)).toString('hex'), 16) : der[at + 1]!;
  const hl = der[at + 1]! & 0x80 ? 2 + (der[at + 1]! & 0x7f) : 2;
  return der.subarray(at, at + hl + l);
}
const derOf = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

async function issueCA(x: Lib, keys: CryptoKeyPair, notBefore: Date, notAfter: Date) {
  return (x as typeof lite).X509CertificateGenerator.createSelfSigned({
    serialNumber: '4c3c5e758e65d0670f8b9b67743936f6',
    name: 'CN=tinykube-ca',
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new (x as typeof lite).BasicConstraintsExtension(true, undefined, true),
      new (x as typeof lite).KeyUsagesExtension(
        x.KeyUsageFlags.keyCertSign | x.KeyUsageFlags.cRLSign | x.KeyUsageFlags.digitalSignature,
        true,
      ),
      await (x as typeof lite).SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
}

async function issueServing(
  x: Lib,
  caPem: string,
  caKey: CryptoKey,
  keys: CryptoKeyPair,
  notBefore: Date,
  notAfter: Date,
  serial = '150aaae2d1ea1b48742241108d39357c',
) {
  const X = x as typeof lite;
  const ca = new X.X509Certificate(caPem);
  return X.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: 'CN=kube-apiserver',
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALG,
    extensions: [
      new X.BasicConstraintsExtension(false, undefined, true),
      new X.KeyUsagesExtension(X.KeyUsageFlags.digitalSignature | X.KeyUsageFlags.keyEncipherment, true),
      new X.ExtendedKeyUsageExtension([X.ExtendedKeyUsage.serverAuth]),
      new X.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'dns', value: 'kubernetes.default.svc.cluster.local' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
        { type: 'ip', value: 'fd00:10:96::1' },
      ]),
      await X.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
}

const keyPair = async () => (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;

describe('x509-lite', () => {
  it('encodes a CA and a serving certificate as @peculiar/x509 does', async () => {
    const caKeys = await keyPair();
    const keys = await keyPair();
    // A UTCTime and a GeneralizedTime (2050 and later).
    const from = new Date('2026-12-07T04:25:23Z');
    for (const until of [new Date('2036-12-04T04:26:23Z'), new Date('2051-01-01T00:00:00Z')]) {
      const a = await issueCA(lite, caKeys, from, until);
      const b = await issueCA(px, caKeys, from, until);
      expect(tbs(a.rawData).toString('hex')).toBe(tbs(Buffer.from(b.rawData)).toString('hex'));
      const sa = await issueServing(lite, a.toString('pem'), caKeys.privateKey, keys, from, until);
      const sb = await issueServing(px, b.toString('pem'), caKeys.privateKey, keys, from, until);
      expect(tbs(sa.rawData).toString('hex')).toBe(tbs(Buffer.from(sb.rawData)).toString('hex'));
    }
    // A serial whose first byte has the high bit set, or is zero: still a minimal positive INTEGER.
    for (const serial of ['8f' + '00'.repeat(15), '00' + '7f'.repeat(15)]) {
      const a = await issueServing(
        lite,
        (await issueCA(lite, caKeys, from, from)).toString('pem'),
        caKeys.privateKey,
        keys,
        from,
        from,
        serial,
      );
      const b = await issueServing(
        px,
        (await issueCA(px, caKeys, from, from)).toString('pem'),
        caKeys.privateKey,
        keys,
        from,
        from,
        serial,
      );
      expect(tbs(a.rawData).toString('hex')).toBe(tbs(Buffer.from(b.rawData)).toString('hex'));
    }
  });

  it('issues certificates that verify and chain, also under a CA issued by @peculiar/x509', async () => {
    const caKeys = await keyPair();
    const keys = await keyPair();
    const now = Date.now();
    for (const caLib of [lite, px] as Lib[]) {
      const caPem = (await issueCA(caLib, caKeys, new Date(now - 60_000), new Date(now + 86_400_000))).toString('pem');
      const pem = (await issueServing(lite, caPem, caKeys.privateKey, keys, new Date(now - 60_000), new Date(now + 86_400_000))).toString(
        'pem',
      );
      const ca = new NodeX509(caPem);
      const cert = new NodeX509(pem);
      expect(ca.verify(ca.publicKey)).toBe(true);
      expect(ca.ca).toBe(true);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.checkIssued(ca)).toBe(true);
      expect(cert.checkHost('kubernetes.default.svc.cluster.local')).toBeDefined();
      expect(cert.checkIP('::1')).toBe('::1');
      expect(cert.subjectAltName).toContain('IP Address:FD00:10:96:0:0:0:0:1');
      expect(derOf(pem).equals(new lite.X509Certificate(pem).rawData)).toBe(true);
    }
  });
});
