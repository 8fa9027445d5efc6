// Certificates for the HTTPS listener, chosen by SNI: the TLS Secret (`tls.crt`, `tls.key`) an
// Ingress of the class names for the host, else a self-signed default, as ingress-nginx serves its
// "Kubernetes Ingress Controller Fake Certificate" when no Secret matches (or the one named is
// missing or unusable). Secure contexts are cached per Secret and dropped when the Secret changes.
import { createSecureContext, type SecureContext } from 'node:tls';
import { webcrypto, randomBytes } from 'node:crypto';
import type { KubeObject } from '../apimachinery/types.js';

export const FAKE_CERT_SUBJECT = 'CN=Kubernetes Ingress Controller Fake Certificate, O=Acme Co';
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

/** A self-signed P-256 certificate and key (PEM) for ingress.local, valid for a year. */
export async function fakeCertificate(): Promise<{ cert: string; key: string }> {
  const mod = await import('../pki/x509-lite.js');
  // Bundled, the CommonJS build arrives as the namespace's default export.
  const x = (
    (mod as { X509CertificateGenerator?: unknown }).X509CertificateGenerator ? mod : (mod as unknown as { default: typeof mod }).default
  ) as typeof mod;
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16)
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: FAKE_CERT_SUBJECT,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x.BasicConstraintsExtension(false, undefined, true),
      new x.KeyUsagesExtension(x.KeyUsageFlags.digitalSignature | x.KeyUsageFlags.keyEncipherment, true),
      new x.ExtendedKeyUsageExtension([x.ExtendedKeyUsage.serverAuth]),
      new x.SubjectAlternativeNameExtension([{ type: 'dns', value: 'ingress.local' }]),
    ],
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const b64 = der.toString('base64').replace(/(.{64})(?!$)/g, '$1\n');
  return { cert: cert.toString('pem') + '\n', key: `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n` };
}

const decode = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64') : undefined);

/** Secure contexts of TLS Secrets, by `namespace/name`; null remembers a Secret that is missing or unusable. */
export class SecretContexts {
  private readonly cache = new Map<string, SecureContext | null>();
  constructor(private readonly secret: (namespace: string, name: string) => KubeObject | undefined) {}

  get(namespace: string, name: string): SecureContext | undefined {
    const k = `${namespace}/${name}`;
    let c = this.cache.get(k);
    if (c === undefined) this.cache.set(k, (c = this.load(namespace, name)));
    return c ?? undefined;
  }

  private load(namespace: string, name: string): SecureContext | null {
    const data = (this.secret(namespace, name) as { data?: Record<string, string> } | undefined)?.data;
    const cert = decode(data?.['tls.crt']);
    const key = decode(data?.['tls.key']);
    if (!cert?.length || !key?.length) return null;
    try {
      return createSecureContext({ cert, key });
    } catch {
      return null;
    }
  }

  invalidate(namespace: string, name: string): void {
    this.cache.delete(`${namespace}/${name}`);
  }
}
