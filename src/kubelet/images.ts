// Images as local programs: what the kubelet's image manager (pkg/kubelet/images) and the
// runtime's image config do, against the image maps (src/config/images) instead of a registry.
// "Pulling" an image is finding its entry and the host program it needs; "present on machine"
// is an image this node has resolved before. The container's command line then follows upstream's
// rules (https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/):
//   neither command nor args   the image's entrypoint, then its default args (CMD)
//   command only               command (the image's entrypoint and CMD are ignored)
//   args only                  the image's entrypoint, then args
//   both                       command, then args
import { createHash } from 'node:crypto';
import { delimiter } from 'node:path';
import type { Container } from '../api/generated/core/v1.js';
import {
  ImageReferenceError,
  imageReferenceString,
  parseImageReference,
  repositoryOf,
  withDefaultTag,
  type ImageReference,
} from '../apimachinery/image-reference.js';
import { findEntry, IMAGE_MAP_CONFIGMAP, patternMatches, type ImageEntry, type ImageMap } from '../config/images/image-map.js';
import { CATALOGUE, SELF, type CatalogueEntry } from '../config/images/catalogue.js';
import { findExecutable } from './container-handle.js';

/** An image this node can run: its entry (what the image's config says) and where it came from. */
export interface ResolvedImage {
  ref: ImageReference;
  /** The normalized reference with its tag (`docker.io/library/nginx:latest`): the status's `image`. */
  name: string;
  /** `docker.io/library/nginx@sha256:...`: a digest of the entry, which is this node's "image". */
  imageID: string;
  entry: ImageEntry;
  /** `ConfigMap kube-system/tinykube-images`, `--images`, `the built-in catalogue`, or none (the container's command alone). */
  source?: string;
  /** The host program it resolved to, for the Pulled event (`/usr/sbin/nginx`, `tinykube (built in)`). */
  program: string;
}

export type Resolution =
  | { ok: true; image: ResolvedImage }
  | { ok: false; reason: 'InvalidImageName' | 'ErrImagePull'; message: string; eventReason: 'InspectFailed' | 'Failed' };

const MAP_HOWTO = `map it in ConfigMap ${IMAGE_MAP_CONFIGMAP.namespace}/${IMAGE_MAP_CONFIGMAP.name} (kubectl edit configmap -n ${IMAGE_MAP_CONFIGMAP.namespace} ${IMAGE_MAP_CONFIGMAP.name})`;

/** The PATH host programs are looked up on: the container's default, plus the sbin directories servers live in. */
export function programPath(hostPATH = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): string {
  const dirs = new Set(hostPATH.split(delimiter).filter(Boolean));
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) dirs.add(d);
  return [...dirs].join(delimiter);
}

export interface ResolveDeps {
  /** The maps searched before the catalogue, in order (the ConfigMap's, then the start's). */
  maps: ImageMap[];
  catalogue?: CatalogueEntry[];
  /** The PATH programs are looked up on (programPath()). */
  path: string;
  /** Whether tinykube can run its own executable (the built-in agnhost). */
  self: boolean;
}

/** A command line's program as this host has it (undefined: not here); `@tinykube` is tinykube itself. */
function hostProgram(argv0: string, d: ResolveDeps): string | undefined {
  if (argv0 === SELF) return d.self ? 'tinykube (built in)' : undefined;
  return findExecutable(argv0, d.path, '/');
}

/** What the container runs first, and whether that comes from the image (then the image must provide it). */
function firstWord(e: ImageEntry, c: Container): { word?: string; fromImage: boolean } {
  if (c.command?.length) {
    const alias = e.paths?.[c.command[0]!];
    return alias ? { word: alias[0], fromImage: true } : { word: c.command[0], fromImage: false };
  }
  if (e.entrypoint?.length) return { word: e.entrypoint[0], fromImage: true };
  if (c.args?.length) return { word: c.args[0], fromImage: false };
  return { word: e.cmd?.[0], fromImage: true };
}

/** The reference the kubelet reads (applyDefaultImageTag), or its InvalidImageName. */
export function parseContainerImage(image: string): ImageReference | { message: string } {
  try {
    return withDefaultTag(parseImageReference(image));
  } catch (e) {
    if (!(e instanceof ImageReferenceError)) throw e;
    return {
      message: `Failed to apply default image tag ${JSON.stringify(image)}: couldn't parse image name ${JSON.stringify(image)}: ${e.message}`,
    };
  }
}

const imageIDOf = (ref: ImageReference, entry: ImageEntry) =>
  `${repositoryOf(ref)}@sha256:${createHash('sha256').update(JSON.stringify(entry)).digest('hex')}`;

/** Finds the image's entry and checks that the program the container needs from it is here. */
export function resolveImage(image: string, c: Container, d: ResolveDeps): Resolution {
  const ref = parseContainerImage(image);
  if ('message' in ref) return { ok: false, reason: 'InvalidImageName', message: ref.message, eventReason: 'InspectFailed' };
  const name = imageReferenceString(ref);
  const ok = (entry: ImageEntry, program: string, source?: string): Resolution => ({
    ok: true,
    image: { ref, name, imageID: imageIDOf(ref, entry), entry, source, program },
  });
  const missing = (what: string) => ({ ok: false, reason: 'ErrImagePull', eventReason: 'Failed', message: what }) as const;
  for (const map of d.maps) {
    const entry = findEntry(map, ref);
    if (!entry) continue;
    const first = firstWord(entry, c);
    if (first.fromImage && first.word === undefined)
      return missing(
        `image ${JSON.stringify(name)} is mapped by ${map.source} (entry ${JSON.stringify(entry.image)}) without an entrypoint or cmd, and the container sets no command: give the entry one`,
      );
    const program = first.word === undefined ? undefined : hostProgram(first.word, d);
    if (first.fromImage && !program)
      return missing(
        `image ${JSON.stringify(name)} is mapped by ${map.source} (entry ${JSON.stringify(entry.image)}) to program ${JSON.stringify(first.word)}, which is not on this host (looked on PATH ${d.path}): install it, or change the entry`,
      );
    return ok(entry, program ?? first.word ?? '', map.source);
  }
  const candidates = (d.catalogue ?? CATALOGUE).filter((e) => patternMatches(e.image, ref));
  for (const e of candidates) {
    const found = e.needs.map((p) => hostProgram(p, d));
    if (found.some((p) => !p)) continue;
    const { needs: _needs, ...entry } = e;
    return ok(entry, found[0] ?? hostProgram(SELF, d) ?? '', 'the built-in catalogue');
  }
  if (c.command?.length) {
    // The container's command needs nothing of the image: run it as written, with what the
    // catalogue knows of the image otherwise (its env, volumes), when it knows the image.
    if (candidates[0]) {
      const { needs: _needs, ...entry } = candidates[0];
      if (!entry.paths?.[c.command[0]!]) return ok(entry, c.command[0]!, 'the built-in catalogue');
    } else return ok({ image }, c.command[0]!);
  }
  if (candidates.length) {
    const wanted = [...new Set(candidates.map((e) => e.needs.join(' and ')))].join(', or ');
    return missing(
      `image ${JSON.stringify(name)} is in tinykube's built-in catalogue, but its program is not on this host (looked for ${wanted} on PATH ${d.path}): install it, or ${MAP_HOWTO}`,
    );
  }
  const searched = [...d.maps.map((m) => m.source), 'the built-in catalogue'].join(', ');
  return missing(
    `tinykube runs images as programs on this host and has no mapping for image ${JSON.stringify(name)} (searched ${searched}): ${MAP_HOWTO} with the program to run, or set command in the container`,
  );
}

/**
 * The container's command line from its spec and its image (the table at the top), with
 * `$(VAR)` references expanded by `expand` (the container's command and args as upstream does;
 * the entry's own words too, so a map can name `$(TINYKUBE_POD_IP)`), and `@tinykube` replaced
 * by `self`. A command naming a program of the image (`/agnhost`) becomes what the entry maps it to.
 */
export function composeCommand(entry: ImageEntry, c: Container, expand: (s: string) => string, self: string[]): string[] {
  let argv: string[];
  if (c.command?.length) {
    const alias = entry.paths?.[c.command[0]!];
    argv = [...(alias ?? [c.command[0]!]), ...c.command.slice(1), ...(c.args ?? [])];
  } else argv = [...(entry.entrypoint ?? []), ...(c.args?.length ? c.args : (entry.cmd ?? []))];
  const out = argv.map(expand);
  return out[0] === SELF ? [...self, ...out.slice(1)] : out;
}

/** The container's environment with the image's under it: the container's own values win. */
export function withImageEnv(entry: ImageEntry, env: Record<string, string>, expand: (s: string) => string): Record<string, string> {
  if (!entry.env) return env;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entry.env)) out[k] = expand(v);
  return Object.assign(out, env);
}

/** The Pulled event's words for what the image resolved to. */
export function describeResolution(img: ResolvedImage): string {
  const ports = img.entry.ports?.length ? `, port ${img.entry.ports.join(', ')}` : '';
  return `local program ${img.program}${img.source ? ` (${img.source}${ports})` : ''}`;
}
