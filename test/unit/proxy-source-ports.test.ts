// The proxy's own choice of source ports for connections bound to a client's address: above the
// kernel's ephemeral range, in turn, or none (bind() picks) when too few ports are left there.
import { describe, expect, it } from 'vitest';
import { sourcePorts } from '../../src/proxy/source-ports.js';

describe('source ports of bound backend connections', () => {
  it('walks the ports above the ephemeral range in turn, wrapping around', () => {
    const p = sourcePorts('32768\t60999\n');
    const seen = new Set<number>();
    let prev = p.next();
    for (let i = 0; i < 4536; i++) {
      const port = p.next();
      expect(port).toBeGreaterThanOrEqual(61000);
      expect(port).toBeLessThanOrEqual(65535);
      expect(port === prev + 1 || (prev === 65535 && port === 61000)).toBe(true);
      seen.add(port);
      prev = port;
    }
    expect(seen.size).toBe(4536);
  });

  it('leaves the choice to bind() when fewer than 1024 ports are above the range, or the range is unknown', () => {
    expect(sourcePorts('1024 65000').next()).toBe(0);
    expect(sourcePorts('garbage').next()).toBe(0);
    expect(sourcePorts('').next()).toBe(0);
    expect(sourcePorts('32768 64511').next()).toBeGreaterThanOrEqual(64512);
  });
});
