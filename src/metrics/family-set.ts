import { ConfigError } from "../errors.ts";
import type { MetricFamily, MetricType } from "./openmetrics.ts";

/** How one family is declared: its name after the prefix, and its metadata. */
export interface FamilySpec {
  name: string;
  type: MetricType;
  help: string;
  unit?: string;
}

/** Labels in the order they are written. */
export type Labels = ReadonlyArray<readonly [string, string]>;

/** A counter family (its samples get `_total`); `unit` must be the name's last part. */
export function counter(name: string, help: string, unit?: string): FamilySpec {
  return unit === undefined ? { name, type: "counter", help } : { name, type: "counter", help, unit };
}

/** A gauge family; `unit` must be the name's last part. */
export function gauge(name: string, help: string, unit?: string): FamilySpec {
  return unit === undefined ? { name, type: "gauge", help } : { name, type: "gauge", help, unit };
}

/**
 * Families in first-seen order, with samples from any number of stats sources. A source's own
 * labels (say `consumer="orders"`) come first on each of its samples; two sources writing the same
 * series are refused, because an exposition with a duplicate series is invalid.
 */
export class FamilySet {
  readonly #prefix: string;
  readonly #families = new Map<string, MetricFamily>();
  readonly #seen = new Set<string>();

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  add(spec: FamilySpec, base: ReadonlyArray<readonly [string, string]>, value: number, labels: ReadonlyArray<readonly [string, string]> = []): void {
    const name = `${this.#prefix}_${spec.name}`;
    let family = this.#families.get(name);
    if (family === undefined) {
      family = { name, type: spec.type, help: spec.help, unit: spec.unit, samples: [] };
      this.#families.set(name, family);
    }
    const all = [...base, ...labels];
    const key = `${name}${JSON.stringify(all)}`;
    if (this.#seen.has(key)) {
      throw new ConfigError("labels", `two stats sources both write ${name} with the same labels: give each source its own labels`);
    }
    this.#seen.add(key);
    family.samples.push({ labels: all, value });
  }

  /** Declare a family that may have no samples (errors before the first one), so scrapers see it. */
  declare(spec: FamilySpec): void {
    const name = `${this.#prefix}_${spec.name}`;
    if (!this.#families.has(name)) this.#families.set(name, { name, type: spec.type, help: spec.help, unit: spec.unit, samples: [] });
  }

  families(): MetricFamily[] {
    return [...this.#families.values()];
  }
}
