// Every endpoint family's query parameters, one row per (parameter, value): the value upstream's
// generated url.Values conversions give, or the exact text of upstream's conversion (400) or
// validation (422) error.
import { describe, it, expect } from 'vitest';
import { StatusError } from '../../src/apimachinery/errors.js';
import {
  createOptions,
  decodePodAttachOptions,
  decodePodExecOptions,
  decodePodPortForwardOptions,
  deleteOptions,
  getOptions,
  listLimit,
  listOptions,
  logSince,
  managerFromUserAgent,
  parseQuery,
  podLogOptions,
  portForwardWebSocketPorts,
  rejectConnectDryRun,
  remoteCommandStreams,
  requestQuery,
  tableOptions,
  watchTimeoutMs,
  writeOptions,
} from '../../src/server/query-params.js';
import { GO_ZERO_TIME_MS, goParseInt } from '../../src/apimachinery/go-strconv.js';
import { goQuote } from '../../src/apimachinery/go-format.js';
import { parsePortForwardPorts } from '../../src/streaming/portforward-ws.js';
import { parseGoUint16 } from '../../src/streaming/portforward-spdy.js';

const q = (s: string) => parseQuery(s);

/** The StatusError a call throws, as [code, message]. */
function failure(fn: () => unknown): [number, string] {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return [e.code, e.message];
    throw e;
  }
  throw new Error('did not fail');
}

const syntax = (fn: string, s: string) => `strconv.${fn}: parsing ${JSON.stringify(s)}: invalid syntax`;
const range = (fn: string, s: string) => `strconv.${fn}: parsing ${JSON.stringify(s)}: value out of range`;

describe('net/url.ParseQuery', () => {
  const rows: [string, Record<string, string[]>][] = [
    ['a=1&a=2', { a: ['1', '2'] }],
    ['a', { a: [''] }],
    ['a=', { a: [''] }],
    ['a=%zz&b=1', { b: ['1'] }], // a bad escape drops the pair
    ['a=%4&b=1', { b: ['1'] }],
    ['a;b=1&c=2', { c: ['2'] }], // a semicolon drops the pair
    ['a+b=c+d%2B', { 'a b': ['c d+'] }],
    ['&&x=1&', { x: ['1'] }],
    ['k=%E2%9C%93', { k: ['✓'] }],
    ['=v', { '': ['v'] }],
  ];
  it.each(rows)('%s', (raw, want) => {
    expect(Object.fromEntries(q(raw))).toEqual(want);
  });

  it('takes the query of a request URI', () => {
    expect(Object.fromEntries(requestQuery('/api/v1/pods?watch=1&watch=0'))).toEqual({ watch: ['1', '0'] });
    expect(requestQuery('/api/v1/pods').size).toBe(0);
    expect(requestQuery(undefined).size).toBe(0);
  });
});

describe('strconv', () => {
  const rows: [string, bigint | string][] = [
    ['0', 0n],
    ['-0', 0n],
    ['+5', 5n],
    ['-1', -1n],
    ['007', 7n],
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
    ['9223372036854775808', range('ParseInt', '9223372036854775808')],
    ['-9223372036854775809', range('ParseInt', '-9223372036854775809')],
    ['99999999999999999999x', range('ParseInt', '99999999999999999999x')], // overflow is seen first
    ['9x9999999999999999999', syntax('ParseInt', '9x9999999999999999999')],
    ['', syntax('ParseInt', '')],
    ['+', syntax('ParseInt', '+')],
    ['-', syntax('ParseInt', '-')],
    ['abc', syntax('ParseInt', 'abc')],
    ['1e3', syntax('ParseInt', '1e3')],
    [' 5', syntax('ParseInt', ' 5')],
    ['5 ', syntax('ParseInt', '5 ')],
    ['0x10', syntax('ParseInt', '0x10')],
    ['1_000', syntax('ParseInt', '1_000')],
    ['1.5', syntax('ParseInt', '1.5')],
    ['++1', syntax('ParseInt', '++1')],
    ['٣', syntax('ParseInt', '٣')],
  ];
  it.each(rows)('ParseInt(%j)', (s, want) => {
    if (typeof want === 'bigint') expect(goParseInt(s)).toBe(want);
    else expect(() => goParseInt(s)).toThrow(want);
  });

  it('ParseUint(s, 10, 16) for ports', () => {
    expect(parseGoUint16('65535')).toBe(65535);
    expect(parseGoUint16('65536')).toBe(range('ParseUint', '65536'));
    expect(parseGoUint16('70000x')).toBe(range('ParseUint', '70000x'));
    expect(parseGoUint16('+80')).toBe(syntax('ParseUint', '+80'));
  });

  it('quotes as strconv.Quote does', () => {
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('\u0007\n\t\u007f\u00a0é✓')).toBe('"\\a\\n\\t\\x7f\\u00a0é✓"');
  });
});

describe('ListOptions (list, watch, deletecollection)', () => {
  type Row = [string, string, unknown];
  const lo = (raw: string) => listOptions(q(raw));
  // [query, what, expected]
  const values: Row[] = [
    ['watch=True', 'watch', true],
    ['watch=true', 'watch', true],
    ['watch=TRUE', 'watch', true],
    ['watch=1', 'watch', true],
    ['watch=yes', 'watch', true],
    ['watch=', 'watch', true],
    ['watch', 'watch', true],
    ['watch=0', 'watch', false],
    ['watch=false', 'watch', false],
    ['watch=False', 'watch', false],
    ['watch=FALSE', 'watch', false],
    ['', 'watch', false],
    ['watch=0&watch=1', 'watch', false],
    ['watch=1&watch=0', 'watch', true],
    ['allowWatchBookmarks=True', 'allowWatchBookmarks', true],
    ['allowWatchBookmarks=no', 'allowWatchBookmarks', true],
    ['limit=5', 'limit', 5n],
    ['limit=%2B5', 'limit', 5n], // a raw `+` is a space in a query: `limit=+5` is " 5"

    ['limit=-1', 'limit', -1n],
    ['limit=5&limit=abc', 'limit', 5n],
    ['', 'limit', 0n],
    ['timeoutSeconds=-1', 'timeoutSeconds', -1n],
    ['', 'timeoutSeconds', undefined],
    ['labelSelector=a%3Db&labelSelector=c', 'labelSelector', 'a=b'],
    ['fieldSelector=metadata.name%3Dx', 'fieldSelector', 'metadata.name=x'],
    ['resourceVersion=7&resourceVersion=8', 'resourceVersion', '7'],
    ['continue=abc', 'continue', 'abc'],
    ['sendInitialEvents=true&resourceVersionMatch=NotOlderThan&watch=1', 'sendInitialEvents', true],
    // SetListOptionsDefaults (WatchList on in v1.32): a watch from "" or "0" is a watch-list.
    ['watch=1', 'sendInitialEvents', true],
    ['watch=1', 'resourceVersionMatch', 'NotOlderThan'],
    ['watch=1&resourceVersion=0', 'sendInitialEvents', true],
    ['watch=1&resourceVersion=7', 'sendInitialEvents', undefined],
    ['resourceVersion=7&resourceVersionMatch=NotOlderThan', 'resourceVersionMatch', 'NotOlderThan'],
  ];
  it.each(values)('%s → %s', (raw, key, want) => {
    expect((lo(raw) as unknown as Record<string, unknown>)[key]).toEqual(want);
  });

  it.each([
    ['limit=-1', undefined],
    ['limit=0', undefined],
    ['limit=3', 3],
  ])('%s pages by %s', (raw, want) => expect(listLimit(lo(raw))).toBe(want));

  it.each([
    ['timeoutSeconds=10', 10_000],
    ['timeoutSeconds=0', undefined], // the server's default
    ['timeoutSeconds=-1', -1000], // ends at once
    ['timeoutSeconds=9223372036854775807', -1000], // time.Duration * time.Second wraps
    ['', undefined],
  ])('watch lifetime for %s is %s ms', (raw, want) => expect(watchTimeoutMs(lo(raw))).toBe(want));

  const errors: [string, number, string][] = [
    ['limit=abc', 400, syntax('ParseInt', 'abc')],
    ['limit=1e3', 400, syntax('ParseInt', '1e3')],
    ['limit=%205', 400, syntax('ParseInt', ' 5')],
    ['limit=+5', 400, syntax('ParseInt', ' 5')],
    ['limit=', 400, syntax('ParseInt', '')],
    ['limit=9223372036854775808', 400, range('ParseInt', '9223372036854775808')],
    ['limit=abc&limit=5', 400, syntax('ParseInt', 'abc')],
    ['timeoutSeconds=1.5', 400, syntax('ParseInt', '1.5')],
    ['watch=1&timeoutSeconds=0x10', 400, syntax('ParseInt', '0x10')],
    ['labelSelector=a%20in%20(', 400, "unable to parse requirement: found '', expected: ',', ')' or identifier"],
    ['fieldSelector=a', 400, "invalid selector: 'a'; can't understand 'a'"],
    [
      'resourceVersionMatch=Exact',
      422,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    ],
    [
      'resourceVersion=5&resourceVersionMatch=Foo',
      422,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Foo": supported values: "Exact", "NotOlderThan", ""',
    ],
    [
      'resourceVersion=0&resourceVersionMatch=Exact',
      422,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    ],
    [
      'resourceVersion=5&resourceVersionMatch=Exact&continue=x',
      422,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided',
    ],
    [
      'sendInitialEvents=false',
      422,
      'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list',
    ],
    [
      'watch=1&sendInitialEvents=true',
      422,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
    ],
    [
      'watch=1&resourceVersion=5&resourceVersionMatch=NotOlderThan',
      422,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
    ],
    [
      'watch=1&sendInitialEvents=false&resourceVersionMatch=Exact',
      422,
      'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]',
    ],
  ];
  it.each(errors)('%s → %i', (raw, code, message) => {
    expect(failure(() => lo(raw))).toEqual([code, message]);
  });

  it('reports a 422 without an empty name or field, as Go leaves them out', () => {
    try {
      lo('resourceVersionMatch=Exact');
    } catch (e) {
      const s = (e as StatusError).toStatus();
      expect(s.details).toEqual({
        group: 'meta.k8s.io',
        kind: 'ListOptions',
        causes: [
          {
            reason: 'FieldValueForbidden',
            message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
            field: 'resourceVersionMatch',
          },
        ],
      });
      expect(s.reason).toBe('Invalid');
    }
  });
});

describe('GetOptions', () => {
  it.each([
    ['export=true', 'the export parameter, deprecated since v1.14, is no longer supported'],
    ['export=', 'the export parameter, deprecated since v1.14, is no longer supported'],
    ['export=0', ''],
    ['export=False', ''],
    ['resourceVersion=abc', ''],
  ])('%s', (raw, message) => {
    if (message) expect(failure(() => getOptions(q(raw)))).toEqual([400, message]);
    else expect(getOptions(q(raw)).resourceVersion).toBe(q(raw).get('resourceVersion')?.[0] ?? '');
  });
});

describe('CreateOptions, UpdateOptions, PatchOptions', () => {
  const create = (raw: string, ua?: string) => writeOptions(q(raw), ua, 'create');
  const values: [string, string, unknown][] = [
    ['dryRun=All', 'dryRun', true],
    ['dryRun=All&dryRun=All', 'dryRun', true],
    ['', 'dryRun', false],
    ['fieldValidation=Strict', 'fieldValidation', 'Strict'],
    ['fieldValidation=Ignore', 'fieldValidation', 'Ignore'],
    ['fieldValidation=Warn', 'fieldValidation', 'Warn'],
    ['fieldValidation=', 'fieldValidation', 'Warn'],
    ['', 'fieldValidation', 'Warn'],
    ['fieldValidation=Strict&fieldValidation=bogus', 'fieldValidation', 'Strict'],
    ['fieldManager=me&fieldManager=you', 'fieldManager', 'me'],
    ['fieldManager=', 'fieldManager', 'kubectl'], // "" is unset: the user agent's name
  ];
  it.each(values)('%s → %s', (raw, key, want) => {
    expect((create(raw, 'kubectl/v1.32.0 (linux/amd64) kubernetes/abc') as Record<string, unknown>)[key]).toEqual(want);
  });

  const m129 = 'a'.repeat(129);
  const errors: [string, 'create' | 'update', string][] = [
    ['dryRun=', 'create', 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{""}: supported values: "All"'],
    [
      'dryRun=all',
      'create',
      'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"all"}: supported values: "All"',
    ],
    [
      'dryRun=All&dryRun=x',
      'update',
      'UpdateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"All", "x"}: supported values: "All"',
    ],
    [
      'fieldValidation=strict',
      'create',
      'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"',
    ],
    [
      'fieldValidation=bogus&fieldValidation=Strict',
      'update',
      'UpdateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "bogus": supported values: "", "Ignore", "Strict", "Warn"',
    ],
    [`fieldManager=${m129}`, 'create', 'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes'],
    [
      'fieldManager=a%07b',
      'create',
      'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\ab": invalid character U+0007 (at position 1)',
    ],
    [
      'fieldManager=a%01b',
      'create',
      'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\x01b": invalid character U+0001 (at position 1)',
    ],
    [
      'fieldManager=%C3%A9%C2%A0',
      'create',
      'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "é\\u00a0": invalid character U+00A0 (at position 2)',
    ],
    [
      'dryRun=x&fieldValidation=y',
      'create',
      'CreateOptions.meta.k8s.io "" is invalid: [dryRun: Unsupported value: []string{"x"}: supported values: "All", fieldValidation: Unsupported value: "y": supported values: "", "Ignore", "Strict", "Warn"]',
    ],
  ];
  it.each(errors)('%s (%s) → 422', (raw, verb, message) => {
    expect(failure(() => writeOptions(q(raw), undefined, verb))).toEqual([422, message]);
  });

  it.each([
    ['', 'apply', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'],
    ['fieldManager=', 'apply', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'],
    ['force=false', 'merge', 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch'],
    ['force=', 'strategic', 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch'],
    ['dryRun=None', 'json', 'PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"None"}: supported values: "All"'],
  ] as const)('patch %s (%s) → 422', (raw, type, message) => {
    expect(failure(() => writeOptions(q(raw), 'kubectl/v1.32', { patch: type }))).toEqual([422, message]);
  });

  it.each([
    ['fieldManager=me&force=True', true],
    ['fieldManager=me&force=0', false],
    ['fieldManager=me', false],
  ])('apply %s takes force=%s', (raw, force) => {
    expect(writeOptions(q(raw), undefined, { patch: 'apply' })).toMatchObject({ fieldManager: 'me', force });
  });

  it.each([
    ['kubectl/v1.32.0 (linux/amd64) kubernetes/abc', 'kubectl'],
    ['node-fetch', 'node-fetch'],
    ['a\u0001b/1', 'ab'],
    [`${'é'.repeat(70)}/1`, 'é'.repeat(64)], // 128 bytes at most
    [undefined, ''],
  ])('the user agent %j manages as %j', (ua, want) => expect(managerFromUserAgent(ua)).toBe(want));

  it('create-like subresources read CreateOptions too', () => {
    expect(createOptions(q('dryRun=All')).dryRun).toEqual(['All']);
    expect(failure(() => createOptions(q('dryRun=yes')))).toEqual([
      422,
      'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"yes"}: supported values: "All"',
    ]);
  });
});

describe('DeleteOptions', () => {
  const del = (raw: string, body?: object) => deleteOptions(q(raw), body);
  const values: [string, object | undefined, object][] = [
    ['gracePeriodSeconds=30', undefined, { gracePeriodSeconds: 30 }],
    ['gracePeriodSeconds=%2B30', undefined, { gracePeriodSeconds: 30 }],
    ['gracePeriodSeconds=-1', undefined, { gracePeriodSeconds: -1 }],
    ['gracePeriodSeconds=0&gracePeriodSeconds=abc', undefined, { gracePeriodSeconds: 0 }],
    ['orphanDependents=False', undefined, { orphanDependents: false }],
    ['orphanDependents=', undefined, { orphanDependents: true }],
    ['propagationPolicy=Foreground&propagationPolicy=Bogus', undefined, { propagationPolicy: 'Foreground' }],
    ['dryRun=All', undefined, { dryRun: true }],
    ['uid=abc&resourceVersion=7', undefined, { preconditions: { uid: 'abc', resourceVersion: '7' } }],
    ['uid=&resourceVersion=7', undefined, { preconditions: { resourceVersion: '7' } }],
    ['uid=', undefined, {}],
    ['ignoreStoreReadErrorWithClusterBreakingPotential=true', undefined, {}],
    // A body is the DeleteOptions: the query is not read at all.
    ['gracePeriodSeconds=abc&propagationPolicy=Bogus', { gracePeriodSeconds: 5 }, { gracePeriodSeconds: 5 }],
  ];
  it.each(values)('%s (body %j)', (raw, body, want) => {
    expect(del(raw, body)).toEqual(want);
  });

  const errors: [string, object | undefined, number, string][] = [
    ['gracePeriodSeconds=abc', undefined, 400, syntax('ParseInt', 'abc')],
    ['gracePeriodSeconds=1e3', undefined, 400, syntax('ParseInt', '1e3')],
    ['gracePeriodSeconds=+30', undefined, 400, syntax('ParseInt', ' 30')],
    ['gracePeriodSeconds=99999999999999999999', undefined, 400, range('ParseInt', '99999999999999999999')],
    [
      'propagationPolicy=Foo',
      undefined,
      422,
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Foo": supported values: "Foreground", "Background", "Orphan", "nil"',
    ],
    [
      'propagationPolicy=',
      undefined,
      422,
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "": supported values: "Foreground", "Background", "Orphan", "nil"',
    ],
    [
      'orphanDependents=false&propagationPolicy=Orphan',
      undefined,
      422,
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set',
    ],
    [
      'dryRun=true',
      undefined,
      422,
      'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"true"}: supported values: "All"',
    ],
    [
      '',
      { dryRun: ['all'] },
      422,
      'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"all"}: supported values: "All"',
    ],
  ];
  it.each(errors)('%s (body %j) → %i', (raw, body, code, message) => {
    expect(failure(() => del(raw, body))).toEqual([code, message]);
  });
});

describe('TableOptions', () => {
  it.each([
    ['', 'Metadata', false],
    ['includeObject=', 'Metadata', false],
    ['includeObject=Metadata', 'Metadata', false],
    ['includeObject=None', 'None', false],
    ['includeObject=Object&includeObject=bogus', 'Object', false],
    ['-=true', 'Metadata', true], // NoHeaders' json tag is "-"
  ])('%s', (raw, include, noHeaders) => {
    expect(tableOptions(q(raw))).toEqual({ include, noHeaders });
  });
  it('refuses an unknown includeObject with a 400', () => {
    expect(failure(() => tableOptions(q('includeObject=object')))).toEqual([
      400,
      `Unable to convert to Table as requested: includeObject: Invalid value: "object": must be 'Metadata', 'Object', 'None', or empty`,
    ]);
  });
});

describe('PodLogOptions', () => {
  const log = (raw: string) => podLogOptions(q(raw), 'p');
  const values: [string, string, unknown][] = [
    ['previous=True', 'previous', true],
    ['previous=yes', 'previous', true],
    ['previous=0', 'previous', false],
    ['follow=1', 'follow', true],
    ['follow=FALSE', 'follow', false],
    ['timestamps=', 'timestamps', true],
    ['insecureSkipTLSVerifyBackend=true', 'insecureSkipTLSVerifyBackend', true],
    ['container=a&container=b', 'container', 'a'],
    ['tailLines=0', 'tailLines', 0n],
    ['tailLines=%2B10', 'tailLines', 10n],
    ['limitBytes=1', 'limitBytes', 1n],
    ['sinceSeconds=10', 'sinceSeconds', 10n],
    ['sinceTime=2024-01-02T03:04:05Z', 'sinceTime', 1704164645000],
    ['sinceTime=2024-01-02T03:04:05.123456789%2B02:00', 'sinceTime', 1704157445123],
    ['sinceTime=2024-01-02T03:04:05,5Z', 'sinceTime', 1704164645500],
    ['sinceTime=2024-01-02T3:04:05Z', 'sinceTime', 1704164645000], // Go's parser takes a one-digit hour
    ['sinceTime=', 'sinceTime', GO_ZERO_TIME_MS],
    ['sinceTime=null', 'sinceTime', GO_ZERO_TIME_MS],
    ['', 'sinceTime', undefined],
  ];
  it.each(values)('%s → %s', (raw, key, want) => {
    expect((log(raw) as unknown as Record<string, unknown>)[key]).toEqual(want);
  });

  const t = (s: string, rest: string) => `parsing time ${JSON.stringify(s)}${rest}`;
  const cannot = (s: string, v: string, l: string) =>
    t(s, ` as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(v)} as ${JSON.stringify(l)}`);
  const errors: [string, number, string][] = [
    ['tailLines=abc', 400, syntax('ParseInt', 'abc')],
    ['limitBytes=1e3', 400, syntax('ParseInt', '1e3')],
    ['sinceSeconds=%2010', 400, syntax('ParseInt', ' 10')],
    ['sinceSeconds=9223372036854775808', 400, range('ParseInt', '9223372036854775808')],
    ['sinceTime=abc', 400, cannot('abc', 'abc', '2006')],
    ['sinceTime=2024-01-01', 400, cannot('2024-01-01', '', 'T')],
    ['sinceTime=2024-01-01%2000:00:00Z', 400, cannot('2024-01-01 00:00:00Z', ' 00:00:00Z', 'T')],
    ['sinceTime=2024-01-01T00:00:00', 400, cannot('2024-01-01T00:00:00', '', 'Z07:00')],
    ['sinceTime=2024-1-01T00:00:00Z', 400, cannot('2024-1-01T00:00:00Z', '1-01T00:00:00Z', '01')],
    ['sinceTime=2024-01-01T00:00:00%2B0100', 400, cannot('2024-01-01T00:00:00+0100', '+0100', 'Z07:00')],
    ['sinceTime=2024-13-01T00:00:00Z', 400, t('2024-13-01T00:00:00Z', ': month out of range')],
    ['sinceTime=2024-02-30T00:00:00Z', 400, t('2024-02-30T00:00:00Z', ': day out of range')],
    ['sinceTime=2024-01-01T24:00:00Z', 400, t('2024-01-01T24:00:00Z', ': hour out of range')],
    ['sinceTime=2024-01-01T00:60:00Z', 400, t('2024-01-01T00:60:00Z', ': minute out of range')],
    ['sinceTime=2024-01-01T00:00:60Z', 400, t('2024-01-01T00:00:60Z', ': second out of range')],
    ['sinceTime=2024-01-01T00:00:00%2B25:00', 400, t('2024-01-01T00:00:00+25:00', ': time zone offset hour out of range')],
    ['sinceTime=2024-01-01T00:00:00Zjunk', 400, t('2024-01-01T00:00:00Zjunk', ': extra text: "junk"')],
    // time's own quote(): every byte past ASCII as \xNN.
    ['sinceTime=2024-01-01T00:00:00Z%C3%A9', 400, 'parsing time "2024-01-01T00:00:00Z\\xc3\\xa9": extra text: "\\xc3\\xa9"'],
    ['tailLines=-1', 422, 'PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0'],
    ['limitBytes=0', 422, 'PodLogOptions "p" is invalid: limitBytes: Invalid value: 0: must be greater than 0'],
    ['sinceSeconds=0', 422, 'PodLogOptions "p" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0'],
    [
      'sinceSeconds=5&sinceTime=',
      422,
      'PodLogOptions "p" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
    ],
    ['stream=Stdout', 422, 'PodLogOptions "p" is invalid: stream: Forbidden: may not be specified'],
    [
      'tailLines=-1&limitBytes=-5',
      422,
      'PodLogOptions "p" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, limitBytes: Invalid value: -5: must be greater than 0]',
    ],
  ];
  it.each(errors)('%s → %i', (raw, code, message) => {
    expect(failure(() => log(raw))).toEqual([code, message]);
  });

  it('starts reading where the kubelet would', () => {
    const now = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    expect(logSince(log('sinceSeconds=10'), now)?.getTime()).toBe(now - 10_000);
    // LogLocation forwards sinceTime as RFC3339: whole seconds.
    expect(logSince(log('sinceTime=2024-01-02T03:04:05.999Z'), now)?.toISOString()).toBe('2024-01-02T03:04:05.000Z');
    expect(logSince(log('sinceTime='), now)).toBeUndefined();
    expect(logSince(log(''), now)).toBeUndefined();
  });
});

describe('PodExecOptions, PodAttachOptions', () => {
  it.each([
    [
      'command=ls&command=-l&stdout=True&stdin=yes&stderr=0&tty=',
      { stdin: true, stdout: true, stderr: false, tty: true, container: '', command: ['ls', '-l'] },
    ],
    [
      'command=sh&stdout=1&stderr=TRUE&container=c&container=d',
      { stdin: false, stdout: true, stderr: true, tty: false, container: 'c', command: ['sh'] },
    ],
    ['stdout=false&stderr=False', { stdin: false, stdout: false, stderr: false, tty: false, container: '', command: [] }],
  ])('exec %s', (raw, want) => {
    expect(decodePodExecOptions(q(raw))).toEqual(want);
  });

  it('attach has no command', () => {
    expect(decodePodAttachOptions(q('command=x&stdin=1'))).toEqual({
      stdin: true,
      stdout: false,
      stderr: false,
      tty: false,
      container: '',
    });
  });

  it.each([
    ['stdout=1&stderr=1&tty=1', { stdin: false, stdout: true, stderr: false, tty: true }], // a tty takes stderr's place
    ['stdin=true', { stdin: true, stdout: false, stderr: false, tty: false }],
    ['stderr=True', { stdin: false, stdout: false, stderr: true, tty: false }],
  ])('the kubelet streams of %s', (raw, want) => {
    expect(remoteCommandStreams(decodePodAttachOptions(q(raw)))).toEqual(want);
  });

  it.each(['', 'stdout=0&stderr=false', 'stderr=1&tty=1', 'stdin=FALSE&stdout=False'])('no stream in %j → 400', (raw) => {
    expect(failure(() => remoteCommandStreams(decodePodAttachOptions(q(raw))))).toEqual([
      400,
      'you must specify at least 1 of stdin, stdout, stderr',
    ]);
  });

  it.each(['dryRun=All', 'dryRun=', 'dryRun'])('connect subresources refuse %s', (raw) => {
    expect(failure(() => rejectConnectDryRun(q(raw)))).toEqual([400, 'dryRun is not supported']);
  });
});

describe('PodPortForwardOptions', () => {
  it.each([
    ['ports=80&ports=81,82', [80, 81, 82]],
    ['ports=080', [80]],
    ['ports=65535', [65535]],
    ['ports=0', [0]],
    ['', []],
  ])('decodes %s', (raw, want) => {
    expect(decodePodPortForwardOptions(q(raw)).ports).toEqual(want);
  });

  it.each([
    ['ports=abc', 'cannot convert to []int32: strconv.ParseUint: parsing "abc": invalid syntax'],
    ['ports=', 'cannot convert to []int32: strconv.ParseUint: parsing "": invalid syntax'],
    ['ports=80,', 'cannot convert to []int32: strconv.ParseUint: parsing "": invalid syntax'],
    ['ports=%2B80', 'cannot convert to []int32: strconv.ParseUint: parsing "+80": invalid syntax'],
    ['ports=-1', 'cannot convert to []int32: strconv.ParseUint: parsing "-1": invalid syntax'],
    ['ports=65536', 'cannot convert to []int32: strconv.ParseUint: parsing "65536": value out of range'],
    ['ports=80&ports=x', 'cannot convert to []int32: strconv.ParseUint: parsing "x": invalid syntax'],
  ])('refuses %s with a 400', (raw, message) => {
    expect(failure(() => decodePodPortForwardOptions(q(raw)))).toEqual([400, message]);
  });

  it.each([
    ['ports=80,81', [80, 81], ''],
    ['', [], 'query parameter "port" is required'],
    ['ports=0', [], 'port "0" must be > 0'],
    ['ports=80&ports=0', [], 'port "80,0" must be > 0'], // the kubelet sees the apiserver's joined value
  ])('over WebSocket channels %s', (raw, want, message) => {
    if (message) expect(failure(() => portForwardWebSocketPorts(q(raw)))).toEqual([400, message]);
    else expect(portForwardWebSocketPorts(q(raw))).toEqual(want);
  });

  it("keeps the kubelet's own texts for raw `port` values", () => {
    expect(() => parsePortForwardPorts([''])).toThrow('query parameter "port" cannot be empty');
    expect(() => parsePortForwardPorts(['8o'])).toThrow('unable to parse "8o" as a port: strconv.ParseUint: parsing "8o": invalid syntax');
  });
});
