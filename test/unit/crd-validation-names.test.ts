// Defaults, the naming controller's decisions and the CRD conditions.
import { describe, expect, it } from 'vitest';
import { establish, findCRDCondition, setCRDCondition } from '../../src/registry/apiextensions/crd/conditions.js';
import { setDefaultsCRD } from '../../src/registry/apiextensions/crd/defaults.js';
import { calculateNamesAndConditions } from '../../src/registry/apiextensions/crd/naming.js';
import type { CRD } from '../../src/registry/apiextensions/crd/types.js';
import { cronTab, defaulted } from './crd-validation-fixtures.js';

/** A CRD whose names were accepted, as the naming controller leaves it. */
function acceptedCRD(plural: string, kind: string, group = 'stable.example.com', shortNames?: string[]): CRD {
  const crd = defaulted(cronTab(), (c) => {
    c.metadata!.name = `${plural}.${group}`;
    c.spec!.group = group;
    c.spec!.names = { plural, kind, singular: kind.toLowerCase(), shortNames };
  });
  crd.status!.acceptedNames = { ...crd.spec!.names };
  return crd;
}

describe('SetDefaults', () => {
  it('defaults singular, listKind, conversion and stored versions', () => {
    const crd = cronTab();
    delete crd.spec!.names!.singular;
    setDefaultsCRD(crd);
    expect(crd.spec!.names).toEqual({
      plural: 'crontabs',
      singular: 'crontab',
      kind: 'CronTab',
      listKind: 'CronTabList',
      shortNames: ['ct'],
    });
    expect(crd.spec!.conversion).toEqual({ strategy: 'None' });
    expect(crd.status!.storedVersions).toEqual(['v1']);
    expect(crd.spec!.scope).toBe('Namespaced');
  });
  it('keeps what is set, defaults the webhook service port and leaves scope alone', () => {
    const crd = cronTab();
    delete crd.spec!.scope;
    crd.spec!.names!.listKind = 'CronTabItems';
    crd.spec!.conversion = { strategy: 'Webhook', webhook: { clientConfig: { service: { namespace: 'ns', name: 'svc' } } } };
    crd.status = { storedVersions: ['v0', 'v1'] };
    setDefaultsCRD(crd);
    expect(crd.spec!.names!.listKind).toBe('CronTabItems');
    expect(crd.spec!.conversion.webhook!.clientConfig!.service!.port).toBe(443);
    expect(crd.status.storedVersions).toEqual(['v0', 'v1']);
    expect(crd.spec!.scope).toBeUndefined();
  });
});

describe('naming controller', () => {
  it('accepts names nobody else uses', () => {
    const crd = defaulted(cronTab());
    const r = calculateNamesAndConditions(crd, [acceptedCRD('widgets', 'Widget')]);
    expect(r.acceptedNames).toEqual({
      plural: 'crontabs',
      singular: 'crontab',
      kind: 'CronTab',
      listKind: 'CronTabList',
      shortNames: ['ct'],
    });
    expect(r.namesAccepted).toEqual({ type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' });
    expect(r.established).toEqual({
      type: 'Established',
      status: 'False',
      reason: 'Installing',
      message: 'the initial names have been accepted',
    });
  });

  it('reports a plural another CRD of the group accepted', () => {
    const crd = defaulted(cronTab(), (c) => (c.metadata!.name = 'crontabs.stable.example.com'));
    const other = acceptedCRD('crontabs', 'OtherTab');
    other.metadata!.name = 'other.stable.example.com';
    const r = calculateNamesAndConditions(crd, [other]);
    expect(r.namesAccepted).toEqual({
      type: 'NamesAccepted',
      status: 'False',
      reason: 'PluralConflict',
      message: '"crontabs" is already in use',
    });
    expect(r.acceptedNames.plural).toBeUndefined();
    expect(r.acceptedNames.kind).toBe('CronTab');
    expect(r.established).toEqual({ type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' });
  });

  it('ignores other groups and the CRD itself', () => {
    const crd = defaulted(cronTab());
    const self = structuredClone(crd);
    self.status!.acceptedNames = { ...crd.spec!.names };
    expect(calculateNamesAndConditions(crd, [acceptedCRD('crontabs', 'CronTab', 'other.example.com'), self]).namesAccepted.status).toBe(
      'True',
    );
  });

  it('reports the last conflict: list kind after kind after short names', () => {
    const crd = defaulted(cronTab());
    const r = calculateNamesAndConditions(crd, [acceptedCRD('cts', 'CronTab', 'stable.example.com', ['ct'])]);
    expect(r.namesAccepted).toEqual({
      type: 'NamesAccepted',
      status: 'False',
      reason: 'ListKindConflict',
      message: '"CronTabList" is already in use',
    });
    expect(r.acceptedNames.shortNames).toBeUndefined();
    expect(r.acceptedNames.kind).toBeUndefined();
    expect(r.acceptedNames.plural).toBe('crontabs');
    const onlyShort = calculateNamesAndConditions(crd, [acceptedCRD('cts', 'Other', 'stable.example.com', ['ct'])]);
    expect(onlyShort.namesAccepted).toMatchObject({ reason: 'ShortNamesConflict', message: '"ct" is already in use' });
  });

  it('keeps names already accepted even when another CRD took them later', () => {
    const crd = defaulted(cronTab());
    crd.status!.acceptedNames = { ...crd.spec!.names };
    crd.status!.conditions = [
      { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
    ];
    const r = calculateNamesAndConditions(crd, [acceptedCRD('crontabs', 'CronTab')]);
    expect(r.namesAccepted.status).toBe('True');
    expect(r.established.status).toBe('True');
  });
});

describe('conditions', () => {
  it('keeps lastTransitionTime while the status stays', () => {
    let list = setCRDCondition(
      undefined,
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
      't1',
    );
    list = setCRDCondition(list, { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'still' }, 't2');
    expect(list).toEqual([{ type: 'NamesAccepted', status: 'True', lastTransitionTime: 't1', reason: 'NoConflicts', message: 'still' }]);
    list = setCRDCondition(list, { type: 'NamesAccepted', status: 'False', reason: 'PluralConflict', message: 'x' }, 't3');
    expect(list[0]!.lastTransitionTime).toBe('t3');
  });

  it('establishes once the names are accepted', () => {
    const crd = defaulted(cronTab());
    expect(establish(crd, 't1')).toBeUndefined();
    crd.status!.conditions = [
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: 't0' },
    ];
    crd.status!.conditions = establish(crd, 't1');
    expect(findCRDCondition(crd, 'Established')).toEqual({
      type: 'Established',
      status: 'True',
      reason: 'InitialNamesAccepted',
      message: 'the initial names have been accepted',
      lastTransitionTime: 't1',
    });
    expect(establish(crd, 't2')).toBeUndefined();
  });
});
