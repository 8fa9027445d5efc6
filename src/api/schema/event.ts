// core/v1 Event and events.k8s.io/v1 Event (two versions of one resource, shared storage).
// Field names, required lists, list/map extensions and Go types follow upstream k8s.io/api v0.32
// (types.go field lists and +listType/+patchStrategy markers); descriptions are the first
// sentence of upstream's comments. Written out mechanically from those field lists: edit freely,
// but keep the export names (other modules import them via ./index.js).
import type { Static } from '@sinclair/typebox';
import { Named, Field, Str, Int32, Time, MicroTime, Opt, typeMeta } from './common.js';
import { ObjectMetaSchema } from './meta.js';
import { ObjectReferenceSchema } from './core.js';

export const EventSourceSchema = Named('io.k8s.api.core.v1.EventSource', 'EventSource contains information for an event.', {
  component: Opt(Str('Component from which the event is generated.')),
  host: Opt(Str('Node name on which the event is generated.')),
});
export type EventSource = Static<typeof EventSourceSchema>;

export const EventSeriesSchema = Named(
  'io.k8s.api.core.v1.EventSeries',
  'EventSeries contain information on series of events, i.e. thing that was/is happening continuously for some time.',
  {
    count: Opt(Int32('Number of occurrences in this series up to the last heartbeat time')),
    lastObservedTime: Opt(MicroTime('Time of the last occurrence observed')),
  },
);
export type EventSeries = Static<typeof EventSeriesSchema>;

export const EventSchema = Named('io.k8s.api.core.v1.Event', 'Event is a report of an event somewhere in the cluster.', {
  ...typeMeta(),
  metadata: Field(ObjectMetaSchema, "Standard object's metadata."),
  involvedObject: Field(ObjectReferenceSchema, 'The object that this event is about.'),
  reason: Opt(
    Str("This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
  ),
  message: Opt(Str('A human-readable description of the status of this operation.')),
  source: Opt(Field(EventSourceSchema, 'The component reporting this event.')),
  firstTimestamp: Opt(Time('The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)')),
  lastTimestamp: Opt(Time('The time at which the most recent occurrence of this event was recorded.')),
  count: Opt(Int32('The number of times this event has occurred.')),
  type: Opt(Str('Type of this event (Normal, Warning), new types could be added in the future')),
  eventTime: Opt(MicroTime('Time when this Event was first observed.')),
  series: Opt(Field(EventSeriesSchema, "Data about the Event series this event represents or nil if it's a singleton Event.")),
  action: Opt(Str('What action was taken/failed regarding to the Regarding object.')),
  related: Opt(Field(ObjectReferenceSchema, 'Optional secondary object for more complex actions.')),
  reportingComponent: Opt(Str('Name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`.')),
  reportingInstance: Opt(Str('ID of the controller instance, e.g. `kubelet-xyzf`.')),
});
export type Event = Static<typeof EventSchema>;

export const EventsV1EventSeriesSchema = Named(
  'io.k8s.api.events.v1.EventSeries',
  'EventSeries contain information on series of events, i.e. thing that was/is happening continuously for some time.',
  {
    count: Int32('count is the number of occurrences in this series up to the last heartbeat time.'),
    lastObservedTime: MicroTime('lastObservedTime is the time when last Event from the series was seen before last heartbeat.'),
  },
);
export type EventsV1EventSeries = Static<typeof EventsV1EventSeriesSchema>;

export const EventsV1EventSchema = Named('io.k8s.api.events.v1.Event', 'Event is a report of an event somewhere in the cluster.', {
  ...typeMeta(),
  metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
  eventTime: MicroTime('eventTime is the time when this Event was first observed.'),
  series: Opt(
    Field(EventsV1EventSeriesSchema, "series is data about the Event series this event represents or nil if it's a singleton Event."),
  ),
  reportingController: Opt(Str('reportingController is the name of the controller that emitted this Event, e.g. `kubernetes.io/kubelet`.')),
  reportingInstance: Opt(Str('reportingInstance is the ID of the controller instance, e.g. `kubelet-xyzf`.')),
  action: Opt(Str('action is what action was taken/failed regarding to the regarding object.')),
  reason: Opt(Str('reason is why the action was taken.')),
  regarding: Opt(Field(ObjectReferenceSchema, 'regarding contains the object this Event is about.')),
  related: Opt(Field(ObjectReferenceSchema, 'related is the optional secondary object for more complex actions.')),
  note: Opt(Str('note is a human-readable description of the status of this operation.')),
  type: Opt(Str('type is the type of this event (Normal, Warning), new types could be added in the future.')),
  deprecatedSource: Opt(
    Field(EventSourceSchema, 'deprecatedSource is the deprecated field assuring backward compatibility with core.v1 Event type.'),
  ),
  deprecatedFirstTimestamp: Opt(
    Time('deprecatedFirstTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.'),
  ),
  deprecatedLastTimestamp: Opt(
    Time('deprecatedLastTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.'),
  ),
  deprecatedCount: Opt(Int32('deprecatedCount is the deprecated field assuring backward compatibility with core.v1 Event type.')),
});
export type EventsV1Event = Static<typeof EventsV1EventSchema>;
