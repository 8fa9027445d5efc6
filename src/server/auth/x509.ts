// Client certificate users (upstream's x509 request authenticator,
// k8s.io/apiserver/pkg/authentication/request/x509): a certificate the cluster's CA signed for
// client authentication is the user its Common Name names, in the groups its Organizations name,
// as kubeadm's admin.conf and envtest's AddUser users are. The TLS handshake verified the chain
// (the server asks for a certificate with the CA as its only trust anchor); what is checked here
// is that it is for client authentication. A connection keeps its certificate, so it is read once.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../../auth/users.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const seen = new WeakMap<object, UserInfo | null>();

const values = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The user of the connection's verified client certificate, or undefined (none, or not for clients). */
export function certificateUser(socket: Socket): UserInfo | undefined {
  const known = seen.get(socket);
  if (known !== undefined) return known ?? undefined;
  let user: UserInfo | null = null;
  const tls = socket as TLSSocket;
  if (tls.authorized && typeof tls.getPeerCertificate === 'function') {
    const cert = tls.getPeerCertificate();
    const cn = values(cert?.subject?.CN)[0];
    if (cn && (cert.ext_key_usage ?? []).includes(CLIENT_AUTH))
      user = { username: cn, groups: [...values(cert.subject.O), 'system:authenticated'] };
  }
  seen.set(socket, user);
  return user ?? undefined;
}
