import { describe, it, expect } from 'vitest';
import { humanDuration, translateTimestampSince, listWithMore } from '../../src/registry/printers.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration (upstream duration.HumanDuration)', () => {
  it.each([
    [0, '0s'],
    [-1500, '0s'],
    [-3000, '<invalid>'],
    [59 * s, '59s'],
    [119 * s, '119s'],
    [2 * m + 3 * s, '2m3s'],
    [5 * m, '5m'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h + 4 * m, '3h4m'],
    [7 * h, '7h'],
    [8 * h + 30 * m, '8h'],
    [47 * h, '47h'],
    [2 * d + 5 * h, '2d5h'],
    [3 * d, '3d'],
    [8 * d, '8d'],
    [729 * d, '729d'],
    [3 * 365 * d + 10 * d, '3y10d'],
    [3 * 365 * d, '3y'],
    [9 * 365 * d, '9y'],
  ])('%i ms → %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
  it('translates timestamps and unknowns', () => {
    const now = new Date('2025-01-01T00:10:00Z');
    expect(translateTimestampSince('2025-01-01T00:00:00Z', now)).toBe('10m');
    expect(translateTimestampSince(undefined, now)).toBe('<unknown>');
  });
  it('lists with "+ N more..."', () => {
    expect(listWithMore(['a', 'b', 'c', 'd', 'e'])).toBe('a,b,c + 2 more...');
    expect(listWithMore([])).toBe('<unset>');
  });
});
