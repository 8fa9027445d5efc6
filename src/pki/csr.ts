// PKCS#10 certificate signing requests (certificates.k8s.io CertificateSigningRequest's
// spec.request) and the certificates the cluster CA issues for them. node:crypto verifies and
// signs but has no CSR parser, so a small DER reader takes the request apart as Go's
// x509.ParseCertificateRequest does (subject, public key, SAN extension request, signature) with
// Go's error texts where a client sees them (validation of spec.request). Issuing follows
// kube-controller-manager's local signer (pkg/controller/certificates/authority and its
// PermissiveSigningPolicy): the request's subject and SANs, key usages from spec.usages, no other
// requested extension, CA:FALSE, 5 minutes of backdating, NotAfter capped at the CA's, encoded as
// Go's x509.CreateCertificate encodes a template.
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { formatIPBytes } from '../apimachinery/ipnet.js';
import { bits, bool, octets, oid, seq, setOf, time, tlv, uint } from './der.js';

// ---- DER reading ----

interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the contents. */
  body: number;
  end: number;
}

const truncated = () => new Error('asn1: syntax error: data truncated');
const tagsDontMatch = () => new Error("asn1: structure error: tags don't match");

function readTlv(buf: Buffer, at: number, limit = buf.length): Tlv {
  if (at + 2 > limit) throw truncated();
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('asn1: structure error: high-tag-number form is not supported');
  let len = buf[at + 1]!;
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('asn1: structure error: length too large');
    if (body + n > limit) throw truncated();
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[body + i]!;
    body += n;
  }
  if (body + len > limit) throw truncated();
  return { tag, start: at, body, end: body + len };
}

function expect(buf: Buffer, at: number, tag: number, limit?: number): Tlv {
  const t = readTlv(buf, at, limit);
  if (t.tag !== tag) throw tagsDontMatch();
  return t;
}

/** The elements inside a constructed value. */
function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.body; at < parent.end;) {
    const t = readTlv(buf, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

const contents = (buf: Buffer, t: Tlv) => buf.subarray(t.body, t.end);
const whole = (buf: Buffer, t: Tlv) => buf.subarray(t.start, t.end);

function oidText(b: Buffer): string {
  if (!b.length) throw new Error('asn1: syntax error: zero length OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  const first = arcs.shift()!;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - 40 * a, ...arcs].join('.');
}

/** A directory string as Go's asn1 decodes it (UTF8, Printable, IA5, T61, BMP). */
function stringValue(buf: Buffer, t: Tlv): string | undefined {
  const b = contents(buf, t);
  switch (t.tag) {
    case 0x0c:
      return b.toString('utf8');
    case 0x13:
    case 0x16:
    case 0x14:
      return b.toString('latin1');
    case 0x1e: {
      let s = '';
      for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(b.readUInt16BE(i));
      return s;
    }
    default:
      return undefined;
  }
}

function derTime(buf: Buffer, t: Tlv): Date {
  const s = contents(buf, t).toString('latin1');
  const m = t.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s) : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
  if (!m) throw new Error('x509: malformed validity');
  let y = Number(m[1]);
  if (t.tag === 0x17) y += y < 50 ? 2000 : 1900;
  return new Date(Date.UTC(y, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

// ---- names ----

const OID = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  country: '2.5.4.6',
  locality: '2.5.4.7',
  province: '2.5.4.8',
  streetAddress: '2.5.4.9',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  postalCode: '2.5.4.17',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
  subjectKeyId: '2.5.29.14',
} as const;

/** The attributes of a subject Go's pkix.Name keeps (FillFromRDNSequence; others are dropped when re-encoded). */
export interface SubjectName {
  country: string[];
  province: string[];
  locality: string[];
  streetAddress: string[];
  postalCode: string[];
  organization: string[];
  organizationalUnit: string[];
  commonName: string;
  serialNumber: string;
}

const LIST_ATTRS: Record<string, keyof SubjectName> = {
  [OID.country]: 'country',
  [OID.province]: 'province',
  [OID.locality]: 'locality',
  [OID.streetAddress]: 'streetAddress',
  [OID.postalCode]: 'postalCode',
  [OID.organization]: 'organization',
  [OID.organizationalUnit]: 'organizationalUnit',
};

function parseName(buf: Buffer, name: Tlv): SubjectName {
  const n: SubjectName = {
    country: [],
    province: [],
    locality: [],
    streetAddress: [],
    postalCode: [],
    organization: [],
    organizationalUnit: [],
    commonName: '',
    serialNumber: '',
  };
  for (const rdn of children(buf, name)) {
    if (rdn.tag !== 0x31) throw tagsDontMatch();
    for (const atv of children(buf, rdn)) {
      if (atv.tag !== 0x30) throw tagsDontMatch();
      const [type, value] = children(buf, atv);
      if (!type || !value || type.tag !== 0x06) throw tagsDontMatch();
      const v = stringValue(buf, value);
      if (v === undefined) continue;
      const o = oidText(contents(buf, type));
      // Later values win for the single-valued attributes, as in Go.
      if (o === OID.commonName) n.commonName = v;
      else if (o === OID.serialNumber) n.serialNumber = v;
      else if (LIST_ATTRS[o]) (n[LIST_ATTRS[o]] as string[]).push(v);
    }
  }
  return n;
}

/** A string as Go's asn1 marshals one: PrintableString when it can be, else UTF8String. */
const directoryString = (v: string) => tlv(/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(v) ? 0x13 : 0x0c, Buffer.from(v, 'utf8'));

/** pkix.Name.ToRDNSequence: one RDN per attribute type (all its values), in Go's order. */
function encodeName(n: SubjectName): { der: Buffer; empty: boolean } {
  const rdns: Buffer[] = [];
  const add = (type: string, values: string[]) => {
    if (values.length) rdns.push(setOf(values.map((v) => seq(oid(type), directoryString(v)))));
  };
  add(OID.country, n.country);
  add(OID.province, n.province);
  add(OID.locality, n.locality);
  add(OID.streetAddress, n.streetAddress);
  add(OID.postalCode, n.postalCode);
  add(OID.organization, n.organization);
  add(OID.organizationalUnit, n.organizationalUnit);
  add(OID.commonName, n.commonName ? [n.commonName] : []);
  add(OID.serialNumber, n.serialNumber ? [n.serialNumber] : []);
  return { der: seq(...rdns), empty: rdns.length === 0 };
}

// ---- certificate requests ----

/** A GeneralName of the SAN extension: its context tag (0x81 email, 0x82 DNS, 0x86 URI, 0x87 IP) and value. */
interface GeneralName {
  tag: number;
  value: Buffer;
}

export interface CertificateRequest {
  /** The CertificationRequestInfo that was signed. */
  tbs: Buffer;
  subject: SubjectName;
  /** The SubjectPublicKeyInfo, DER. */
  publicKeyInfo: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
  dnsNames: string[];
  emailAddresses: string[];
  ipAddresses: string[];
  uris: string[];
  /** The SANs as requested, to re-encode in the certificate. */
  sans: GeneralName[];
}

/** certificates.ParseCSR: the one PEM block must be a CERTIFICATE REQUEST. */
export function parseCSRPem(pem: Buffer): CertificateRequest {
  const text = pem.toString('latin1');
  const m = /-----BEGIN ([^\r\n-]*)-----\r?\n([\s\S]*?)\r?\n?-----END \1-----/.exec(text);
  if (!m || m[1] !== 'CERTIFICATE REQUEST' || !/^[A-Za-z0-9+/=\s]*$/.test(m[2]!))
    throw new Error('PEM block type must be CERTIFICATE REQUEST');
  return parseCertificateRequest(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
}

/** x509.ParseCertificateRequest of DER bytes. */
export function parseCertificateRequest(der: Buffer): CertificateRequest {
  const outer = expect(der, 0, 0x30);
  if (outer.end !== der.length) throw new Error('asn1: syntax error: trailing data');
  const [info, alg, sig] = children(der, outer);
  if (!info || !alg || !sig || info.tag !== 0x30 || alg.tag !== 0x30 || sig.tag !== 0x03) throw tagsDontMatch();
  const [version, subject, spki, attrs] = children(der, info);
  if (!version || !subject || !spki || version.tag !== 0x02 || subject.tag !== 0x30 || spki.tag !== 0x30) throw tagsDontMatch();
  const algOid = children(der, alg)[0];
  if (!algOid || algOid.tag !== 0x06) throw tagsDontMatch();
  const sigBits = contents(der, sig);
  if (!sigBits.length) throw new Error('asn1: syntax error: zero length BIT STRING');
  const req: CertificateRequest = {
    tbs: whole(der, info),
    subject: parseName(der, subject),
    publicKeyInfo: whole(der, spki),
    signatureAlgorithm: oidText(contents(der, algOid)),
    signature: sigBits.subarray(1),
    dnsNames: [],
    emailAddresses: [],
    ipAddresses: [],
    uris: [],
    sans: [],
  };
  if (attrs && attrs.tag === 0xa0) readAttributes(der, attrs, req);
  return req;
}

/** The extensionRequest attribute's subjectAltName (the one requested extension a signer copies). */
function readAttributes(der: Buffer, attrs: Tlv, req: CertificateRequest): void {
  for (const attr of children(der, attrs)) {
    const [type, values] = attr.tag === 0x30 ? children(der, attr) : [];
    if (!type || !values || type.tag !== 0x06 || values.tag !== 0x31) throw tagsDontMatch();
    if (oidText(contents(der, type)) !== OID.extensionRequest) continue;
    for (const exts of children(der, values)) {
      if (exts.tag !== 0x30) throw tagsDontMatch();
      for (const ext of children(der, exts)) {
        const parts = children(der, ext);
        const id = parts[0];
        const value = parts[parts.length - 1];
        if (!id || !value || id.tag !== 0x06 || value.tag !== 0x04) throw tagsDontMatch();
        if (oidText(contents(der, id)) === OID.subjectAltName) readSANs(der, expect(der, value.body, 0x30, value.end), req);
      }
    }
  }
}

function readSANs(der: Buffer, names: Tlv, req: CertificateRequest): void {
  for (const n of children(der, names)) {
    const value = contents(der, n);
    switch (n.tag) {
      case 0x81:
        req.emailAddresses.push(value.toString('latin1'));
        break;
      case 0x82:
        req.dnsNames.push(value.toString('latin1'));
        break;
      case 0x86:
        req.uris.push(value.toString('latin1'));
        break;
      case 0x87:
        if (value.length !== 4 && value.length !== 16) throw new Error(`x509: cannot parse IP address of length ${value.length}`);
        req.ipAddresses.push(formatIPBytes(value));
        break;
      default:
        continue;
    }
    req.sans.push({ tag: n.tag, value: Buffer.from(value) });
  }
}

const SIGNATURE_HASHES: Record<string, { hash: string | null; key: 'rsa' | 'ec' | 'ed25519' }> = {
  '1.2.840.113549.1.1.5': { hash: 'sha1', key: 'rsa' },
  '1.2.840.113549.1.1.11': { hash: 'sha256', key: 'rsa' },
  '1.2.840.113549.1.1.12': { hash: 'sha384', key: 'rsa' },
  '1.2.840.113549.1.1.13': { hash: 'sha512', key: 'rsa' },
  '1.2.840.10045.4.1': { hash: 'sha1', key: 'ec' },
  '1.2.840.10045.4.3.2': { hash: 'sha256', key: 'ec' },
  '1.2.840.10045.4.3.3': { hash: 'sha384', key: 'ec' },
  '1.2.840.10045.4.3.4': { hash: 'sha512', key: 'ec' },
  '1.3.101.112': { hash: null, key: 'ed25519' },
};

const VERIFY_FAILURE: Record<'rsa' | 'ec' | 'ed25519', string> = {
  rsa: 'crypto/rsa: verification error',
  ec: 'x509: ECDSA verification failure',
  ed25519: 'x509: Ed25519 verification failure',
};

const UNSUPPORTED = 'x509: cannot verify signature: algorithm unimplemented';

/** The request's public key (undefined when node:crypto does not know its algorithm). */
export function requestPublicKey(req: CertificateRequest): KeyObject | undefined {
  try {
    return createPublicKey({ key: req.publicKeyInfo, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

/** CertificateRequest.CheckSignature: the request is signed by the key it carries. Throws Go's texts. */
export function checkSignature(req: CertificateRequest): void {
  const alg = SIGNATURE_HASHES[req.signatureAlgorithm];
  const key = requestPublicKey(req);
  if (!alg || !key) throw new Error(UNSUPPORTED);
  const keyType = key.asymmetricKeyType === 'rsa' ? 'rsa' : key.asymmetricKeyType === 'ec' ? 'ec' : key.asymmetricKeyType;
  if (keyType !== alg.key) throw new Error(UNSUPPORTED);
  let ok = false;
  try {
    ok = verify(alg.hash, req.tbs, key, req.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(VERIFY_FAILURE[alg.key]);
}

// ---- issuing ----

/** certificates/v1 KeyUsage values and the x509 KeyUsage bits they set (authority keyUsageDict). */
const KEY_USAGE_BITS: Record<string, number> = {
  signing: 0,
  'digital signature': 0,
  'content commitment': 1,
  'key encipherment': 2,
  'data encipherment': 3,
  'key agreement': 4,
  'cert sign': 5,
  'crl sign': 6,
  'encipher only': 7,
  'decipher only': 8,
};

/** The extended key usages, in Go's x509.ExtKeyUsage order (the order a certificate lists them in). */
const EXT_KEY_USAGES: [string[], string][] = [
  [['any'], '2.5.29.37.0'],
  [['server auth'], '1.3.6.1.5.5.7.3.1'],
  [['client auth'], '1.3.6.1.5.5.7.3.2'],
  [['code signing'], '1.3.6.1.5.5.7.3.3'],
  [['email protection', 's/mime'], '1.3.6.1.5.5.7.3.4'],
  [['ipsec end system'], '1.3.6.1.5.5.7.3.5'],
  [['ipsec tunnel'], '1.3.6.1.5.5.7.3.6'],
  [['ipsec user'], '1.3.6.1.5.5.7.3.7'],
  [['timestamping'], '1.3.6.1.5.5.7.3.8'],
  [['ocsp signing'], '1.3.6.1.5.5.7.3.9'],
  [['microsoft sgc'], '1.3.6.1.4.1.311.10.3.3'],
  [['netscape sgc'], '2.16.840.1.113730.4.1'],
];

const KNOWN_USAGES = new Set([...Object.keys(KEY_USAGE_BITS), ...EXT_KEY_USAGES.flatMap(([names]) => names)]);

/** authority keyUsagesFromStrings: the KeyUsage bits and the extended key usage OIDs. */
function keyUsages(usages: readonly string[]): { bits: number; ext: string[] } {
  const unknown = usages.filter((u) => !KNOWN_USAGES.has(u));
  if (unknown.length) throw new Error(`unrecognized usage values: [${unknown.map((u) => JSON.stringify(u)).join(' ')}]`);
  let b = 0;
  for (const u of usages) if (u in KEY_USAGE_BITS) b |= 1 << KEY_USAGE_BITS[u]!;
  const ext = EXT_KEY_USAGES.filter(([names]) => names.some((n) => usages.includes(n))).map(([, o]) => o);
  return { bits: b, ext };
}

/** The KeyUsage extension's BIT STRING (bit i is usage i, trailing zero bits not encoded). */
function keyUsageBits(usage: number): Buffer {
  let high = -1;
  for (let i = 0; i < 9; i++) if (usage & (1 << i)) high = i;
  const b = Buffer.alloc(high < 0 ? 0 : (high >> 3) + 1);
  for (let i = 0; i <= high; i++) if (usage & (1 << i)) b[i >> 3]! |= 0x80 >> (i & 7);
  return bits(b, high < 0 ? 0 : 7 - (high & 7));
}

const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

/** What issuing needs of the CA certificate: its subject, key identifier and expiry. */
interface CAInfo {
  subject: Buffer;
  keyId?: Buffer;
  notAfter: Date;
}

function caInfo(certPem: string): CAInfo {
  const der = Buffer.from(certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const cert = expect(der, 0, 0x30);
  const tbs = children(der, cert)[0]!;
  const fields = children(der, tbs);
  const i = fields[0]?.tag === 0xa0 ? 1 : 0;
  const validity = children(der, fields[i + 3]!);
  const info: CAInfo = { subject: whole(der, fields[i + 4]!), notAfter: derTime(der, validity[1]!) };
  const extsWrapper = fields.find((f) => f.tag === 0xa3);
  if (extsWrapper) {
    for (const ext of children(der, expect(der, extsWrapper.body, 0x30, extsWrapper.end))) {
      const parts = children(der, ext);
      if (oidText(contents(der, parts[0]!)) !== OID.subjectKeyId) continue;
      const value = parts[parts.length - 1]!;
      info.keyId = Buffer.from(contents(der, expect(der, value.body, 0x04, value.end)));
    }
  }
  return info;
}

/** The signature algorithm of the CA's key: ECDSA with the hash of its curve, or SHA-256 with RSA. */
function signatureAlgorithmOf(key: KeyObject): { id: Buffer; hash: string } {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') return { id: seq(oid('1.2.840.10045.4.3.3')), hash: 'sha384' };
    if (curve === 'secp521r1') return { id: seq(oid('1.2.840.10045.4.3.4')), hash: 'sha512' };
    return { id: seq(oid('1.2.840.10045.4.3.2')), hash: 'sha256' };
  }
  if (key.asymmetricKeyType === 'rsa') return { id: seq(oid('1.2.840.113549.1.1.11'), tlv(0x05)), hash: 'sha256' };
  throw new Error(`unsupported CA key type ${key.asymmetricKeyType}`);
}

export interface SigningPolicy {
  /** The certificate's lifetime (the signer's duration for the request). */
  ttlMs: number;
  usages: readonly string[];
  now: Date;
  /** NotBefore is this much before now (and NotAfter too, for long-lived certificates). */
  backdateMs?: number;
  /** Below this lifetime NotAfter is not backdated. */
  shortMs?: number;
}

const MINUTE = 60_000;

/** A UTC time as Go's %v prints a time.Time: `2036-12-05 16:00:00 +0000 UTC`. */
const goTime = (d: Date) => `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;

/**
 * A certificate for the request signed by the CA (PEM): CertificateAuthority.Sign with the
 * PermissiveSigningPolicy the in-tree signers use. Throws with upstream's texts when the usages
 * are unknown or the CA has expired.
 */
export function issueCertificate(req: CertificateRequest, ca: { certPem: string; keyPem: string }, p: SigningPolicy): string {
  const { bits: usageBits, ext } = keyUsages(p.usages);
  const backdate = p.backdateMs ?? 5 * MINUTE;
  const short = p.shortMs ?? 8 * 60 * MINUTE;
  const issuer = caInfo(ca.certPem);
  const now = p.now.getTime();
  const notBefore = new Date(now - backdate);
  let notAfter = new Date(p.ttlMs < short ? now + p.ttlMs : now + p.ttlMs - backdate);
  if (notAfter.getTime() >= issuer.notAfter.getTime()) notAfter = issuer.notAfter;
  if (notBefore.getTime() >= issuer.notAfter.getTime()) throw new Error(`the signer has expired: NotAfter=${goTime(issuer.notAfter)}`);
  if (now >= issuer.notAfter.getTime())
    throw new Error(`refusing to sign a certificate that expired in the past: NotAfter=${goTime(issuer.notAfter)}`);

  const subject = encodeName(req.subject);
  const exts: Buffer[] = [];
  if (usageBits) exts.push(extension('2.5.29.15', true, keyUsageBits(usageBits)));
  if (ext.length) exts.push(extension('2.5.29.37', false, seq(...ext.map(oid))));
  exts.push(extension('2.5.29.19', true, seq()));
  if (issuer.keyId) exts.push(extension('2.5.29.35', false, seq(tlv(0x80, issuer.keyId))));
  if (req.sans.length) {
    // Go writes DNS names, then emails, then IPs, then URIs; the extension is critical when the subject is empty (RFC 5280 4.2.1.6).
    const order = [0x82, 0x81, 0x87, 0x86];
    const sans = order.flatMap((tag) => req.sans.filter((s) => s.tag === tag)).map((s) => tlv(s.tag, s.value));
    exts.push(extension(OID.subjectAltName, subject.empty, seq(...sans)));
  }

  const caKey = createPrivateKey(ca.keyPem);
  const alg = signatureAlgorithmOf(caKey);
  const serial = randomBytes(16);
  const tbs = seq(
    tlv(0xa0, uint(Buffer.from([2]))),
    uint(serial),
    alg.id,
    issuer.subject,
    seq(time(notBefore), time(notAfter)),
    subject.der,
    req.publicKeyInfo,
    tlv(0xa3, seq(...exts)),
  );
  const cert = seq(tbs, alg.id, bits(sign(alg.hash, tbs, caKey)));
  const b64 = cert.toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}
