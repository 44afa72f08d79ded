/**
 * THE error table: every S3 error code this service answers, with its HTTP status and
 * default message (AWS S3 API reference, "Error responses" / "List of error codes").
 * Lower layers throw `S3Error("Code")`; the pipeline renders it once as XML.
 */
export const ERRORS = {
  AccessDenied: [403, "Access Denied"],
  AccessForbidden: [403, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."],
  AccountProblem: [403, "There is a problem with your account that prevents the operation from completing successfully."],
  AuthorizationHeaderMalformed: [400, "The authorization header is malformed."],
  AuthorizationQueryParametersError: [400, "Error parsing the X-Amz-Credential parameter."],
  BadDigest: [400, "The Content-MD5 you specified did not match what we received."],
  BadRequest: [400, "Bad Request"],
  BucketAlreadyExists: [409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."],
  BucketAlreadyOwnedByYou: [409, "Your previous request to create the named bucket succeeded and you already own it."],
  BucketNotEmpty: [409, "The bucket you tried to delete is not empty."],
  ConditionalRequestConflict: [409, "A conflicting operation occurred. If using PutObject you can retry the request."],
  CORSResponse: [403, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."],
  EntityTooLarge: [400, "Your proposed upload exceeds the maximum allowed object size."],
  EntityTooSmall: [400, "Your proposed upload is smaller than the minimum allowed object size."],
  ExpiredToken: [400, "The provided token has expired."],
  IllegalLocationConstraintException: [400, "The specified location-constraint is not valid."],
  IllegalVersioningConfigurationException: [400, "The versioning configuration specified in the request is invalid."],
  IncompleteBody: [400, "You did not provide the number of bytes specified by the Content-Length HTTP header."],
  InlineDataTooLarge: [400, "Inline data exceeds the maximum allowed size."],
  InternalError: [500, "We encountered an internal error. Please try again."],
  InvalidAccessKeyId: [403, "The AWS Access Key Id you provided does not exist in our records."],
  InvalidArgument: [400, "Invalid Argument"],
  InvalidBucketName: [400, "The specified bucket is not valid."],
  InvalidBucketState: [409, "The request is not valid with the current state of the bucket."],
  InvalidDigest: [400, "The Content-MD5 you specified is not valid."],
  InvalidEncryptionAlgorithmError: [400, "The encryption request you specified is not valid. The valid value is AES256."],
  InvalidLocationConstraint: [400, "The specified location constraint is not valid."],
  InvalidObjectState: [403, "The operation is not valid for the current state of the object."],
  InvalidPart: [400, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."],
  InvalidPartOrder: [400, "The list of parts was not in ascending order. Parts must be ordered by part number."],
  InvalidPartNumber: [416, "The requested partnumber is not satisfiable"],
  InvalidPolicyDocument: [400, "The content of the form does not meet the conditions specified in the policy document."],
  InvalidRange: [416, "The requested range is not satisfiable"],
  InvalidRequest: [400, "Invalid Request"],
  InvalidStorageClass: [400, "The storage class you specified is not valid."],
  InvalidTag: [400, "The tag provided was not a valid tag."],
  InvalidToken: [400, "The provided token is malformed or otherwise invalid."],
  InvalidURI: [400, "Couldn't parse the specified URI."],
  KeyTooLongError: [400, "Your key is too long."],
  MalformedACLError: [400, "The XML you provided was not well-formed or did not validate against our published schema."],
  MalformedPOSTRequest: [400, "The body of your POST request is not well-formed multipart/form-data."],
  MalformedXML: [400, "The XML you provided was not well-formed or did not validate against our published schema."],
  MaxMessageLengthExceeded: [400, "Your request was too big."],
  MaxPostPreDataLengthExceededError: [400, "Your POST request fields preceding the upload file were too large."],
  MetadataTooLarge: [400, "Your metadata headers exceed the maximum allowed metadata size."],
  MethodNotAllowed: [405, "The specified method is not allowed against this resource."],
  MissingContentLength: [411, "You must provide the Content-Length HTTP header."],
  MissingRequestBodyError: [400, "Request Body is empty."],
  MissingSecurityHeader: [400, "Your request is missing a required header."],
  NoSuchBucket: [404, "The specified bucket does not exist."],
  NoSuchBucketPolicy: [404, "The bucket policy does not exist."],
  NoSuchCORSConfiguration: [404, "The CORS configuration does not exist."],
  NoSuchKey: [404, "The specified key does not exist."],
  NoSuchLifecycleConfiguration: [404, "The lifecycle configuration does not exist."],
  NoSuchTagSet: [404, "The TagSet does not exist."],
  NoSuchUpload: [404, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed."],
  NoSuchVersion: [404, "The specified version does not exist."],
  NotImplemented: [501, "A header you provided implies functionality that is not implemented."],
  NotModified: [304, "Not Modified"],
  PreconditionFailed: [412, "At least one of the pre-conditions you specified did not hold."],
  RequestTimeTooSkewed: [403, "The difference between the request time and the server's time is too large."],
  ServiceUnavailable: [503, "Please reduce your request rate."],
  SignatureDoesNotMatch: [403, "The request signature we calculated does not match the signature you provided. Check your key and signing method."],
  TooManyBuckets: [400, "You have attempted to create more buckets than allowed."],
  TooManyVersions: [400, "The object has reached the maximum number of versions allowed (1000)."],
  UnexpectedContent: [400, "This request does not support content."],
  UnresolvableGrantByEmailAddress: [400, "The email address you provided does not match any account on record."],
  XAmzContentSHA256Mismatch: [400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
  InvalidChecksum: [400, "The checksum you specified is not valid."],
  // Admin API (not S3, but rendered the same way so clients see one error shape).
  AdminUnauthorized: [401, "A valid admin bearer token is required."],
  NoSuchUser: [404, "The specified user does not exist."],
  NoSuchAccessKey: [404, "The specified access key does not exist."],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof ERRORS;

/** Extra elements rendered inside <Error> (BucketName, Key, CanonicalRequest, ...). */
export type ErrorDetails = Record<string, string | number | undefined>;

export class S3Error extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details: ErrorDetails = {},
    /** Response headers to add (e.g. x-amz-delete-marker on a 405, Allow). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? ERRORS[code][1]);
    this.name = "S3Error";
    this.status = ERRORS[code][0];
  }
}

export function isS3Error(e: unknown): e is S3Error {
  return e instanceof S3Error;
}

/** EntityTooLarge that says which limit was exceeded and its size in bytes (and keeps S3's detail elements). */
export function entityTooLarge(proposedSize: number, maxSizeAllowed: number, limit: string): S3Error {
  return new S3Error(
    "EntityTooLarge",
    `Your proposed upload exceeds the maximum allowed size: ${proposedSize} bytes is more than ${limit} of ${maxSizeAllowed} bytes.`,
    { ProposedSize: proposedSize, MaxSizeAllowed: maxSizeAllowed },
  );
}

/** TooManyBuckets that gives the owner's bucket quota. */
export function tooManyBuckets(maxBuckets: number): S3Error {
  return new S3Error(
    "TooManyBuckets",
    `You have attempted to create more buckets than allowed: your quota is ${maxBuckets} bucket${maxBuckets === 1 ? "" : "s"} (an administrator can raise it).`,
  );
}
