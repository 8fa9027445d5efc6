// The names a CRD may take, as upstream's naming controller decides them
// (apiextensions-apiserver pkg/controller/status/naming_controller.go): each requested name is
// accepted when it is the one already accepted or no other CRD of the same group has accepted it;
// a conflict keeps the previously accepted name and sets NamesAccepted=False with the first
// conflict's reason (`"crontabs" is already in use`).
import type { CRD, CRDCondition, CRDNames } from './types.js';

export interface NamesResult {
  acceptedNames: CRDNames;
  namesAccepted: CRDCondition;
  established: CRDCondition;
}

/** Names other CRDs of `group` (not `selfName`) have accepted: resources (plural, singular, short names) and kinds. */
function usedNames(group: string, selfName: string, others: readonly CRD[]): { resources: Set<string>; kinds: Set<string> } {
  const resources = new Set<string>();
  const kinds = new Set<string>();
  for (const o of others) {
    if (o.metadata?.name === selfName || o.spec?.group !== group) continue;
    const a = o.status?.acceptedNames ?? {};
    for (const n of [a.plural, a.singular, ...(a.shortNames ?? [])]) if (n) resources.add(n);
    for (const n of [a.kind, a.listKind]) if (n) kinds.add(n);
  }
  return { resources, kinds };
}

/** equalToAcceptedOrFresh: undefined when fine, else the conflict's message. */
function conflict(requested: string, accepted: string, used: Set<string>): string | undefined {
  if (requested === accepted || !used.has(requested)) return undefined;
  return `${JSON.stringify(requested)} is already in use`;
}

/** calculateNamesAndConditions: the accepted names and the NamesAccepted and Established conditions (without times). */
export function calculateNamesAndConditions(crd: CRD, others: readonly CRD[]): NamesResult {
  const requested = crd.spec?.names ?? {};
  const accepted = crd.status?.acceptedNames ?? {};
  const { resources, kinds } = usedNames(crd.spec?.group ?? '', crd.metadata?.name ?? '', others);
  const next: CRDNames = { ...accepted };
  let failure: { reason: string; message: string } | undefined;
  const fail = (reason: string, message: string) => (failure = { reason, message });

  const pluralErr = conflict(requested.plural ?? '', accepted.plural ?? '', resources);
  if (pluralErr) fail('PluralConflict', pluralErr);
  else next.plural = requested.plural;
  const singularErr = conflict(requested.singular ?? '', accepted.singular ?? '', resources);
  if (singularErr) fail('SingularConflict', singularErr);
  else next.singular = requested.singular;
  if (JSON.stringify(requested.shortNames ?? []) !== JSON.stringify(accepted.shortNames ?? [])) {
    const mine = new Set(accepted.shortNames ?? []);
    const errs = (requested.shortNames ?? []).filter((s) => !mine.has(s)).flatMap((s) => conflict(s, '', resources) ?? []);
    // utilerrors.NewAggregate: one message alone, several in brackets
    if (errs.length) fail('ShortNamesConflict', errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`);
    else next.shortNames = requested.shortNames;
  }
  const kindErr = conflict(requested.kind ?? '', accepted.kind ?? '', kinds);
  if (kindErr) fail('KindConflict', kindErr);
  else next.kind = requested.kind;
  const listKindErr = conflict(requested.listKind ?? '', accepted.listKind ?? '', kinds);
  if (listKindErr) fail('ListKindConflict', listKindErr);
  else next.listKind = requested.listKind;
  next.categories = requested.categories;

  const namesAccepted: CRDCondition = failure
    ? { type: 'NamesAccepted', status: 'False', reason: failure.reason, message: failure.message }
    : { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' };

  // Established is only ever made True by the establishing controller, after the handler serves
  // the names; here it starts False and turns "Installing" once the names are accepted.
  let established: CRDCondition = crd.status?.conditions?.find((c) => c.type === 'Established') ?? {
    type: 'Established',
    status: 'False',
    reason: 'NotAccepted',
    message: 'not all names are accepted',
  };
  if (established.status !== 'True' && namesAccepted.status === 'True') {
    established = { type: 'Established', status: 'False', reason: 'Installing', message: 'the initial names have been accepted' };
  }
  return { acceptedNames: stripEmpty(next), namesAccepted, established };
}

function stripEmpty(n: CRDNames): CRDNames {
  const out: CRDNames = {};
  for (const [k, v] of Object.entries(n) as [keyof CRDNames, CRDNames[keyof CRDNames]][]) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
