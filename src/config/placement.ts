// Where a new cluster goes on this host: the lowest free slot whose default ranges collide with no
// running cluster, for every range the user left out; a range the user gave is theirs to keep, and
// one that collides with a running cluster's stops the start with one line naming that cluster.
import { hostEntries, lease, describeCluster, type ClusterRecord, type HostEntry, type Lease } from './host-registry.js';
import {
  isPlain,
  overlaps,
  RANGE_FLAGS,
  RANGE_NAMES,
  SLOT_COUNT,
  slotRanges,
  type HostRanges,
  type Overlap,
  type RangeKind,
} from './slots.js';

/** A start that cannot go on as asked; the message is for the user as is. */
export class PlacementError extends Error {}

export interface Placement {
  lease: Lease;
  slot?: number;
  ranges: HostRanges;
  /** How many other clusters were running. */
  others: number;
}

export interface PlaceOptions {
  /** The kinds of range the user gave explicitly. */
  explicit: Set<RangeKind>;
  /** How to name an explicit range in a refusal (default: its flag). */
  labels?: Partial<Record<RangeKind, string>>;
  /** The slots in the order to try them (see slotOrder). */
  order: number[];
  /** This cluster's ranges if it takes slot n (undefined: every range is explicit). */
  rangesFor(slot: number | undefined): HostRanges;
  record: Omit<ClusterRecord, 'ranges' | 'slot'>;
}

async function explicitConflict(o: Overlap, other: HostEntry, labels: PlaceOptions['labels'] = {}): Promise<PlacementError> {
  const rec = other.record ?? (await other.load());
  const who = rec ? describeCluster(rec) : `on host slot ${other.slot}`;
  const label = labels[o.kind];
  const fix = label
    ? "stop that cluster first (this data dir's Services hold addresses of that range), or give the range explicitly"
    : 'choose another range, or leave it out to get a free one';
  return new PlacementError(
    `${label ?? RANGE_FLAGS[o.kind]}: ${o.mine} overlaps the ${RANGE_NAMES[o.theirKind]} ${o.theirs} of the running cluster ${who}: ${fix}`,
  );
}

/** Of two clusters whose ranges collide, the one that was there first keeps them (a plain one always). */
const keeps = (other: HostEntry, me: Pick<ClusterRecord, 'startedAt' | 'id'>) =>
  !other.record || other.record.startedAt < me.startedAt || (other.record.startedAt === me.startedAt && other.record.id < me.id);

export async function placeCluster(o: PlaceOptions): Promise<Placement> {
  const allExplicit = (['service', 'pod', 'loadBalancer', 'nodePorts'] as RangeKind[]).every((k) => o.explicit.has(k));
  const skip = new Set<number>();
  for (let attempt = 0; attempt < 3; attempt++) {
    const others = (await hostEntries(slotRanges)).filter((e) => e.record?.id !== o.record.id);
    const candidates = allExplicit ? [undefined] : o.order.filter((i) => !skip.has(i) && !others.some((e) => e.slot === i));
    let held: Placement | undefined;
    for (const slot of candidates) {
      const ranges = o.rangesFor(slot);
      let collides = false;
      for (const other of others) {
        for (const ov of overlaps(ranges, other.ranges)) {
          if (o.explicit.has(ov.kind)) throw await explicitConflict(ov, other, o.labels);
          collides = true;
        }
      }
      if (collides) continue;
      const l = await lease(slot, { ...o.record, slot, ranges }, o.record.kind === 'library' && isPlain(slot, ranges));
      if (!l) continue;
      held = { lease: l, slot, ranges, others: others.length };
      break;
    }
    if (!held) {
      throw new PlacementError(
        `no free address slot: ${others.length} clusters run on this host and the ${SLOT_COUNT} default slots collide with them; give --service-cidr, --pod-cidr, --loadbalancer-cidr and --service-node-port-range explicitly, or stop some (tinykube list)`,
      );
    }
    // A plain cluster's ranges are its slot's, which no other slot's overlap; only ranges of one's
    // own can meet another's that started at the same time: look again, the later gives way.
    if (o.explicit.size === 0 && isPlain(held.slot, held.ranges)) return held;
    const now = (await hostEntries(slotRanges)).filter((e) => e.entry !== held.lease.entry && e.record?.id !== o.record.id);
    const clash = now.flatMap((other) => (keeps(other, o.record) ? overlaps(held.ranges, other.ranges).map((ov) => ({ ov, other })) : []));
    if (!clash.length) return held;
    await held.lease.release();
    const hard = clash.find((c) => o.explicit.has(c.ov.kind));
    if (hard) throw await explicitConflict(hard.ov, hard.other, o.labels);
    if (held.slot !== undefined) skip.add(held.slot);
  }
  throw new PlacementError('could not find a free address slot: other clusters kept starting with colliding ranges; try again');
}
