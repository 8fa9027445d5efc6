// The ClusterRole aggregation controller (upstream pkg/controller/clusterroleaggregation): a
// ClusterRole with an aggregationRule holds the rules of the ClusterRoles its selectors pick (in
// selector order, each selector's roles by name, each rule once: registry/rbac/aggregation.ts).
// Any change to any ClusterRole queues every aggregated one, as upstream's does (the set is small
// and the dependencies are not tracked); a role whose rules differ gets them by a forced
// server-side apply of field manager `clusterrole-aggregation-controller`.
import { requireDef } from '../registry/kinds.js';
import { RBAC_GROUP } from '../registry/rbac/validation.js';
import { aggregatedRules, sameRules } from '../registry/rbac/aggregation.js';
import type { ClusterRoleObj } from '../registry/rbac/roles.js';
import type { PolicyRule } from '../api/generated/rbac/v1.js';
import { storageResource } from '../registry/types.js';
import { createQueue } from './queue.js';
import { tolerate, type Controller, type ControllerContext } from './context.js';

export const AGGREGATION_MANAGER = 'clusterrole-aggregation-controller';

const RULE_FIELDS = ['verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs'] as const;

/** toApplyPolicyRule: the rule's lists, the empty ones left out (omitempty). */
function applyRule(rule: PolicyRule): PolicyRule {
  const out: Record<string, string[]> = {};
  for (const f of RULE_FIELDS) if (rule[f]?.length) out[f] = [...rule[f]!];
  return out as unknown as PolicyRule;
}

export function startClusterRoleAggregationController(ctx: ControllerContext): Controller {
  const { store, registry, defs, log } = ctx;
  const def = requireDef(defs, RBAC_GROUP, 'clusterroles');
  const resource = storageResource(def);
  // No informer: the ClusterRoles (~70, ~2 MB parsed) are read from the store when one changes,
  // which is rare; only the names of the aggregated ones are kept.
  const aggregated = new Set<string>();
  // One read of every ClusterRole per batch of syncs (admin, edit and view sync together).
  let all: ClusterRoleObj[] | undefined;
  const everyRole = () => {
    if (!all) {
      all = store.listObjects(resource) as ClusterRoleObj[];
      queueMicrotask(() => (all = undefined));
    }
    return all;
  };

  const q = createQueue(
    'clusterrole-aggregation',
    (name) => {
      const role = store.get(resource, '', name) as ClusterRoleObj | undefined;
      if (!role?.aggregationRule) return;
      const rules = aggregatedRules(role, everyRole());
      if (rules === undefined || sameRules(rules, role.rules)) return;
      const applied = {
        apiVersion: `${RBAC_GROUP}/v1`,
        kind: 'ClusterRole',
        metadata: { name },
        ...(rules.length ? { rules: rules.map(applyRule) } : {}),
      };
      all = undefined;
      // A conflict or a refusal throws: the queue retries with back-off, as upstream's requeue.
      tolerate(() => registry.patch(def, '', name, 'apply', applied, { fieldManager: AGGREGATION_MANAGER, force: true }), [404]);
    },
    (k, err) => log.debug({ err, clusterrole: k }, 'clusterrole aggregation retry'),
  );

  const enqueueAll = () => {
    for (const name of aggregated) q.add(name);
  };
  let off: (() => void) | undefined;
  // The first sync waits a loop turn, as kube-controller-manager's controllers start beside a
  // serving API server: the ClusterRoles are read after the start.
  let begin: NodeJS.Immediate | undefined;
  const started = new Promise<void>((resolve) => {
    begin = setImmediate(() => {
      begin = undefined;
      for (const r of store.listObjects(resource) as ClusterRoleObj[]) if (r.aggregationRule) aggregated.add(r.metadata.name!);
      off = store.subscribe(resource, (ev) => {
        if (ev.type !== 'DELETED' && (ev.object as ClusterRoleObj).aggregationRule) aggregated.add(ev.name);
        else aggregated.delete(ev.name);
        enqueueAll();
      });
      enqueueAll();
      resolve();
    });
  });
  return {
    stop() {
      if (begin) clearImmediate(begin);
      begin = undefined;
      off?.();
      q.stop();
    },
    idle: async () => {
      if (begin) await started;
      await q.idle();
    },
  };
}
