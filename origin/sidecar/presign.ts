/**
 * Presigned S3 GET URLs for finished videos (MEDIA_ORIGIN §6): query-signed with aws4fetch, service s3, the
 * bucket's own region, a fixed lifetime. Each key segment is encoded once (S3 is not double-encoded).
 */
import { awsClient, type CredentialSource } from "./aws.ts";
import type { SidecarConfig } from "./config.ts";

const encodeSegment = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

export async function presignGet(config: SidecarConfig, creds: CredentialSource, o: { bucket: string; region: string; key: string }): Promise<{ url: string; expiresAt: Date }> {
  const path = o.key.split("/").map(encodeSegment).join("/");
  const url = new URL(config.s3Endpoint ? `${config.s3Endpoint}/${o.bucket}/${path}` : `https://${o.bucket}.s3.${o.region}.amazonaws.com/${path}`);
  url.searchParams.set("X-Amz-Expires", String(config.urlTtlSeconds));
  const aws = await awsClient(creds, "s3", o.region);
  const signed = await aws.sign(url.toString(), { method: "GET", aws: { signQuery: true } });
  return { url: signed.url, expiresAt: new Date(Date.now() + config.urlTtlSeconds * 1000) };
}
