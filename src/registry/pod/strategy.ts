// Pod (core/v1): upstream's defaults (SetDefaults_Pod/PodSpec/Container/Probe/Volume and the
// volume sources', plus what the ServiceAccount, Priority and DefaultTolerationSeconds admission
// plugins add), ValidatePodCreate/ValidatePodUpdate (src/registry/pod/validation.ts), graceful
// deletion (podStrategy CheckGracefulDelete) and printPod's STATUS/RESTARTS logic.
import {
  schemas,
  type Container,
  type HTTPGetAction,
  type ObjectFieldSelector,
  type Pod,
  type PodSpec,
  type Probe,
  type Toleration,
  type Volume,
} from '../../api/generated/core/v1.js';
import { asObject, defineKind, objectsIn, type Obj } from '../define.js';
import { fieldErr, type FieldError } from '../../apimachinery/field.js';
import { validateIP } from '../../apimachinery/validation.js';
import { validatePodCreate, validatePodEphemeralContainersUpdate, validatePodSpecFields, validatePodUpdateFull } from './validation.js';
import { age, ageColumn, column, nameColumn, translateTimestampSince } from '../printers.js';
import { admitPodServiceAccount } from './serviceaccount-admission.js';
import { admitLimitRanges } from '../quota/limitrange-admission.js';
import { admitPodPriority } from '../scheduling/priority-admission.js';
import type { WriteContext } from '../types.js';

export type {
  Container,
  ContainerPort,
  ContainerState,
  ContainerStatus,
  PodSpec,
  PodStatus,
  Probe,
  Toleration,
} from '../../api/generated/core/v1.js';
export type PodObj = Obj<Pod>;

// ---- defaults ----

/** upstream SetDefaults_Container: `:latest` or no tag (and no digest) pulls Always. */
export function defaultPullPolicy(image: string | undefined): string {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const tagAt = image.lastIndexOf(':');
  const tag = tagAt > lastSlash ? image.slice(tagAt + 1) : '';
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** SetDefaults_HTTPGetAction */
function defaultHTTPGet(h: HTTPGetAction | null | undefined): void {
  const g = asObject(h);
  if (!g) return;
  g.path ||= '/';
  g.scheme ||= 'HTTP';
}

/** SetDefaults_ObjectFieldSelector: apiVersion v1. */
function defaultFieldRef(holder: { fieldRef?: ObjectFieldSelector } | null | undefined): void {
  const ref = asObject(asObject(holder)?.fieldRef);
  if (ref) ref.apiVersion ||= 'v1';
}

/** SetDefaults_Probe: Go's zero values (0) count as unset. */
function defaultProbe(probe: Probe | null | undefined): void {
  const p = asObject(probe);
  if (!p) return;
  p.timeoutSeconds ||= 1;
  p.periodSeconds ||= 10;
  p.successThreshold ||= 1;
  p.failureThreshold ||= 3;
  defaultHTTPGet(p.httpGet);
}

/** SetDefaults_Volume (no source means emptyDir) and the defaults of the volume sources. */
function defaultVolume(v: Volume): void {
  const sources = Object.keys(v).filter((k) => k !== 'name' && v[k as keyof Volume] !== undefined && v[k as keyof Volume] !== null);
  if (!sources.length) v.emptyDir = {};
  const hostPath = asObject(v.hostPath);
  if (hostPath) hostPath.type ??= '';
  for (const k of ['configMap', 'secret', 'projected', 'downwardAPI'] as const) {
    const src = asObject(v[k]);
    if (src) src.defaultMode ??= 420;
  }
  for (const item of objectsIn(asObject(v.downwardAPI)?.items)) defaultFieldRef(item);
  for (const src of objectsIn(asObject(v.projected)?.sources)) {
    for (const item of objectsIn(asObject(src.downwardAPI)?.items)) defaultFieldRef(item);
    const token = asObject(src.serviceAccountToken);
    if (token) token.expirationSeconds ??= 3600;
  }
}

/** `pod`: SetDefaults_Pod's parts too, which a PodTemplate's containers do not get. */
function defaultContainer(c: Container, hostNetwork: boolean, pod: boolean): void {
  c.terminationMessagePath ||= '/dev/termination-log';
  c.terminationMessagePolicy ||= 'File';
  c.imagePullPolicy ||= defaultPullPolicy(c.image);
  c.resources ??= {};
  // Requests default to limits (SetDefaults_Pod).
  if (pod && c.resources.limits) c.resources.requests = { ...c.resources.limits, ...(c.resources.requests ?? {}) };
  for (const p of c.ports ?? []) {
    p.protocol ||= 'TCP';
    // With host networking the host port is the container port (SetDefaults_Pod).
    if (pod && hostNetwork && !p.hostPort) p.hostPort = p.containerPort;
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  const lifecycle = asObject(c.lifecycle);
  defaultHTTPGet(asObject(lifecycle?.postStart)?.httpGet);
  defaultHTTPGet(asObject(lifecycle?.preStop)?.httpGet);
  for (const e of objectsIn(c.env)) defaultFieldRef(e.valueFrom);
}

const DEFAULT_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

export function defaultPod(pod: PodObj): void {
  defaultPodSpec((pod.spec ??= {} as PodSpec), true);
}

/**
 * SetDefaults_PodSpec and the defaults of everything inside a PodSpec. `pod` adds what only Pods
 * get (SetDefaults_Pod: enableServiceLinks, requests from limits, host ports with hostNetwork;
 * the ServiceAccount admission plugin): a PodTemplate's spec (SetObjectDefaults_PodTemplate) gets
 * everything else, but not those.
 */
export function defaultPodSpec(s: PodSpec, pod: boolean): void {
  s.restartPolicy ||= 'Always';
  s.dnsPolicy ||= 'ClusterFirst';
  s.terminationGracePeriodSeconds ??= 30;
  s.schedulerName ||= 'default-scheduler';
  s.securityContext ??= {};
  // The deprecated `serviceAccount` is an alias (v1 conversion): it fills an empty
  // serviceAccountName and mirrors it on output.
  if (!s.serviceAccountName && s.serviceAccount) s.serviceAccountName = s.serviceAccount;
  if (pod) {
    s.enableServiceLinks ??= true;
    // The ServiceAccount admission plugin.
    s.serviceAccountName ||= 'default';
  }
  if (s.serviceAccountName) s.serviceAccount = s.serviceAccountName;
  else delete s.serviceAccount;
  for (const c of s.containers ?? []) defaultContainer(c, !!s.hostNetwork, pod);
  for (const c of s.initContainers ?? []) defaultContainer(c, !!s.hostNetwork, pod);
  // SetDefaults_EphemeralContainer
  for (const c of objectsIn(s.ephemeralContainers)) {
    c.terminationMessagePath ||= '/dev/termination-log';
    c.terminationMessagePolicy ||= 'File';
    c.imagePullPolicy ||= defaultPullPolicy(c.image);
    for (const e of objectsIn(c.env)) defaultFieldRef(e.valueFrom);
    // The nested types' own defaults apply here too (validation then forbids these fields).
    for (const p of objectsIn(c.ports)) p.protocol ||= 'TCP';
    for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) defaultProbe(c[k]);
  }
  for (const v of objectsIn(s.volumes)) defaultVolume(v);
}

/** The DefaultTolerationSeconds admission plugin (on create and update of pods). */
function admitDefaultTolerations(s: PodSpec): void {
  const tol = (s.tolerations ??= []);
  for (const d of DEFAULT_TOLERATIONS) {
    const has = tol.some((t) => (t.key === d.key || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoExecute'));
    if (!has) tol.push({ ...d });
  }
}

/** Creation-time additions of admission plugins (Priority, DefaultTolerationSeconds), in upstream's plugin order. */
function admitPod(pod: PodObj, ctx: WriteContext): void {
  admitPodPriority(pod, ctx);
  admitDefaultTolerations(pod.spec!);
}

/**
 * The same plugins on update (`kubectl replace -f pod.yaml` sends a Pod without them): Priority
 * keeps the priority and preemptionPolicy it set on create when the update leaves them out, and
 * DefaultTolerationSeconds adds its tolerations again. Validation then judges the result.
 */
function admitPodUpdate(pod: PodObj, old: PodObj): void {
  const s = pod.spec!;
  const o: Partial<PodSpec> = old.spec ?? {};
  if (s.priority == null && o.priority != null) s.priority = o.priority;
  if (s.preemptionPolicy == null && o.preemptionPolicy != null) s.preemptionPolicy = o.preemptionPolicy;
  admitDefaultTolerations(s);
}

/** upstream GetPodQOS (CPU and memory only). */
export function qosClass(spec: PodSpec | undefined): string {
  const all = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  let anySet = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) anySet = true;
      const l = lim[r];
      if (l === undefined || (req[r] !== undefined && String(req[r]) !== String(l))) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

// ---- validation (src/registry/pod/validation.ts) ----

/** upstream ValidatePodSpec of a Pod's spec (metadata only matters for ephemeral volume names). */
export function validatePodSpec(spec: PodSpec | undefined, metadata: PodObj['metadata'] = {}): FieldError[] {
  return validatePodSpecFields(spec ?? ({} as PodSpec), metadata, { relaxedEnvNames: true, relaxedDNSSearch: false, sleepZero: false });
}

/**
 * upstream ValidatePodUpdate, ObjectMeta aside (the generic layer checks it). Upstream defaults
 * every object it reads from storage; the old Pod gets the same here, so a Pod stored before a
 * default existed does not look changed by the defaults the new object just received.
 */
export function validatePodUpdate(pod: PodObj, old: PodObj): FieldError[] {
  const stored = structuredClone(old);
  defaultPod(stored);
  return validatePodUpdateFull(pod, stored);
}

export function validatePodStatus(pod: PodObj): FieldError[] {
  const errs: FieldError[] = [];
  const st = pod.status ?? {};
  if (st.podIP) errs.push(...validateIP(st.podIP, 'status.podIP'));
  (st.podIPs ?? []).forEach((p, i) => errs.push(...validateIP(p.ip ?? '', `status.podIPs[${i}].ip`)));
  if (st.podIPs?.length && st.podIP && st.podIPs[0]!.ip !== st.podIP) {
    errs.push(fieldErr.invalid('status.podIPs[0].ip', st.podIPs[0]!.ip, 'must be equal to the value of `podIP`'));
  }
  return errs;
}

// ---- printing (printPod) ----

const isRestartableInit = (c: Container | undefined) => c?.restartPolicy === 'Always';
const later = (a: string | undefined, b: string | undefined) => (!a ? b : !b ? a : Date.parse(b) > Date.parse(a) ? b : a);

export function podRow(pod: PodObj, now: Date): unknown[] {
  const spec: Partial<PodSpec> = pod.spec ?? {};
  const status = pod.status ?? {};
  let restarts = 0;
  let restartableInitRestarts = 0;
  let total = spec.containers?.length ?? 0;
  let ready = 0;
  let lastRestart: string | undefined;
  let lastRestartableInitRestart: string | undefined;
  const phase = status.phase ?? '';
  let reason = status.reason || phase;
  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }
  const inits = new Map<string, Container>();
  for (const c of spec.initContainers ?? []) {
    inits.set(c.name, c);
    if (isRestartableInit(c)) total++;
  }
  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    restarts += cs.restartCount ?? 0;
    if (cs.lastState?.terminated) lastRestart = later(lastRestart, cs.lastState.terminated.finishedAt);
    if (isRestartableInit(inits.get(cs.name))) {
      restartableInitRestarts += cs.restartCount ?? 0;
      if (cs.lastState?.terminated) lastRestartableInitRestart = later(lastRestartableInitRestart, cs.lastState.terminated.finishedAt);
    }
    const term = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (term && (term.exitCode ?? 0) === 0) continue;
    if (isRestartableInit(inits.get(cs.name)) && cs.started) {
      if (cs.ready) ready++;
      continue;
    }
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode ?? 0}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${spec.initContainers?.length ?? 0}`;
    }
    initializing = true;
    break;
  }
  const initializedTrue = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initializedTrue) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const cstats = status.containerStatuses ?? [];
    for (let i = cstats.length - 1; i >= 0; i--) {
      const cs = cstats[i]!;
      restarts += cs.restartCount ?? 0;
      if (cs.lastState?.terminated) lastRestart = later(lastRestart, cs.lastState.terminated.finishedAt);
      const st = cs.state ?? {};
      if (st.waiting?.reason) reason = st.waiting.reason;
      else if (st.terminated?.reason) reason = st.terminated.reason;
      else if (st.terminated) reason = st.terminated.signal ? `Signal:${st.terminated.signal}` : `ExitCode:${st.terminated.exitCode ?? 0}`;
      else if (cs.ready && st.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartsText = restarts !== 0 && lastRestart ? `${restarts} (${translateTimestampSince(lastRestart, now)} ago)` : String(restarts);
  const ip = status.podIPs?.[0]?.ip || '<none>';
  let gates = '<none>';
  if (spec.readinessGates?.length) {
    const trueCount = spec.readinessGates.filter(
      (g) => status.conditions?.find((c) => c.type === g.conditionType)?.status === 'True',
    ).length;
    gates = `${trueCount}/${spec.readinessGates.length}`;
  }
  return [
    pod.metadata.name,
    `${ready}/${total}`,
    reason,
    restartsText,
    age(pod, now),
    ip,
    spec.nodeName || '<none>',
    status.nominatedNodeName || '<none>',
    gates,
  ];
}

/**
 * podStrategy.CheckGracefulDelete: the requested period, else the pod's
 * terminationGracePeriodSeconds; unscheduled or finished pods go at once; negative means 1.
 */
export function podGracePeriod(pod: PodObj, requested: number | undefined): number {
  let period = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 0;
  if (period < 0) period = 1;
  if (!pod.spec?.nodeName) period = 0;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') period = 0;
  return period;
}

const boolText = (b: boolean | undefined) => (b ? 'true' : 'false');

export const podDef = defineKind<PodObj>({
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  get schema() {
    return schemas.Pod;
  },
  openapiName: 'io.k8s.api.core.v1.Pod',
  statusSubresource: true,
  defaults: (pod) => defaultPod(pod),
  admit(pod, ctx) {
    admitPodServiceAccount(pod, ctx);
    admitLimitRanges(pod, ctx);
    admitPod(pod, ctx);
  },
  prepareForCreate(pod) {
    pod.status = { phase: 'Pending', qosClass: qosClass(pod.spec) };
  },
  prepareForUpdate: (pod, old) => admitPodUpdate(pod, old),
  validate: (pod) => validatePodCreate(pod),
  validateUpdate: (pod, old) => validatePodUpdate(pod, old),
  validateStatusUpdate: (pod) => validatePodStatus(pod),
  partSubresources: {
    // kubectl debug adds its container here; everything else of the Pod stays as stored
    // (upstream dropNonEphemeralContainerUpdates).
    ephemeralcontainers: {
      take: (next, cur) => ({ ...cur, spec: { ...cur.spec, ephemeralContainers: next.spec?.ephemeralContainers } }) as PodObj,
      validateUpdate: (pod, old) => {
        const stored = structuredClone(old);
        defaultPod(stored);
        return validatePodEphemeralContainersUpdate(pod, stored);
      },
    },
  },
  gracePeriod: podGracePeriod,
  table: {
    columns: [
      nameColumn(),
      column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      column('Status', 'The aggregate status of the containers in this pod.'),
      column(
        'Restarts',
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      ),
      ageColumn(),
      column('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
      column('Node', 'NodeName indicates in which node this pod is scheduled.', 1),
      column(
        'Nominated Node',
        'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.',
        1,
      ),
      column('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
    ],
    row: podRow,
  },
  fieldSelectors: {
    'spec.nodeName': (p) => p.spec?.nodeName,
    'spec.restartPolicy': (p) => p.spec?.restartPolicy,
    'spec.schedulerName': (p) => p.spec?.schedulerName,
    'spec.serviceAccountName': (p) => p.spec?.serviceAccountName,
    'spec.hostNetwork': (p) => boolText(p.spec?.hostNetwork),
    'status.phase': (p) => p.status?.phase,
    'status.podIP': (p) => p.status?.podIPs?.[0]?.ip ?? p.status?.podIP,
    'status.nominatedNodeName': (p) => p.status?.nominatedNodeName,
  },
});
