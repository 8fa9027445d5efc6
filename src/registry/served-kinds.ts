// The kinds the cluster serves right now: the built-in ones (kinds.ts), fixed at start, and the
// custom resources of established CRDs, which come and go with them. The CRD controller sets a
// CRD's defs; the API server (routes, discovery, OpenAPI), the garbage collector and the namespace
// controller follow the changes. Listeners run synchronously in the order they subscribed, so a
// CRD's kind is routable before the controller's write that established it returns.
import type { ResourceDef } from './types.js';
import { storageResource } from './types.js';
import type { ConversionDeps } from './apiextensions/customresource/conversion.js';

/** One change: the defs no longer served and the defs served from now on (a changed def is in both). */
export interface ServedKindsChange {
  removed: ResourceDef[];
  added: ResourceDef[];
}

export class ServedKinds {
  private readonly byCRD = new Map<string, ResourceDef[]>();
  private readonly listeners = new Set<(c: ServedKindsChange) => void>();
  private allDefs: ResourceDef[] | undefined;

  /** What CRDs' conversion webhooks need (the cluster sets it; without it only None conversion works). */
  conversion?: ConversionDeps;

  constructor(readonly builtIn: readonly ResourceDef[]) {}

  /** Every served def: the built-in ones, then the custom ones in the order their CRDs were established. */
  all(): readonly ResourceDef[] {
    return (this.allDefs ??= [...this.builtIn, ...this.custom()]);
  }

  /** The custom kinds' defs, unserved storage versions included (in-process writers use those). */
  custom(): ResourceDef[] {
    return [...this.byCRD.values()].flat();
  }

  /** The def in-process writers use for a custom resource: its storage version's (no conversion). */
  storageDef(resource: string): ResourceDef | undefined {
    const defs = this.custom().filter((d) => storageResource(d) === resource);
    return defs.find((d) => d.storageVersion) ?? defs[0];
  }

  /** The def of group/plural in `version` (any served version when absent). */
  find(group: string, plural: string, version?: string): ResourceDef | undefined {
    return this.all().find((d) => d.group === group && d.plural === plural && (version === undefined || d.version === version));
  }

  /** Storage resources of the custom kinds (one per CRD, whatever its versions). */
  customResources(): string[] {
    return [...new Set(this.custom().map(storageResource))];
  }

  /** Replaces the defs of the CRD `name` (none: it serves nothing). */
  set(name: string, defs: ResourceDef[]): void {
    const removed = this.byCRD.get(name) ?? [];
    if (!removed.length && !defs.length) return;
    if (defs.length) this.byCRD.set(name, defs);
    else this.byCRD.delete(name);
    this.allDefs = undefined;
    const change = { removed, added: defs };
    for (const l of [...this.listeners]) l(change);
  }

  onChange(fn: (c: ServedKindsChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
