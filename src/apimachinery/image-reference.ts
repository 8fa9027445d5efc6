// Container image references as the kubelet reads them (github.com/distribution/reference, which
// the kubelet's image manager calls as ParseNormalizedNamed and TagNameOnly): `nginx`,
// `nginx:1.27`, `docker.io/library/nginx:1.27` and `index.docker.io/library/nginx:1.27` name the
// same image; a reference without tag or digest means `:latest`. Issue 23's image map keys its
// entries by these normalized names, so `nginx` in a manifest and `docker.io/library/nginx` in the
// map meet.
//
// Grammar (reference.go):
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [domain "/"] path-component ["/" path-component]*
//   domain     := host [":" port]     host: DNS-style labels, an IPv4 address or "[" IPv6 "]"
//   path-component := [a-z0-9]+ (([_.]|__|-+) [a-z0-9]+)*
//   tag        := [\w][\w.-]{0,127}
//   digest     := algorithm ":" [0-9a-fA-F]{32,}   algorithm := [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPOSITORY_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[_.]|__|[-]+)[a-z0-9]+)*';
const REMOTE_NAME = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
/** The whole reference, anchored: name (domain optional), tag, digest. */
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${REMOTE_NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_DOMAIN = new RegExp(`^${DOMAIN}$`);

export interface ImageReference {
  /** `docker.io`, `registry.k8s.io`, `localhost:5000`. */
  domain: string;
  /** `library/nginx`, `e2e-test-images/agnhost`. */
  path: string;
  /** Undefined when the reference has none (TagNameOnly makes it `latest` unless a digest is given). */
  tag?: string;
  digest?: string;
}

/** A reference that does not parse, with the library's words (`invalid reference format`, ...). */
export class ImageReferenceError extends Error {}

/**
 * ParseNormalizedNamed: the reference with docker.io and `library/` filled in. Throws an
 * ImageReferenceError with upstream's text when it is not a valid reference.
 */
export function parseImageReference(ref: string): ImageReference {
  if (/^[a-f0-9]{64}$/.test(ref))
    throw new ImageReferenceError(`invalid repository name (${ref}), cannot specify 64-byte hexadecimal strings`);
  const split = splitDockerDomain(ref);
  // The repository (up to a tag's colon) must be lowercase: said before the grammar's verdict.
  const tagSep = split.remainder.indexOf(':');
  const remote = tagSep < 0 ? split.remainder : split.remainder.slice(0, tagSep);
  if (remote.toLowerCase() !== remote)
    throw new ImageReferenceError(`invalid reference format: repository name (${remote}) must be lowercase`);
  const full = `${split.domain}/${split.remainder}`;
  const m = REFERENCE.exec(full);
  if (!m) {
    if (REFERENCE.test(full.toLowerCase())) throw new ImageReferenceError('repository name must be lowercase');
    throw new ImageReferenceError('invalid reference format');
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX)
    throw new ImageReferenceError(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  const slash = name.indexOf('/');
  return {
    domain: name.slice(0, slash),
    path: name.slice(slash + 1),
    ...(m[2] !== undefined ? { tag: m[2] } : {}),
    ...(m[3] !== undefined ? { digest: m[3] } : {}),
  };
}

/** upstream splitDockerDomain: the first component is a domain when it has `.` or `:`, or is `localhost`, or has uppercase. */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i < 0 ? '' : name.slice(0, i);
  if (i < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPOSITORY_PREFIX + remainder;
  return { domain, remainder };
}

/** TagNameOnly: a reference without tag or digest gets `latest`. */
export const withDefaultTag = (r: ImageReference): ImageReference =>
  r.tag === undefined && r.digest === undefined ? { ...r, tag: 'latest' } : r;

/** The repository, fully qualified: `docker.io/library/nginx`. */
export const repositoryOf = (r: ImageReference): string => `${r.domain}/${r.path}`;

/** The reference's canonical text: `docker.io/library/nginx:1.27`, `registry.k8s.io/pause@sha256:...`. */
export const imageReferenceString = (r: ImageReference): string =>
  `${repositoryOf(r)}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;

/** FamiliarString: how docker prints it, `nginx:1.27`, `someone/app`, `registry.k8s.io/pause:3.10`. */
export function familiarImageString(r: ImageReference): string {
  let name = repositoryOf(r);
  if (r.domain === DEFAULT_DOMAIN)
    name = r.path.startsWith(OFFICIAL_REPOSITORY_PREFIX) ? r.path.slice(OFFICIAL_REPOSITORY_PREFIX.length) : r.path;
  return `${name}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** Whether `host[:port]` is a registry domain as the grammar reads one. */
export const isImageDomain = (s: string): boolean => ANCHORED_DOMAIN.test(s);
