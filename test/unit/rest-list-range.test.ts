// What a list's resourceVersion, resourceVersionMatch and continue token make of it
// (server/handlers/list-range.ts), without a server: the revision and key it reads from, and
// upstream's errors (400, 410, 504) with their texts.
import { describe, it, expect } from 'vitest';
import {
  decodeContinue,
  encodeContinue,
  listRange,
  parseResourceVersion,
  tooLargeResourceVersion,
} from '../../src/server/handlers/list-range.js';
import { StatusError } from '../../src/apimachinery/errors.js';

const revs = { rev: 100, compactedRev: 40 };
const lo = (o: Partial<{ continue: string; resourceVersion: string; resourceVersionMatch: string }>) => ({
  continue: '',
  resourceVersion: '',
  resourceVersionMatch: '',
  ...o,
});

function statusOf(fn: () => unknown): { code: number; reason: string; message: string; details?: unknown } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    const s = e.toStatus() as { code: number; reason: string; message: string; details?: unknown };
    return { code: s.code, reason: s.reason, message: s.message, details: s.details };
  }
  throw new Error('no error');
}

describe('continue tokens', () => {
  it('carry the revision and the key after which the next page starts', () => {
    const t = encodeContinue({ rv: 42, ns: 'kube-system', name: 'coredns' });
    expect(t).toMatch(/^[A-Za-z0-9_-]+$/); // base64url: safe in a query without escaping
    expect(decodeContinue(t)).toEqual({ rv: 42, ns: 'kube-system', name: 'coredns' });
    // Cluster-scoped keys have no namespace.
    expect(decodeContinue(encodeContinue({ rv: 7, ns: '', name: 'n1' }))).toEqual({ rv: 7, ns: '', name: 'n1' });
    // The token's layout, as upstream's (version, revision, start key).
    expect(JSON.parse(Buffer.from(t, 'base64url').toString())).toEqual({ v: 'meta.k8s.io/v1', rv: 42, start: 'kube-system\u0000coredns' });
  });

  it.each([
    ['not base64 JSON', 'zzz'],
    ['another version', Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v2', rv: 1, start: 'a\u0000b' })).toString('base64url')],
    ['no revision', Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', start: 'a\u0000b' })).toString('base64url')],
    ['a start without a key', Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 1, start: 'a' })).toString('base64url')],
  ])('refuses %s with upstream 400', (_what, token) => {
    expect(statusOf(() => decodeContinue(token))).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    });
  });
});

describe('parseResourceVersion', () => {
  it('reads unsigned 64-bit revisions; "" is none', () => {
    expect(parseResourceVersion(undefined)).toBeUndefined();
    expect(parseResourceVersion('')).toBeUndefined();
    expect(parseResourceVersion('0')).toBe(0n);
    expect(parseResourceVersion('18446744073709551615')).toBe(18446744073709551615n);
  });

  it.each([
    ['abc', 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'],
    ['-1', 'resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax'],
    [
      '18446744073709551616',
      'resourceVersion: Invalid value: "18446744073709551616": strconv.ParseUint: parsing "18446744073709551616": value out of range',
    ],
  ])('refuses %s with the storage layer text', (rv, message) => {
    expect(statusOf(() => parseResourceVersion(rv))).toMatchObject({ code: 400, message });
  });
});

describe('listRange', () => {
  it('lists the current state from the first key without options', () => {
    expect(listRange(lo({}), revs)).toEqual({});
    expect(listRange(lo({ resourceVersion: '0' }), revs)).toEqual({});
    // NotOlderThan (and no match) read the current state, whatever the revision given.
    expect(listRange(lo({ resourceVersion: '50', resourceVersionMatch: 'NotOlderThan' }), revs)).toEqual({});
    expect(listRange(lo({ resourceVersion: '50' }), revs)).toEqual({});
  });

  it('resumes a continue token at its revision after its key', () => {
    const token = encodeContinue({ rv: 60, ns: 'default', name: 'b' });
    const want = { atRev: 60, after: { namespace: 'default', name: 'b' } };
    expect(listRange(lo({ continue: token }), revs)).toEqual(want);
    // resourceVersion "0" beside a token is allowed (clients send it) and ignored.
    expect(listRange(lo({ continue: token, resourceVersion: '0' }), revs)).toEqual(want);
  });

  it('refuses a resourceVersion beside a continue token', () => {
    const token = encodeContinue({ rv: 60, ns: 'default', name: 'b' });
    expect(statusOf(() => listRange(lo({ continue: token, resourceVersion: '60' }), revs))).toMatchObject({
      code: 400,
      message: 'specifying resource version is not allowed when using continue',
    });
  });

  it('reads an Exact revision at that revision', () => {
    expect(listRange(lo({ resourceVersion: '55', resourceVersionMatch: 'Exact' }), revs)).toEqual({ atRev: 55 });
    expect(listRange(lo({ resourceVersion: '100', resourceVersionMatch: 'Exact' }), revs)).toEqual({ atRev: 100 });
    expect(listRange(lo({ resourceVersion: '40', resourceVersionMatch: 'Exact' }), revs)).toEqual({ atRev: 40 });
  });

  it('answers 410 Expired for an Exact revision compacted away', () => {
    expect(statusOf(() => listRange(lo({ resourceVersion: '39', resourceVersionMatch: 'Exact' }), revs))).toMatchObject({
      code: 410,
      reason: 'Expired',
      message: 'The resourceVersion for the provided list is too old.',
    });
    // Without Exact an old revision is no error (NotOlderThan: the current state is newer).
    expect(listRange(lo({ resourceVersion: '39', resourceVersionMatch: 'NotOlderThan' }), revs)).toEqual({});
  });

  it('answers 504 for a revision past the newest, with the watch cache text', () => {
    for (const match of ['', 'Exact', 'NotOlderThan']) {
      expect(statusOf(() => listRange(lo({ resourceVersion: '101', resourceVersionMatch: match }), revs))).toEqual({
        code: 504,
        reason: 'Timeout',
        message: 'Too large resource version: 101, current: 100',
        details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
      });
    }
  });

  it('checks the resourceVersion syntax', () => {
    expect(statusOf(() => listRange(lo({ resourceVersion: 'x1' }), revs)).code).toBe(400);
  });

  it('tooLargeResourceVersion takes revisions as numbers and bigints', () => {
    expect(tooLargeResourceVersion(5n, 3).message).toBe('Too large resource version: 5, current: 3');
    expect(tooLargeResourceVersion(5, 3).message).toBe('Too large resource version: 5, current: 3');
  });
});
