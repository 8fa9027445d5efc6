// Connection failures worded as Go's net/http words them, for the texts users compare with
// upstream's: the availability condition's FailedDiscoveryCheck message and the proxy's 503 body.
interface NodeError extends Error {
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/** The errno texts of Go's syscall package. */
const ERRNO: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'connection timed out',
  EADDRNOTAVAIL: 'cannot assign requested address',
};

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

/** A transport error as Go's client says it (`dial tcp 127.0.0.1:4443: connect: connection refused`); `dialed` is host:port. */
export function goTransportError(err: unknown, dialed: string): string {
  const e = (err ?? {}) as NodeError;
  // undici wraps the socket's error.
  const cause = (e as { cause?: NodeError }).cause;
  const c = cause && !e.code?.startsWith('ECONN') && cause.code ? cause : e;
  const code = c.code ?? '';
  if (ERRNO[code] && (c.syscall === 'connect' || code === 'ECONNREFUSED')) return `dial tcp ${dialed}: connect: ${ERRNO[code]}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `dial tcp: lookup ${c.hostname ?? dialed}: no such host`;
  if (UNKNOWN_AUTHORITY.has(code)) return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `tls: failed to verify certificate: ${c.message}`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'EOF';
  return c.message || String(err);
}
