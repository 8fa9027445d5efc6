// Events: core/v1 Event and events.k8s.io/v1 Event are two versions of one resource with one
// storage (upstream stores the internal core.Event). We store the core/v1 shape and convert the
// events.k8s.io/v1 view on the way in and out, as upstream's pkg/apis/events/v1/conversion.go:
// regarding<->involvedObject, note<->message, reportingController<->reportingComponent,
// deprecatedSource<->source, deprecatedFirstTimestamp/LastTimestamp/Count<->firstTimestamp/...
// Validation is upstream's ValidateEventCreate/Update: lenient for core/v1 (backwards
// compatibility), strict for events.k8s.io/v1.
import { schemas as coreSchemas, type Event as CoreV1Event } from '../api/generated/core/v1.js';
import { schemas as eventsSchemas, type Event as EventsV1Event } from '../api/generated/events/v1.js';
import { defineKind, type NullableTimes, type Obj } from './define.js';
import { fieldErr, type FieldError } from '../apimachinery/field.js';
import { isDNS1123Subdomain, validateImmutable, validateQualifiedName } from '../apimachinery/validation.js';
import { column, nameColumn, translateTimestampSince } from './printers.js';

export type { ObjectReference, EventSeries } from '../api/generated/core/v1.js';

/** core/v1 Event (the storage form). */
export type CoreEvent = Obj<NullableTimes<CoreV1Event, 'firstTimestamp' | 'lastTimestamp' | 'eventTime'>>;

/** events.k8s.io/v1 Event. */
export type V1Event = Obj<NullableTimes<EventsV1Event, 'eventTime' | 'deprecatedFirstTimestamp' | 'deprecatedLastTimestamp'>>;

const isEmpty = (v: unknown) =>
  v === undefined || v === null || v === '' || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** Copies only the set fields: unset stays absent instead of becoming `""`/null. */
function put(out: Record<string, unknown>, key: string, v: unknown): void {
  if (!isEmpty(v)) out[key] = v;
}

/** events.k8s.io/v1 → core/v1 (storage). */
export function v1EventToCore(e: V1Event): CoreEvent {
  const out: Record<string, unknown> = { apiVersion: 'v1', kind: 'Event', metadata: e.metadata };
  put(out, 'involvedObject', e.regarding ?? {});
  out.involvedObject ??= {};
  put(out, 'reason', e.reason);
  put(out, 'message', e.note);
  put(out, 'source', e.deprecatedSource);
  put(out, 'firstTimestamp', e.deprecatedFirstTimestamp);
  put(out, 'lastTimestamp', e.deprecatedLastTimestamp);
  put(out, 'count', e.deprecatedCount);
  put(out, 'type', e.type);
  put(out, 'eventTime', e.eventTime);
  put(out, 'series', e.series);
  put(out, 'action', e.action);
  put(out, 'related', e.related);
  put(out, 'reportingComponent', e.reportingController);
  put(out, 'reportingInstance', e.reportingInstance);
  return out as CoreEvent;
}

/** core/v1 (storage) → events.k8s.io/v1. */
export function coreEventToV1(e: CoreEvent): V1Event {
  const out: Record<string, unknown> = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: e.metadata };
  put(out, 'eventTime', e.eventTime);
  put(out, 'series', e.series);
  put(out, 'reportingController', e.reportingComponent);
  put(out, 'reportingInstance', e.reportingInstance);
  put(out, 'action', e.action);
  put(out, 'reason', e.reason);
  out.regarding = e.involvedObject ?? {};
  put(out, 'related', e.related);
  put(out, 'note', e.message);
  put(out, 'type', e.type);
  put(out, 'deprecatedSource', e.source);
  put(out, 'deprecatedFirstTimestamp', e.firstTimestamp);
  put(out, 'deprecatedLastTimestamp', e.lastTimestamp);
  put(out, 'deprecatedCount', e.count);
  return out as V1Event;
}

const REPORTING_INSTANCE_LIMIT = 128;
const ACTION_LIMIT = 128;
const REASON_LIMIT = 128;
const NOTE_LIMIT = 1024;

/** upstream legacyValidateEvent; `reportingField` is the request version's name for the controller. */
function legacyValidate(e: CoreEvent, reportingField: string): FieldError[] {
  const errs: FieldError[] = [];
  const ns = e.metadata.namespace ?? '';
  const objNs = e.involvedObject?.namespace ?? '';
  if (!e.eventTime) {
    if (!objNs) {
      if (ns !== '' && ns !== 'default') errs.push(fieldErr.invalid('involvedObject.namespace', objNs, 'does not match event.namespace'));
    } else if (ns !== objNs) {
      errs.push(fieldErr.invalid('involvedObject.namespace', objNs, 'does not match event.namespace'));
    }
  } else {
    if (!objNs && ns !== 'default' && ns !== 'kube-system') {
      errs.push(fieldErr.invalid('involvedObject.namespace', objNs, 'does not match event.namespace'));
    }
    const rc = e.reportingComponent ?? '';
    if (!rc) errs.push(fieldErr.required(reportingField));
    errs.push(...validateQualifiedName(rc, reportingField));
    const ri = e.reportingInstance ?? '';
    if (!ri) errs.push(fieldErr.required('reportingInstance'));
    if (ri.length > REPORTING_INSTANCE_LIMIT)
      errs.push(fieldErr.invalid('reportingInstance', '', `can have at most ${REPORTING_INSTANCE_LIMIT} characters`));
    const action = e.action ?? '';
    if (!action) errs.push(fieldErr.required('action'));
    if (action.length > ACTION_LIMIT) errs.push(fieldErr.invalid('action', '', `can have at most ${ACTION_LIMIT} characters`));
    const reason = e.reason ?? '';
    if (!reason) errs.push(fieldErr.required('reason'));
    if (reason.length > REASON_LIMIT) errs.push(fieldErr.invalid('reason', '', `can have at most ${REASON_LIMIT} characters`));
    if ((e.message ?? '').length > NOTE_LIMIT) errs.push(fieldErr.invalid('message', '', `can have at most ${NOTE_LIMIT} characters`));
  }
  for (const m of isDNS1123Subdomain(ns)) errs.push(fieldErr.invalid('namespace', ns, m));
  return errs;
}

function validateSeries(e: CoreEvent): FieldError[] {
  const errs: FieldError[] = [];
  if (e.series) {
    if ((e.series.count ?? 0) < 2) errs.push(fieldErr.invalid('series.count', '', 'should be at least 2'));
    if (!e.series.lastObservedTime) errs.push(fieldErr.required('series.lastObservedTime'));
  }
  return errs;
}

/** ValidateEventCreate for events.k8s.io/v1: everything the new API requires. */
export function validateV1EventCreate(e: CoreEvent): FieldError[] {
  const errs = legacyValidate(e, 'reportingController');
  errs.push(...validateSeries(e));
  if (!e.eventTime) errs.push(fieldErr.required('eventTime'));
  if (e.type !== 'Normal' && e.type !== 'Warning') errs.push(fieldErr.invalid('type', '', `has invalid value: ${e.type ?? ''}`));
  if (e.firstTimestamp) errs.push(fieldErr.invalid('deprecatedFirstTimestamp', '', 'needs to be unset'));
  if (e.lastTimestamp) errs.push(fieldErr.invalid('deprecatedLastTimestamp', '', 'needs to be unset'));
  if (e.count) errs.push(fieldErr.invalid('deprecatedCount', '', 'needs to be unset'));
  if (e.source?.component || e.source?.host) errs.push(fieldErr.invalid('deprecatedSource', '', 'needs to be unset'));
  return errs;
}

export function validateV1EventUpdate(e: CoreEvent, old: CoreEvent): FieldError[] {
  const errs = legacyValidate(e, 'reportingController');
  if (JSON.stringify(e.series ?? null) !== JSON.stringify(old.series ?? null)) errs.push(...validateSeries(e));
  const imm: [keyof CoreEvent, string][] = [
    ['involvedObject', 'involvedObject'],
    ['reason', 'reason'],
    ['message', 'message'],
    ['source', 'source'],
    ['firstTimestamp', 'firstTimestamp'],
    ['lastTimestamp', 'lastTimestamp'],
    ['count', 'count'],
    ['type', 'type'],
    ['eventTime', 'eventTime'],
    ['action', 'action'],
    ['related', 'related'],
    ['reportingComponent', 'reportingController'],
    ['reportingInstance', 'reportingInstance'],
  ];
  for (const [k, f] of imm) errs.push(...validateImmutable(e[k] ?? undefined, old[k] ?? undefined, f));
  return errs;
}

// ---- printing (printEvent, shared by both versions like upstream's one storage) ----

function sourceText(e: CoreEvent): string {
  const component = e.source?.component || e.reportingComponent || '';
  const instance = e.source?.host || e.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

export function eventRow(e: CoreEvent, now: Date): unknown[] {
  let first = translateTimestampSince(e.firstTimestamp, now);
  if (!e.firstTimestamp) first = translateTimestampSince(e.eventTime, now);
  let last = e.lastTimestamp ? translateTimestampSince(e.lastTimestamp, now) : first;
  let count = e.count ?? 0;
  if (e.series) {
    last = translateTimestampSince(e.series.lastObservedTime, now);
    count = e.series.count ?? 0;
  } else if (count === 0) {
    count = 1; // singleton events of the new API carry no count
  }
  const io = e.involvedObject ?? {};
  const kind = (io.kind ?? '').toLowerCase();
  const target = io.name ? `${kind}/${io.name}` : kind;
  return [
    last,
    e.type ?? '',
    e.reason ?? '',
    target,
    io.fieldPath ?? '',
    sourceText(e),
    (e.message ?? '').trim(),
    first,
    count,
    e.metadata.name,
  ];
}

const COLUMNS = [
  column('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
  column('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
  column(
    'Reason',
    "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
  ),
  column('Object', 'The object that this event is about.'),
  column(
    'Subobject',
    'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].',
    1,
  ),
  column('Source', 'The component reporting this event. Should be a short machine understandable string.', 1),
  column('Message', 'A human-readable description of the status of this operation.'),
  column('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
  column('Count', 'The number of times this event has occurred.', 1),
  nameColumn(1),
];

const coreFieldSelectors: Record<string, (e: CoreEvent) => string | undefined> = {
  'involvedObject.kind': (e) => e.involvedObject?.kind,
  'involvedObject.namespace': (e) => e.involvedObject?.namespace,
  'involvedObject.name': (e) => e.involvedObject?.name,
  'involvedObject.uid': (e) => e.involvedObject?.uid,
  'involvedObject.apiVersion': (e) => e.involvedObject?.apiVersion,
  'involvedObject.resourceVersion': (e) => e.involvedObject?.resourceVersion,
  'involvedObject.fieldPath': (e) => e.involvedObject?.fieldPath,
  reason: (e) => e.reason,
  reportingComponent: (e) => e.reportingComponent,
  source: (e) => e.source?.component,
  type: (e) => e.type,
};

export const coreEventDef = defineKind<CoreEvent>({
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  get schema() {
    return coreSchemas.Event;
  },
  openapiName: 'io.k8s.api.core.v1.Event',
  validate: (e) => legacyValidate(e, 'reportingComponent'),
  validateUpdate: (e) => legacyValidate(e, 'reportingComponent'),
  table: { columns: COLUMNS, row: eventRow },
  fieldSelectors: coreFieldSelectors,
});

const v1Selector = (core: string) => (e: V1Event) => coreFieldSelectors[core]!(v1EventToCore(e));

export const eventsV1EventDef = defineKind<V1Event>({
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  get schema() {
    return eventsSchemas.Event;
  },
  openapiName: 'io.k8s.api.events.v1.Event',
  storage: {
    resource: 'events',
    toStorage: (o) => v1EventToCore(o as V1Event),
    fromStorage: (o) => coreEventToV1(o as CoreEvent),
  },
  validate: (e) => validateV1EventCreate(v1EventToCore(e)),
  validateUpdate: (e, old) => validateV1EventUpdate(v1EventToCore(e), v1EventToCore(old)),
  table: { columns: COLUMNS, row: (e, now) => eventRow(v1EventToCore(e), now) },
  fieldSelectors: {
    'regarding.kind': v1Selector('involvedObject.kind'),
    'regarding.namespace': v1Selector('involvedObject.namespace'),
    'regarding.name': v1Selector('involvedObject.name'),
    'regarding.uid': v1Selector('involvedObject.uid'),
    'regarding.apiVersion': v1Selector('involvedObject.apiVersion'),
    'regarding.resourceVersion': v1Selector('involvedObject.resourceVersion'),
    'regarding.fieldPath': v1Selector('involvedObject.fieldPath'),
    reason: v1Selector('reason'),
    reportingController: v1Selector('reportingComponent'),
    type: v1Selector('type'),
  },
});
