// The JSONPath dialect against upstream's client-go util/jsonpath tests (parser_test.go,
// jsonpath_test.go) and the CRD table convertor's cells (tableconvertor_test.go).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { compileColumnPath, compileJSONPath, parseRFC3339, printerCell, type JSONPath } from '../../src/apimachinery/jsonpath.js';

function compile(template: string, allowMissingKeys = false): JSONPath {
  const c = compileJSONPath(template, { allowMissingKeys });
  if ('error' in c) throw new Error(`${template}: ${c.error}`);
  return c;
}
const run = (template: string, data: unknown, allowMissingKeys = false) => compile(template, allowMissingKeys).execute(data);
const failure = (template: string, data: unknown, allowMissingKeys = false) => {
  try {
    return `no error: ${compile(template, allowMissingKeys).execute(data)}`;
  } catch (e) {
    return (e as Error).message;
  }
};
const parseError = (template: string) => {
  const c = compileJSONPath(template);
  return 'error' in c ? c.error : 'nil';
};

describe('parsing', () => {
  it('reports upstream parse errors', () => {
    expect(parseError('{.hello')).toBe('unclosed action');
    expect(parseError('{*}')).toBe("unrecognized character in action: U+002A '*'");
    expect(parseError('{+12.3.0}')).toBe('cannot parse number +12.3.0');
    expect(parseError('{[1}')).toBe('unterminated array');
    expect(parseError('{[?(.price]}')).toBe('unterminated filter');
    expect(parseError('{........}')).toBe('invalid multiple recursive descent');
    expect(parseError('{[a]}')).toBe('invalid array index a');
    expect(parseError('{"abc}')).toBe('unterminated quoted string');
    expect(parseError('{[?(@.a=="x")x}')).toBe('unclosed array expect ]');
    expect(parseError('{\\\\\\}')).not.toBe('nil');
    expect(parseError('{.a\t}')).toBe('unrecognized character in action: U+0009');
    expect(parseError('plain text')).toBe('nil');
  });

  it('parses quoted text with escapes', () => {
    expect(run('{"{"}', null)).toBe('{');
    expect(run('{"a\\tb"}', null)).toBe('a\tb');
    // two texts in one action: each step replaces the values, so the last one is printed
    expect(run("{'it''s'}", null)).toBe('s');
    expect(parseError("{'a\\qb'}")).toBe("unquote string 'a\\qb' error invalid syntax");
  });
});

describe('evaluation', () => {
  const types = {
    bools: [true, false, true, false],
    integers: [1, 2, 3, 4],
    floats: [1.5, 2.2, 3.3, 4.25],
    strings: ['one', 'two', 'three', 'four'],
    interfaces: [true, 'one', 1, 1.1],
    maps: [
      { name: 'one', value: 1 },
      { name: 'two', value: 2.02 },
      { name: 'three', value: 3.03 },
      { name: 'four', value: 4.04 },
    ],
  };

  it('indexes and slices arrays', () => {
    expect(run('{ .bools }', types)).toBe('[true,false,true,false]');
    expect(run('{ .bools[0] }', types)).toBe('true');
    expect(run('{ .bools[-1] }', types)).toBe('false');
    expect(run('{ .bools[0:2] }', types)).toBe('true false');
    expect(run('{ .bools[:4:2] }', types)).toBe('true true');
    expect(run('{ .integers[-2] }', types)).toBe('3');
    expect(run('{ .integers[:2] }', types)).toBe('1 2');
    expect(run('{ .floats }', types)).toBe('[1.5,2.2,3.3,4.25]');
    expect(run('{ .floats[:4:2] }', types)).toBe('1.5 3.3');
    expect(run('{ .strings }', types)).toBe('["one","two","three","four"]');
    expect(run('{ .strings[-2] }', types)).toBe('three');
    expect(run('{ .interfaces }', types)).toBe('[true,"one",1,1.1]');
    expect(run('{ .interfaces[:4:2] }', types)).toBe('true 1');
    expect(run('{ .maps[0] }', types)).toBe('{"name":"one","value":1}');
    expect(run('{ .maps[1::2] }', types)).toBe('{"name":"two","value":2.02} {"name":"four","value":4.04}');
    expect(run('{ .maps[*].name }', types)).toBe('one two three four');
    expect(run('{[1,3,4]}', [0, 1, 2, 3, 4])).toBe('1 3 4');
    expect(run('{[0:2]}', ['Monday', 'Tudesday'])).toBe('Monday Tudesday');
    expect(run('{[]}', ['a', 'b'])).toBe('a');
  });

  it('reports array errors', () => {
    expect(failure('{.strings[9]}', types)).toBe('array index out of bounds: index 9, length 4');
    expect(failure('{.strings[1:9]}', types)).toBe('array index out of bounds: index 8, length 4');
    expect(failure('{.strings[3:1]}', types)).toBe('starting index 3 is greater than ending index 1');
    expect(failure('{.strings[::0]}', types)).toBe('step must be > 0');
    expect(failure('{.maps[0][0]}', types)).toBe('map[string]interface {} is not array or slice');
    expect(failure('{.strings[0][0]}', types)).toBe('string is not array or slice');
    expect(failure('{.integers[0][0]}', types)).toBe('int64 is not array or slice');
  });

  const store = {
    name: 'jsonpath',
    book: [
      { category: 'reference', author: 'Nigel Rees', title: 'Sayings of the Centurey', price: 8.95 },
      { category: 'fiction', author: 'Evelyn Waugh', title: 'Sword of Honour', price: 12.99 },
      { category: 'fiction', author: 'Herman Melville', title: 'Moby Dick', price: 8.99 },
    ],
    bicycle: [
      { color: 'red', price: 19.95, isNew: true },
      { color: 'green', price: 20.01, isNew: false },
    ],
    labels: { engieer: 10, 'web/html': 15, 'k8s-app': 20 },
  };

  it('walks fields, wildcards, recursion and text', () => {
    expect(run('hello jsonpath', null)).toBe('hello jsonpath');
    expect(run('hello {.name}', store)).toBe('hello jsonpath');
    expect(run('{$.labels.web/html}', store)).toBe('15');
    expect(run('{.labels.k8s-app}', store)).toBe('20');
    expect(run("{['name']}", store)).toBe('jsonpath');
    expect(run('{.bicycle[*].color}', store)).toBe('red green');
    expect(run('{.bicycle[0].*}', store)).toBe('red 19.95 true');
    expect(run('{..price}', store)).toBe('8.95 12.99 8.99 19.95 20.01');
    expect(run('{...price}', store)).toBe('8.95 12.99 8.99 19.95 20.01');
    expect(run('{..}', [1, 2, 3])).toBe('[1,2,3]');
    expect(run('{.book[-1:]}', store)).toBe('{"author":"Herman Melville","category":"fiction","price":8.99,"title":"Moby Dick"}');
    expect(run('{..book[2].title}', store)).toBe('Moby Dick');
    expect(run('{.bicycle[?(@.isNew==true)].color}', store)).toBe('red');
    expect(run('{.book[?(@.price<9.0)].author}', store)).toBe('Nigel Rees Herman Melville');
    expect(run('{.book[?(@.price>=12.99)].author}', store)).toBe('Evelyn Waugh');
    expect(run('{.book[?(@.category!="fiction")].author}', store)).toBe('Nigel Rees');
    expect(run('{.book[?(@.author<="Herman Melville")].price}', store)).toBe('12.99 8.99');
    expect(run('{[?(@<5)]}', [2, 6, 3, 7])).toBe('2 3');
    expect(run('{[?(@>5)]}', [2, 6, 3, 7])).toBe('6 7');
  });

  it('reports evaluation errors with upstream texts', () => {
    expect(failure('{hello}', store)).toBe('unrecognized identifier hello');
    expect(failure('{.hello}', store)).toBe('hello is not found');
    expect(failure('{.labels[0]}', store)).toBe('map[string]interface {} is not array or slice');
    expect(failure('{.book[?(@.price<>10)]}', store)).toBe('unrecognized filter operator <>');
    expect(failure('{range .labels.*}{@}{end}{end}', store)).toBe('not in range, nothing to end');
    expect(failure('{.labels[?(@.x)]}', store)).toBe('map[engieer:10 k8s-app:20 web/html:15] is not array or slice and cannot be filtered');
    expect(failure('{.book[?(@.price=="8.95")]}', store)).toBe('incompatible types for comparison');
    expect(failure('{.bicycle[?(@.isNew<true)]}', store)).toBe('invalid type for comparison');
    // a float literal against a whole JSON number: Go's int64 and float64 do not compare
    expect(failure('{.labels[?(@==10.0)]}', { labels: [10] })).toBe('incompatible types for comparison');
    expect(failure('{[?(@.a[*]=="x")]}', [{ a: ['x', 'y'] }])).toBe('can only compare one element at a time');
  });

  it('allows missing keys when asked', () => {
    expect(run('{.hello}', store, true)).toBe('');
    expect(run('before-{.hello}after', store, true)).toBe('before-after');
  });

  const points = [
    { id: 'i1', x: 4, y: -5 },
    { id: 'i2', x: -2, y: -5, z: 1 },
    { id: 'i3', x: 8, y: 3 },
    { id: 'i4', x: -6, y: -1 },
    { id: 'i5', x: 0, y: 2, z: 1 },
    { id: 'i6', x: 1, y: 4 },
    { id: 'i7', x: null, y: 4 },
  ];

  it('filters on existence and prints null', () => {
    expect(run('{[?(@.z)].id}', points)).toBe('i2 i5');
    expect(run("{[0]['id']}", points)).toBe('i1');
    expect(run("{[-1]['x']}", points)).toBe('null');
  });

  const nodes = {
    kind: 'List',
    items: [
      {
        kind: 'None',
        metadata: { name: '127.0.0.1', labels: { 'kubernetes.io/hostname': '127.0.0.1' } },
        status: { capacity: { cpu: '4' }, ready: true, addresses: [{ type: 'LegacyHostIP', address: '127.0.0.1' }] },
      },
      {
        kind: 'None',
        metadata: { name: '127.0.0.2', labels: { 'kubernetes.io/hostname': '127.0.0.2' } },
        status: {
          capacity: { cpu: '8' },
          ready: false,
          addresses: [
            { type: 'LegacyHostIP', address: '127.0.0.2' },
            { type: 'another', address: '127.0.0.3' },
          ],
        },
      },
    ],
    users: [
      { name: 'myself', user: {} },
      { name: 'e2e', user: { username: 'admin', password: 'secret' } },
    ],
  };

  it('runs the kubernetes cases: ranges, unions, escaped dots, filters', () => {
    expect(run('{range .items[*]}{.metadata.name}, {end}{.kind}', nodes)).toBe('127.0.0.1, 127.0.0.2, List');
    expect(run('{range .items[*]}{.metadata.name}{"\\t"}{end}', nodes)).toBe('127.0.0.1\t127.0.0.2\t');
    expect(run('{.items[*].status.addresses[*].address}', nodes)).toBe('127.0.0.1 127.0.0.2 127.0.0.3');
    expect(run('{range .items[*]}{range .status.addresses[*]}{.address}, {end}{end}', nodes)).toBe('127.0.0.1, 127.0.0.2, 127.0.0.3, ');
    expect(run("{.items[*]['metadata.name', 'status.capacity']}", nodes)).toBe('127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}');
    expect(run('{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}', nodes)).toBe(
      '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] ',
    );
    expect(run('{.users[?(@.name=="e2e")].user.password}', nodes)).toBe('secret');
    expect(run('{.items[0].metadata.labels.kubernetes\\.io/hostname}', nodes)).toBe('127.0.0.1');
    expect(run('{.items[?(@.metadata.labels.kubernetes\\.io/hostname=="127.0.0.1")].kind}', nodes)).toBe('None');
    expect(run('{.items[?(@..ready==true)].metadata.name}', nodes)).toBe('127.0.0.1');
    expect(run('{..name}', nodes).split(' ').sort()).toEqual(['127.0.0.1', '127.0.0.2', 'e2e', 'myself']);
    expect(run('{range .items[*]}{.metadata.name}{end}', { items: [] }, true)).toBe('');
    expect(run('{range .items[*]}{.a}{range .b[*]}{.c}{end}{"+"}{end}', { items: [] }, true)).toBe('');
  });

  it('prints maps and lists as Go encoding/json does', () => {
    expect(run('{.m}', { m: { b: 1, a: '<&>', c: [1.5, null] } })).toBe('{"a":"\\u003c\\u0026\\u003e","b":1,"c":[1.5,null]}');
    expect(run('{.n}', { n: 1e21 })).toBe('1e+21');
    expect(run('{.n}', { n: 0.00001 })).toBe('1e-05');
    expect(run('{1.0}', {})).toBe('1');
  });
});

describe('CRD printer columns', () => {
  const HOUR = 3600_000;
  const now = Date.parse('2026-01-02T12:00:00Z');
  const age = (t: number) => `${Math.round((now - t) / HOUR)}h`;
  const cell = (jsonPath: string, obj: unknown, type: string) => {
    const p = compileColumnPath(jsonPath);
    if ('error' in p) throw new Error(p.error);
    return printerCell(p, obj, type, age);
  };
  const obj = {
    apiVersion: 'example.istio.io/v1alpha1',
    kind: 'Blah',
    metadata: { name: 'blah', creationTimestamp: '2026-01-02T00:00:00Z' },
    spec: {
      servers: [{ hosts: ['foo'] }, { hosts: ['bar', 'baz'] }],
      foo: [{ bar: [1] }, { bar: [2, 3] }],
      replicas: 3,
      ratio: 3.14,
      ready: true,
      nothing: null,
      labels: { b: 'x', a: 'y' },
    },
    status: {
      conditions: [
        { type: 'Progressing', status: 'True' },
        { type: 'Ready', status: 'False' },
      ],
    },
  };

  it('prints string columns from the first value found', () => {
    expect(cell('.spec.servers[0].hosts[0]', obj, 'string')).toBe('foo');
    expect(cell('.spec.servers[0].hosts', obj, 'string')).toBe('["foo"]');
    expect(cell('.spec.servers[1].hosts', obj, 'string')).toBe('["bar","baz"]');
    // several values: upstream's convertor keeps the first
    expect(cell('.spec.servers[*].hosts', obj, 'string')).toBe('["foo"]');
    expect(cell('.spec.foo[0].bar[0]', obj, 'string')).toBe('1');
    expect(cell('.spec.foo[1].bar', obj, 'string')).toBe('[2,3]');
    expect(cell('.spec.replicas', obj, 'string')).toBe('3');
    expect(cell('.spec.ratio', obj, 'string')).toBe('3.14');
    expect(cell('.spec.ready', obj, 'string')).toBe('true');
    expect(cell('.spec.labels', obj, 'string')).toBe('{"a":"y","b":"x"}');
    expect(cell('.spec.nothing', obj, 'string')).toBe('<no value>');
    expect(cell('.status.conditions[?(@.type=="Ready")].status', obj, 'string')).toBe('False');
    expect(cell('.spec.missing', obj, 'string')).toBeNull();
    // an evaluation error is an empty cell, not a failed table
    expect(cell('.spec.labels[0]', obj, 'string')).toBeNull();
  });

  it('types integer, number, boolean and date cells', () => {
    expect(cell('.spec.foo[0].bar[0]', obj, 'integer')).toBe(1);
    expect(cell('.spec.foo[0].bar', obj, 'integer')).toBeNull();
    expect(cell('.spec.ratio', obj, 'integer')).toBe(3);
    expect(cell('.spec.ready', obj, 'integer')).toBeNull();
    expect(cell('.spec.replicas', obj, 'number')).toBe(3);
    expect(cell('.spec.ratio', obj, 'number')).toBe(3.14);
    expect(cell('.metadata.name', obj, 'number')).toBeNull();
    expect(cell('.spec.ready', obj, 'boolean')).toBe(true);
    expect(cell('.spec.replicas', obj, 'boolean')).toBeNull();
    expect(cell('.spec.nothing', obj, 'integer')).toBeNull();
    expect(cell('.metadata.creationTimestamp', obj, 'date')).toBe('12h');
    expect(cell('.metadata.name', obj, 'date')).toBe('<invalid>');
    expect(cell('.spec.replicas', obj, 'date')).toBeNull();
    expect(cell('.x', { x: '' }, 'date')).toBe('<unknown>');
    expect(cell('.x', { x: 'null' }, 'date')).toBe('<unknown>');
    expect(cell('.x', { x: '0001-01-01T00:00:00Z' }, 'date')).toBe('<unknown>');
    expect(cell('.metadata.name', obj, 'unknown')).toBeNull();
  });

  it('rejects paths the convertor cannot parse with its text', () => {
    expect(compileColumnPath('.spec.x[')).toEqual({ error: 'unrecognized column definition ".spec.x["' });
    expect(compileColumnPath('.spec.replicas')).not.toHaveProperty('error');
  });

  it('parses RFC 3339 as Go does', () => {
    expect(parseRFC3339('2026-01-02T03:04:05Z')).toBe(Date.parse('2026-01-02T03:04:05Z'));
    expect(parseRFC3339('2026-01-02T03:04:05.5+01:30')).toBe(Date.parse('2026-01-02T01:34:05.500Z'));
    expect(parseRFC3339('2026-02-29T00:00:00Z')).toBeUndefined();
    expect(parseRFC3339('2024-02-29T00:00:00Z')).toBe(Date.parse('2024-02-29T00:00:00Z'));
    expect(parseRFC3339('2026-01-02 03:04:05Z')).toBeUndefined();
    expect(parseRFC3339('2026-01-02T24:00:00Z')).toBeUndefined();
  });
});

// kubectl runs client-go's own engine on unstructured content (int64 and float64 as here, missing
// keys allowed): `kubectl label --local -o jsonpath` needs no server. Its label is added to the object
// here too.
describe('against kubectl -o jsonpath', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jsonpath-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const obj = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'x', labels: { l: '1' } },
    spec: {
      replicas: 3,
      ratio: 2.5,
      tiny: 0.000001,
      big: 123456789012,
      items: [
        { name: 'a', v: 1, tags: ['p', 'q'] },
        { name: 'b', v: 2, z: null, tags: [] },
        { name: 'c', v: 3, w: 1.5 },
      ],
      m: { b: '<x>', a: [1, 2.5], 'k.e': 'dot' },
      s: 'h\u00e9llo',
      t: true,
    },
  };
  const file = join(dir, 'obj.json');
  writeFileSync(file, JSON.stringify({ ...obj, metadata: { name: 'x' } }));
  const kubectl = async (template: string) => {
    try {
      const { stdout } = await promisify(execFile)(
        '/usr/bin/kubectl',
        ['label', '--local', '-f', file, 'l=1', '-o', `jsonpath=${template}`],
        { env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'none') } },
      );
      return stdout;
    } catch (e) {
      const stderr = (e as { stderr: string }).stderr;
      const parsing = `error: error parsing jsonpath ${template}, `;
      if (stderr.startsWith(parsing)) return `error: ${stderr.slice(parsing.length).trimEnd()}`;
      const m = /Error executing template: (.*?)\. Printing more/.exec(stderr);
      return `error: ${m ? m[1] : stderr}`;
    }
  };
  const ours = (template: string) => {
    const c = compileJSONPath(template, { allowMissingKeys: true });
    if ('error' in c) return `error: ${c.error}`;
    try {
      return c.execute(obj);
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  };
  const templates = [
    '{.spec.replicas}',
    '{.spec.ratio} {.spec.tiny} {.spec.big}',
    '{.spec.items[?(@.v==1)].name}',
    '{.spec.items[?(@.v==1.0)].name}',
    '{.spec.items[?(@.w>1.0)].name}',
    '{.spec.items[?(@.v>=2)].name}',
    '{.spec.items[?(@.v!=2)].name}',
    '{.spec.items[?(@.name<"b")].v}',
    '{.spec.items[?(@.t==true)].name}',
    '{.spec.items[?(@.z)].name}',
    '{.spec.items[?(@.tags[0]=="p")].name}',
    '{.spec.items[*].z}',
    '{.spec.items[*].tags}',
    '{.spec.items[*].tags[*]}',
    '{.spec.items[-1:]}',
    '{.spec.items[0:3:2].name}',
    '{.spec.items[5]}',
    '{.spec.items[2:1]}',
    '{.spec.items[::0]}',
    '{.spec.m}',
    '{.spec.m.a[1]}',
    "{.spec.m['a']}",
    '{.spec.m.k\\.e}',
    '{.spec.s.*}',
    '{.spec.s}',
    '{.spec.t}',
    '{.spec.nothere}',
    '{.spec.m[0]}',
    '{.spec.m[?(@.x)]}',
    '{range .spec.items[*]}{.name}={.v};{end}',
    '{range .spec.items[*]}[{range .tags[*]}{@},{end}]{end}',
    '{.spec.items[*]["name", "v"]}',
    '{.spec.items[0,2].name}',
    '{.metadata.name}{"\\t"}{.kind}',
    'plain {.kind} text',
    '{.spec.items[}',
    '{*}',
    '{.a',
    '{[?(@.x',
    '{end}',
    '{hello}',
    '{.spec.items[?(@.v<>1)]}',
    '{.spec.items[?(@.tags[5])].name}',
    '{.spec.items[?(@.nope.x)].name}',
    '{.spec.items[?(@.name == "a")].v}',
    '{$.spec.replicas}{@.spec.t}',
    '{.spec.items[-1].name}',
    '{.spec.items[].name}',
    '{.spec.items[?(@.v<2.5)]}',
    '{.spec.items[*].w}',
    '{.spec.items[0].name.*}',
    "{'lit'} {1.5} {+3} {true} {-2}",
    '{.spec..name}',
    '{.spec.items[?(@.tags)].name}',
    '{.spec.items[?(@.tags[*]=="p")].name}',
    '{.spec.items[-9]}',
    '{.spec.items[a:b]}',
    '{.spec.items[0].name[0]}',
    '{.spec.replicas.x}',
  ];
  it('prints what kubectl prints, errors included', async () => {
    const theirs = await Promise.all(templates.map(kubectl));
    expect(templates.map(ours)).toEqual(theirs);
  });
  it('visits maps in any order, as Go does, with the same values', async () => {
    for (const t of ['{..name}', '{.spec.m.*}', '{..v}']) {
      const sorted = (s: string) => s.split(' ').sort();
      expect(sorted(ours(t))).toEqual(sorted(await kubectl(t)));
    }
  });
});
