// The functions x-kubernetes-validations rules can call beyond the CEL standard library:
// Kubernetes' libraries (lists, regex, URLs, quantities) and the cel-go extensions its base
// environment declares (strings, sets, optionals), with their results and error texts.
import { describe, expect, it } from 'vitest';
import type { JSONSchemaProps } from '../../src/api/generated/apiextensions/v1.js';
import { compileSchemaRules } from '../../src/registry/cel/index.js';

/** Evaluates `expr` as a rule on `self`: 'true', 'false', `compile: <error>` or the runtime error text. */
async function evalRule(expr: string, self: unknown = {}, schema: JSONSchemaProps = { type: 'object' }): Promise<string> {
  const r = await compileSchemaRules({ ...schema, 'x-kubernetes-validations': [{ rule: expr }] }, 'spec.validation.openAPIV3Schema');
  if (r.errors.length) return `compile: ${r.errors.map((e) => e.body.replace(/^.*?compilation failed: /s, '')).join('; ')}`;
  const res = r.validator!.validate(self);
  if (!res.errors.length) return 'true';
  const body = res.errors[0]!.body.replace(/^Invalid value: "[a-z]*": /, '');
  if (body === `failed rule: ${expr}`) return 'false';
  return body.replace(` evaluating rule: ${expr}`, '');
}

/** Each expression must evaluate to true. */
async function allTrue(exprs: string[]) {
  const results = await Promise.all(exprs.map(async (e) => [e, await evalRule(e)] as const));
  expect(results.filter(([, r]) => r !== 'true')).toEqual([]);
}

describe('strings', () => {
  it('has the strings extension functions', async () => {
    await allTrue([
      "'hello'.charAt(1) == 'e'",
      "'hello'.charAt(5) == ''",
      "'a.b.c'.replace('.', '/') == 'a/b/c'",
      "'a.b.c'.replace('.', '/', 1) == 'a/b.c'",
      "'ab'.replace('', '-') == '-a-b-'",
      'strings.quote(\'a"b\\n\') == \'"a\\\\"b\\\\n"\'',
      "'TacoCat'.lowerAscii() == 'tacocat' && 'TacoCat'.upperAscii() == 'TACOCAT'",
      "' x '.trim() == 'x'",
      "'a,b,c'.split(',') == ['a', 'b', 'c'] && ['a', 'b'].join('-') == 'a-b'",
      "'hello'.indexOf('l') == 2 && 'hello'.lastIndexOf('l') == 3 && 'hello'.substring(1, 3) == 'el'",
    ]);
  });

  it('formats with string.format', async () => {
    await allTrue([
      "'%s has %d items, %.2f%% done'.format([dyn('list'), dyn(3), dyn(42.123)]) == 'list has 3 items, 42.12% done'",
      "'%s'.format([[dyn('abc'), dyn(3.14), dyn(null), dyn([9, 8])]]) == '[abc, 3.14, null, [9, 8]]'",
      "'%s'.format([{'b': dyn(2), 'a': dyn(true)}]) == '{a:true, b:2}'",
      "'%s %s'.format([dyn(duration('2h')), dyn(timestamp('2023-02-03T23:31:20Z'))]) == '7200s 2023-02-03T23:31:20Z'",
      "'%x %X %o %b'.format([255, 255, 8, 5]) == 'ff FF 10 101' && '%x'.format(['hi']) == '6869'",
      "'%e'.format([1052.032911275]) == '1.052033e+03' && '%f'.format([1.5]) == '1.500000'",
    ]);
    // Kubernetes' environment wants homogeneous list literals: mixed arguments need dyn().
    expect(await evalRule("'%s %d'.format(['x', 1]) == ''")).toContain(
      "compile: ERROR: <input>:1:22: expected type 'string' but found 'int'",
    );
    expect(await evalRule("'%d'.format(['x']) == ''")).toBe(
      'error during formatting: decimal clause can only be used on integers, was given string',
    );
  });

  it('fails charAt past the end', async () => {
    expect(await evalRule("'ab'.charAt(3) == ''")).toBe('index out of range: 3');
  });
});

describe('lists', () => {
  it('sorts, sums, finds extremes and indexes', async () => {
    await allTrue([
      '[1, 2, 2, 3].isSorted() && !([2, 1].isSorted()) && ["a", "b"].isSorted()',
      '[1, 2, 3].sum() == 6 && [1.5, 2.5].sum() == 4.0',
      '[duration("1s"), duration("2s")].sum() == duration("3s")',
      '[3, 1, 2].min() == 1 && [3, 1, 2].max() == 3 && ["b", "a"].min() == "a"',
      '[1, 2, 1].indexOf(1) == 0 && [1, 2, 1].lastIndexOf(1) == 2 && [1].indexOf(5) == -1',
      '[[1], [2]].indexOf([2]) == 1',
    ]);
  });

  it('has the lists extension (version 3)', async () => {
    await allTrue([
      'lists.range(3) == [0, 1, 2] && lists.range(0) == []',
      '[1, 2, 1].distinct() == [1, 2]',
      '[[1], [2, 3]].flatten() == [1, 2, 3] && [[[1]], [[2]]].flatten(2) == [1, 2]',
      '[1, 2].reverse() == [2, 1] && [1, 2, 3].slice(1, 2) == [2]',
      "[3, 1, 2].sort() == [1, 2, 3] && ['b', 'a'].sort() == ['a', 'b']",
      '[1].first().value() == 1 && ![].first().hasValue() && [1, 2].last().value() == 2',
    ]);
    expect(await evalRule('[1].slice(0, 3) == []')).toBe('cannot slice(0, 3), list is length 1');
  });

  it('works on schema lists', async () => {
    const schema: JSONSchemaProps = { type: 'object', properties: { xs: { type: 'array', items: { type: 'integer' } } } };
    expect(await evalRule('self.xs.sum() == 10 && self.xs.max() == 4 && !self.xs.isSorted()', { xs: [1, 4, 3, 2] }, schema)).toBe('true');
  });

  it('reports empty lists and overflow', async () => {
    const schema: JSONSchemaProps = { type: 'object', properties: { xs: { type: 'array', items: { type: 'integer' } } } };
    expect(await evalRule('self.xs.min() > 0', { xs: [] }, schema)).toBe('min called on empty list');
    expect(await evalRule('self.xs.max() > 0', { xs: [] }, schema)).toBe('max called on empty list');
    expect(await evalRule('[9223372036854775807, 1].sum() > 0')).toBe('integer overflow');
  });
});

describe('regex', () => {
  it('finds matches with RE2 patterns', async () => {
    await allTrue([
      "'abc 123'.find('[0-9]+') == '123'",
      "'abc'.find('[0-9]+') == ''",
      "'123 abc 456'.findAll('[0-9]+') == ['123', '456']",
      "'123 abc 456'.findAll('[0-9]+', 1) == ['123']",
      "'123 abc 456'.findAll('[0-9]+', 0) == []",
      "'ABC'.find('(?i)b') == 'B'",
    ]);
  });

  it('runs matches() with RE2 patterns too', async () => {
    await allTrue(["'AAA'.matches('(?i)^a+$')", "matches('abc', '^a')", "!'abc'.matches('^b')", "'ab'.matches(r'\\Aa')"]);
  });

  it('refuses what RE2 refuses', async () => {
    expect(await evalRule("'ab'.find('a(?=b)') == 'a'")).toBe('error parsing regexp: invalid or unsupported Perl syntax: `(?=`');
    const schema: JSONSchemaProps = { type: 'object', properties: { p: { type: 'string' } } };
    expect(await evalRule("'ab'.matches(self.p)", { p: 'a(?=b)' }, schema)).toBe(
      'error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    );
    // A constant pattern is checked when the CRD is written (cel-go's ValidateRegexLiterals).
    expect(await evalRule("'ab'.matches('a(?=b)')")).toBe(
      "compile: ERROR: <input>:1:14: invalid matches argument\n | 'ab'.matches('a(?=b)')\n | .............^",
    );
  });

  it('names matches() in overload errors', async () => {
    expect(await evalRule("'ab'.matches(1)")).toContain("found no matching overload for 'matches' applied to 'string.(int)'");
  });
});

describe('urls', () => {
  it('parses URLs as Go does', async () => {
    await allTrue([
      "url('https://example.com:80/path?query=val&a=b&a=c').getScheme() == 'https'",
      "url('https://example.com:80/path?query=val&a=b&a=c').getHost() == 'example.com:80'",
      "url('https://example.com:80/path?query=val&a=b&a=c').getHostname() == 'example.com'",
      "url('https://example.com:80/path?query=val&a=b&a=c').getPort() == '80'",
      "url('https://example.com/').getPort() == ''",
      "url('https://example.com/a%20b').getEscapedPath() == '/a%20b'",
      "url('https://example.com/path?query=val&a=b&a=c').getQuery() == {'query': ['val'], 'a': ['b', 'c']}",
      "url('https://[::1]:80/').getHostname() == '::1' && url('https://[::1]:80/').getHost() == '[::1]:80'",
      "url('/absolute-path').getEscapedPath() == '/absolute-path' && url('/absolute-path').getHost() == ''",
      "isURL('https://example.com/x') && isURL('/x') && !isURL('x/y') && !isURL('https://exa mple.com/')",
      "url('https://a.example/') == url('https://a.example/')",
    ]);
  });

  it('reports what url() refuses', async () => {
    expect(await evalRule("url('../relative').getHost() == ''")).toBe(
      'URL parse error during conversion from string: parse "../relative": invalid URI for request',
    );
    expect(await evalRule("url('https://h:x/').getHost() == ''")).toBe(
      'URL parse error during conversion from string: parse "https://h:x/": invalid port ":x" after host',
    );
  });
});

describe('quantity', () => {
  it('parses and compares exactly', async () => {
    await allTrue([
      "isQuantity('1.5Gi') && !isQuantity('1.5GiB')",
      "quantity('50M').isLessThan(quantity('50Mi')) && quantity('1k').isGreaterThan(quantity('999'))",
      "quantity('1.5G').compareTo(quantity('1500M')) == 0 && quantity('1').compareTo(quantity('2')) == -1",
      "quantity('50k').asInteger() == 50000 && quantity('1.5').isInteger() == false && quantity('2').isInteger()",
      "quantity('50k').add(quantity('50k')) == quantity('100k') && quantity('1').add(2) == quantity('3')",
      "quantity('1').sub(quantity('500m')) == quantity('0.5') && quantity('1').sub(1).sign() == 0",
      "quantity('-2').sign() == -1 && quantity('1.5').asApproximateFloat() == 1.5",
    ]);
  });

  it('checks quantities from the object', async () => {
    const schema: JSONSchemaProps = { type: 'object', properties: { mem: { 'x-kubernetes-int-or-string': true } } };
    expect(await evalRule("quantity(string(self.mem)).isLessThan(quantity('1Gi'))", { mem: '512Mi' }, schema)).toBe('true');
    expect(await evalRule("quantity(string(self.mem)).isLessThan(quantity('1Gi'))", { mem: '2Gi' }, schema)).toBe('false');
  });

  it('reports bad quantities and non-integers', async () => {
    expect(await evalRule("quantity('x').sign() == 1")).toBe(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(await evalRule("quantity('1.5').asInteger() == 1")).toBe('cannot convert value to integer');
  });
});

describe('ip and cidr', () => {
  it('parses and classifies addresses as netip does', async () => {
    await allTrue([
      "isIP('10.0.0.1') && isIP('fe80::1') && !isIP('10.0.0.256') && !isIP('::ffff:1.2.3.4') && !isIP('fe80::1%eth0')",
      "ip('10.0.0.1').family() == 4 && ip('::1').family() == 6",
      "ip('127.0.0.1').isLoopback() && ip('::1').isLoopback() && !ip('10.0.0.1').isLoopback()",
      "ip('0.0.0.0').isUnspecified() && ip('::').isUnspecified()",
      "ip('224.0.0.1').isLinkLocalMulticast() && ip('ff02::1').isLinkLocalMulticast() && !ip('224.0.1.1').isLinkLocalMulticast()",
      "ip('169.254.1.1').isLinkLocalUnicast() && ip('fe80::1').isLinkLocalUnicast()",
      "ip('10.0.0.1').isGlobalUnicast() && !ip('255.255.255.255').isGlobalUnicast() && !ip('ff00::1').isGlobalUnicast()",
      "ip.isCanonical('2001:db8::1') && !ip.isCanonical('2001:DB8::1') && !ip.isCanonical('2001:db8:0::1')",
      "string(ip('2001:DB8::1')) == '2001:db8::1' && ip('10.0.0.1') == ip('10.0.0.1')",
    ]);
  });

  it('parses CIDRs keeping the address', async () => {
    await allTrue([
      "isCIDR('10.0.0.0/8') && !isCIDR('10.0.0.0') && !isCIDR('10.0.0.0/33')",
      "cidr('10.0.0.0/8').containsIP('10.1.2.3') && !cidr('10.0.0.0/8').containsIP(ip('11.0.0.1')) && !cidr('10.0.0.0/8').containsIP('::1')",
      "cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16') && !cidr('10.1.0.0/16').containsCIDR(cidr('10.0.0.0/8'))",
      "string(cidr('10.1.2.3/8')) == '10.1.2.3/8' && string(cidr('10.1.2.3/8').masked()) == '10.0.0.0/8'",
      "cidr('10.1.2.3/8').ip() == ip('10.1.2.3') && cidr('fd00::/64').prefixLength() == 64",
    ]);
  });

  it('reports what ip() and cidr() refuse', async () => {
    expect(await evalRule("ip('x').family() == 4")).toBe(
      'IP Address "x" parse error during conversion from string: ParseAddr("x"): unable to parse IP',
    );
    expect(await evalRule("ip('::ffff:1.2.3.4').family() == 4")).toBe('IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed');
    expect(await evalRule("cidr('10.0.0.0').prefixLength() == 8")).toBe(
      `network address parse error during conversion from string: netip.ParsePrefix("10.0.0.0"): no '/'`,
    );
  });
});

describe('format', () => {
  it('validates named formats', async () => {
    await allTrue([
      "!format.dns1123Label().validate('my-name').hasValue()",
      "format.dns1123Label().validate('My_Name').value()[0].startsWith('a lowercase RFC 1123 label must consist of')",
      "format.named('dns1123Subdomain').value().validate('a.b').hasValue() == false",
      "!format.named('nope').hasValue()",
      "format.uuid().validate('x').value() == ['does not match the UUID format']",
      "!format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()",
      "format.byte().validate('###').value() == ['invalid base64'] && !format.byte().validate('aGVsbG8=').hasValue()",
      "!format.date().validate('2021-01-01').hasValue() && format.datetime().validate('2021-01-01').value() == ['invalid datetime']",
      "format.uri().validate('x').value() == ['parse \"x\": invalid URI for request']",
      "!format.qualifiedName().validate('apiextensions.k8s.io/v1beta1').hasValue() && !format.labelValue().validate('').hasValue()",
    ]);
  });
});

describe('semver', () => {
  it('parses and compares versions', async () => {
    await allTrue([
      "semver('1.2.3').major() == 1 && semver('1.2.3').minor() == 2 && semver('1.2.3').patch() == 3",
      "isSemver('1.2.3-beta.1+build.1') && !isSemver('v1.0.0') && !isSemver('01.01.01') && !isSemver('1.1')",
      "isSemver('v1.0.0', true) && isSemver('1', true) && semver('v01.01', true) == semver('1.1.0')",
      "semver('1.0.0').isLessThan(semver('1.2.3')) && semver('1.2.3').isGreaterThan(semver('1.0.0'))",
      "semver('1.0.0-alpha').isLessThan(semver('1.0.0')) && semver('1.0.0-alpha.2').isLessThan(semver('1.0.0-alpha.10'))",
      "semver('1.2.3').compareTo(semver('1.2.3')) == 0 && semver('1.0.0').compareTo(semver('1.2.3')) == -1",
    ]);
  });

  it('reports what blang/semver refuses', async () => {
    expect(await evalRule("semver('v1.0').major() == 1")).toBe('No Major.Minor.Patch elements found');
    expect(await evalRule("semver('v1.0.0').major() == 1")).toBe('Invalid character(s) found in major number "v1"');
  });
});

describe('two-variable comprehensions', () => {
  const schema: JSONSchemaProps = {
    type: 'object',
    properties: { labels: { type: 'object', additionalProperties: { type: 'string' } }, xs: { type: 'array', items: { type: 'integer' } } },
  };
  const self = { labels: { a: 'x', ab: 'y' }, xs: [10, 20] };

  it('quantify over index/key and value', async () => {
    for (const e of [
      "self.labels.all(k, v, k.startsWith('a') && v != '')",
      'self.xs.all(i, v, v == (i + 1) * 10)',
      'self.xs.exists(i, v, i == 1 && v == 20)',
      'self.xs.existsOne(i, v, v > 15)',
      "self.labels.exists(k, v, v == 'y') && !self.labels.exists(k, v, v == 'z')",
    ])
      expect([e, await evalRule(e, self, schema)]).toEqual([e, 'true']);
  });

  it('transform lists and maps', async () => {
    for (const e of [
      'self.xs.transformList(i, v, v * 2) == [20, 40]',
      'self.xs.transformList(i, v, i > 0, v) == [20]',
      "self.labels.transformMap(k, v, v + '!') == {'a': 'x!', 'ab': 'y!'}",
      "self.labels.transformMap(k, v, k != 'a', v) == {'ab': 'y'}",
      "self.labels.transformMapEntry(k, v, {v: k}) == {'x': 'a', 'y': 'ab'}",
    ])
      expect([e, await evalRule(e, self, schema)]).toEqual([e, 'true']);
    expect(await evalRule("self.labels.transformMapEntry(k, v, {'same': k}).size() == 1", self, schema)).toBe(
      'insert failed: key same already exists',
    );
  });

  it('type-check the predicate', async () => {
    expect(await evalRule('self.labels.all(k, v, v)', self, schema)).toContain("all() predicate must return bool, got 'string'");
  });
});

describe('sets and optionals', () => {
  it('has sets.contains, sets.equivalent and sets.intersects', async () => {
    await allTrue([
      'sets.contains([1, 2, 3], [3, 1]) && !sets.contains([1], [2])',
      'sets.equivalent([1, 2, 2], [2, 1]) && !sets.equivalent([1], [1, 2])',
      'sets.intersects([1, 2], [2, 3]) && !sets.intersects([1], [2])',
    ]);
  });

  it('has optional field access', async () => {
    const schema: JSONSchemaProps = { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'integer' } } } } };
    expect(await evalRule('self.?a.?b.orValue(7) == 7', {}, schema)).toBe('true');
    expect(await evalRule('self.?a.?b.orValue(7) == 3', { a: { b: 3 } }, schema)).toBe('true');
    expect(await evalRule('optional.of(1).hasValue() && !optional.none().hasValue()')).toBe('true');
  });
});
