// The service account token authority: issues and verifies ES256 JWTs shaped like upstream's
// bound service account tokens (the `kubernetes.io` private claim of pkg/serviceaccount), signed
// with node:crypto. The signing key is <dataDir>/pki/sa.key (PKCS#8 PEM, 0600), made on first
// start and reused; in-memory clusters share one key per process, like the PKI in src/pki/certs.ts.
//
// verify() checks what the token itself proves (signature, issuer, exp/nbf/iat with upstream's
// one-minute leeway) and caches the signature check per token string, so a client repeating its
// token costs a map lookup. Whether the ServiceAccount/Pod it names still exist is the
// authenticator's business (src/auth/authenticator.ts), not the token's.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  verify as verifySignature,
  type KeyObject,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '../base/files.js';

/** upstream WarnOnlyBoundTokenExpirationSeconds: what the ServiceAccount admission plugin asks for. */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7;
/** upstream ExpirationExtensionSeconds: the lifetime such kubelet tokens really get (one year). */
export const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60;
/** go-jose's jwt.DefaultLeeway, which upstream's validator uses for exp, nbf, iat and deletions. */
export const LEEWAY_SECONDS = 60;

export interface ObjectRefClaim {
  name: string;
  uid?: string;
}

/** The claims of a service account token, as issued and as returned by verify(). */
export interface ServiceAccountClaims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti?: string;
  'kubernetes.io': {
    namespace: string;
    node?: ObjectRefClaim;
    pod?: { name: string; uid: string };
    secret?: { name: string; uid: string };
    serviceaccount: { name: string; uid: string };
    warnafter?: number;
  };
  nbf: number;
  sub: string;
}

export interface TokenIssueRequest {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  /** Binds the token to this Pod (valid only while it exists with this uid). */
  pod?: { name: string; uid: string };
  /** With `pod`: informational (the Pod's node). Without `pod`: binds the token to this Node. */
  node?: { name: string; uid?: string };
  /** Binds the token to this Secret. Not combinable with `pod` or `node`. */
  secret?: { name: string; uid: string };
  /** Default: [issuer], the API server's own audience. */
  audiences?: string[];
  expirationSeconds: number;
}

export interface TokenAuthority {
  issuer: string;
  /**
   * Signs a token. `expiresAt` is the requested lifetime (what TokenRequest's
   * status.expirationTimestamp reports and when a kubelet refreshes the token); a Pod-bound token
   * asked for with exactly 3607 s for the API server's audience gets a year in its `exp` and the
   * requested time as `warnafter`, as upstream's --service-account-extend-token-expiration does.
   */
  issue(req: TokenIssueRequest): { token: string; expiresAt: Date };
  /** Signature, exp/nbf, issuer; cached so repeated requests are cheap. */
  verify(token: string): ServiceAccountClaims | undefined;
}

const CACHE_MAX = 4096;

export function createTokenAuthority(o: { dataDir?: string; issuer: string }): TokenAuthority {
  const privateKey = loadOrCreateSigningKey(o.dataDir);
  const publicKey = createPublicKey(privateKey);
  // upstream keyIDFromPublicKey: base64url(sha256(DER of the PKIX public key)).
  const kid = createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
  const header = b64json({ alg: 'ES256', kid });
  const issuer = o.issuer;
  const apiAudiences = new Set([issuer]);
  // token → claims (signature and issuer checked) or null (never valid: bad signature, shape, issuer).
  const cache = new Map<string, ServiceAccountClaims | null>();

  const remember = (token: string, v: ServiceAccountClaims | null) => {
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(token, v);
  };

  const checkToken = (token: string): ServiceAccountClaims | null => {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [h, p, s] = parts as [string, string, string];
    const hdr = parseB64Json(h) as { alg?: unknown; kid?: unknown } | undefined;
    if (!hdr || hdr.alg !== 'ES256' || (hdr.kid !== undefined && hdr.kid !== kid)) return null;
    const sig = Buffer.from(s, 'base64url');
    if (sig.length !== 64) return null;
    if (!verifySignature('sha256', Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)) return null;
    const claims = normalizeClaims(parseB64Json(p));
    if (!claims || claims.iss !== issuer) return null;
    return claims;
  };

  return {
    issuer,
    issue(req) {
      if (!Number.isInteger(req.expirationSeconds) || req.expirationSeconds <= 0)
        throw new Error(`expirationSeconds must be a positive integer, got ${req.expirationSeconds}`);
      if (req.secret && (req.pod || req.node)) throw new Error('internal error, token can only be bound to one object type');
      const now = Math.floor(Date.now() / 1000);
      const aud = req.audiences?.length ? [...req.audiences] : [issuer];
      let lifetime = req.expirationSeconds;
      let warnafter: number | undefined;
      if (req.pod && req.expirationSeconds === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && aud.every((a) => apiAudiences.has(a))) {
        warnafter = now + req.expirationSeconds;
        lifetime = EXPIRATION_EXTENSION_SECONDS;
      }
      const k8s: ServiceAccountClaims['kubernetes.io'] = {
        namespace: req.namespace,
        serviceaccount: { name: req.serviceAccount.name, uid: req.serviceAccount.uid },
      };
      if (req.pod) {
        k8s.pod = { name: req.pod.name, uid: req.pod.uid };
        if (req.node) k8s.node = ref(req.node);
      } else if (req.secret) k8s.secret = { name: req.secret.name, uid: req.secret.uid };
      else if (req.node) k8s.node = ref(req.node);
      if (warnafter !== undefined) k8s.warnafter = warnafter;
      // Keys in the order go-jose writes them (sorted), so tokens read like upstream's.
      const claims: ServiceAccountClaims = {
        aud,
        exp: now + lifetime,
        iat: now,
        iss: issuer,
        jti: randomUUID(),
        'kubernetes.io': sortKeys(k8s),
        nbf: now,
        sub: `system:serviceaccount:${req.namespace}:${req.serviceAccount.name}`,
      };
      const input = `${header}.${b64json(claims)}`;
      const sig = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const token = `${input}.${sig.toString('base64url')}`;
      remember(token, claims);
      return { token, expiresAt: new Date((now + req.expirationSeconds) * 1000) };
    },
    verify(token) {
      let claims = cache.get(token);
      if (claims === undefined) remember(token, (claims = checkToken(token)));
      if (!claims) return undefined;
      const now = Date.now() / 1000;
      if (now - LEEWAY_SECONDS > claims.exp) return undefined; // service account token has expired
      if (now + LEEWAY_SECONDS < claims.nbf) return undefined; // service account token is not valid yet
      if (now + LEEWAY_SECONDS < claims.iat) return undefined; // service account token is issued in the future
      return claims;
    },
  };
}

function ref(r: { name: string; uid?: string }): ObjectRefClaim {
  return r.uid ? { name: r.name, uid: r.uid } : { name: r.name };
}

function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

function b64json(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

function parseB64Json(s: string): unknown {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A payload of the expected shape, with `aud` as an array (a JWT may carry a single string). */
function normalizeClaims(v: unknown): ServiceAccountClaims | null {
  if (!v) return null;
  const c = v as Record<string, unknown>;
  const aud = isStr(c.aud) ? [c.aud] : Array.isArray(c.aud) && c.aud.every(isStr) ? (c.aud as string[]) : undefined;
  if (!aud || !isStr(c.iss) || !isStr(c.sub) || !isNum(c.exp) || !isNum(c.iat) || !isNum(c.nbf)) return null;
  const k = c['kubernetes.io'] as Record<string, unknown> | undefined;
  if (!k || typeof k !== 'object' || !isStr(k.namespace) || !k.namespace) return null;
  const sa = k.serviceaccount as { name?: unknown; uid?: unknown } | undefined;
  if (!sa || !isStr(sa.name) || !isStr(sa.uid) || !sa.name) return null;
  const okRef = (r: unknown, needUID: boolean) =>
    r === undefined ||
    (typeof r === 'object' &&
      r !== null &&
      isStr((r as ObjectRefClaim).name) &&
      (needUID ? isStr((r as ObjectRefClaim).uid) : (r as ObjectRefClaim).uid === undefined || isStr((r as ObjectRefClaim).uid)));
  if (!okRef(k.pod, true) || !okRef(k.secret, true) || !okRef(k.node, false)) return null;
  if (k.warnafter !== undefined && !isNum(k.warnafter)) return null;
  return { ...(c as unknown as ServiceAccountClaims), aud };
}

let processKey: KeyObject | undefined;

/** The ES256 signing key: <dataDir>/pki/sa.key, or one key per process for in-memory clusters. */
export function loadOrCreateSigningKey(dataDir: string | undefined): KeyObject {
  if (!dataDir) return (processKey ??= generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const dir = join(dataDir, 'pki');
  const file = join(dir, 'sa.key');
  if (existsSync(file)) {
    const key = createPrivateKey(readFileSync(file));
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`${file}: the service account signing key must be an EC P-256 private key (ES256)`);
    }
    return key;
  }
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writePrivateFile(file, key.export({ type: 'pkcs8', format: 'pem' }) as string);
  return key;
}
