// PKI of a cluster: an ECDSA P-256 CA and a serving certificate for the API server, made on
// node:crypto (no openssl), kept in <data-dir>/pki and reused across restarts as long as the
// serving certificate still covers the addresses asked for. The bearer token lives beside it.
// The certificates are encoded by pki/x509-lite.ts, the part of @peculiar/x509's API used here: the
// library (~0.75 MB with its ASN.1 schemas) took ~50 ms to load and ~15 ms for the first
// certificate, on every fresh or in-memory start; x509-lite issues both in ~2 ms, and its unit
// test checks that the bytes it signs are the ones @peculiar/x509 signs (a devDependency now).
// Every cluster has its own CA, in-memory ones too (two clusters of one process that shared one
// would trust each other's serving certificates and tokens' issuer).
import { webcrypto, X509Certificate, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writePrivateFile } from '../base/files.js';
import { parseIPBytes } from '../apimachinery/ipnet.js';

export interface PKI {
  caCertPem: string;
  caKeyPem: string;
  certPem: string;
  keyPem: string;
}

export interface SANs {
  ips: string[];
  dns: string[];
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export async function loadOrCreatePKI(dir: string | undefined, sans: SANs): Promise<Omit<PKI, 'caKeyPem'> & { caKeyPem?: string }> {
  if (!dir) return issueAll(sans);
  const f = (n: string) => join(dir, n);
  if (existsSync(f('ca.crt')) && existsSync(f('ca.key'))) {
    const caCertPem = readFileSync(f('ca.crt'), 'utf8');
    const caKeyPem = readFileSync(f('ca.key'), 'utf8');
    if (existsSync(f('apiserver.crt')) && existsSync(f('apiserver.key'))) {
      const certPem = readFileSync(f('apiserver.crt'), 'utf8');
      const keyPem = readFileSync(f('apiserver.key'), 'utf8');
      if (stillGood(certPem, caCertPem, sans)) return { caCertPem, caKeyPem, certPem, keyPem };
    }
    // Same CA (kubeconfigs already handed out keep working), new serving certificate.
    const serving = await issueServing(caCertPem, caKeyPem, sans);
    save(dir, { caCertPem, caKeyPem, ...serving }, false);
    return { caCertPem, caKeyPem, ...serving };
  }
  const pki = await issueAll(sans);
  save(dir, pki, true);
  return pki;
}

/** Valid for 30 more days, issued by this CA, and covering every requested SAN. */
function stillGood(certPem: string, caPem: string, sans: SANs): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    if (new Date(cert.validTo).getTime() - Date.now() < 30 * DAY) return false;
    const alt = cert.subjectAltName ?? '';
    const have = new Set(alt.split(', ').map((s) => s.trim()));
    return (
      sans.ips.every((ip) => have.has(`IP Address:${ip.includes(':') ? expand6(ip) : ip}`) || have.has(`IP Address:${ip}`)) &&
      sans.dns.every((d) => have.has(`DNS:${d}`))
    );
  } catch {
    return false;
  }
}

/** node prints IPv6 SANs fully expanded and uppercase (e.g. 0:0:0:0:0:0:0:1). */
function expand6(ip: string): string {
  const b = parseIPBytes(ip);
  if (b?.length !== 16) return ip;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16).toUpperCase());
  return groups.join(':');
}

function save(dir: string, pki: PKI, withCA: boolean): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Keys exactly 0600 whatever the umask, certificates 0644; atomically (base/files.ts).
  const put = (name: string, data: string, mode: number) => writeFileAtomic(join(dir, name), data, { mode });
  if (withCA) {
    put('ca.key', pki.caKeyPem, 0o600);
    put('ca.crt', pki.caCertPem, 0o644);
  }
  put('apiserver.key', pki.keyPem, 0o600);
  put('apiserver.crt', pki.certPem, 0o644);
}

/** x509-lite, loaded on first use (pki/front-proxy.ts makes its CA with it too). */
export async function x509() {
  // @peculiar/x509's API on node:crypto (pki/x509-lite.ts): the same certificates without ~50 ms of loading.
  const mod = await import('./x509-lite.js');
  // Bundled, the CommonJS build arrives as the namespace's default export.
  const x = (
    (mod as { cryptoProvider?: unknown }).cryptoProvider ? mod : (mod as unknown as { default: typeof mod }).default
  ) as typeof mod;
  x.cryptoProvider.set(webcrypto as unknown as Crypto);
  return x;
}

const serial = () =>
  randomBytes(16)
    .toString('hex')
    .replace(/^[89a-f]/, '1');

async function toPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return webcrypto.subtle.importKey('pkcs8', Buffer.from(b64, 'base64'), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
}

async function issueAll(sans: SANs): Promise<PKI> {
  const x = await x509();
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const ca = await x.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=tinykube-ca',
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
  const caCertPem = ca.toString('pem') + '\n';
  const caKeyPem = await toPem(keys.privateKey);
  const serving = await issueServing(caCertPem, caKeyPem, sans, keys.privateKey);
  return { caCertPem, caKeyPem, ...serving };
}

async function issueServing(
  caCertPem: string,
  caKeyPem: string,
  sans: SANs,
  caKey?: CryptoKey,
): Promise<{ certPem: string; keyPem: string }> {
  const x = await x509();
  const ca = new x.X509Certificate(caCertPem);
  const signingKey = caKey ?? (await importKey(caKeyPem));
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=kube-apiserver',
    issuer: ca.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * DAY),
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: ALG,
    extensions: [
      new x.BasicConstraintsExtension(false, undefined, true),
      new x.KeyUsagesExtension(x.KeyUsageFlags.digitalSignature | x.KeyUsageFlags.keyEncipherment, true),
      new x.ExtendedKeyUsageExtension([x.ExtendedKeyUsage.serverAuth]),
      new x.SubjectAlternativeNameExtension([
        ...sans.dns.map((d) => ({ type: 'dns' as const, value: d })),
        ...sans.ips.map((ip) => ({ type: 'ip' as const, value: ip })),
      ]),
      await x.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await toPem(keys.privateKey) };
}

/** The bearer token of the cluster's admin user: kept in <dataDir>/token, random per in-memory cluster. */
export function loadOrCreateToken(dataDir: string | undefined): string {
  if (!dataDir) return randomBytes(32).toString('hex');
  const f = join(dataDir, 'token');
  if (existsSync(f)) {
    const t = readFileSync(f, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(t)) return t;
  }
  const t = randomBytes(32).toString('hex');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writePrivateFile(f, `${t}\n`);
  return t;
}

/** A user of the cluster as a client certificate names one (upstream's x509 authenticator). */
export interface CertificateUser {
  /** The certificate's Common Name: the user name. */
  user: string;
  /** Its Organizations: the user's groups. */
  groups?: string[];
  /** How long it is valid (default one year). */
  validDays?: number;
}

/**
 * A client certificate for `user` signed by the cluster's CA, as kubeadm and envtest's AddUser
 * make them: CN is the user, each O a group, clientAuth only. The API server takes it instead of a
 * bearer token.
 */
export async function issueClientCertificate(
  caCertPem: string,
  caKeyPem: string,
  u: CertificateUser,
): Promise<{ certPem: string; keyPem: string }> {
  // The subject is written as `CN=a, O=b`: a comma or `=` in a name would change its meaning.
  for (const n of [u.user, ...(u.groups ?? [])])
    if (!n || /[,=+<>#;"\\]/.test(n))
      throw new Error(`invalid user or group name ${JSON.stringify(n)}: it must be non-empty and have none of , = + < > # ; " \\`);
  const x = await x509();
  const ca = new x.X509Certificate(caCertPem);
  const signingKey = await importKey(caKeyPem);
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [`CN=${u.user}`, ...(u.groups ?? []).map((g) => `O=${g}`)].join(', '),
    issuer: ca.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + (u.validDays ?? 365) * DAY),
    publicKey: keys.publicKey,
    signingKey,
    signingAlgorithm: ALG,
    extensions: [
      new x.BasicConstraintsExtension(false, undefined, true),
      new x.KeyUsagesExtension(x.KeyUsageFlags.digitalSignature | x.KeyUsageFlags.keyEncipherment, true),
      new x.ExtendedKeyUsageExtension([x.ExtendedKeyUsage.clientAuth]),
      await x.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await toPem(keys.privateKey) };
}
