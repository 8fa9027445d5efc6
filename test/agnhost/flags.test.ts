// pflag-style parsing of agnhost's command lines, and the strconv parsers behind it.
import { describe, expect, it } from 'vitest';
import { boolFlag, flagUsages, FlagError, intFlag, parseFlags, stringFlag } from '../../src/agnhost/flags.js';
import { goAtoi, goParseBool, goParseIntBase0 } from '../../src/agnhost/strconv.js';

const SET = {
  'http-port': intFlag(8080, 'HTTP Listen Port'),
  'http-override': stringFlag('', 'Override the HTTP handler'),
  tcp: boolFlag(false, 'Serve raw over TCP.'),
  http: boolFlag(true, 'Serve HTTP.'),
};

const parse = (...argv: string[]) => parseFlags(argv, SET);
const error = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (e) {
    expect(e).toBeInstanceOf(FlagError);
    return (e as Error).message;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
};

describe('parseFlags', () => {
  it('gives the defaults when nothing is passed', () => {
    expect(parse()).toEqual({ flags: { 'http-port': 8080, 'http-override': '', tcp: false, http: true }, args: [], help: false });
  });

  it('reads --name=value and --name value, the last one winning', () => {
    expect(parse('--http-port=9090').flags['http-port']).toBe(9090);
    expect(parse('--http-port', '9091').flags['http-port']).toBe(9091);
    expect(parse('--http-port=1', '--http-port=2').flags['http-port']).toBe(2);
    expect(parse('--http-override', '/echo?msg=a=b').flags['http-override']).toBe('/echo?msg=a=b');
    expect(parse('--http-override=').flags['http-override']).toBe('');
    // The next argument is the value even when it looks like a flag, as pflag takes it.
    expect(parse('--http-override', '--tcp').flags).toMatchObject({ 'http-override': '--tcp', tcp: false });
  });

  it('reads booleans without taking the next argument', () => {
    expect(parse('--tcp').flags.tcp).toBe(true);
    expect(parse('--http=false').flags.http).toBe(false);
    expect(parse('--tcp=T', '--http=0').flags).toMatchObject({ tcp: true, http: false });
    const p = parse('--tcp', 'false');
    expect(p.flags.tcp).toBe(true);
    expect(p.args).toEqual(['false']);
  });

  it('reads _ in names as - (component-base WordSepNormalizeFunc)', () => {
    expect(parse('--http_port=7').flags['http-port']).toBe(7);
  });

  it('reads ints as strconv.ParseInt(s, 0, 64) does', () => {
    expect(parse('--http-port=0x1F').flags['http-port']).toBe(31);
    expect(parse('--http-port=-1').flags['http-port']).toBe(-1);
    expect(parse('--http-port=1_000').flags['http-port']).toBe(1000);
  });

  it('keeps positional arguments, and everything after --', () => {
    expect(parse('a', '--tcp', '--', '--http-port=1', 'b')).toMatchObject({
      args: ['a', '--http-port=1', 'b'],
      flags: { tcp: true, 'http-port': 8080 },
    });
  });

  it('notices -h and --help', () => {
    expect(parse('-h').help).toBe(true);
    expect(parse('--help').help).toBe(true);
    expect(parse('--help=false').help).toBe(false);
  });

  it('accepts and ignores the logging flags component-base adds', () => {
    expect(parse('-v=4', '--v', '2', '-v3', '--vmodule=x=2', '--logtostderr', '--alsologtostderr=false', '--tcp')).toMatchObject({
      args: [],
      flags: { tcp: true },
    });
  });

  it("refuses what pflag refuses, with pflag's texts", () => {
    expect(error('--bogus')).toBe('unknown flag: --bogus');
    expect(error('--bogus=1')).toBe('unknown flag: --bogus');
    expect(error('--http-port')).toBe('flag needs an argument: --http-port');
    expect(error('--http-port=abc')).toBe('invalid argument "abc" for "--http-port" flag: strconv.ParseInt: parsing "abc": invalid syntax');
    expect(error('--http-port=')).toBe('invalid argument "" for "--http-port" flag: strconv.ParseInt: parsing "": invalid syntax');
    expect(error('--tcp=yes')).toBe('invalid argument "yes" for "--tcp" flag: strconv.ParseBool: parsing "yes": invalid syntax');
    expect(error('-x')).toBe("unknown shorthand flag: 'x' in -x");
    expect(error('---tcp')).toBe('bad flag syntax: ---tcp');
    expect(error('-v')).toBe("flag needs an argument: 'v' in -v");
  });
});

describe('strconv', () => {
  it('ParseInt with base 0: prefixes, underscores, range', () => {
    expect(goParseIntBase0('42')).toBe(42);
    expect(goParseIntBase0('+42')).toBe(42);
    expect(goParseIntBase0('0x10')).toBe(16);
    expect(goParseIntBase0('0o17')).toBe(15);
    expect(goParseIntBase0('017')).toBe(15);
    expect(goParseIntBase0('0b101')).toBe(5);
    expect(goParseIntBase0('0x_1f')).toBe(31);
    expect(goParseIntBase0('0')).toBe(0);
    expect(goParseIntBase0('-9223372036854775808')).toBe(-9223372036854775808);
    for (const bad of ['', '-', '0x', '08', '1a', '_1', '1_', '1__0', '0x_', ' 1', '1.5']) {
      expect(() => goParseIntBase0(bad), bad).toThrow(`strconv.ParseInt: parsing ${JSON.stringify(bad)}: invalid syntax`);
    }
    expect(() => goParseIntBase0('9223372036854775808')).toThrow('strconv.ParseInt: parsing "9223372036854775808": value out of range');
  });

  it('ParseBool', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(goParseBool(t)).toBe(true);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(goParseBool(f)).toBe(false);
    expect(() => goParseBool('tRUE')).toThrow('strconv.ParseBool: parsing "tRUE": invalid syntax');
  });

  it('Atoi: decimal only, with its own name in the error', () => {
    expect(goAtoi('-17')).toBe(-17);
    expect(() => goAtoi('0x10')).toThrow('strconv.Atoi: parsing "0x10": invalid syntax');
    expect(() => goAtoi('99999999999999999999')).toThrow('strconv.Atoi: parsing "99999999999999999999": value out of range');
  });
});

describe('flagUsages', () => {
  it('lists the flags sorted and aligned, with types and non-zero defaults', () => {
    expect(flagUsages(SET, 'netexec').split('\n')).toEqual([
      '  -h, --help                   help for netexec',
      '      --http                   Serve HTTP. (default true)',
      '      --http-override string   Override the HTTP handler',
      '      --http-port int          HTTP Listen Port (default 8080)',
      '      --tcp                    Serve raw over TCP.',
      '',
    ]);
  });
});
