/**
 * The `<PostResponse>` of a browser form upload answered with success_action_status 201.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
 */
import { renderXml } from "./xml";

export function postResponseDocument(r: { location: string; bucket: string; key: string; etag: string }): string {
  return renderXml("PostResponse", { Location: r.location, Bucket: r.bucket, Key: r.key, ETag: r.etag }, { xmlns: false });
}
