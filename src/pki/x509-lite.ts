// The part of @peculiar/x509's API that pki/certs.ts uses (X509CertificateGenerator, the extensions
// of a CA and a serving certificate, X509Certificate's subject), written on node:crypto with a
// small DER encoder. @peculiar/x509 (with its ASN.1 schema library, ~0.75 MB of code) took
// ~50 ms to load and ~15 ms to issue the first certificate; this issues both in ~2 ms, which is
// most of what a start on a fresh data dir (and every in-memory cluster, each with its own CA)
// spent beyond a restart. The certificates are encoded as @peculiar/x509 encoded them: names as
// PrintableString where they can be, the Subject Key Identifier as the SHA-1 of the public key
// (RFC 5280 4.2.1.2 method 1, so a CA issued before keeps matching the Authority Key Identifier
// of serving certificates issued now), the same extensions and criticality.
import { createHash, KeyObject, sign, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { parseIP } from '../apimachinery/ipnet.js';
import { bits, bool, octets, oid, seq, set, time, tlv, uint } from './der.js';

const NAME_OIDS: Record<string, string> = { CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6', L: '2.5.4.7', ST: '2.5.4.8' };

/** `CN=a, O=b` (one attribute per RDN, in order); values PrintableString where possible, else UTF8String. */
function name(dn: string): Buffer {
  const rdns = dn
    .split(/,(?=\s*[A-Za-z]+=)/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((rdn) => {
      const eq = rdn.indexOf('=');
      const type = NAME_OIDS[rdn.slice(0, eq).trim().toUpperCase()];
      if (eq < 0 || !type) throw new Error(`x509-lite: unsupported name attribute in "${dn}"`);
      const value = rdn.slice(eq + 1).trim();
      const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value);
      return set(seq(oid(type), tlv(printable ? 0x13 : 0x0c, Buffer.from(value, 'utf8'))));
    });
  return seq(...rdns);
}

/** The subjectPublicKey bits of a DER SubjectPublicKeyInfo (SEQUENCE { alg, BIT STRING }). */
function publicKeyBits(spki: Buffer): Buffer {
  const skip = (at: number): { body: number; end: number } => {
    let l = spki[at + 1]!;
    let body = at + 2;
    if (l & 0x80) {
      const n = l & 0x7f;
      l = 0;
      for (let i = 0; i < n; i++) l = l * 256 + spki[body + i]!;
      body += n;
    }
    return { body, end: body + l };
  };
  const outer = skip(0);
  const alg = skip(outer.body);
  const key = skip(alg.end);
  // After the unused-bits count.
  return spki.subarray(key.body + 1, key.end);
}

const keyObject = (k: CryptoKey | KeyObject) => (k instanceof KeyObject ? k : KeyObject.from(k));
const spkiOf = (k: CryptoKey | KeyObject) => keyObject(k).export({ type: 'spki', format: 'der' });
const keyIdOf = (k: CryptoKey | KeyObject) =>
  createHash('sha1')
    .update(publicKeyBits(spkiOf(k)))
    .digest();

// ---- the API pki/certs.ts uses ----

/** @peculiar/x509 needs a WebCrypto provider; node:crypto is this module's. */
export const cryptoProvider = { set: (_crypto: unknown) => undefined };

/** KeyUsage bits as @peculiar/x509 numbers them (bit i of the BIT STRING is 1 << i). */
export const KeyUsageFlags = {
  digitalSignature: 1,
  nonRepudiation: 2,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
  encipherOnly: 128,
  decipherOnly: 256,
} as const;

export const ExtendedKeyUsage = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;

/** An extension: its OID, criticality and DER value. */
export class Extension {
  constructor(
    readonly type: string,
    readonly critical: boolean,
    readonly value: Buffer,
  ) {}

  /** The Extension SEQUENCE. */
  toDER(): Buffer {
    return seq(oid(this.type), ...(this.critical ? [bool(true)] : []), octets(this.value));
  }
}

export class BasicConstraintsExtension extends Extension {
  constructor(ca: boolean, pathLength?: number, critical = false) {
    const parts = [...(ca ? [bool(true)] : []), ...(pathLength !== undefined ? [uint(Buffer.from([pathLength]))] : [])];
    super('2.5.29.19', critical, seq(...parts));
  }
}

export class KeyUsagesExtension extends Extension {
  constructor(usages: number, critical = false) {
    let high = -1;
    for (let i = 0; i < 9; i++) if (usages & (1 << i)) high = i;
    const b = Buffer.alloc(high < 0 ? 0 : (high >> 3) + 1);
    for (let i = 0; i <= high; i++) if (usages & (1 << i)) b[i >> 3]! |= 0x80 >> (i & 7);
    super('2.5.29.15', critical, bits(b, high < 0 ? 0 : 7 - (high & 7)));
  }
}

export class ExtendedKeyUsageExtension extends Extension {
  constructor(usages: string[], critical = false) {
    super('2.5.29.37', critical, seq(...usages.map(oid)));
  }
}

export class SubjectAlternativeNameExtension extends Extension {
  constructor(names: { type: 'dns' | 'ip'; value: string }[], critical = false) {
    const general = names.map((n) => {
      if (n.type === 'dns') return tlv(0x82, Buffer.from(n.value, 'ascii'));
      const ip = parseIP(n.value);
      if (!ip) throw new Error(`x509-lite: not an IP address: ${n.value}`);
      return tlv(0x87, Buffer.from(ip.value.toString(16).padStart(ip.family === 4 ? 8 : 32, '0'), 'hex'));
    });
    super('2.5.29.17', critical, seq(...general));
  }
}

export class SubjectKeyIdentifierExtension extends Extension {
  static async create(publicKey: CryptoKey, critical = false): Promise<SubjectKeyIdentifierExtension> {
    return new SubjectKeyIdentifierExtension(keyIdOf(publicKey), critical);
  }

  constructor(keyId: Buffer, critical = false) {
    super('2.5.29.14', critical, octets(keyId));
  }
}

export class AuthorityKeyIdentifierExtension extends Extension {
  /** From the issuer's certificate: its key's identifier (the SHA-1 of its public key, as its Subject Key Identifier). */
  static async create(issuer: X509Certificate, critical = false): Promise<AuthorityKeyIdentifierExtension> {
    return new AuthorityKeyIdentifierExtension(keyIdOf(issuer.publicKeyObject), critical);
  }

  constructor(keyId: Buffer, critical = false) {
    super('2.5.29.35', critical, seq(tlv(0x80, keyId)));
  }
}

/** A certificate: parsed from PEM (its subject, public key) or just issued. */
export class X509Certificate {
  readonly rawData: Buffer;
  private parsed?: NodeX509Certificate;

  constructor(pemOrDer: string | Buffer) {
    this.rawData =
      typeof pemOrDer === 'string' ? Buffer.from(pemOrDer.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64') : pemOrDer;
  }

  private get node(): NodeX509Certificate {
    return (this.parsed ??= new NodeX509Certificate(this.rawData));
  }

  /** `CN=tinykube-ca` (RDNs joined with `, `, as @peculiar/x509 writes them). */
  get subject(): string {
    return this.node.subject.split('\n').join(', ');
  }

  get publicKeyObject(): KeyObject {
    return this.node.publicKey;
  }

  toString(format: 'pem' | 'base64' = 'pem'): string {
    const b64 = this.rawData.toString('base64');
    if (format === 'base64') return b64;
    return `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----`;
  }
}

interface CreateParams {
  /** Hex. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** ECDSA with SHA-256 is the one algorithm here. */
  signingAlgorithm: { name: 'ECDSA'; hash: 'SHA-256' } | { name: string; hash?: string; namedCurve?: string };
  extensions?: Extension[];
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function issue(
  p: CreateParams,
  subject: string,
  issuer: string,
  publicKey: CryptoKey | KeyObject,
  signingKey: CryptoKey | KeyObject,
): X509Certificate {
  if (p.signingAlgorithm.name !== 'ECDSA' || (p.signingAlgorithm.hash ?? 'SHA-256') !== 'SHA-256')
    throw new Error('x509-lite: only ECDSA with SHA-256 is supported');
  const serial = Buffer.from(p.serialNumber.length % 2 ? `0${p.serialNumber}` : p.serialNumber, 'hex');
  const exts = p.extensions ?? [];
  const tbs = seq(
    tlv(0xa0, uint(Buffer.from([2]))),
    uint(serial),
    ECDSA_SHA256,
    name(issuer),
    seq(time(p.notBefore), time(p.notAfter)),
    name(subject),
    spkiOf(publicKey),
    ...(exts.length ? [tlv(0xa3, seq(...exts.map((e) => e.toDER())))] : []),
  );
  // node:crypto signs ECDSA in DER (dsaEncoding 'der'), the form a certificate carries.
  const signature = sign('sha256', tbs, keyObject(signingKey));
  return new X509Certificate(seq(tbs, ECDSA_SHA256, bits(signature)));
}

export const X509CertificateGenerator = {
  async createSelfSigned(p: CreateParams & { name: string; keys: CryptoKeyPair }): Promise<X509Certificate> {
    return issue(p, p.name, p.name, p.keys.publicKey, p.keys.privateKey);
  },
  async create(
    p: CreateParams & { subject: string; issuer: string; publicKey: CryptoKey; signingKey: CryptoKey },
  ): Promise<X509Certificate> {
    return issue(p, p.subject, p.issuer, p.publicKey, p.signingKey);
  },
};
