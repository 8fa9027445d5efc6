// The node agent's API endpoints: pods/binding (the scheduler's and any client's way to assign a
// node), pods/eviction (kubectl drain) and pods/log (kubectl logs, with follow, previous, tail,
// since, timestamps, limitBytes), each a Subresource (its discovery entry beside its handler).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../storage/store.js';
import type { ContainerStatus } from '../api/generated/core/v1.js';
import type { Eviction } from '../api/generated/policy/v1.js';
import type { PodObj } from '../registry/pod/strategy.js';
import { badRequest, conflict, notFound } from '../apimachinery/errors.js';
import { BODY_TYPES, decodeBody } from '../server/handlers/body.js';
import { coreSubresource, type Subresource } from '../server/subresource.js';
import {
  createOptions,
  deleteParamsFromBody,
  invalidOptions,
  logSince,
  podLogOptions,
  requestQuery,
  toRegistryDelete,
  validateDeleteOptions,
} from '../server/query-params.js';
import type { Registry, DeleteOptions as RegistryDeleteOptions } from '../registry/generic-store.js';
import {
  POLICY_ALWAYS_ALLOW,
  checkAndDecrement,
  pdbSelects,
  podDisruptionBudgetDef,
  type PdbObj,
} from '../registry/policy/poddisruptionbudget.js';
import type { ResourceDef } from '../registry/types.js';
import { isPodReady } from '../controllers/workload/pods.js';
import { StatusError } from '../apimachinery/errors.js';
import { rfc3339 } from '../apimachinery/meta.js';
import { bindPod, setCondition, type Binding } from '../registry/pod/binding.js';
import { podSpecOf } from './env.js';
import { logPath, readLogFile, renderLog, parseLogLines, type LogOptions } from './logs.js';
import { readFileSync, statSync } from 'node:fs';

const PODS = { group: '', resource: 'pods' };
type Params = { ns: string; name: string };

/** What the Pod subresources of this module need. */
export interface PodApiDeps {
  store: Store;
  registry: Registry;
  podDef: ResourceDef;
  /** Where the Pods' directories (and so their container logs) are. */
  podsDir: string;
}

/** A 201 Status (what binding and eviction answer). */
const created = (reply: FastifyReply) =>
  reply.code(201).send({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });

export const POD_BINDING: Subresource<PodApiDeps> = {
  ...coreSubresource('pods', 'binding', 'Binding', ['create']),
  install: ({ app, path }, o) =>
    app.post(path, async (req: FastifyRequest, reply: FastifyReply) => {
      const { ns, name } = req.params as Params;
      createOptions(requestQuery(req.url));
      const body = decodeBody(req, ['application/json', 'application/yaml']) as Binding;
      bindPod(o.store, ns, name, body);
      await o.store.durable();
      return created(reply);
    }),
};

// upstream EvictionREST: an eviction honours the PodDisruptionBudget covering the Pod (evictPod),
// marks the Pod with the DisruptionTarget condition and deletes it with the Eviction's
// deleteOptions (grace period, preconditions, dryRun).
export const POD_EVICTION: Subresource<PodApiDeps> = {
  ...coreSubresource('pods', 'eviction', 'Eviction', ['create']),
  responseGroup: 'policy',
  responseVersion: 'v1',
  install: ({ app, path }, o) => app.post(path, (req, reply) => evict(o, req, reply)),
};

export const POD_LOG: Subresource<PodApiDeps> = {
  ...coreSubresource('pods', 'log', 'Pod', ['get']),
  install: ({ app, path }, o) => app.get(path, (req, reply) => podLog(o, req, reply)),
};

async function evict(o: PodApiDeps, req: FastifyRequest, reply: FastifyReply) {
  const { ns, name } = req.params as Params;
  // The query is the create's CreateOptions (its dryRun goes into the Eviction's DeleteOptions).
  const create = createOptions(requestQuery(req.url));
  const raw = decodeBody(req, BODY_TYPES);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(raw)}'`);
  // Not decoded: the two object fields are checked here before they are read.
  const body = raw as Eviction;
  if (body.kind && body.kind !== 'Eviction') throw badRequest(`not a Eviction object: ${body.kind}`);
  for (const [field, goType] of [
    ['metadata', 'v1.ObjectMeta'],
    ['deleteOptions', 'v1.DeleteOptions'],
  ] as const) {
    const v: unknown = body[field];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) {
      const what = Array.isArray(v) ? 'array' : typeof v === 'number' ? `number ${v}` : typeof v;
      throw badRequest(
        `Eviction in version "v1" cannot be handled as a Eviction: json: cannot unmarshal ${what} into Go struct field Eviction.${field} of type ${goType}`,
      );
    }
  }
  if ((body.metadata?.name ?? '') !== name) throw badRequest('name in URL does not match name in Eviction object');
  const opts = evictionDeleteOptions(body.deleteOptions, create.dryRun);
  let answer: Record<string, unknown> | undefined;
  try {
    if (opts.dryRun) answer = evictPod(o, ns, name, opts);
    else answer = o.store.txn(() => evictPod(o, ns, name, opts));
  } catch (e) {
    if (e instanceof StatusError && e.details?.retryAfterSeconds) reply.header('Retry-After', String(e.details.retryAfterSeconds));
    throw e;
  }
  await o.store.durable();
  if (answer) return reply.code(500).send(answer);
  return created(reply);
}

/**
 * upstream EvictionREST.Create, in one transaction (without dryRun): a Pod that is not running
 * (pending, finished) or already going is deleted without consulting budgets; otherwise the one
 * PodDisruptionBudget covering it must allow a disruption (429 otherwise), which it loses in the
 * same transaction as the delete, with the Pod recorded in status.disruptedPods. An unready Pod
 * goes without using the budget when the budget is met or its unhealthyPodEvictionPolicy is
 * AlwaysAllow. More than one budget: a 500 Status (returned, not thrown, as upstream).
 */
function evictPod(o: PodApiDeps, ns: string, name: string, opts: RegistryDeleteOptions): Record<string, unknown> | undefined {
  const pod = o.store.get('pods', ns, name) as PodObj | undefined;
  if (!pod) throw notFound(PODS, name);
  if (pod.metadata.deletionTimestamp) return undefined;
  const phase = pod.status?.phase;
  if (phase !== 'Succeeded' && phase !== 'Failed' && phase !== 'Pending') {
    const budgets = (o.store.listObjects('policy/poddisruptionbudgets', ns) as PdbObj[]).filter((b) => pdbSelects(b, pod.metadata.labels));
    if (budgets.length > 1) {
      return {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
        code: 500,
      };
    }
    const pdb = budgets[0];
    if (pdb) {
      const st = pdb.status;
      const spare =
        !isPodReady(pod) &&
        (pdb.spec?.unhealthyPodEvictionPolicy === POLICY_ALWAYS_ALLOW ||
          ((st?.currentHealthy ?? 0) >= (st?.desiredHealthy ?? 0) && (st?.desiredHealthy ?? 0) > 0));
      if (!spare) {
        const next = checkAndDecrement(pdb, name, new Date(), !!opts.dryRun);
        if (!opts.dryRun)
          o.registry.update(podDisruptionBudgetDef, ns, pdb.metadata.name!, next, {
            subresource: 'status',
            fieldManager: 'kube-apiserver',
          });
      }
    }
  }
  // getLatestPod: the preconditions hold for the Pod as read, before the condition is added.
  const pre = opts.preconditions;
  if (pre?.uid && pre.uid !== pod.metadata.uid)
    throw conflict(
      { group: '', resource: 'Pod' },
      name,
      `the UID in the precondition (${pre.uid}) does not match the UID in record (${pod.metadata.uid}). The object might have been deleted and then recreated`,
    );
  if (pre?.resourceVersion && pre.resourceVersion !== pod.metadata.resourceVersion)
    throw conflict(
      { group: '', resource: 'Pod' },
      name,
      `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${pod.metadata.resourceVersion}). The object might have been modified`,
    );
  let deleteOpts = opts;
  if (!opts.dryRun) {
    const status = pod.status ?? {};
    const conditions = setCondition(status.conditions, {
      type: 'DisruptionTarget',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: rfc3339(new Date()),
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
    });
    const updated = o.registry.update(
      o.podDef,
      ns,
      name,
      { ...pod, status: { ...status, conditions } },
      { subresource: 'status', fieldManager: 'kube-apiserver' },
    ).object;
    if (pre?.resourceVersion) deleteOpts = { ...opts, preconditions: { ...pre, resourceVersion: updated.metadata.resourceVersion } };
  }
  o.registry.delete(o.podDef, ns, name, deleteOpts);
  return undefined;
}

async function podLog(o: PodApiDeps, req: FastifyRequest, reply: FastifyReply) {
  const { ns, name } = req.params as Params;
  // GetResourceWithOptions + LogREST.Get: the options (400/422) come before the Pod.
  const lo = podLogOptions(requestQuery(req.url), name);
  const pod = o.store.get('pods', ns, name) as PodObj | undefined;
  if (!pod) throw notFound(PODS, name);
  const spec = podSpecOf(pod);
  const mains = (spec.containers ?? []).map((c) => c.name);
  const inits = (spec.initContainers ?? []).map((c) => c.name);
  const eph = (spec.ephemeralContainers ?? []).map((c) => c.name);
  let container = lo.container;
  if (!container) {
    // upstream LogLocation: the only container, whatever the init containers.
    if (mains.length === 1) container = mains[0]!;
    else if (!mains.length) throw badRequest(`a container name must be specified for pod ${name}`);
    else {
      const msg = `a container name must be specified for pod ${name}, choose one of: [${mains.join(' ')}]${inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : ''}`;
      throw badRequest(msg);
    }
  }
  if (![...mains, ...inits, ...eph].includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  const cs = containerStatus(pod, container);
  const restart = cs?.restartCount ?? 0;
  const previous = lo.previous;
  const opts: LogOptions = {
    timestamps: lo.timestamps,
    tailLines: lo.tailLines === undefined ? undefined : Number(lo.tailLines),
    limitBytes: lo.limitBytes === undefined ? undefined : Number(lo.limitBytes),
    sinceTime: logSince(lo, Date.now()),
  };
  const dir = join(o.podsDir, pod.metadata.uid!);
  let file: string;
  if (previous) {
    file = logPath(dir, container, restart - 1);
    if (restart < 1 || !existsSync(file)) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  } else {
    file = logPath(dir, container, restart);
    if (!existsSync(file)) {
      const waiting = cs?.state?.waiting;
      if (waiting)
        throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${waiting.reason ?? 'ContainerCreating'}`);
      reply.type('text/plain').send('');
      return reply;
    }
  }
  const text = renderLog(readLogFile(file), opts);
  if (!lo.follow || previous) return reply.type('text/plain').send(text);
  return followLog(reply, o.store, pod, container, file, restart, text, opts);
}

/** The status of a Pod's container, init container or ephemeral container by name. */
function containerStatus(pod: PodObj, container: string): ContainerStatus | undefined {
  const st = pod.status ?? {};
  return [...(st.containerStatuses ?? []), ...(st.initContainerStatuses ?? []), ...(st.ephemeralContainerStatuses ?? [])].find(
    (c) => c.name === container,
  );
}

/**
 * The DeleteOptions an eviction deletes with (EvictionREST.Create's propagateDryRun): the
 * body's, taking the request's dryRun when it names none; both naming different ones is an
 * error upstream returns unwrapped (a 500). Checked as the delete would (BeforeDelete's
 * ValidateDeleteOptions, 422).
 */
function evictionDeleteOptions(body: unknown, dryRun: string[] | undefined) {
  const d = deleteParamsFromBody(body);
  if (!d.dryRun?.length) {
    if (dryRun) d.dryRun = dryRun;
  } else if (dryRun?.length && (dryRun.length !== d.dryRun.length || dryRun.some((v, i) => v !== d.dryRun![i]))) {
    throw new StatusError(
      500,
      '',
      `Non-matching dry-run options in request and content: [${dryRun.join(' ')}] and [${d.dryRun.join(' ')}]`,
    );
  }
  const errs = validateDeleteOptions(d);
  if (errs.length) throw invalidOptions('DeleteOptions', 'meta.k8s.io', '', errs);
  return toRegistryDelete(d);
}

/** Streams the file as it grows, until the container stops running (or the client goes away). */
function followLog(
  reply: FastifyReply,
  store: Store,
  pod: PodObj,
  container: string,
  file: string,
  restart: number,
  first: string,
  opts: LogOptions,
) {
  reply.raw.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
  if (first) reply.raw.write(first);
  let offset = statSync(file).size;
  let closed = false;
  reply.raw.on('close', () => (closed = true));
  const stillRunning = () => {
    const cur = store.get('pods', pod.metadata.namespace!, pod.metadata.name!) as PodObj | undefined;
    if (!cur || cur.metadata.uid !== pod.metadata.uid) return false;
    const cs = containerStatus(cur, container);
    return !!cs && (cs.restartCount ?? 0) === restart && !!cs.state?.running;
  };
  const pump = () => {
    try {
      const size = existsSync(file) ? statSync(file).size : offset;
      if (size > offset) {
        const buf = readFileSync(file).subarray(offset, size);
        const text = buf.toString('utf8');
        const cut = text.lastIndexOf('\n') + 1;
        if (cut > 0) {
          offset += Buffer.byteLength(text.slice(0, cut));
          reply.raw.write(renderLog(parseLogLines(text.slice(0, cut)), { timestamps: opts.timestamps }));
        }
      }
    } catch {
      // rotated under us: next round
    }
  };
  return new Promise<void>((resolve) => {
    const tick = () => {
      if (closed) return resolve();
      pump();
      if (!stillRunning()) {
        // One more read for lines written just before the exit.
        setTimeout(() => {
          pump();
          reply.raw.end();
          resolve();
        }, 50);
        return;
      }
      setTimeout(tick, 100);
    };
    setTimeout(tick, 100);
  });
}
