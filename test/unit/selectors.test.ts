import { describe, it, expect } from 'vitest';
import {
  matchLabelSelector,
  matchRequirements,
  parseFieldSelector,
  parseLabelSelector,
  formatLabels,
} from '../../src/apimachinery/selectors.js';
import { buildMatcher } from '../../src/registry/filters.js';
import { configMapDef } from '../../src/registry/configmap.js';
import { podDef } from '../../src/registry/pod/strategy.js';
import { nodeDef } from '../../src/registry/node.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import type { KubeObject } from '../../src/apimachinery/types.js';

const parseErr = (s: string) => {
  try {
    parseLabelSelector(s);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('label selector parsing', () => {
  it('parses every operator, sorted by key', () => {
    const r = parseLabelSelector('z=1,a==2,b!=3,c in (x, y),d notin (q),e,!f');
    expect(r.map((x) => `${x.key}:${x.operator}:${x.values.join('|')}`)).toEqual([
      'a:==:2',
      'b:!=:3',
      'c:in:x|y',
      'd:notin:q',
      'e:exists:',
      'f:!:',
      'z:=:1',
    ]);
  });
  it('treats in/notin as values inside sets and allows empty values', () => {
    expect(parseLabelSelector('x in (in,,notin)')[0]!.values).toEqual(['', 'in', 'notin']);
    expect(parseLabelSelector('x=')[0]!.values).toEqual(['']);
  });
  it('reports upstream parse errors', () => {
    expect(parseErr('a in (')).toBe("unable to parse requirement: found '', expected: ',', ')' or identifier");
    expect(parseErr('a in x')).toBe("unable to parse requirement: found 'x' expected: '('");
    expect(parseErr('app:monolith')).toMatch(
      /^unable to parse requirement: <nil>: Invalid value: "app:monolith": name part must consist of alphanumeric characters, '-', '_' or '\.', and must start and end with an alphanumeric character \(e\.g\. 'MyName',  or 'my\.name',  or '123-abc', regex used for validation is/,
    );
    expect(parseErr('a=b c')).toBe("found 'c', expected: ',' or 'end of string'");
    expect(parseErr('a,')).toBe("found '', expected: identifier after ','");
    expect(parseErr('=a')).toBe("found '=', expected: !, identifier, or 'end of string'");
    expect(parseErr('a=b_')).toMatch(
      /^unable to parse requirement: values\[0\]\[a\]: Invalid value: "b_": a valid label must be an empty string/,
    );
  });
  it('matches like upstream (notin and != match missing keys)', () => {
    const m = (s: string, l: Record<string, string>) => matchRequirements(parseLabelSelector(s), l);
    expect(m('app=web', { app: 'web' })).toBe(true);
    expect(m('app!=web', {})).toBe(true);
    expect(m('tier notin (db)', {})).toBe(true);
    expect(m('tier in (db)', {})).toBe(false);
    expect(m('!tier', { tier: 'x' })).toBe(false);
    expect(m('tier,app=web', { app: 'web' })).toBe(false);
  });
});

describe('metav1.LabelSelector matching', () => {
  it('handles matchLabels and expressions; nil matches nothing, empty everything', () => {
    expect(matchLabelSelector(undefined, { a: 'b' })).toBe(false);
    expect(matchLabelSelector({}, { a: 'b' })).toBe(true);
    const sel = {
      matchLabels: { a: 'b' },
      matchExpressions: [
        { key: 'c', operator: 'In', values: ['1', '2'] },
        { key: 'd', operator: 'DoesNotExist' },
      ],
    };
    expect(matchLabelSelector(sel, { a: 'b', c: '2' })).toBe(true);
    expect(matchLabelSelector(sel, { a: 'b', c: '3' })).toBe(false);
    expect(matchLabelSelector(sel, { a: 'b', c: '1', d: '' })).toBe(false);
  });
  it('formats label maps like labels.FormatLabels', () => {
    expect(formatLabels({ b: '2', a: '1' })).toBe('a=1,b=2');
    expect(formatLabels({})).toBe('<none>');
  });
});

describe('field selectors', () => {
  it('parses =, ==, != and escapes', () => {
    expect(parseFieldSelector('b!=2,a==1')).toEqual([
      { field: 'a', operator: '=', value: '1' },
      { field: 'b', operator: '!=', value: '2' },
    ]);
    expect(parseFieldSelector('a=x\\,y')).toEqual([{ field: 'a', operator: '=', value: 'x,y' }]);
    expect(() => parseFieldSelector('abc')).toThrow("invalid selector: 'abc'; can't understand 'abc'");
  });
});

const cm = (name: string, labels?: Record<string, string>): KubeObject => ({ metadata: { name, namespace: 'default', labels } });
const status400 = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    expect((e as StatusError).code).toBe(400);
    return (e as StatusError).message;
  }
  throw new Error('expected a 400');
};

describe('buildMatcher', () => {
  it('is undefined without selectors and combines both kinds', () => {
    expect(buildMatcher(configMapDef, '', '')).toBeUndefined();
    const m = buildMatcher(configMapDef, 'app=web', 'metadata.name!=b')!;
    expect(m(cm('a', { app: 'web' }))).toBe(true);
    expect(m(cm('b', { app: 'web' }))).toBe(false);
    expect(m(cm('c', {}))).toBe(false);
  });
  it('uses upstream texts for unsupported fields', () => {
    expect(status400(() => buildMatcher(configMapDef, undefined, 'spec.foo=x'))).toBe(
      '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    expect(status400(() => buildMatcher(podDef, undefined, 'spec.foo=x'))).toBe('field label not supported: spec.foo');
    expect(status400(() => buildMatcher(nodeDef, undefined, 'metadata.namespace=x'))).toBe('field label not supported: metadata.namespace');
    expect(status400(() => buildMatcher(configMapDef, 'a in (', undefined))).toMatch(/^unable to parse requirement/);
  });
  it('matches kind field selectors, absent fields as ""', () => {
    const m = buildMatcher(podDef, undefined, 'spec.nodeName=n1,spec.hostNetwork=false')!;
    expect(m({ metadata: { name: 'p' }, spec: { nodeName: 'n1' } })).toBe(true);
    expect(m({ metadata: { name: 'p' }, spec: { nodeName: 'n2' } })).toBe(false);
    expect(buildMatcher(podDef, undefined, 'status.podIP=')!({ metadata: { name: 'p' } })).toBe(true);
  });
});
