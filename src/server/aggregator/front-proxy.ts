// The aggregator's front-proxy identity and its publication, as kubeadm sets up kube-apiserver's
// --proxy-client-cert-file and --requestheader-* flags: a front-proxy CA of its own (kubeadm's
// front-proxy-ca) signs the client certificate `front-proxy-client` that requests to aggregated
// API servers are made with, and the ConfigMap kube-system/extension-apiserver-authentication
// says which CA and names extension servers are to trust, and in which headers the user arrives
// (upstream's cluster authentication trust controller, part of kube-apiserver, writes it). The
// CA lives as long as the process: the ConfigMap is written again at every start, and extension
// servers built on k8s.io/apiserver follow its changes.
import { webcrypto, randomBytes } from 'node:crypto';
import type { KubeObject } from '../../apimachinery/types.js';
import { issueClientCertificate } from '../../pki/certs.js';
import {
  X509CertificateGenerator,
  BasicConstraintsExtension,
  KeyUsagesExtension,
  KeyUsageFlags,
  SubjectKeyIdentifierExtension,
} from '../../pki/x509-lite.js';

export const FRONT_PROXY_CLIENT = 'front-proxy-client';
export const AUTHENTICATION_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' };
/** upstream's requestheader defaults (kubeadm): the headers the aggregator sets. */
export const USERNAME_HEADER = 'X-Remote-User';
export const GROUP_HEADER = 'X-Remote-Group';
export const EXTRA_HEADER_PREFIX = 'X-Remote-Extra-';

export interface FrontProxyIdentity {
  /** The CA extension servers verify the client certificate with (requestheader-client-ca-file). */
  caPem: string;
  certPem: string;
  keyPem: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

/** A front-proxy CA and its `front-proxy-client` certificate (ECDSA P-256, a few milliseconds). */
export async function createFrontProxyIdentity(): Promise<FrontProxyIdentity> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const ca = await X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16)
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: 'CN=front-proxy-ca',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3650 * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new BasicConstraintsExtension(true, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature, true),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const caPem = ca.toString('pem') + '\n';
  const client = await issueClientCertificate(caPem, await pkcs8Pem(keys.privateKey), { user: FRONT_PROXY_CLIENT });
  return { caPem, ...client };
}

/** The data of kube-system/extension-apiserver-authentication (lists as JSON arrays, as upstream writes them). */
export function authenticationConfigData(clientCA: string | undefined, fp: FrontProxyIdentity): Record<string, string> {
  return {
    ...(clientCA ? { 'client-ca-file': clientCA } : {}),
    'requestheader-allowed-names': JSON.stringify([FRONT_PROXY_CLIENT]),
    'requestheader-client-ca-file': fp.caPem,
    'requestheader-extra-headers-prefix': JSON.stringify([EXTRA_HEADER_PREFIX]),
    'requestheader-group-headers': JSON.stringify([GROUP_HEADER]),
    'requestheader-username-headers': JSON.stringify([USERNAME_HEADER]),
  };
}

export function authenticationConfigMap(data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...AUTHENTICATION_CONFIGMAP }, data } as KubeObject;
}

/** upstream transport.headerKeyEscape: bytes a header name may not carry are %-encoded. */
export function headerKeyEscape(key: string): string {
  let out = '';
  for (const b of Buffer.from(key, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9!#$&'*+\-.^_`|~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The X-Remote-* header pairs for a user (upstream SetAuthProxyHeaders: one X-Remote-Group per group). */
export function authProxyHeaders(user: { username: string; groups: string[]; extra?: Record<string, string[]> }): string[] {
  const out = [USERNAME_HEADER, user.username];
  for (const g of user.groups) out.push(GROUP_HEADER, g);
  for (const [k, vs] of Object.entries(user.extra ?? {})) for (const v of vs) out.push(EXTRA_HEADER_PREFIX + headerKeyEscape(k), v);
  return out;
}
