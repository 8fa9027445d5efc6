// The image map: which program on this host runs a container image. tinykube has no image store
// and unpacks no layers; a Pod's `image` is looked up here instead, and the entry gives what an
// image's config gives a container runtime (the OCI image config: Entrypoint, Cmd, Env,
// WorkingDir, User, Volumes, ExposedPorts), with the host's programs in place of the image's files.
// The kubelet then applies upstream's rules to it exactly as to a pulled image: `command`
// replaces the entrypoint, `args` replace the default arguments, the container's env wins.
//
// Maps come from three places, searched in this order (src/kubelet/images.ts): the ConfigMap
// kube-system/tinykube-images (key images.yaml, editable with kubectl, kept with the cluster's
// data), the map given at start (`--images FILE`, `startCluster({ images })`), and the built-in
// catalogue (catalogue.ts). Within one map the first matching entry wins.
//
// An entry's `image` is a pattern over normalized references (image-reference.ts): `nginx`
// means every tag and digest of docker.io/library/nginx; `nginx:1.27` that tag only;
// `registry.example/team/*` every repository under it; `*` in a tag (`python:3.*`) or a bare `*`
// (everything) as one expects. Where a root filesystem would plug in (unpacked OCI layers), an
// entry would name it: `rootfs` is reserved for that and refused today.
import {
  ImageReferenceError,
  parseImageReference,
  withDefaultTag,
  repositoryOf,
  type ImageReference,
} from '../../apimachinery/image-reference.js';

/** One entry as written in a map (YAML or JSON). */
export interface ImageEntry {
  /** The pattern the entry answers for (see the file's comment). */
  image: string;
  /** The image's ENTRYPOINT: a container's `command` replaces it. */
  entrypoint?: string[];
  /** The image's CMD (default arguments): a container's `args` replace it. */
  cmd?: string[];
  /** The image's ENV: the container's own env overrides it. */
  env?: Record<string, string>;
  /** The image's WORKDIR: a container's `workingDir` overrides it. */
  workingDir?: string;
  /** The image's USER (`name`, `uid`, `uid:gid`, `name:group`): securityContext.runAsUser/runAsGroup override it. */
  user?: string;
  /**
   * The image's VOLUMEs: where it keeps state. Each container gets a directory of its own there
   * (inside the Pod's sandbox, removed with the Pod) unless one of its volumeMounts is at that path.
   */
  volumes?: string[];
  /** The image's EXPOSEd ports (documentation: shown in the Pulled event). */
  ports?: number[];
  /** The image's STOPSIGNAL, e.g. SIGQUIT for nginx (the kubelet stops the container with it). */
  stopSignal?: string;
  /**
   * Programs inside the image that manifests name as their command (`/agnhost`,
   * `docker-entrypoint.sh`): the argv each stands for here, the rest of the command following.
   */
  paths?: Record<string, string[]>;
}

/** Where a map came from, for messages: `ConfigMap kube-system/tinykube-images`, `--images images.yaml`, `the built-in catalogue`. */
export interface ImageMap {
  source: string;
  entries: ImageEntry[];
}

export const IMAGE_MAP_CONFIGMAP = { namespace: 'kube-system', name: 'tinykube-images', key: 'images.yaml' };

/** What the ConfigMap holds when tinykube makes it: the format, as comments, and no entries. */
export const IMAGE_MAP_TEMPLATE = `# tinykube's image map: container images -> programs on this host. Searched first, then
# the map given at start (--images), then the built-in catalogue. A Pod starting after an edit
# uses it; Pods waiting for an image (ErrImagePull, ImagePullBackOff) try again at once.
#
# - image: nginx                     # nginx (any tag), nginx:1.27, registry.example/team/*, python:3.*, *
#   entrypoint: [python3, -m, http.server]   # the image's ENTRYPOINT: a container's command replaces it
#   cmd: ["80"]                      # the image's CMD: a container's args replace it
#   env: {GREETING: hello}           # the image's ENV: the container's env wins
#   workingDir: /srv                 # the image's WORKDIR
#   user: "1000:1000"                # the image's USER (taken on when tinykube runs as root)
#   volumes: [/data]                 # the image's VOLUMEs: a directory of each container's own
#   ports: [80]                      # the image's EXPOSEd ports (shown in the Pulled event)
#   stopSignal: SIGQUIT              # the image's STOPSIGNAL
#   paths: {/docker-entrypoint.sh: [sh, /srv/entry.sh]}   # programs of the image a command may name
[]
`;

const STOP_SIGNALS = new Set(['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGKILL', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH']);

/** A problem with one place in a map, worded as a field error: `images[2].cmd: must be a list of strings`. */
export type MapProblem = string;

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * Reads a decoded map: a list of entries, or `{ images: [...] }`. Entries with a problem are
 * left out and reported; the rest are kept (one bad line in a shared map must not stop every Pod).
 */
export function readImageMap(value: unknown, source: string): { map: ImageMap; problems: MapProblem[] } {
  const problems: MapProblem[] = [];
  const list =
    value === null || value === undefined
      ? []
      : Array.isArray(value)
        ? value
        : typeof value === 'object' && Array.isArray((value as { images?: unknown }).images)
          ? (value as { images: unknown[] }).images
          : undefined;
  if (!list) return { map: { source, entries: [] }, problems: ['must be a list of image entries (or an object with a list `images`)'] };
  const entries: ImageEntry[] = [];
  list.forEach((raw, i) => {
    const at = `images[${i}]`;
    const bad = (field: string, why: string) => problems.push(`${at}${field ? `.${field}` : ''}: ${why}`);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return bad('', 'must be an object');
    const e = raw as Record<string, unknown>;
    const before = problems.length;
    const known = new Set(['image', 'entrypoint', 'cmd', 'env', 'workingDir', 'user', 'volumes', 'ports', 'stopSignal', 'paths', 'rootfs']);
    for (const k of Object.keys(e))
      if (!known.has(k)) bad(k, `unknown field (known: ${[...known].filter((f) => f !== 'rootfs').join(', ')})`);
    if (typeof e.image !== 'string' || !e.image) bad('image', 'required: an image reference or pattern');
    else {
      const why = patternProblem(e.image);
      if (why) bad('image', why);
    }
    for (const f of ['entrypoint', 'cmd', 'volumes'] as const)
      if (e[f] !== undefined && !isStringList(e[f])) bad(f, 'must be a list of strings');
    if (isStringList(e.volumes))
      for (const v of e.volumes) if (!v.startsWith('/')) bad('volumes', `${JSON.stringify(v)}: must be an absolute path`);
    if (e.env !== undefined) {
      // As an image's config lists it (`KEY=value` strings) or as a mapping.
      const env = e.env;
      if (isStringList(env)) {
        if (env.some((s) => !s.includes('='))) bad('env', 'each item must be KEY=value');
      } else if (env === null || typeof env !== 'object' || Array.isArray(env) || Object.values(env).some((v) => typeof v !== 'string'))
        bad('env', 'must map names to strings (or list KEY=value strings)');
    }
    for (const f of ['workingDir', 'user'] as const) if (e[f] !== undefined && typeof e[f] !== 'string') bad(f, 'must be a string');
    if (typeof e.workingDir === 'string' && e.workingDir && !e.workingDir.startsWith('/')) bad('workingDir', 'must be an absolute path');
    if (e.ports !== undefined && (!Array.isArray(e.ports) || e.ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)))
      bad('ports', 'must be a list of port numbers (1-65535)');
    if (e.stopSignal !== undefined && (typeof e.stopSignal !== 'string' || !STOP_SIGNALS.has(e.stopSignal)))
      bad('stopSignal', `must be one of ${[...STOP_SIGNALS].join(', ')}`);
    if (e.paths !== undefined) {
      const paths = e.paths;
      if (paths === null || typeof paths !== 'object' || Array.isArray(paths))
        bad('paths', 'must map a path to a command (a list of strings)');
      else
        for (const [k, v] of Object.entries(paths))
          if (!isStringList(v) || !v.length) bad(`paths[${k}]`, 'must be a non-empty list of strings');
    }
    if (e.rootfs !== undefined) bad('rootfs', 'not supported yet: tinykube runs host programs and does not unpack image layers');
    if (problems.length !== before) return;
    const env = isStringList(e.env)
      ? Object.fromEntries(e.env.map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]))
      : (e.env as Record<string, string> | undefined);
    entries.push({
      image: e.image as string,
      ...(e.entrypoint !== undefined ? { entrypoint: e.entrypoint as string[] } : {}),
      ...(e.cmd !== undefined ? { cmd: e.cmd as string[] } : {}),
      ...(env ? { env } : {}),
      ...(typeof e.workingDir === 'string' && e.workingDir ? { workingDir: e.workingDir } : {}),
      ...(typeof e.user === 'string' && e.user ? { user: e.user } : {}),
      ...(e.volumes !== undefined ? { volumes: e.volumes as string[] } : {}),
      ...(e.ports !== undefined ? { ports: e.ports as number[] } : {}),
      ...(e.stopSignal !== undefined ? { stopSignal: e.stopSignal as string } : {}),
      ...(e.paths !== undefined ? { paths: e.paths as Record<string, string[]> } : {}),
    });
  });
  return { map: { source, entries }, problems };
}

// ---- patterns ----

interface Pattern {
  /** Matches the normalized repository (`docker.io/library/nginx`). */
  repository: RegExp;
  /** Undefined: any tag and digest. */
  tag?: RegExp;
  digest?: string;
}

const compiled = new Map<string, Pattern | string>();

const globToRegExp = (glob: string) =>
  new RegExp(
    `^${glob
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/** The pattern's parts; a string: why it is not a pattern. */
function compile(pattern: string): Pattern | string {
  const done = compiled.get(pattern);
  if (done !== undefined) return done;
  let result: Pattern | string;
  if (pattern === '*') result = { repository: /^/ };
  else if (!pattern.includes('*')) {
    try {
      const r = parseImageReference(pattern);
      result = {
        repository: globToRegExp(repositoryOf(r)),
        ...(r.tag !== undefined ? { tag: globToRegExp(r.tag) } : {}),
        ...(r.digest ? { digest: r.digest } : {}),
      };
    } catch (e) {
      result = e instanceof ImageReferenceError ? `${JSON.stringify(pattern)}: ${e.message}` : String(e);
    }
  } else {
    // With wildcards the reference grammar does not apply: split it as the grammar would, and
    // fill in docker.io and library/ the same way for names that have no registry of their own.
    const at = pattern.indexOf('@');
    const name0 = at < 0 ? pattern : pattern.slice(0, at);
    const digest = at < 0 ? undefined : pattern.slice(at + 1);
    const colon = name0.lastIndexOf(':');
    const hasTag = colon > name0.lastIndexOf('/');
    const name = hasTag ? name0.slice(0, colon) : name0;
    const tag = hasTag ? name0.slice(colon + 1) : undefined;
    const slash = name.indexOf('/');
    const first = slash < 0 ? '' : name.slice(0, slash);
    let repo = name;
    if (name.startsWith('*')) repo = name;
    else if (slash < 0) repo = `docker.io/library/${name}`;
    else if (!/[.:]/.test(first) && first !== 'localhost') repo = `docker.io/${name}`;
    else if (first === 'index.docker.io') repo = `docker.io/${name.slice(slash + 1)}`;
    result =
      !name || /[^a-z0-9._\-/:*[\]]/.test(name) || (tag !== undefined && !/^[\w.*-]+$/.test(tag))
        ? `${JSON.stringify(pattern)}: invalid image pattern (a reference, with * matching any characters)`
        : { repository: globToRegExp(repo), ...(tag !== undefined ? { tag: globToRegExp(tag) } : {}), ...(digest ? { digest } : {}) };
  }
  compiled.set(pattern, result);
  return result;
}

/** Why `pattern` is not a valid image pattern, or undefined. */
export function patternProblem(pattern: string): string | undefined {
  const p = compile(pattern);
  return typeof p === 'string' ? p : undefined;
}

/** Whether the normalized reference `ref` (parseImageReference's result) is one the pattern names. */
export function patternMatches(pattern: string, ref: ImageReference): boolean {
  const p = compile(pattern);
  if (typeof p === 'string') return false;
  if (!p.repository.test(repositoryOf(ref))) return false;
  if (p.digest !== undefined) return ref.digest === p.digest;
  if (p.tag) {
    const tag = withDefaultTag(ref).tag;
    return tag !== undefined && p.tag.test(tag);
  }
  return true;
}

/** The first entry of `map` for `ref`. */
export function findEntry(map: ImageMap, ref: ImageReference): ImageEntry | undefined {
  return map.entries.find((e) => patternMatches(e.image, ref));
}
