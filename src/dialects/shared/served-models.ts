/** A dialect's own model name -> the canonical model it asks for, when this server serves it. */
import { AppError } from '../../domain/errors.ts';

/**
 * `table` maps each wire name of the dialect to a canonical model; `served` is what the server's
 * config serves. An unknown or unserved name fails naming the wire names that would work.
 */
export function canonicalModel(name: string, table: Readonly<Record<string, string>>, served: readonly string[]): string {
  const canonical = Object.hasOwn(table, name) ? table[name] : undefined;
  if (canonical === undefined || !served.includes(canonical)) {
    const available = Object.entries(table).filter(([, m]) => served.includes(m)).map(([wire]) => wire);
    const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
    throw new AppError('invalid_parameter', `model '${shown}' is not available; available models: ${available.join(', ') || 'none'}`, { field: 'model' });
  }
  return canonical;
}
