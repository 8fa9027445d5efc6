// The bearer token of an Authorization header, read as upstream reads it
// (k8s.io/apiserver pkg/authentication/request/bearertoken, AuthenticateRequest): the header is
// trimmed, split on single spaces into at most three parts, and the scheme is compared case
// insensitively (`Bearer`, `bearer`, `BEARER` all work); the token is the second part (a third
// part is ignored), and an empty one (`Bearer  x`: two spaces) is no token at all.
export function bearerTokenOf(header: string | undefined): string | undefined {
  const auth = header?.trim();
  if (!auth) return undefined;
  const sp = auth.indexOf(' ');
  if (sp < 0 || auth.slice(0, sp).toLowerCase() !== 'bearer') return undefined;
  const rest = auth.slice(sp + 1);
  const end = rest.indexOf(' ');
  const token = end < 0 ? rest : rest.slice(0, end);
  return token || undefined;
}
