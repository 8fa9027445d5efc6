// src/pki/csr.ts: PKCS#10 requests made by openssl (ECDSA, RSA, Ed25519) parse to the subject and
// SANs openssl was given and their signatures check; broken ones fail with Go's texts; the
// certificate issued for one chains to the cluster CA with the usages, names and validity of
// upstream's local signer, as openssl itself reads them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { checkSignature, issueCertificate, parseCSRPem, parseCertificateRequest } from '../../src/pki/csr.js';
import { loadOrCreatePKI } from '../../src/pki/certs.js';

const dir = mkdtempSync(join(tmpdir(), 'csr-pki-'));

/** A CSR (PEM) from openssl for a new key of `newkey` (`ec`, `rsa:2048`, `ed25519`). */
function opensslCSR(newkey: string, subj: string, san?: string): Buffer {
  const args = ['req', '-new', '-newkey', newkey, '-nodes', '-keyout', join(dir, 'key.pem'), '-subj', subj];
  if (newkey === 'ec') args.push('-pkeyopt', 'ec_paramgen_curve:P-256');
  if (san) args.push('-addext', `subjectAltName=${san}`);
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'ignore'] });
}

const derOf = (pem: Buffer) =>
  Buffer.from(
    pem
      .toString()
      .replace(/-----[^-]+-----/g, '')
      .replace(/\s+/g, ''),
    'base64',
  );
const pemOf = (der: Buffer) =>
  Buffer.from(`-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let ca: { certPem: string; keyPem: string };
beforeAll(async () => {
  const pki = await loadOrCreatePKI(undefined, { ips: ['127.0.0.1'], dns: ['localhost'] });
  ca = { certPem: pki.caCertPem, keyPem: pki.caKeyPem! };
});

describe('parsing certificate requests', () => {
  it('reads the subject and SANs of an ECDSA request and checks its signature', () => {
    const req = parseCSRPem(
      opensslCSR('ec', '/CN=alice/O=devs/O=ops', 'DNS:a.example,IP:127.0.0.1,IP:::1,email:a@b.example,URI:spiffe://x/y'),
    );
    expect(req.subject.commonName).toBe('alice');
    expect(req.subject.organization).toEqual(['devs', 'ops']);
    expect(req.dnsNames).toEqual(['a.example']);
    expect(req.ipAddresses).toEqual(['127.0.0.1', '::1']);
    expect(req.emailAddresses).toEqual(['a@b.example']);
    expect(req.uris).toEqual(['spiffe://x/y']);
    expect(req.signatureAlgorithm).toBe('1.2.840.10045.4.3.2');
    expect(() => checkSignature(req)).not.toThrow();
  });

  it('checks RSA and Ed25519 signatures', () => {
    for (const [newkey, alg] of [
      ['rsa:2048', '1.2.840.113549.1.1.11'],
      ['ed25519', '1.3.101.112'],
    ] as const) {
      const req = parseCSRPem(opensslCSR(newkey, '/CN=bob'));
      expect(req.signatureAlgorithm).toBe(alg);
      expect(req.subject.commonName).toBe('bob');
      expect(() => checkSignature(req)).not.toThrow();
    }
  });

  it('refuses a tampered request with the verification error of its algorithm', () => {
    for (const [newkey, text] of [
      ['ec', 'x509: ECDSA verification failure'],
      ['rsa:2048', 'crypto/rsa: verification error'],
      ['ed25519', 'x509: Ed25519 verification failure'],
    ] as const) {
      const der = derOf(opensslCSR(newkey, '/CN=mallory'));
      // Change the CN's last letter: the signed bytes no longer match the signature.
      const at = der.indexOf(Buffer.from('mallory'));
      der[at + 6] = 'x'.charCodeAt(0);
      const req = parseCertificateRequest(der);
      expect(req.subject.commonName).toBe('mallorx');
      expect(() => checkSignature(req)).toThrow(text);
    }
  });

  it('answers with certificates.ParseCSR and asn1 texts for what is not a request', () => {
    expect(() => parseCSRPem(Buffer.from('hello'))).toThrow('PEM block type must be CERTIFICATE REQUEST');
    expect(() => parseCSRPem(Buffer.from(ca.certPem))).toThrow('PEM block type must be CERTIFICATE REQUEST');
    const der = derOf(opensslCSR('ec', '/CN=x'));
    expect(() => parseCSRPem(pemOf(der.subarray(0, der.length - 10)))).toThrow('asn1: syntax error: data truncated');
    expect(() => parseCSRPem(pemOf(Buffer.concat([der, Buffer.from([0])])))).toThrow('asn1: syntax error: trailing data');
    expect(() => parseCSRPem(pemOf(Buffer.from([0x02, 0x01, 0x00])))).toThrow("asn1: structure error: tags don't match");
  });
});

describe('issuing certificates', () => {
  const text = (pem: string) => {
    const f = join(dir, 'cert.pem');
    writeFileSync(f, pem);
    return execFileSync('openssl', ['x509', '-in', f, '-noout', '-text'], { encoding: 'utf8' });
  };

  it('signs a client certificate that chains to the CA, with the request subject, key and usages', () => {
    const csr = opensslCSR('ec', '/CN=alice/O=devs/O=ops');
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    const now = new Date('2026-03-01T12:00:00Z');
    const pem = issueCertificate(parseCSRPem(csr), ca, {
      ttlMs: 365 * 86_400_000,
      usages: ['digital signature', 'key encipherment', 'client auth'],
      now,
    });
    const cert = new X509Certificate(pem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    // Go's pkix.Name order: the organizations (one RDN, a DER SET OF sorted by encoding), then the common name.
    expect(cert.subject).toBe('O=ops + O=devs\nCN=alice');
    // Backdated by 5 minutes at both ends (a long-lived certificate), within the CA's lifetime.
    expect(new Date(cert.validFrom).toISOString()).toBe('2026-03-01T11:55:00.000Z');
    expect(new Date(cert.validTo).toISOString()).toBe('2027-03-01T11:55:00.000Z');
    const t = text(pem);
    expect(t).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(t).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(t).toMatch(/X509v3 Authority Key Identifier/);
    expect(t).not.toMatch(/Subject Alternative Name/);
  });

  it('copies the SANs, keeps short lifetimes whole and stops at the CA expiry', () => {
    const req = parseCSRPem(opensslCSR('ec', '/CN=system:node:n1/O=system:nodes', 'IP:127.0.0.1,DNS:n1.example'));
    const now = new Date();
    const short = new X509Certificate(issueCertificate(req, ca, { ttlMs: 3_600_000, usages: ['digital signature', 'server auth'], now }));
    expect(Date.parse(short.validTo)).toBe(Math.floor((now.getTime() + 3_600_000) / 1000) * 1000);
    expect(short.subjectAltName).toBe('DNS:n1.example, IP Address:127.0.0.1');
    expect(short.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    const caTo = Date.parse(new X509Certificate(ca.certPem).validTo);
    const long = new X509Certificate(issueCertificate(req, ca, { ttlMs: 100 * 365 * 86_400_000, usages: ['server auth'], now }));
    expect(Date.parse(long.validTo)).toBe(caTo);
    expect(text(long.toString())).not.toMatch(/Key Usage: critical/);
  });

  it('refuses unknown usages and an expired CA with the authority texts', () => {
    const req = parseCSRPem(opensslCSR('ec', '/CN=x'));
    expect(() => issueCertificate(req, ca, { ttlMs: 3_600_000, usages: ['client auth', 'frobnicate', 'x'], now: new Date() })).toThrow(
      'unrecognized usage values: ["frobnicate" "x"]',
    );
    const caTo = Date.parse(new X509Certificate(ca.certPem).validTo);
    const notAfter = `${new Date(caTo).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
    const at = (ms: number) => () => issueCertificate(req, ca, { ttlMs: 3_600_000, usages: ['client auth'], now: new Date(caTo + ms) });
    expect(at(10 * 60_000)).toThrow(`the signer has expired: NotAfter=${notAfter}`);
    expect(at(1000)).toThrow(`refusing to sign a certificate that expired in the past: NotAfter=${notAfter}`);
  });
});
