// Which objects a list reads, and at which revision: what its resourceVersion,
// resourceVersionMatch and continue token say (upstream's storage layer: the cacher's and etcd3
// store's checks, storage/continue.go's tokens), and the resourceVersion a watch starts from.
import { StatusError, badRequest } from '../../apimachinery/errors.js';
import { goQuote } from '../../apimachinery/go-format.js';
import { goParseUint } from '../../apimachinery/go-strconv.js';
import type { ListOptions } from '../query-params.js';

export interface ContinueToken {
  rv: number;
  ns: string;
  name: string;
}

/** A continue token: the revision the first page read and the key after which the next starts. */
export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: `${t.ns}\u0000${t.name}` })).toString('base64url');
}

export function decodeContinue(s: string): ContinueToken {
  try {
    const o = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { v?: string; rv?: number; start?: string };
    if (o.v !== 'meta.k8s.io/v1' || typeof o.rv !== 'number' || typeof o.start !== 'string') throw new Error('bad');
    const [ns, name] = o.start.split('\u0000');
    if (name === undefined) throw new Error('bad');
    return { rv: o.rv, ns: ns!, name };
  } catch {
    throw badRequest(`continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`);
  }
}

/**
 * The storage layer's reading of a resourceVersion (APIObjectVersioner.ParseResourceVersion:
 * strconv.ParseUint, "" and "0" are none), with its field error text; a 400 here where
 * upstream's cacher lets that error through as a 500.
 */
export function parseResourceVersion(v: string | undefined): bigint | undefined {
  if (v === undefined || v === '') return undefined;
  try {
    return goParseUint(v, 64);
  } catch (e) {
    throw badRequest(`resourceVersion: Invalid value: ${goQuote(v)}: ${(e as Error).message}`);
  }
}

/** The watch cache's answer to a resourceVersion it has not reached (after its wait). */
export function tooLargeResourceVersion(rv: bigint | number, current: number): StatusError {
  return new StatusError(504, 'Timeout', `Too large resource version: ${rv}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

/** The store's revisions a list is checked against. */
export interface Revisions {
  /** The newest revision. */
  rev: number;
  /** The oldest revision still readable (the change log is compacted below it). */
  compactedRev: number;
}

/** Where a list reads: at a past revision (else the current state), after a key (else from the first). */
export interface ListRange {
  atRev?: number;
  after?: { namespace: string; name: string };
}

/**
 * A list's range from its (decoded and validated) options: a continue token's revision and key
 * (no resourceVersion beside it but "0"), or resourceVersion with resourceVersionMatch (Exact
 * reads that revision, 410 once compacted; any resourceVersion past the newest is 504).
 */
export function listRange(lo: Pick<ListOptions, 'continue' | 'resourceVersion' | 'resourceVersionMatch'>, store: Revisions): ListRange {
  if (lo.continue) {
    if (lo.resourceVersion && lo.resourceVersion !== '0')
      throw badRequest('specifying resource version is not allowed when using continue');
    const t = decodeContinue(lo.continue);
    return { atRev: t.rv, after: { namespace: t.ns, name: t.name } };
  }
  const rv = parseResourceVersion(lo.resourceVersion);
  const rvMatch = lo.resourceVersionMatch;
  if (rv !== undefined && rv > BigInt(store.rev)) throw tooLargeResourceVersion(rv, store.rev);
  const range: ListRange = {};
  if (rvMatch === 'Exact' && rv !== undefined) range.atRev = Number(rv);
  if (rvMatch === 'Exact' && rv! < BigInt(store.compactedRev)) {
    throw new StatusError(410, 'Expired', `The resourceVersion for the provided list is too old.`);
  }
  return range;
}
