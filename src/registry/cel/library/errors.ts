// Errors a library function raises at evaluation; the rule's result is then this error, reported
// as `<message> evaluating rule: <rule>`.
import { EvaluationError } from '@marcbachmann/cel-js';

export const celError = (message: string): Error => new EvaluationError(message);
