// pods/binding (upstream BindingREST): sets spec.nodeName once and marks the Pod scheduled. The
// only way spec.nodeName changes after create, so it bypasses the Pod's update validation.
import type { Store } from '../../storage/store.js';
import type { KubeObject } from '../../apimachinery/types.js';
import { badRequest, conflict, invalid, notFound } from '../../apimachinery/errors.js';
import { fieldErr } from '../../apimachinery/field.js';
import { rfc3339 } from '../../apimachinery/meta.js';
import { withStatusErrors } from '../storage-errors.js';
import type { Binding, PodCondition } from '../../api/generated/core/v1.js';
import type { NullableTimes } from '../define.js';
import type { PodObj } from './strategy.js';

export type { Binding };

const PODS = { group: '', resource: 'pods' };

/** A Pod condition as written here: Go prints the unset lastProbeTime as null. */
type Cond = NullableTimes<PodCondition, 'lastProbeTime'>;

/** Upserts a condition, keeping lastTransitionTime when the status does not change. */
export function setCondition(conds: Cond[] | undefined, c: Cond): Cond[] {
  const out = [...(conds ?? [])];
  const i = out.findIndex((x) => x.type === c.type);
  if (i < 0) return [...out, c];
  const prev = out[i]!;
  out[i] = { ...c, lastTransitionTime: prev.status === c.status ? prev.lastTransitionTime : c.lastTransitionTime };
  return out;
}

export function bindPod(store: Store, ns: string, name: string, b: Binding): KubeObject {
  if (b.metadata?.name && b.metadata.name !== name) throw badRequest(`binding name ${b.metadata.name} does not match pod name ${name}`);
  const errs = [];
  if (b.target?.kind && b.target.kind !== 'Node') errs.push(fieldErr.notSupported('target.kind', b.target.kind, ['Node', '<empty>']));
  if (!b.target?.name) errs.push(fieldErr.required('target.name'));
  if (errs.length) throw invalid('Binding', '', name, errs);
  const node = b.target!.name!;
  return withStatusErrors(() =>
    store.txn((tx) => {
      const pod = tx.get('pods', ns, name) as PodObj | undefined;
      if (!pod) throw notFound(PODS, name);
      if (b.metadata?.uid && b.metadata.uid !== pod.metadata.uid) {
        throw conflict(PODS, name, `Precondition failed: UID in precondition: ${b.metadata.uid}, UID in object meta: ${pod.metadata.uid}`);
      }
      if (pod.metadata.deletionTimestamp) throw conflict(PODS, name, 'pod is being deleted, cannot be assigned to a host');
      const nodeName = pod.spec?.nodeName;
      if (nodeName) throw conflict(PODS, name, `pod ${name} is already assigned to node "${nodeName}"`);
      const status = pod.status ?? {};
      const next: KubeObject = {
        ...pod,
        spec: { ...pod.spec, nodeName: node },
        status: {
          ...status,
          conditions: setCondition(status.conditions, {
            type: 'PodScheduled',
            status: 'True',
            lastProbeTime: null,
            lastTransitionTime: rfc3339(new Date(tx.now)),
          }),
        },
      };
      return tx.update('pods', next);
    }),
  );
}
