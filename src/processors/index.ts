export type { AggregatedRecord, Aggregator, Processor } from "./types.ts";
export { BytesProcessor } from "./bytes.ts";
export { JsonLineProcessor, JsonListProcessor, JsonProcessor } from "./json.ts";
export { KPLJsonProcessor, KPLStringProcessor } from "./kpl.ts";
export { type MsgpackCodec, MsgpackProcessor } from "./msgpack.ts";
export { StringProcessor } from "./string.ts";
