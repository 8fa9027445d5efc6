// Command-line flags as agnhost's cobra commands parse them (spf13/pflag): `--name=value` and
// `--name value`, booleans as `--tcp` or `--udp=false` (never taking the next argument), `--`
// ending the flags, the last repetition winning, `_` read as `-` in names (component-base's
// WordSepNormalizeFunc, which agnhost's cli.Run installs), and pflag's error texts. The logging
// flags component-base adds to every agnhost command (`-v`, `--vmodule`, ...) are accepted and
// ignored: agnhost's own output does not go through klog.
import { goQuote } from '../apimachinery/go-format.js';
import { goParseBool, goParseIntBase0 } from './strconv.js';

type Kind = 'int' | 'string' | 'bool';
type KindValue<K extends Kind> = K extends 'int' ? number : K extends 'bool' ? boolean : string;

export interface FlagDef<K extends Kind = Kind> {
  kind: K;
  def: KindValue<K>;
  usage: string;
}

export const intFlag = (def: number, usage: string): FlagDef<'int'> => ({ kind: 'int', def, usage });
export const stringFlag = (def: string, usage: string): FlagDef<'string'> => ({ kind: 'string', def, usage });
export const boolFlag = (def: boolean, usage: string): FlagDef<'bool'> => ({ kind: 'bool', def, usage });

export type FlagSet = Record<string, FlagDef>;
export type FlagValues<S extends FlagSet> = { [N in keyof S]: S[N] extends FlagDef<infer K> ? KindValue<K> : never };

export interface ParsedFlags<S extends FlagSet> {
  flags: FlagValues<S>;
  /** Positional arguments (agnhost's commands take none). */
  args: string[];
  /** -h / --help was given. */
  help: boolean;
}

/** A command line cobra refuses: the message is what follows `Error: `. */
export class FlagError extends Error {}

/** component-base's logging flags: value-taking ones, and `-v`'s shorthand. */
const LOGGING_FLAGS = new Set([
  'v',
  'vmodule',
  'log-flush-frequency',
  'log-dir',
  'log-file',
  'log-file-max-size',
  'log-backtrace-at',
  'stderrthreshold',
  'logging-format',
]);
const LOGGING_BOOL_FLAGS = new Set(['logtostderr', 'alsologtostderr', 'add-dir-header', 'skip-headers', 'skip-log-headers', 'one-output']);

export function parseFlags<S extends FlagSet>(argv: readonly string[], set: S): ParsedFlags<S> {
  const flags: Record<string, number | string | boolean> = {};
  for (const [name, def] of Object.entries(set)) flags[name] = def.def;
  const args: string[] = [];
  let help = false;
  const assign = (name: string, def: FlagDef, value: string) => {
    try {
      flags[name] = def.kind === 'int' ? goParseIntBase0(value) : def.kind === 'bool' ? goParseBool(value) : value;
    } catch (e) {
      throw new FlagError(`invalid argument ${goQuote(value)} for "--${name}" flag: ${(e as Error).message}`);
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = (eq < 0 ? arg.slice(2) : arg.slice(2, eq)).replaceAll('_', '-');
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      if (name === '' || name.startsWith('-') || name.startsWith('=')) throw new FlagError(`bad flag syntax: ${arg}`);
      if (name === 'help') {
        help = inline === undefined ? true : parseHelp(inline);
        continue;
      }
      const def = set[name];
      if (def?.kind === 'bool' || LOGGING_BOOL_FLAGS.has(name)) {
        if (def) assign(name, def, inline ?? 'true');
        continue;
      }
      if (!def && !LOGGING_FLAGS.has(name)) throw new FlagError(`unknown flag: --${name}`);
      let value = inline;
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: --${name}`);
        value = argv[++i]!;
      }
      if (def) assign(name, def, value);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // Shorthands: only cobra's -h and klog's -v exist; -v takes the rest of the word or the next argument.
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j]!;
        if (c === 'h') help = true;
        else if (c === 'v') {
          if (j + 1 < arg.length) break;
          if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: 'v' in -${arg.slice(1)}`);
          i++;
          break;
        } else throw new FlagError(`unknown shorthand flag: '${c}' in ${arg}`);
      }
      continue;
    }
    args.push(arg);
  }
  return { flags: flags as FlagValues<S>, args, help };
}

function parseHelp(value: string): boolean {
  try {
    return goParseBool(value);
  } catch (e) {
    throw new FlagError(`invalid argument ${goQuote(value)} for "-h, --help" flag: ${(e as Error).message}`);
  }
}

/** pflag's FlagUsages: sorted, `--name type`, the usage and a non-zero default, aligned. */
export function flagUsages(set: FlagSet, command: string): string {
  const rows: [string, string][] = Object.entries(set).map(([name, def]) => {
    const left = `      --${name}${def.kind === 'bool' ? '' : ` ${def.kind}`}`;
    const shown = typeof def.def === 'string' ? (def.def ? goQuote(def.def) : '') : def.def ? String(def.def) : '';
    return [left, `${def.usage}${shown ? ` (default ${shown})` : ''}`];
  });
  rows.push(['  -h, --help', `help for ${command}`]);
  rows.sort(([a], [b]) => (a.replace(/^ *(-h, )?--/, '') < b.replace(/^ *(-h, )?--/, '') ? -1 : 1));
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => `${l.padEnd(width)}   ${r}`).join('\n') + '\n';
}
