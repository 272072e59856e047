/**
 * A request body already serialised as JSON and encoded as UTF-8. `AwsJsonClient.call` signs and
 * sends these bytes as they are, instead of running `JSON.stringify` and letting the signer and the
 * transport encode the text once each: the producer writes its PutRecords bodies (hundreds of base64
 * strings and partition keys) straight into one byte array.
 */
export class EncodedJson {
  readonly bytes: Uint8Array<ArrayBuffer>;

  constructor(bytes: Uint8Array<ArrayBuffer>) {
    this.bytes = bytes;
  }
}
