// Webhooks' matchConditions through createMatchConditionEvaluator (upstream's matchconditions
// matcher over the admission CEL filter): true, false and error results with upstream's texts,
// `request`, `object`, `oldObject` and `authorizer`, the engine loaded on first use, and compiled
// conditions reused until they change.
import { describe, expect, it } from 'vitest';
import type { Attributes } from '../../src/auth/rbac/attributes.js';
import { createMatchConditionEvaluator } from '../../src/registry/admission/match-conditions.js';
import { requestFields, type MatchConditionInput } from '../../src/registry/admission/matching.js';
import type { AdmissionAttributes } from '../../src/registry/admission/types.js';

const pod = (labels: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'team-a', labels },
  spec: { containers: [{ name: 'c', image: 'nginx' }] },
});

function input(conditions: { name: string; expression: string }[], over: Partial<AdmissionAttributes> = {}): MatchConditionInput {
  const attrs: AdmissionAttributes = {
    operation: 'UPDATE',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    subresource: '',
    namespace: 'team-a',
    name: 'p',
    object: pod({ app: 'web', tier: 'frontend' }),
    oldObject: pod({ app: 'web' }),
    userInfo: { username: 'alice', groups: ['dev', 'system:authenticated'] },
    dryRun: false,
    options: null,
    ...over,
  };
  return {
    configurationName: 'config',
    webhookName: 'hook.example.com',
    conditions,
    request: requestFields(attrs, { kind: attrs.kind, resource: attrs.resource, subresource: attrs.subresource }),
    object: attrs.object,
    oldObject: attrs.oldObject,
    userInfo: attrs.userInfo,
  };
}

describe('webhook matchConditions', () => {
  it('loads the engine on first use, then answers synchronously', async () => {
    const ev = createMatchConditionEvaluator();
    const conds = [{ name: 'is-update', expression: "request.operation == 'UPDATE'" }];
    const first = ev.evaluate(input(conds));
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toEqual([{ name: 'is-update', value: true }]);
    const second = ev.evaluate(input(conds, { operation: 'CREATE' }));
    expect(second).toEqual([{ name: 'is-update', value: false }]);
  });

  it('sees object, oldObject and the request', async () => {
    const ev = createMatchConditionEvaluator();
    const conds = [
      { name: 'label-added', expression: 'has(object.metadata.labels.tier) && !has(oldObject.metadata.labels.tier)' },
      { name: 'user', expression: "request.userInfo.username == 'alice' && 'dev' in request.userInfo.groups" },
      {
        name: 'resource',
        expression: "request.resource.resource == 'pods' && request.kind.kind == 'Pod' && request.namespace == 'team-a'",
      },
      { name: 'not-dry-run', expression: '!request.dryRun' },
    ];
    expect(await ev.evaluate(input(conds))).toEqual(conds.map((c) => ({ name: c.name, value: true })));
    // A DELETE has no object: it is null.
    const del = [{ name: 'no-object', expression: 'object == null && oldObject != null' }];
    expect(await ev.evaluate(input(del, { operation: 'DELETE', object: null }))).toEqual([{ name: 'no-object', value: true }]);
  });

  it("reports evaluation errors with upstream's text", async () => {
    const ev = createMatchConditionEvaluator();
    const r = await ev.evaluate(
      input([
        { name: 'missing', expression: "object.spec.nodeName == 'n1'" },
        { name: 'index', expression: 'object.spec.containers[3].name == "x"' },
        { name: 'cluster', expression: "request.subResource == 'status'" },
      ]),
    );
    expect(r).toEqual([
      { name: 'missing', error: "expression 'object.spec.nodeName == 'n1'' resulted in error: no such key: nodeName" },
      {
        name: 'index',
        error: "expression 'object.spec.containers[3].name == \"x\"' resulted in error: index '3' out of range in list size '1'",
      },
      { name: 'cluster', error: "expression 'request.subResource == 'status'' resulted in error: no such key: subResource" },
    ]);
  });

  it('reports conditions that do not compile, or are not bool, as compilation errors', async () => {
    const ev = createMatchConditionEvaluator();
    const r = await ev.evaluate(
      input([
        { name: 'syntax', expression: 'object.metadata.name ==' },
        { name: 'undeclared', expression: "params.x == 'y'" },
        { name: 'string', expression: 'object.metadata.name' },
        { name: 'ok', expression: 'true' },
      ]),
    );
    expect(r).toEqual([
      {
        name: 'syntax',
        error:
          "compilation error: compilation failed: ERROR: <input>:1:24: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}\n | object.metadata.name ==\n | .......................^",
      },
      {
        name: 'undeclared',
        error:
          "compilation error: compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params.x == 'y'\n | ^",
      },
      { name: 'string', error: 'compilation error: must evaluate to bool but got dyn' },
      { name: 'ok', value: true },
    ]);
  });

  it('checks with the authorizer as the requesting user, caching checks for the request', async () => {
    const calls: Attributes[] = [];
    const ev = createMatchConditionEvaluator({
      authorizer: {
        authorize: (attrs, user) => {
          calls.push(attrs);
          const allowed = user.username === 'alice' && attrs.verb === 'update' && attrs.resource === 'pods';
          return allowed ? { decision: 'allow', reason: 'rbac' } : { decision: 'no-opinion', reason: '' };
        },
      },
    });
    const conds = [
      { name: 'may-update', expression: "authorizer.requestResource.check('update').allowed()" },
      {
        name: 'may-update-again',
        expression: "authorizer.group('').resource('pods').namespace('team-a').name('p').check('update').allowed()",
      },
      { name: 'may-delete', expression: "!authorizer.requestResource.check('delete').allowed()" },
    ];
    expect(await ev.evaluate(input(conds))).toEqual(conds.map((c) => ({ name: c.name, value: true })));
    expect(calls.map((a) => `${a.verb} ${a.apiVersion} ${a.resource} ${a.namespace}/${a.name}`)).toEqual([
      'update * pods team-a/p',
      'delete * pods team-a/p',
    ]);
  });

  it('compiles a webhook once and again when its conditions change', async () => {
    const ev = createMatchConditionEvaluator();
    expect(await ev.evaluate(input([{ name: 'c', expression: 'true' }]))).toEqual([{ name: 'c', value: true }]);
    expect(await ev.evaluate(input([{ name: 'c', expression: 'false' }]))).toEqual([{ name: 'c', value: false }]);
    expect(await ev.evaluate(input([]))).toEqual([]);
  });
});
