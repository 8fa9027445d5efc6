// The aggregator's front-proxy identity, as kubeadm makes it for kube-apiserver's
// --proxy-client-cert-file and --requestheader-client-ca-file: a CA of its own
// (front-proxy-ca), apart from the cluster CA, signs the client certificate `front-proxy-client`
// that requests to aggregated API servers are made with. Kept in <data-dir>/pki beside the
// cluster's (front-proxy-ca.crt/.key, front-proxy-client.crt/.key) so that an extension server
// keeps trusting the cluster across restarts, and made once there instead of at every start; an
// in-memory cluster makes its own at start.
import { webcrypto, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../base/files.js';
import { issueClientCertificate, x509 } from './certs.js';

export const FRONT_PROXY_CLIENT = 'front-proxy-client';

export interface FrontProxyIdentity {
  /** The CA extension servers verify the client certificate with (requestheader-client-ca-file). */
  caPem: string;
  certPem: string;
  keyPem: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
const FILES = { caCert: 'front-proxy-ca.crt', caKey: 'front-proxy-ca.key', cert: 'front-proxy-client.crt', key: 'front-proxy-client.key' };

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

/** A front-proxy CA (ten years) and its `front-proxy-client` certificate (a year), ECDSA P-256. */
async function createCA(): Promise<{ caPem: string; caKeyPem: string }> {
  const x = await x509();
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const ca = await x.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16)
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: 'CN=front-proxy-ca',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3650 * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x.BasicConstraintsExtension(true, undefined, true),
      new x.KeyUsagesExtension(x.KeyUsageFlags.keyCertSign | x.KeyUsageFlags.cRLSign | x.KeyUsageFlags.digitalSignature, true),
      await x.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { caPem: ca.toString('pem') + '\n', caKeyPem: await pkcs8Pem(keys.privateKey) };
}

/** The identity kept in `dir` (made there when missing; the client certificate renewed 30 days before it ends), or a new one. */
export async function loadOrCreateFrontProxy(dir: string | undefined): Promise<FrontProxyIdentity> {
  const f = (n: string) => join(dir ?? '', n);
  let ca: { caPem: string; caKeyPem: string } | undefined;
  if (dir && existsSync(f(FILES.caCert)) && existsSync(f(FILES.caKey))) {
    ca = { caPem: readFileSync(f(FILES.caCert), 'utf8'), caKeyPem: readFileSync(f(FILES.caKey), 'utf8') };
    if (existsSync(f(FILES.cert)) && existsSync(f(FILES.key))) {
      const certPem = readFileSync(f(FILES.cert), 'utf8');
      if (stillGood(certPem, ca.caPem)) return { caPem: ca.caPem, certPem, keyPem: readFileSync(f(FILES.key), 'utf8') };
    }
  }
  const made = !ca;
  ca ??= await createCA();
  const client = await issueClientCertificate(ca.caPem, ca.caKeyPem, { user: FRONT_PROXY_CLIENT });
  if (dir) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (made) {
      writeFileAtomic(f(FILES.caKey), ca.caKeyPem, { mode: 0o600 });
      writeFileAtomic(f(FILES.caCert), ca.caPem, { mode: 0o644 });
    }
    writeFileAtomic(f(FILES.key), client.keyPem, { mode: 0o600 });
    writeFileAtomic(f(FILES.cert), client.certPem, { mode: 0o644 });
  }
  return { caPem: ca.caPem, ...client };
}

function stillGood(certPem: string, caPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey) && new Date(cert.validTo).getTime() - Date.now() > 30 * DAY;
  } catch {
    return false;
  }
}
