// The CEL evaluator of webhooks' matchConditions (the MatchConditionEvaluator the dispatcher takes):
// every condition of a webhook gives true, false or an error text as upstream's matcher and filter
// report them; the dispatcher applies the failurePolicy. Conditions are compiled once per webhook
// (until they change). The CEL engine is loaded on the first webhook that has conditions: until
// then evaluate() returns a promise; once loaded it answers synchronously.
import type { MatchCondition } from '../../api/generated/admissionregistration/v1.js';
import type { Authorizer } from '../../auth/rbac/attributes.js';
import type { ConditionInput, ConditionResult } from '../cel/admission-conditions.js';
import type { MatchConditionEvaluator, MatchConditionInput, MatchConditionResult } from './matching.js';

let conditions: typeof import('../cel/admission-conditions.js') | undefined;

/** Loads the CEL engine for matchConditions (once). */
export async function loadMatchConditionCompiler(): Promise<void> {
  conditions ??= await import('../cel/admission-conditions.js');
}

export interface MatchConditionEvaluatorOptions {
  /** Answers `authorizer` checks (made as the requesting user); without it they fail to evaluate. */
  authorizer?: Authorizer;
}

type Compiled = (input: ConditionInput) => ConditionResult[];

export function createMatchConditionEvaluator(opts: MatchConditionEvaluatorOptions = {}): MatchConditionEvaluator {
  const compiledByWebhook = new Map<string, { source: string; run: Compiled }>();

  function compiledFor(configuration: string, webhook: string, list: readonly MatchCondition[]): Compiled {
    const id = `${configuration}/${webhook}`;
    const source = JSON.stringify(list.map((c) => [c.name, c.expression]));
    const hit = compiledByWebhook.get(id);
    if (hit?.source === source) return hit.run;
    const run = conditions!.compileConditions(list.map((c) => ({ name: c.name ?? '', expression: c.expression ?? '' })));
    compiledByWebhook.set(id, { source, run });
    return run;
  }

  function evaluateLoaded(input: MatchConditionInput): MatchConditionResult[] {
    const run = compiledFor(input.configurationName, input.webhookName, input.conditions);
    const r = input.request;
    // Checks are cached for the request, as upstream's caching authorizer does.
    const cache = new Map<string, ReturnType<Authorizer['authorize']>>();
    const authz = opts.authorizer;
    return run({
      request: r,
      object: input.object,
      oldObject: input.oldObject,
      user: input.userInfo,
      requestResource: {
        group: r.requestResource?.group ?? r.resource.group,
        resource: r.requestResource?.resource ?? r.resource.resource,
        subresource: r.requestSubResource ?? '',
        namespace: r.namespace ?? '',
        name: r.name ?? '',
      },
      authorizer: authz
        ? (attrs, user) => {
            const key = JSON.stringify([attrs, user]);
            let d = cache.get(key);
            if (!d) cache.set(key, (d = authz.authorize(attrs, user)));
            return d;
          }
        : undefined,
    });
  }

  return {
    evaluate(input) {
      if (!input.conditions.length) return [];
      if (conditions) return evaluateLoaded(input);
      return loadMatchConditionCompiler().then(() => evaluateLoaded(input));
    },
  };
}
