// The schema of a kind as strict decoding (decode.ts) and patching (patch/) walk it: a structural
// OpenAPI v3 schema, dereferenced (nested schemas inline, no `$ref`), with upstream's
// x-kubernetes-* extensions. src/api/generated builds one per definition of upstream's OpenAPI
// (`schemas.Pod` of core/v1, `schemaOf(name)`); the objects are shared by every caller, hence
// read-only here. Recursive types (JSONSchemaProps) contain cycles: walk schemas along data.
export type Schema = {
  readonly type?: string;
  readonly format?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly additionalProperties?: Schema | boolean;
  /** Upstream's definition name of a named type (io.k8s.api.core.v1.ServicePort). */
  readonly 'x-tinykube-name'?: string;
  /** The Go type upstream's json decode errors name, where x-tinykube-name does not tell (v1.Protocol). */
  readonly 'x-tinykube-go'?: string;
  readonly [keyword: string]: unknown;
};
