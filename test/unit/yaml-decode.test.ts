// YAML and JSON bodies decoded within upstream's bounds, with go-yaml's and encoding/json's texts;
// the long-running request check of the request deadline; bearer token parsing.
import { beforeAll, describe, it, expect } from 'vitest';
import {
  decodeYAML,
  goYamlDepthError,
  jsonTooDeep,
  loadYAMLParser,
  MAX_NESTING,
  NestingError,
  YAMLDecodeError,
} from '../../src/apimachinery/yaml/decode.js';
import { isLongRunning } from '../../src/server/request-timeout.js';
import { bearerTokenOf } from '../../src/server/auth/bearer.js';

const HEAD = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n';
const fails = (text: string) => {
  try {
    decodeYAML(text);
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
  return 'ok';
};

// js-yaml loads on first use (the API server's preHandler awaits it).
beforeAll(() => loadYAMLParser());

describe('decodeYAML', () => {
  it('decodes YAML and JSON as before: core schema, last duplicate key wins, one document', () => {
    expect(decodeYAML(`${HEAD}data:\n  a: "1"\n  b: yes\n  c: 2024-01-01\n  a: "2"\n`)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: { a: '2', b: 'yes', c: '2024-01-01' },
    });
    expect(decodeYAML('{"a": [1, {"b": null}]}')).toEqual({ a: [1, { b: null }] });
    expect(fails(`${HEAD}---\na: 1\n`)).toBe('YAMLDecodeError: yaml: expected a single YAML document');
    expect(fails('metadata: [: x')).toMatch(/^YAMLDecodeError: yaml: line \d+: /);
  });

  it("refuses go-yaml's depth beyond 10000 with its text and line", () => {
    expect(fails(`${HEAD}data: ${'['.repeat(10_001)}${']'.repeat(10_001)}\n`)).toBe(
      'YAMLDecodeError: yaml: line 5: exceeded max depth of 10000',
    );
    // parser.fail names no line for a scanner error on the first line
    expect(fails(`${'{"a":'.repeat(10_001)}1${'}'.repeat(10_001)}`)).toBe('YAMLDecodeError: yaml: exceeded max depth of 10000');
    expect(fails(`${HEAD}data:\n${'- '.repeat(10_001)}x\n`)).toBe('YAMLDecodeError: yaml: line 6: exceeded max depth of 10000');
    // a mapping key in the last of 10000 nested sequences is one indentation level more
    expect(goYamlDepthError(`${HEAD}data:\n${'- '.repeat(10_000)}k: v\n`)?.message).toBe('yaml: line 6: exceeded max depth of 10000');
    expect(goYamlDepthError(`${HEAD}data:\n${'- '.repeat(9_999)}k: v\n`)).toBeUndefined();
    // brackets in quoted scalars, comments and block scalars are not flow collections
    expect(
      goYamlDepthError(`a: "${'['.repeat(20_000)}"\nb: '${'{'.repeat(20_000)}'\n# ${'['.repeat(20_000)}\nc: |\n  ${'['.repeat(20_000)}\n`),
    ).toBeUndefined();
  });

  it(`nests at most MAX_NESTING (${MAX_NESTING}) deep, with encoding/json's text`, () => {
    expect(fails(`${HEAD}data: ${'['.repeat(MAX_NESTING - 1)}${']'.repeat(MAX_NESTING - 1)}\n`)).toBe('ok');
    expect(fails(`${HEAD}data: ${'['.repeat(MAX_NESTING)}${']'.repeat(MAX_NESTING)}\n`)).toBe(
      "NestingError: invalid character '[' exceeded max depth",
    );
    expect(fails(`{"a":${'{"b":'.repeat(MAX_NESTING)}1${'}'.repeat(MAX_NESTING)}}`)).toBe(
      "NestingError: invalid character '{' exceeded max depth",
    );
    // through aliases too
    const a = `a: &a ${'['.repeat(600)}${']'.repeat(600)}\nb: &b ${'['.repeat(500)}*a${']'.repeat(500)}\n`;
    expect(fails(a)).toBe("NestingError: invalid character '[' exceeded max depth");
  });

  it('measures alias expansion as go-yaml does (allowedAliasRatio) and copies what it expands', () => {
    const laughs = ['a: &a [x,x,x,x,x,x,x,x,x]'];
    for (const [p, c] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi']) laughs.push(`${c}: &${c} [${Array(9).fill(`*${p}`).join(',')}]`);
    expect(fails(laughs.join('\n'))).toBe('YAMLDecodeError: yaml: document contains excessive aliasing');
    // a long string repeated by aliases: counted by size
    expect(fails(`a: &a ${'x'.repeat(100_000)}\nb: [${Array(80).fill('*a').join(',')}]\n`)).toBe(
      'YAMLDecodeError: yaml: document contains excessive aliasing',
    );
    expect(fails('a: &a [*a]\n')).toBe("YAMLDecodeError: yaml: anchor 'a' value contains itself");
    const v = decodeYAML('a: &a {k: v}\nb: *a\n') as { a: { k: string }; b: { k: string } };
    expect(v.b).toEqual({ k: 'v' });
    expect(v.b).not.toBe(v.a);
  });

  it('finds JSON nesting by scanning text, strings skipped', () => {
    expect(jsonTooDeep(`{"a":"${'['.repeat(5000)}\\"${'['.repeat(5000)}"}`, 1000)).toBeUndefined();
    expect(jsonTooDeep(`[${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}]`, 1000)).toBe('{');
    expect(jsonTooDeep(`{"a\\\\":${'['.repeat(1001)}${']'.repeat(1001)}}`, 1000)).toBe('[');
  });

  it('error classes', () => {
    expect(new NestingError('[')).toBeInstanceOf(Error);
    expect(new YAMLDecodeError('yaml: x').message).toBe('yaml: x');
  });
});

describe('isLongRunning (BasicLongRunningRequestCheck)', () => {
  it.each([
    ['GET', '/api/v1/namespaces/default/pods?watch=true', true],
    ['GET', '/api/v1/pods?watch=1', true],
    ['GET', '/api/v1/pods?watch=false', false],
    ['GET', '/api/v1/pods?watch=0', false],
    ['GET', '/api/v1/watch/namespaces/default/pods', true],
    ['GET', '/api/v1/namespaces/default/pods/p/log?follow=true', true],
    ['GET', '/api/v1/namespaces/default/pods/p/log', true],
    ['POST', '/api/v1/namespaces/default/pods/p/exec', true],
    ['GET', '/api/v1/namespaces/default/pods/p/portforward', true],
    ['GET', '/api/v1/namespaces/default/services/s:80/proxy/x/y', true],
    ['GET', '/api/v1/namespaces/default/pods/p?watch=1', false],
    ['POST', '/api/v1/namespaces/default/configmaps', false],
    ['PUT', '/api/v1/namespaces/default/status', false],
    ['GET', '/apis/apps/v1/namespaces/default/deployments?watch=true', true],
    ['GET', '/healthz', false],
  ])('%s %s → %s', (method, url, want) => {
    expect(isLongRunning(method, url)).toBe(want);
  });
});

describe('bearerTokenOf', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['  Bearer abc  ', 'abc'],
    ['Bearer abc def', 'abc'],
    ['Bearer  abc', undefined],
    ['Bearer', undefined],
    ['Bearerabc', undefined],
    ['Basic abc', undefined],
    ['', undefined],
  ])('%j → %j', (h, want) => {
    expect(bearerTokenOf(h)).toBe(want);
  });
});

describe('YAML flow collections that look like JSON', () => {
  it('are not taken for deep JSON when quoted the YAML way', () => {
    const v = decodeYAML(`{a: '${'['.repeat(3000)}', b: [1]}`) as { a: string };
    expect(v.a.length).toBe(3000);
  });
});
