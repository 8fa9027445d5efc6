// Which container a streaming or log request of a Pod means (upstream pkg/registry/core/pod
// strategy.go, the container checks of streamLocation and LogLocation), with upstream's texts.
import { badRequest } from '../../apimachinery/errors.js';
import type { PodSpec } from '../../api/generated/core/v1.js';
import type { PodObj } from './strategy.js';

/** The container a request means: `container=` or the Pod's only one; upstream's texts otherwise. */
export function pickContainer(pod: PodObj, requested: string | undefined): string {
  const spec: Partial<PodSpec> = pod.spec ?? {};
  const name = pod.metadata.name!;
  const mains = (spec.containers ?? []).map((c) => c.name);
  const inits = (spec.initContainers ?? []).map((c) => c.name);
  const eph = (spec.ephemeralContainers ?? []).map((c) => c.name);
  if (!requested) {
    if (mains.length === 1) return mains[0]!;
    let msg = `a container name must be specified for pod ${name}, choose one of: [${mains.join(' ')}]`;
    if (inits.length) msg += ` or one of the init containers: [${inits.join(' ')}]`;
    if (eph.length) msg += ` or one of the ephemeral containers: [${eph.join(' ')}]`;
    throw badRequest(msg);
  }
  if (![...mains, ...inits, ...eph].includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
  if (!spec.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  return requested;
}
