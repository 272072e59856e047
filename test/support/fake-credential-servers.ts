import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a fake server received, body read in full. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface FakeServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export type FakeHandler = (request: SeenRequest) => { status?: number; body: string; contentType?: string };

/** An HTTP server on 127.0.0.1 (ephemeral port) answering every request with `handler`. */
export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const seen: SeenRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(seen);
      const answer = handler(seen);
      res.writeHead(answer.status ?? 200, { "content-type": answer.contentType ?? "text/plain" });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface FakeKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: string;
}

/** A fake STS: AssumeRole / AssumeRoleWithWebIdentity answer `keys` (per action), as the query protocol's XML. */
export function startFakeSts(keysFor: (form: URLSearchParams, request: SeenRequest) => FakeKeys | { errorCode: string; message: string }): Promise<FakeServer> {
  return startFakeServer((request) => {
    const form = new URLSearchParams(request.body);
    const action = form.get("Action") ?? "";
    const keys = keysFor(form, request);
    if ("errorCode" in keys) {
      return {
        status: 403,
        contentType: "text/xml",
        body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${keys.errorCode}</Code><Message>${
          escapeXml(keys.message)
        }</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
      };
    }
    return {
      contentType: "text/xml",
      body: `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result>` +
        `<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>` +
        `<Credentials><AccessKeyId>${keys.accessKeyId}</AccessKeyId><SecretAccessKey>${escapeXml(keys.secretAccessKey)}</SecretAccessKey>` +
        `<SessionToken>${escapeXml(keys.sessionToken)}</SessionToken><Expiration>${keys.expiration}</Expiration></Credentials>` +
        `</${action}Result><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></${action}Response>`,
    };
  });
}

/** A fake EC2 instance metadata service, IMDSv2: a token from PUT, then the role and its credentials with that token. */
export function startFakeImds(role: string, keys: () => FakeKeys): Promise<FakeServer> {
  const token = "imds-session-token";
  return startFakeServer((request) => {
    if (request.method === "PUT" && request.path === "/latest/api/token") {
      return request.headers["x-aws-ec2-metadata-token-ttl-seconds"] === undefined ? { status: 400, body: "" } : { body: token };
    }
    if (request.headers["x-aws-ec2-metadata-token"] !== token) return { status: 401, body: "" };
    if (request.method === "GET" && request.path === "/latest/meta-data/iam/security-credentials/") return { body: `${role}\n` };
    if (request.method === "GET" && request.path === `/latest/meta-data/iam/security-credentials/${role}`) {
      return { contentType: "application/json", body: metadataJson(keys()) };
    }
    return { status: 404, body: "" };
  });
}

/** The JSON the ECS/EKS agents and IMDS answer with. */
export function metadataJson(keys: FakeKeys): string {
  return JSON.stringify({
    Code: "Success",
    LastUpdated: new Date().toISOString(),
    Type: "AWS-HMAC",
    AccessKeyId: keys.accessKeyId,
    SecretAccessKey: keys.secretAccessKey,
    Token: keys.sessionToken,
    Expiration: keys.expiration,
  });
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
