// CRD-time checks of x-kubernetes-validations rules (upstream's apiextensions validation.go and
// schema/cel/compilation.go): compile errors in cel-go's text, non-bool rules, messageExpression,
// fieldPath, oldSelf on uncorrelatable parts of the schema, optionalOldSelf, and the escaping of
// property names the rules see.
import { describe, expect, it } from 'vitest';
import type { JSONSchemaProps } from '../../src/api/generated/apiextensions/v1.js';
import { fieldErr } from '../../src/apimachinery/field.js';
import { compileSchemaRules, hasValidationRules, rulesBlockedBy } from '../../src/registry/cel/index.js';

const PATH = 'spec.validation.openAPIV3Schema';
const RULE0 = `${PATH}.properties[spec].x-kubernetes-validations[0]`;

async function compileErrors(schema: JSONSchemaProps): Promise<string[]> {
  return (await compileSchemaRules(schema, PATH)).errors.map((e) => `${e.field}: ${e.body}`);
}

const spec = (s: JSONSchemaProps): JSONSchemaProps => ({ type: 'object', properties: { spec: s } });

const SPEC_PROPS: JSONSchemaProps['properties'] = {
  replicas: { type: 'integer' },
  maxReplicas: { type: 'integer' },
  name: { type: 'string' },
  labels: { type: 'object', additionalProperties: { type: 'string' } },
};

/** The errors of one rule on `spec` (with SPEC_PROPS). */
const ruleErrors = (rule: string, extra: Record<string, unknown> = {}) =>
  compileErrors(spec({ type: 'object', properties: SPEC_PROPS, 'x-kubernetes-validations': [{ rule, ...extra }] }));

const goRule = (rule: string) =>
  `apiextensions.ValidationRule{Rule:${JSON.stringify(rule)}, Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}`;

describe('compile errors', () => {
  it('accepts well-typed rules and returns a validator', async () => {
    const r = await compileSchemaRules(
      spec({ type: 'object', properties: SPEC_PROPS, 'x-kubernetes-validations': [{ rule: 'self.replicas <= self.maxReplicas' }] }),
      PATH,
    );
    expect(r.errors).toEqual([]);
    expect(r.validator).toBeDefined();
  });

  it('reports a syntax error in cel-go form', async () => {
    expect(await ruleErrors('this does not compile')).toEqual([
      `${RULE0}.rule: Invalid value: ${goRule('this does not compile')}: compilation failed: ERROR: <input>:1:6: Syntax error: mismatched input 'does' expecting <EOF>\n | this does not compile\n | .....^`,
    ]);
  });

  it('reports an undefined field at the select', async () => {
    expect(await ruleErrors('self.nonExistingField > 0')).toEqual([
      `${RULE0}.rule: Invalid value: ${goRule('self.nonExistingField > 0')}: compilation failed: ERROR: <input>:1:5: undefined field 'nonExistingField'\n | self.nonExistingField > 0\n | ....^`,
    ]);
  });

  it('reports no matching overload at the operator', async () => {
    expect(await ruleErrors('self.replicas == true')).toEqual([
      `${RULE0}.rule: Invalid value: ${goRule('self.replicas == true')}: compilation failed: ERROR: <input>:1:15: found no matching overload for '_==_' applied to '(int, bool)'\n | self.replicas == true\n | ..............^`,
    ]);
  });

  it('reports an undeclared variable and an undeclared function', async () => {
    const [v] = await ruleErrors('foo > 1');
    expect(v).toContain(": compilation failed: ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')\n | foo > 1\n | ^");
    const [f] = await ruleErrors('frob(self.name)');
    expect(f).toContain("ERROR: <input>:1:5: undeclared reference to 'frob' (in container '')");
  });

  it('names receiver overloads and map types as cel-go does', async () => {
    const [a] = await ruleErrors('self.name.startsWith(1)');
    expect(a).toContain("ERROR: <input>:1:21: found no matching overload for 'startsWith' applied to 'string.(int)'");
    const [b] = await ruleErrors('size(self.replicas) > 0');
    expect(b).toContain("found no matching overload for 'size' applied to '(int)'");
    const [c] = await ruleErrors("self.labels == 'x'");
    expect(c).toContain("found no matching overload for '_==_' applied to '(map(string, string), string)'");
  });

  it('validates constant duration, timestamp and regex arguments', async () => {
    const [d] = await ruleErrors("duration('12hh3') > duration('1s')");
    expect(d).toContain(
      ": compilation failed: ERROR: <input>:1:10: invalid duration argument\n | duration('12hh3') > duration('1s')\n | .........^",
    );
    const [t] = await ruleErrors("timestamp('yesterday') < timestamp('2030-01-01T00:00:00Z')");
    expect(t).toContain('ERROR: <input>:1:11: invalid timestamp argument');
    const [m] = await ruleErrors("self.name.matches('el*[')");
    expect(m).toContain("ERROR: <input>:1:19: invalid matches argument\n | self.name.matches('el*[')\n | ..................^");
    expect(await ruleErrors("self.name.matches('^[a-z]+$') && duration('1h') > duration('1m')")).toEqual([]);
  });

  it('refuses a rule that is not a bool', async () => {
    expect(await ruleErrors('self.replicas')).toEqual([
      `${RULE0}.rule: Invalid value: ${goRule('self.replicas')}: cel expression must evaluate to a bool`,
    ]);
  });

  it('prints the whole ValidationRule as the bad value', async () => {
    const [e] = await ruleErrors('self.replicas', { message: 'm', fieldPath: '.name', reason: 'FieldValueForbidden' });
    expect(e).toBe(
      `${RULE0}.rule: Invalid value: apiextensions.ValidationRule{Rule:"self.replicas", Message:"m", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(0xc000010000), FieldPath:".name", OptionalOldSelf:(*bool)(nil)}: cel expression must evaluate to a bool`,
    );
  });

  it('checks messageExpression: compiles, and gives a string', async () => {
    const [a] = await ruleErrors('self.replicas > 0', { messageExpression: 'self.replicas' });
    expect(a).toMatch(
      /^spec\.validation\.openAPIV3Schema\.properties\[spec\]\.x-kubernetes-validations\[0\]\.messageExpression: Invalid value: apiextensions\.ValidationRule\{.*MessageExpression:"self\.replicas".*\}: messageExpression must evaluate to a string$/,
    );
    const [b] = await ruleErrors('self.replicas > 0', { messageExpression: "'x' + self.nope" });
    expect(b).toContain(
      "}: messageExpression compilation failed: ERROR: <input>:1:11: undefined field 'nope'\n | 'x' + self.nope\n | ..........^",
    );
    expect(await ruleErrors('self.replicas > 0', { messageExpression: "'replicas: ' + string(self.replicas)" })).toEqual([]);
  });

  it('checks fieldPath against the schema', async () => {
    expect(await ruleErrors('self.replicas > 0', { fieldPath: '.replicas' })).toEqual([]);
    expect(await ruleErrors('self.replicas > 0', { fieldPath: ".labels['a.b']" })).toEqual([]);
    expect(await ruleErrors('self.replicas > 0', { fieldPath: '.nope' })).toEqual([
      `${RULE0}.fieldPath: Invalid value: ".nope": fieldPath must be a valid path`,
    ]);
    expect(await ruleErrors('self.replicas > 0', { fieldPath: 'replicas' })).toEqual([
      `${RULE0}.fieldPath: Invalid value: "replicas": fieldPath must be a valid path`,
    ]);
  });

  it('refuses oldSelf below a list that is not a map list, naming the outermost such list', async () => {
    const nested: JSONSchemaProps = {
      type: 'array',
      items: { type: 'array', items: { type: 'string', 'x-kubernetes-validations': [{ rule: "oldSelf.contains('keyword')" }] } },
    };
    expect(await compileErrors(nested)).toEqual([
      `${PATH}.items.items.x-kubernetes-validations[0].rule: Invalid value: "oldSelf.contains('keyword')": oldSelf cannot be used on the uncorrelatable portion of the schema within ${PATH}.items`,
    ]);
    const mapList: JSONSchemaProps = {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string' }, port: { type: 'integer' } },
        'x-kubernetes-validations': [{ rule: 'self.port == oldSelf.port' }],
      },
    };
    expect(await compileErrors(mapList)).toEqual([]);
  });

  it('refuses optionalOldSelf on a rule that does not use oldSelf', async () => {
    expect(await ruleErrors('self.replicas > 0', { optionalOldSelf: true })).toEqual([
      `${RULE0}.optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule`,
    ]);
    expect(await ruleErrors('!oldSelf.hasValue() || self.replicas >= oldSelf.value().replicas', { optionalOldSelf: true })).toEqual([]);
    // With optionalOldSelf, oldSelf is optional(T): its fields need .value() or .?field.
    const [e] = await ruleErrors('self.replicas >= oldSelf.replicas', { optionalOldSelf: true });
    expect(e).toContain('.rule: Invalid value: apiextensions.ValidationRule{');
    expect(e).toContain('}: compilation failed: ERROR: <input>:1:15: ');
  });

  it('ignores empty rules (their own check reports them)', async () => {
    expect(await ruleErrors('  ')).toEqual([]);
  });

  it('collects errors from every level', async () => {
    const errs = await compileErrors({
      type: 'object',
      'x-kubernetes-validations': [{ rule: 'self.nope' }],
      properties: {
        spec: {
          type: 'object',
          properties: {
            m: { type: 'object', additionalProperties: { type: 'integer', 'x-kubernetes-validations': [{ rule: "self == 'a'" }] } },
          },
        },
      },
    });
    expect(errs.map((e) => e.split(': Invalid value')[0])).toEqual([
      `${PATH}.x-kubernetes-validations[0].rule`,
      `${PATH}.properties[spec].properties[m].additionalProperties.x-kubernetes-validations[0].rule`,
    ]);
  });
});

describe('what rules see of the schema', () => {
  const props: JSONSchemaProps['properties'] = {
    'x-prop': { type: 'string' },
    'a.b/c': { type: 'string' },
    redact__d: { type: 'string' },
    namespace: { type: 'string' },
    '1abc': { type: 'string' },
    'with space': { type: 'string' },
    ios: { 'x-kubernetes-int-or-string': true },
    unknown: { 'x-kubernetes-preserve-unknown-fields': true },
    open: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'integer' } } },
    t: { type: 'string', format: 'date-time' },
    d: { type: 'string', format: 'duration' },
    b: { type: 'string', format: 'byte' },
    n: { type: 'number' },
  };
  const ok = async (rule: string) => ruleErrorsOn(rule);
  const ruleErrorsOn = (rule: string) => compileErrors(spec({ type: 'object', properties: props, 'x-kubernetes-validations': [{ rule }] }));

  it('escapes property names', async () => {
    expect(await ok("self.x__dash__prop == 'a'")).toEqual([]);
    expect(await ok("self.a__dot__b__slash__c == 'a'")).toEqual([]);
    expect(await ok("self.redact__underscores__d == 'a'")).toEqual([]);
    expect(await ok("self.__namespace__ == 'a'")).toEqual([]);
    expect((await ok("self.namespace == 'a'"))[0]).toContain('compilation failed: ERROR: <input>:1:5: ');
  });

  it('hides properties whose names cannot be identifiers', async () => {
    expect((await ok("self.with__space == 'a'"))[0]).toContain("undefined field 'with__space'");
  });

  it('types int-or-string as dyn', async () => {
    expect(await ok("type(self.ios) == string ? self.ios.endsWith('%') : self.ios > 1")).toEqual([]);
  });

  it('hides untyped preserve-unknown-fields values and unknown fields of open objects', async () => {
    expect((await ok('self.unknown == 1'))[0]).toContain("undefined field 'unknown'");
    expect((await ok('has(self.unknown)'))[0]).toContain(
      "ERROR: <input>:1:9: undefined field 'unknown'\n | has(self.unknown)\n | ........^",
    );
    expect(await ok('has(self.open) && has(self.open.known)')).toEqual([]);
    expect(await ok('self.open.known > 1')).toEqual([]);
    expect((await ok('self.open.other > 1'))[0]).toContain("undefined field 'other'");
  });

  it('types formats as timestamp, duration and bytes, and number as double', async () => {
    expect(await ok("self.t < timestamp('2030-01-01T00:00:00Z') && self.d > duration('1s') && size(self.b) > 0")).toEqual([]);
    expect((await ok("self.t == 'x'"))[0]).toContain(
      "found no matching overload for '_==_' applied to '(google.protobuf.Timestamp, string)'",
    );
    expect(await ok('self.n > 1')).toEqual([]);
    expect(await ok('self.n == 1.5')).toEqual([]);
  });

  it('gives the resource root apiVersion, kind and metadata.name/generateName', async () => {
    const rule = (r: string) => compileErrors({ type: 'object', 'x-kubernetes-validations': [{ rule: r }], properties: {} });
    expect(await rule("self.apiVersion != '' && self.kind != '' && self.metadata.name != '' && self.metadata.generateName == ''")).toEqual(
      [],
    );
    expect((await rule("self.metadata.namespace == ''"))[0]).toContain("undefined field 'namespace'");
  });
});

describe('loading', () => {
  it('finds rules anywhere in a schema without loading the engine', () => {
    expect(hasValidationRules({ type: 'object' })).toBe(false);
    expect(hasValidationRules(spec({ type: 'array', items: { type: 'string', 'x-kubernetes-validations': [{ rule: 'true' }] } }))).toBe(
      true,
    );
    expect(
      hasValidationRules(
        spec({ type: 'object', additionalProperties: { type: 'string', 'x-kubernetes-validations': [{ rule: 'true' }] } }),
      ),
    ).toBe(true);
  });

  it('returns neither errors nor a validator for a schema without rules', async () => {
    expect(await compileSchemaRules(spec({ type: 'object', properties: SPEC_PROPS }), PATH)).toEqual({ errors: [] });
  });
});

describe('rules blocked by schema errors', () => {
  it('reports instead of running rules when the object has a type, required, enum or size error', () => {
    expect(rulesBlockedBy([fieldErr.invalid('spec.a', 1, 'must be positive')])).toBeUndefined();
    const blocked = rulesBlockedBy([fieldErr.required('spec.a')]);
    expect(blocked && `${blocked.field}: ${blocked.body}`).toBe(
      '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    );
    expect(rulesBlockedBy([fieldErr.notSupported('spec.b', 'x', ['y'])])).toBeDefined();
  });
});
