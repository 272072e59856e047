import { type AggregatedRecord, type Aggregator, KPLStringProcessor, type Processor, StringProcessor } from "../index.ts";

/** One line of `put`'s input, kept whole so a record that fails can be named by its line number. */
export interface InputLine {
  /** 1-based line number in the input. */
  readonly line: number;
  /** The line as read (already checked to be JSON, unless `--processor string`): sent as is. */
  readonly text: string;
}

/**
 * Sends each line's text unchanged (what the user wrote is what the stream gets), one record per line
 * or KPL-aggregated, while the producer keeps the `InputLine` as the item: its `PutFailedError` then
 * says which lines failed.
 */
export class InputLineProcessor implements Processor<InputLine> {
  readonly #text: Processor<string>;

  constructor(aggregate: boolean) {
    this.#text = aggregate ? new KPLStringProcessor() : new StringProcessor();
  }

  parse(data: Uint8Array): InputLine[] {
    return this.#text.parse(data).map((text) => ({ line: 0, text }));
  }

  aggregator(maxBytes: number): Aggregator<InputLine> {
    const inner = this.#text.aggregator(maxBytes);
    return {
      add: (item: InputLine, partitionKey: string, explicitHashKey?: string): boolean => inner.add(item.text, partitionKey, explicitHashKey),
      get count(): number {
        return inner.count;
      },
      get size(): number {
        return inner.size;
      },
      flush: (): AggregatedRecord | undefined => inner.flush(),
    };
  }
}
