// The publication of the aggregator's front-proxy identity (pki/front-proxy.ts), as kubeadm sets
// up kube-apiserver's --requestheader-* flags: the ConfigMap
// kube-system/extension-apiserver-authentication says which CA and names extension servers are to
// trust, and in which headers the user arrives (upstream's cluster authentication trust
// controller, part of kube-apiserver, writes it; it is checked again at every start, and
// extension servers built on k8s.io/apiserver follow its changes).
import type { KubeObject } from '../../apimachinery/types.js';
import { FRONT_PROXY_CLIENT, type FrontProxyIdentity } from '../../pki/front-proxy.js';

export { FRONT_PROXY_CLIENT, type FrontProxyIdentity };
export const AUTHENTICATION_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' };
/** upstream's requestheader defaults (kubeadm): the headers the aggregator sets. */
export const USERNAME_HEADER = 'X-Remote-User';
export const GROUP_HEADER = 'X-Remote-Group';
export const EXTRA_HEADER_PREFIX = 'X-Remote-Extra-';

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
