// The conversion webhook's client config checks (upstream's k8s.io/apiserver/pkg/util/webhook
// validation.go: ValidateWebhookURL, ValidateWebhookService): an https URL with a host and without
// user info, query or fragment; or a Service with a name, a namespace, a valid port and a path of
// DNS-subdomain segments.
import { fieldErr, type FieldError } from '../../../apimachinery/field.js';
import { isDNS1123Subdomain, isValidPortNum } from '../../../apimachinery/validation.js';

const FORM = '; desired format: https://host[/path]';

interface GoURL {
  scheme: string;
  user: string | undefined;
  host: string;
  rawQuery: string;
  fragment: string;
}

/** The parts Go's url.Parse finds (scheme, //userinfo@host, ?query, #fragment). */
function parseGoURL(raw: string): GoURL | string {
  let rest = raw;
  let fragment = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  let scheme = '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (m) {
    scheme = m[1]!.toLowerCase();
    rest = rest.slice(m[0].length);
  } else if (rest.startsWith(':')) {
    return 'missing protocol scheme';
  }
  let rawQuery = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let user: string | undefined;
  let host = '';
  if (rest.startsWith('//')) {
    const authEnd = rest.indexOf('/', 2);
    let authority = authEnd >= 0 ? rest.slice(2, authEnd) : rest.slice(2);
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      user = authority.slice(0, at);
      authority = authority.slice(at + 1);
    }
    host = authority;
  }
  return { scheme, user, host, rawQuery, fragment };
}

export function validateWebhookURL(f: string, url: string, forceHttps: boolean): FieldError[] {
  const u = parseGoURL(url);
  if (typeof u === 'string') return [fieldErr.required(f, `url must be a valid URL: parse ${JSON.stringify(url)}: ${u}${FORM}`)];
  const errs: FieldError[] = [];
  if (forceHttps && u.scheme !== 'https') errs.push(fieldErr.invalid(f, u.scheme, `'https' is the only allowed URL scheme${FORM}`));
  if (!u.host) errs.push(fieldErr.invalid(f, u.host, `host must be specified${FORM}`));
  if (u.user !== undefined) errs.push(fieldErr.invalid(f, u.user, 'user information is not permitted in the URL'));
  if (u.fragment) errs.push(fieldErr.invalid(f, u.fragment, 'fragments are not permitted in the URL'));
  if (u.rawQuery) errs.push(fieldErr.invalid(f, u.rawQuery, 'query parameters are not permitted in the URL'));
  return errs;
}

export function validateWebhookService(
  f: string,
  name: string,
  namespace: string,
  path: string | undefined,
  port: number | undefined,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!name) errs.push(fieldErr.required(`${f}.name`, 'service name is required'));
  if (!namespace) errs.push(fieldErr.required(`${f}.namespace`, 'service namespace is required'));
  if (port !== undefined) {
    const portErrs = isValidPortNum(port);
    if (portErrs.length) errs.push(fieldErr.invalid(`${f}.port`, port, `port is not valid: ${portErrs.join(', ')}`));
  }
  if (path === undefined || path === '' || path === '/') return errs;
  if (path === '//') {
    errs.push(fieldErr.invalid(`${f}.path`, path, 'segment[0] may not be empty'));
    return errs;
  }
  if (!path.startsWith('/')) errs.push(fieldErr.invalid(`${f}.path`, path, "must start with a '/'"));
  let toCheck = path.slice(1);
  if (toCheck.endsWith('/')) toCheck = toCheck.slice(0, -1);
  toCheck.split('/').forEach((step, i) => {
    if (!step) {
      errs.push(fieldErr.invalid(`${f}.path`, path, `segment[${i}] may not be empty`));
      return;
    }
    for (const msg of isDNS1123Subdomain(step)) errs.push(fieldErr.invalid(`${f}.path`, path, `segment[${i}]: ${msg}`));
  });
  return errs;
}
