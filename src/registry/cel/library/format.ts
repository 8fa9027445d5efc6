// Kubernetes' CEL format library (apiserver/pkg/cel/library/format.go): named string validations,
// `format.dns1123Label().validate(s)` (none when valid, else the messages) and `format.named(name)`.
import { Optional, type Environment } from '@marcbachmann/cel-js';
import {
  isQualifiedName,
  isValidLabelValue,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
} from '../../../apimachinery/validation.js';
import { validatesFormat } from '../../apiextensions/schema/formats.js';
import { parseGoURL } from './urls.js';

export class CelFormat {
  constructor(
    readonly name: string,
    readonly validate: (s: string) => string[],
  ) {}
}

const strfmt = (format: string, message: string) => (s: string) => (validatesFormat(format, s) ? [] : [message]);

const FORMATS: Record<string, CelFormat> = {
  dns1123Label: new CelFormat('DNS1123Label', (s) => nameIsDNSLabel(s, false)),
  dns1123Subdomain: new CelFormat('DNS1123Subdomain', (s) => nameIsDNSSubdomain(s, false)),
  dns1035Label: new CelFormat('DNS1035Label', (s) => nameIsDNS1035Label(s, false)),
  qualifiedName: new CelFormat('QualifiedName', isQualifiedName),
  dns1123LabelPrefix: new CelFormat('DNS1123LabelPrefix', (s) => nameIsDNSLabel(s, true)),
  dns1123SubdomainPrefix: new CelFormat('DNS1123SubdomainPrefix', (s) => nameIsDNSSubdomain(s, true)),
  dns1035LabelPrefix: new CelFormat('DNS1035LabelPrefix', (s) => nameIsDNS1035Label(s, true)),
  labelValue: new CelFormat('LabelValue', isValidLabelValue),
  uri: new CelFormat('URI', (s) => {
    const u = parseGoURL(s, true);
    return typeof u === 'string' ? [u] : [];
  }),
  uuid: new CelFormat('uuid', strfmt('uuid', 'does not match the UUID format')),
  byte: new CelFormat('byte', strfmt('byte', 'invalid base64')),
  date: new CelFormat('date', strfmt('date', 'invalid date')),
  datetime: new CelFormat('datetime', strfmt('datetime', 'invalid datetime')),
};

class FormatNamespace {}

export function registerFormat(env: Environment): void {
  const F = 'kubernetes.NamedFormat';
  env
    .registerType(F, CelFormat)
    .registerType('FormatNamespace', FormatNamespace)
    .registerConstant('format', 'FormatNamespace', new FormatNamespace())
    .registerFunction(`FormatNamespace.named(string): optional<${F}>`, (_: unknown, name: string) =>
      Object.hasOwn(FORMATS, name) ? Optional.of(FORMATS[name]) : Optional.none(),
    )
    .registerFunction(`${F}.validate(string): optional<list<string>>`, (f: CelFormat, s: string) => {
      const errs = f.validate(s);
      return errs.length ? Optional.of(errs) : Optional.none();
    });
  for (const [name, f] of Object.entries(FORMATS)) env.registerFunction(`FormatNamespace.${name}(): ${F}`, () => f);
}
