/**
 * THE error catalogue (modelled on MinIO's cmd/api-errors.go): every error this service answers,
 * S3 and admin API alike, keyed by *reason*.
 *
 * - `CODES`: each error code with its HTTP status (as AWS documents it: S3 API reference, "Error
 *   responses") and default message. A code is itself a reason: `new S3Error("NoSuchKey")`.
 * - `REASONS`: the specific reasons (camelCase), each naming its code and its message, a template when
 *   the message needs values: `new S3Error("maxKeysNotInteger", undefined, { ArgumentName: ... })`,
 *   `new S3Error("bucketQuota", { maxBuckets: 3 })`. A reason's status is its code's status, so
 *   the two cannot disagree.
 *
 * Throw sites never write message text. The pipeline renders an S3Error as S3 error XML, the admin
 * API as JSON (`{code, message}`); errors.test.ts fails on a row nothing uses.
 * Security: a template must never put a secret, a signature or an Authorization header value in the message.
 */
import type { Op } from "./operations";

export const CODES = {
  AccessDenied: [403, "Access Denied"],
  AccessForbidden: [
    403,
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
  ],
  AuthorizationHeaderMalformed: [400, "The authorization header is malformed."],
  AuthorizationQueryParametersError: [400, "Error parsing the X-Amz-Credential parameter."],
  BadDigest: [400, "The Content-MD5 you specified did not match what we received."],
  BadRequest: [400, "Bad Request"],
  BucketAlreadyExists: [
    409,
    "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
  ],
  BucketAlreadyOwnedByYou: [409, "Your previous request to create the named bucket succeeded and you already own it."],
  BucketNotEmpty: [409, "The bucket you tried to delete is not empty."],
  ConditionalRequestConflict: [409, "A conflicting operation occurred. If using PutObject you can retry the request."],
  EntityTooLarge: [400, "Your proposed upload exceeds the maximum allowed object size."],
  EntityTooSmall: [400, "Your proposed upload is smaller than the minimum allowed object size."],
  IllegalVersioningConfigurationException: [400, "The versioning configuration specified in the request is invalid."],
  IncompleteBody: [400, "You did not provide the number of bytes specified by the Content-Length HTTP header."],
  InternalError: [500, "We encountered an internal error. Please try again."],
  InvalidAccessKeyId: [403, "The AWS Access Key Id you provided does not exist in our records."],
  InvalidArgument: [400, "Invalid Argument"],
  InvalidBucketState: [409, "The request is not valid with the current state of the bucket."],
  InvalidBucketName: [400, "The specified bucket is not valid."],
  InvalidDigest: [400, "The Content-MD5 you specified is not valid."],
  InvalidEncryptionAlgorithmError: [400, "The encryption request you specified is not valid. The valid value is AES256."],
  IllegalLocationConstraintException: [400, "The location constraint is incompatible for the region specific endpoint this request was sent to."],
  InvalidLocationConstraint: [400, "The specified location constraint is not valid."],
  InvalidPart: [
    400,
    "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.",
  ],
  InvalidPartOrder: [400, "The list of parts was not in ascending order. Parts must be ordered by part number."],
  InvalidPartNumber: [416, "The requested partnumber is not satisfiable"],
  InvalidPolicyDocument: [400, "The content of the form does not meet the conditions specified in the policy document."],
  InvalidRange: [416, "The requested range is not satisfiable"],
  InvalidRequest: [400, "Invalid Request"],
  InvalidStorageClass: [400, "The storage class you specified is not valid."],
  InvalidTag: [400, "The tag provided was not a valid tag."],
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
  MissingSecurityHeader: [400, "Your request is missing a required header."],
  NoSuchBucket: [404, "The specified bucket does not exist."],
  NoSuchBucketPolicy: [404, "The bucket policy does not exist."],
  NoSuchPublicAccessBlockConfiguration: [404, "The public access block configuration was not found."],
  OwnershipControlsNotFoundError: [404, "The bucket ownership controls were not found."],
  MalformedPolicy: [400, "Policies must be valid JSON and the first byte must be '{'"],
  AccessControlListNotSupported: [400, "The bucket does not allow ACLs"],
  InvalidBucketAclWithObjectOwnership: [400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"],
  NoSuchCORSConfiguration: [404, "The CORS configuration does not exist."],
  NoSuchKey: [404, "The specified key does not exist."],
  NoSuchLifecycleConfiguration: [404, "The lifecycle configuration does not exist."],
  NoSuchObjectLockConfiguration: [404, "The specified object does not have a ObjectLock configuration."],
  NoSuchTagSet: [404, "The TagSet does not exist."],
  NoSuchUpload: [
    404,
    "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.",
  ],
  NoSuchVersion: [404, "The specified version does not exist."],
  NotImplemented: [501, "A header you provided implies functionality that is not implemented."],
  ObjectLockConfigurationNotFoundError: [404, "Object Lock configuration does not exist for this bucket."],
  PermanentRedirect: [
    301,
    "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
  ],
  ReplicationConfigurationNotFoundError: [404, "The replication configuration was not found"],
  PreconditionFailed: [412, "At least one of the pre-conditions you specified did not hold."],
  RequestTimeTooSkewed: [403, "The difference between the request time and the server's time is too large."],
  ServiceUnavailable: [503, "Please reduce your request rate."],
  SignatureDoesNotMatch: [403, "The request signature we calculated does not match the signature you provided. Check your key and signing method."],
  TooManyBuckets: [400, "You have attempted to create more buckets than allowed."],
  TooManyVersions: [400, "The object has reached the maximum number of versions allowed (1000)."],
  UnexpectedContent: [400, "This request does not support content."],
  UnresolvableGrantByEmailAddress: [400, "The email address you provided does not match any account on record."],
  XAmzContentSHA256Mismatch: [400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
  // Admin API only (JSON under /_admin; not S3 codes).
  AdminUnauthorized: [401, "A valid admin bearer token is required."],
  NoSuchUser: [404, "The specified user does not exist."],
  NoSuchAccessKey: [404, "The specified access key does not exist."],
  UserAlreadyExists: [409, "A user with that display name or email already exists."],
  UserOwnsBuckets: [409, "Delete the user's buckets first."],
  NotFound: [404, "No such admin endpoint."],
  NoSuchDeadLetter: [404, "The specified dead-lettered job does not exist (replayed already?)."],
  NotConfigured: [503, "This sos-worker deployment is not set up."],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof CODES;

/** Extra elements rendered inside <Error> (BucketName, Key, CanonicalRequest, ...). */
export type ErrorDetails = Record<string, string | number | undefined>;

interface Row {
  code: ErrorCode;
  /** The message, or a template of the reason's parameters. */
  message: string | ((p: never) => string);
  /** <Error> elements the reason always carries, from its parameters. */
  details?: (p: never) => ErrorDetails;
}

const AUTH_HEADER = "The authorization header is malformed; ";
const AUTH_QUERY = "Error parsing the X-Amz-Credential parameter; ";
const CREDENTIAL_FORM = `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`;
const CREDENTIAL_DATE = "Invalid credential date. Date is not the same as X-Amz-Date.";
const wrongService = (p: { service: string }) => `incorrect service "${p.service}". This endpoint belongs to "s3".`;
const wrongTerminal = (p: { terminal: string }) => `incorrect terminal "${p.terminal}". This endpoint uses "aws4_request".`;
const wrongRegion = (p: { region: string; expected: string }) => `the region '${p.region}' is wrong; expecting '${p.expected}'`;
const SSEC_MISSING = "Requests specifying Server Side Encryption with Customer provided keys must provide";
const AMZ_DATE_FORM = `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`;
const TAGGING_HEADER = "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.";
const PART_NUMBER_RANGE = "Part number must be an integer between 1 and 10000, inclusive";
const notInteger = (name: string) => `Provided ${name} not an integer or within integer range`;
const bucketPostField = (name: string) => `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`;

export const REASONS = {
  // ---- authentication (src/auth)
  authMechanismConflict: {
    code: "InvalidArgument",
    message:
      "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
  },
  authTypeUnsupported: { code: "InvalidArgument", message: "Unsupported Authorization Type" },
  authDateMissing: { code: "AccessDenied", message: "AWS authentication requires a valid Date or x-amz-date header" },
  requestExpired: { code: "AccessDenied", message: "Request has expired" },
  headersNotSigned: { code: "AccessDenied", message: "There were headers present in the request which were not signed" },
  contentSha256Missing: { code: "InvalidRequest", message: "Missing required header for this request: x-amz-content-sha256" },
  contentSha256Invalid: {
    code: "InvalidArgument",
    message:
      "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a valid sha256 value.",
  },
  sigV4aUnsupported: { code: "NotImplemented", message: "Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not supported." },
  headerCredentialMalformed: { code: "AuthorizationHeaderMalformed", message: AUTH_HEADER + CREDENTIAL_FORM },
  headerCredentialService: { code: "AuthorizationHeaderMalformed", message: (p: { service: string }) => AUTH_HEADER + wrongService(p) },
  headerCredentialTerminal: { code: "AuthorizationHeaderMalformed", message: (p: { terminal: string }) => AUTH_HEADER + wrongTerminal(p) },
  headerCredentialRegion: {
    code: "AuthorizationHeaderMalformed",
    message: (p: { region: string; expected: string }) => AUTH_HEADER + wrongRegion(p),
    details: (p: { expected: string }) => ({ Region: p.expected }),
  },
  headerCredentialDate: { code: "AuthorizationHeaderMalformed", message: AUTH_HEADER + CREDENTIAL_DATE },
  queryCredentialMalformed: { code: "AuthorizationQueryParametersError", message: AUTH_QUERY + CREDENTIAL_FORM },
  queryCredentialService: { code: "AuthorizationQueryParametersError", message: (p: { service: string }) => AUTH_QUERY + wrongService(p) },
  queryCredentialTerminal: { code: "AuthorizationQueryParametersError", message: (p: { terminal: string }) => AUTH_QUERY + wrongTerminal(p) },
  queryCredentialRegion: {
    code: "AuthorizationQueryParametersError",
    message: (p: { region: string; expected: string }) => AUTH_QUERY + wrongRegion(p),
    details: (p: { expected: string }) => ({ Region: p.expected }),
  },
  queryCredentialDate: { code: "AuthorizationQueryParametersError", message: AUTH_QUERY + CREDENTIAL_DATE },
  // The malformed component is not echoed: it is part of the Authorization header.
  authHeaderType: { code: "AuthorizationHeaderMalformed", message: AUTH_HEADER + 'the authorization type must be "AWS4-HMAC-SHA256".' },
  authHeaderComponent: { code: "AuthorizationHeaderMalformed", message: AUTH_HEADER + "an authorization component is malformed (expected name=value)." },
  authHeaderParameterMissing: {
    code: "AuthorizationHeaderMalformed",
    message: (p: { name: string }) => `${AUTH_HEADER}Authorization header requires '${p.name}' parameter.`,
  },
  presignedParametersMissing: {
    code: "AuthorizationQueryParametersError",
    message:
      "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
  },
  presignedAlgorithm: { code: "AuthorizationQueryParametersError", message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"' },
  presignedDate: { code: "AuthorizationQueryParametersError", message: AMZ_DATE_FORM },
  presignedExpiresNotNumber: { code: "AuthorizationQueryParametersError", message: "X-Amz-Expires should be a number" },
  presignedExpiresNegative: { code: "AuthorizationQueryParametersError", message: "X-Amz-Expires must be non-negative" },
  presignedExpiresZero: { code: "AuthorizationQueryParametersError", message: "X-Amz-Expires must be at least 1 second" },
  presignedExpiresTooLong: {
    code: "AuthorizationQueryParametersError",
    message: (p: { max: number }) => `X-Amz-Expires must be less than a week (in seconds) that is ${p.max}`,
  },
  sigV2HeaderInvalid: { code: "InvalidArgument", message: "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature" },
  sigV2QueryParametersMissing: { code: "AccessDenied", message: "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters" },
  sigV2ExpiresInvalid: { code: "AccessDenied", message: (p: { expires: string }) => "Invalid date (should be seconds since epoch): " + p.expires },
  accessKeyDisabled: { code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided is disabled." },
  decodedLengthMissing: { code: "MissingContentLength", message: "You must provide the x-amz-decoded-content-length header with aws-chunked uploads." },
  decodedLengthInvalid: { code: "InvalidArgument", message: "x-amz-decoded-content-length is not a valid length." },
  trailerUnsupported: {
    code: "InvalidRequest",
    message: (p: { header: string }) => `The value specified in the x-amz-trailer header is not supported: ${p.header}`,
  },
  trailerChecksumMissing: { code: "InvalidRequest", message: "The x-amz-trailer header named a checksum the body did not carry." },
  requestTooBig: { code: "MaxMessageLengthExceeded", message: (p: { maxBytes: number }) => `Your request was too big (more than ${p.maxBytes} bytes).` },
  // aws-chunked bodies (src/auth/chunked.ts)
  chunkedNeedsSigV4: { code: "InvalidRequest", message: (p: { mode: string }) => `${p.mode} requires AWS Signature Version 4 header authentication.` },
  chunkedLineTooLong: { code: "InvalidRequest", message: "aws-chunked line too long" },
  chunkedDataWithoutCrlf: { code: "InvalidRequest", message: "aws-chunked chunk data is not followed by CRLF" },
  chunkedDataAfterEnd: { code: "InvalidRequest", message: "aws-chunked body has data after the final chunk" },
  chunkedTrailerSignatureUnexpected: { code: "InvalidRequest", message: "x-amz-trailer-signature sent with an unsigned payload mode" },
  chunkedTrailersNotAllowed: { code: "InvalidRequest", message: "Trailing headers are not allowed with STREAMING-AWS4-HMAC-SHA256-PAYLOAD" },
  chunkedTrailerMissing: {
    code: "InvalidRequest",
    message: (p: { name: string }) => `The x-amz-trailer header names ${p.name} but the trailer did not carry it.`,
  },
  chunkedSizeInvalid: { code: "InvalidRequest", message: "Invalid aws-chunked chunk size" },
  chunkedSignatureMissing: { code: "InvalidRequest", message: "Missing chunk-signature in an aws-chunked chunk header" },
  chunkedChunkTooLarge: { code: "InvalidRequest", message: "aws-chunked chunk too large" },
  chunkedTrailerLineMalformed: { code: "InvalidRequest", message: "Malformed aws-chunked trailer line" },
  chunkedTooManyTrailers: { code: "InvalidRequest", message: "Too many aws-chunked trailers" },
  chunkedTrailerSignatureMissing: { code: "InvalidRequest", message: "Missing x-amz-trailer-signature in the aws-chunked trailer" },
  chunkedEndedEarly: { code: "IncompleteBody", message: "The aws-chunked body ended before its final chunk." },
  chunkedLengthMismatch: {
    code: "IncompleteBody",
    message: (p: { got: number; want: number }) => `The decoded body length (${p.got}) does not match x-amz-decoded-content-length (${p.want}).`,
  },
  // browser form uploads (POST Object, src/auth/post-form.ts, src/logic/{form-data,post-policy}.ts)
  postFieldMissing: {
    code: "InvalidArgument",
    message: (p: { name: string }) => bucketPostField(p.name),
    details: (p: { name: string }) => ({ ArgumentName: p.name, ArgumentValue: "" }),
  },
  postAlgorithm: { code: "InvalidArgument", message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"' },
  postDate: { code: "InvalidArgument", message: AMZ_DATE_FORM },
  postFieldControlCharacters: {
    code: "InvalidArgument",
    message: (p: { name: string; header: string }) =>
      `The value of the form field '${p.name}' (sent as the ${p.header} header) must not contain CR, LF or NUL characters.`,
  },
  postFileCount: { code: "InvalidArgument", message: "POST requires exactly one file upload per request." },
  postFileNotLast: { code: "MalformedPOSTRequest", message: "The file must be the last field of the form." },
  postFileNotLastBeforeClose: { code: "MalformedPOSTRequest", message: "The file must be the last field of the form, followed by the closing boundary." },
  policyInvalidJson: { code: "InvalidPolicyDocument", message: "Invalid Policy: Invalid JSON." },
  policyExpirationMissing: { code: "InvalidPolicyDocument", message: "Invalid Policy: Policy missing expiration." },
  policyExpirationInvalid: {
    code: "InvalidPolicyDocument",
    message: (p: { expiration: string }) => `Invalid Policy: Invalid 'expiration' value: '${p.expiration}'`,
  },
  policyConditionsMissing: { code: "InvalidPolicyDocument", message: "Invalid Policy: Policy missing conditions." },
  policyConditionsNotList: { code: "InvalidPolicyDocument", message: "Invalid Policy: Invalid 'conditions' value: must be a list." },
  policyConditionInvalid: { code: "InvalidPolicyDocument", message: (p: { condition: string }) => `Invalid Policy: Invalid Condition: ${p.condition}` },
  policyExpired: { code: "AccessDenied", message: "Invalid according to Policy: Policy expired." },
  policyConditionFailed: {
    code: "AccessDenied",
    message: (p: { condition: string }) => `Invalid according to Policy: Policy Condition failed: ${p.condition}`,
  },
  policyExtraFields: { code: "AccessDenied", message: (p: { fields: string[] }) => `Invalid according to Policy: Extra input fields: ${p.fields.join(", ")}` },
  // sizes and quotas
  entityTooLarge: {
    code: "EntityTooLarge",
    message: (p: { size: number; max: number; limit: string }) =>
      `Your proposed upload exceeds the maximum allowed size: ${p.size} bytes is more than ${p.limit} of ${p.max} bytes.`,
    details: (p: { size: number; max: number }) => ({ ProposedSize: p.size, MaxSizeAllowed: p.max }),
  },
  bucketQuota: {
    code: "TooManyBuckets",
    message: (p: { maxBuckets: number }) =>
      `You have attempted to create more buckets than allowed: your quota is ${p.maxBuckets} bucket${p.maxBuckets === 1 ? "" : "s"} (an administrator can raise it).`,
  },
  copySourceTooLarge: {
    code: "InvalidRequest",
    message: (p: { max: number }) => `The specified copy source is larger than the maximum allowable size for a copy source: ${p.max}`,
  },
  // names, keys, versions, listings
  bucketNameInvalid: { code: "InvalidBucketName", message: (p: { problem: string }) => `The specified bucket is not valid. ${p.problem}` },
  keyEmpty: { code: "InvalidArgument", message: "Object key must not be empty." },
  keyNotUtf8: { code: "InvalidArgument", message: "Object key must be valid UTF-8." },
  versionIdInvalid: { code: "InvalidArgument", message: "Invalid version id specified" },
  versionIdMarkerWithoutKeyMarker: { code: "InvalidArgument", message: "A version-id marker cannot be specified without a key marker." },
  versionIdMarkerEmpty: { code: "InvalidArgument", message: "A version-id marker cannot be empty." },
  notAnInteger: { code: "InvalidArgument", message: (p: { name: string }) => notInteger(p.name) },
  encodingTypeInvalid: { code: "InvalidArgument", message: "Invalid Encoding Method specified in Request" },
  continuationTokenInvalid: { code: "InvalidArgument", message: "The continuation token provided is incorrect" },
  partNumberInvalid: { code: "InvalidArgument", message: PART_NUMBER_RANGE },
  partNumberWithRange: { code: "InvalidRequest", message: "Cannot specify both Range header and partNumber query parameter" },
  locationConstraintIncompatible: {
    code: "IllegalLocationConstraintException",
    message: (p: { locationConstraint: string }) =>
      `The ${p.locationConstraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
  },
  maxBucketsRange: { code: "InvalidArgument", message: "Argument max-buckets must be an integer between 1 and 10000." },
  locationConstraintInvalid: {
    code: "InvalidLocationConstraint",
    message: (p: { zones: readonly string[] }) => `The specified location-constraint is not valid. Valid values: ${p.zones.join(", ")}.`,
  },
  // copies
  copySourceEncoding: { code: "InvalidArgument", message: "Invalid copy source encoding" },
  copySourceForm: { code: "InvalidArgument", message: "Copy Source must mention the source bucket and key: sourcebucket/sourcekey" },
  copySourceDeleteMarker: { code: "InvalidRequest", message: "The source of a copy request may not specifically refer to a delete marker by version id." },
  directiveInvalid: { code: "InvalidArgument", message: (p: { name: string; value: string }) => `Unknown ${p.name}: ${p.value}` },
  copyToItself: {
    code: "InvalidRequest",
    message:
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
  },
  copySourceRangeInvalid: {
    code: "InvalidArgument",
    message:
      "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
  },
  // integrity and checksums
  contentMd5Required: { code: "InvalidRequest", message: "Missing required header for this request: Content-MD5" },
  checksumAlgorithmInvalid: { code: "InvalidRequest", message: "The algorithm type you specified in x-amz-checksum- header is invalid." },
  checksumHeadersMultiple: { code: "InvalidRequest", message: "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed." },
  sdkChecksumAlgorithmInvalid: { code: "InvalidRequest", message: "Value for x-amz-sdk-checksum-algorithm header is invalid." },
  checksumAlgorithmUnsupported: {
    code: "InvalidRequest",
    message: "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
  },
  checksumValueInvalid: { code: "InvalidRequest", message: (p: { header: string }) => `Value for ${p.header} header is invalid.` },
  checksumMismatch: { code: "BadDigest", message: (p: { algorithm: string }) => `The ${p.algorithm} you specified did not match the calculated checksum.` },
  checksumTypeInvalid: { code: "InvalidRequest", message: "Value for x-amz-checksum-type header is invalid." },
  partChecksumTypeMismatch: {
    code: "InvalidRequest",
    message: (p: { expected: string; actual: string }) =>
      `Checksum Type mismatch occurred, expected checksum Type: ${p.expected}, actual checksum Type: ${p.actual}`,
  },
  // encryption
  sseKmsUnsupported: { code: "InvalidArgument", message: "Server Side Encryption with KMS managed key is not supported." },
  ssecInsecure: {
    code: "InvalidRequest",
    message: "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
  },
  ssecAlgorithmMissing: { code: "InvalidArgument", message: `${SSEC_MISSING} a valid encryption algorithm.` },
  ssecKeyMissing: { code: "InvalidArgument", message: `${SSEC_MISSING} an appropriate secret key.` },
  ssecKeyInvalid: { code: "InvalidArgument", message: "The secret key was invalid for the specified algorithm." },
  ssecKeyMd5Missing: { code: "InvalidArgument", message: `${SSEC_MISSING} the client calculated MD5 of the secret key.` },
  ssecKeyMd5Mismatch: { code: "InvalidArgument", message: "The calculated MD5 hash of the key did not match the hash that was provided." },
  ssecWithOtherEncryption: {
    code: "InvalidArgument",
    message: "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
  },
  ssecRequired: {
    code: "InvalidRequest",
    message: "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
  },
  ssecNotApplicable: { code: "InvalidRequest", message: "The encryption parameters are not applicable to this object." },
  ssecUploadRequiresKey: {
    code: "InvalidRequest",
    message: "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.",
  },
  ssecUploadKeyMismatch: { code: "InvalidArgument", message: "The provided encryption parameters did not match the ones used originally." },
  // ACLs
  grantFormat: { code: "InvalidArgument", message: "Argument format not recognized" },
  cannedAndGrantHeaders: { code: "InvalidRequest", message: "Specifying both Canned ACLs and Header Grants is not allowed" },
  tooManyGrants: { code: "MalformedACLError", message: (p: { max: number }) => `An ACL can have at most ${p.max} grants.` },
  grantGroupUri: { code: "InvalidArgument", message: "Invalid group uri" },
  grantCanonicalId: { code: "InvalidArgument", message: "Invalid id" },
  // CORS
  corsMethodUnsupported: {
    code: "InvalidRequest",
    message: (p: { method: string }) => `Found unsupported HTTP method in CORS config. Unsupported method is ${p.method}`,
  },
  corsOriginWildcards: { code: "InvalidRequest", message: (p: { origin: string }) => `AllowedOrigin "${p.origin}" can not have more than one wildcard.` },
  corsHeaderWildcards: { code: "InvalidRequest", message: (p: { header: string }) => `AllowedHeader "${p.header}" can not have more than one wildcard.` },
  corsExposeWildcard: {
    code: "InvalidRequest",
    message: (p: { header: string }) => `ExposeHeader "${p.header}" contains wildcard. We currently do not support wildcard for ExposeHeader.`,
  },
  corsOriginMissing: { code: "BadRequest", message: "Insufficient information. Origin request header needed." },
  corsRequestMethodInvalid: { code: "BadRequest", message: (p: { method: string | null }) => `Invalid Access-Control-Request-Method: ${p.method ?? "null"}` },
  corsNotEnabled: { code: "AccessForbidden", message: "CORSResponse: CORS is not enabled for this bucket." },
  // tags
  objectTagsTooMany: { code: "BadRequest", message: "Object tags cannot be greater than 10" },
  bucketTagsTooMany: { code: "BadRequest", message: "Bucket tag count cannot be greater than 50" },
  tagKeyInvalid: { code: "InvalidTag", message: "The TagKey you have provided is invalid" },
  tagKeyTooLong: { code: "InvalidTag", message: (p: { max: number }) => `The TagKey you have provided is too long, max ${p.max}` },
  tagValueInvalid: { code: "InvalidTag", message: "The TagValue you have provided is invalid" },
  tagValueTooLong: { code: "InvalidTag", message: (p: { max: number }) => `The TagValue you have provided is too long, max ${p.max}` },
  objectTagReservedPrefix: { code: "InvalidTag", message: "Your TagKey cannot be prefixed with aws:" },
  bucketTagReservedPrefix: { code: "InvalidTag", message: "System tags cannot be added/updated by requester" },
  tagKeyDuplicate: { code: "InvalidTag", message: "Cannot provide multiple Tags with the same key" },
  taggingHeaderInvalid: { code: "InvalidArgument", message: TAGGING_HEADER },
  // bucket policies (src/policy/parse.ts, src/policy/conditions.ts): AWS's texts where S3 is known to answer them
  bucketPolicyNotJsonObject: { code: "MalformedPolicy", message: "Policies must be valid JSON and the first byte must be '{'" },
  bucketPolicyInvalidJson: { code: "MalformedPolicy", message: "This policy contains invalid Json" },
  bucketPolicyTooLarge: { code: "MalformedPolicy", message: "Policies must be less than 20 KB" },
  bucketPolicyDuplicateField: { code: "MalformedPolicy", message: (p: { field: string }) => `Duplicate field ${p.field}` },
  bucketPolicyUnknownField: { code: "MalformedPolicy", message: (p: { field: string }) => `Unknown field ${p.field}` },
  bucketPolicyVersionInvalid: { code: "MalformedPolicy", message: "The policy must contain a valid version string" },
  bucketPolicyStatementMissing: { code: "MalformedPolicy", message: "Missing required field Statement" },
  bucketPolicyStatementEmpty: { code: "MalformedPolicy", message: "Could not parse the policy: Statement is empty!" },
  bucketPolicySyntax: { code: "MalformedPolicy", message: "Invalid policy syntax." },
  bucketPolicyFieldMissing: { code: "MalformedPolicy", message: (p: { field: string }) => `Missing required field ${p.field}` },
  bucketPolicyFieldAndNotField: { code: "MalformedPolicy", message: (p: { field: string }) => `Statement cannot have both ${p.field} and Not${p.field}` },
  bucketPolicyEffectInvalid: { code: "MalformedPolicy", message: (p: { effect: string }) => `Invalid effect: ${p.effect}` },
  bucketPolicyListEmpty: { code: "MalformedPolicy", message: (p: { field: string }) => `${p.field} must not be empty` },
  bucketPolicyPrincipalInvalid: { code: "MalformedPolicy", message: "Invalid principal in policy" },
  bucketPolicyActionInvalid: { code: "MalformedPolicy", message: "Policy has invalid action" },
  bucketPolicyResourceInvalid: { code: "MalformedPolicy", message: "Policy has invalid resource" },
  bucketPolicyActionResourceMismatch: { code: "MalformedPolicy", message: "Action does not apply to any resource(s) in statement" },
  bucketPolicySidDuplicate: { code: "MalformedPolicy", message: "Statement IDs (SID) in a single policy must be unique" },
  bucketPolicyConditionOperatorInvalid: { code: "MalformedPolicy", message: (p: { operator: string }) => `Invalid Condition type : ${p.operator}` },
  bucketPolicyConditionKeyInvalid: { code: "MalformedPolicy", message: "Policy has an invalid condition key" },
  bucketPolicyConditionNoKeys: { code: "MalformedPolicy", message: (p: { operator: string }) => `Condition operator ${p.operator} names no condition key` },
  bucketPolicyConditionNoValues: { code: "MalformedPolicy", message: (p: { key: string }) => `Condition key ${p.key} has no value` },
  bucketPolicyConditionValueInvalid: {
    code: "MalformedPolicy",
    message: (p: { operator: string; value: string }) => `Invalid value "${p.value}" for condition operator ${p.operator}`,
  },
  objectOwnershipInvalid: {
    code: "InvalidArgument",
    message: "Invalid x-amz-object-ownership header: must be BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter",
  },
  // other request checks
  versioningStatusMissing: { code: "IllegalVersioningConfigurationException", message: "The Versioning element must be specified" },
  mfaDeleteUnsupported: { code: "NotImplemented", message: "MFA Delete is not supported." },
  anonymousResponseHeaders: { code: "InvalidRequest", message: "Request specific response headers cannot be used for anonymous GET requests." },
  operationNotImplemented: { code: "NotImplemented", message: (p: { op: Op }) => `${p.op} is not implemented.` },
  notSetUp: { code: "ServiceUnavailable", message: (p: { problem: string }) => `This sos-worker deployment is not set up: ${p.problem}` },
  blobMissing: { code: "InternalError", message: "The object's bytes are missing." },
  // A manifest read needs one subrequest per part (src/ops/object-body.ts); compaction (src/jobs/compaction.ts) makes it one blob.
  manifestBeingCompacted: {
    code: "ServiceUnavailable",
    message: (p: { parts: number; budget: number }) =>
      `This object is being compacted: reading these ${p.parts} parts in one request exceeds this deployment's subrequest budget (${p.budget}). Retry later, or read the object in byte ranges (Range or partNumber).`,
  },
  manifestSsecTooManyParts: {
    code: "InvalidRequest",
    message: (p: { parts: number; budget: number }) =>
      `This SSE-C object's ${p.parts} parts cannot be read in one request within this deployment's subrequest budget (${p.budget}), and an SSE-C object cannot be compacted without its key. Read it in byte ranges (Range or partNumber).`,
  },
  zoneWithoutBinding: { code: "InternalError", message: (p: { zone: string }) => `zone ${p.zone} has no R2 binding` },
  // object lock (src/logic/object-lock.ts, src/xml/object-lock.ts, src/ops/object-lock.ts)
  objectLocked: { code: "AccessDenied", message: "Access Denied because object protected by object lock." },
  defaultRetentionNotPositive: { code: "InvalidArgument", message: "Default retention period must be a positive integer value." },
  defaultRetentionTooLarge: {
    code: "InvalidArgument",
    message: (p: { maxDays: number; maxYears: number }) => `Default retention period is too large: the maximum is ${p.maxDays} days or ${p.maxYears} years.`,
  },
  retainUntilDateFormat: { code: "InvalidArgument", message: "The retain until date must be provided in ISO 8601 format." },
  retainUntilDatePast: { code: "InvalidArgument", message: "The retain until date must be in the future!" },
  legalHoldStatusInvalid: { code: "InvalidArgument", message: "Legal Hold must be either of 'ON' or 'OFF'" },
  lockHeadersIncomplete: { code: "InvalidArgument", message: "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied" },
  lockModeInvalid: { code: "InvalidArgument", message: "Unknown wormMode directive." },
  bucketWithoutObjectLock: { code: "InvalidRequest", message: "Bucket is missing Object Lock Configuration" },
  lockIntegrityHeaderMissing: {
    code: "InvalidRequest",
    message: "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
  },
  objectLockConfigurationMissing: { code: "ObjectLockConfigurationNotFoundError", message: "Object Lock configuration does not exist for this bucket" },
  versionLockMissing: { code: "NoSuchObjectLockConfiguration", message: "The specified object does not have a ObjectLock configuration" },
  versioningFixedByObjectLock: {
    code: "InvalidBucketState",
    message: "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
  },
  objectLockNeedsVersioning: { code: "InvalidBucketState", message: "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration" },
  // lifecycle (src/logic/lifecycle.ts, src/xml/lifecycle.ts)
  lifecycleTooManyRules: { code: "InvalidRequest", message: (p: { max: number }) => `A lifecycle configuration can have at most ${p.max} rules.` },
  lifecycleRuleIdTooLong: { code: "InvalidArgument", message: "ID length should not exceed allowed limit of 255" },
  lifecycleRuleIdDuplicate: { code: "InvalidArgument", message: "Rule ID must be unique. Found same ID for more than one rule" },
  lifecycleRuleNoAction: { code: "InvalidRequest", message: "At least one action needs to be specified in a rule" },
  lifecycleDaysNotPositive: { code: "InvalidArgument", message: "'Days' for Expiration action must be a positive integer" },
  lifecycleDateNotMidnight: { code: "InvalidArgument", message: "'Date' must be at midnight GMT" },
  lifecycleNoncurrentDaysNotPositive: {
    code: "InvalidArgument",
    message: "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
  },
  lifecycleNewerNoncurrentRange: {
    code: "InvalidArgument",
    message: (p: { max: number }) => `'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be an integer between 1 and ${p.max}`,
  },
  lifecycleAbortDaysNotPositive: {
    code: "InvalidArgument",
    message: "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer",
  },
  lifecycleAbortWithTags: { code: "InvalidRequest", message: "AbortIncompleteMultipartUpload cannot be specified with Tags." },
  lifecycleMarkerWithTags: { code: "InvalidRequest", message: "ExpiredObjectDeleteMarker cannot be specified with Tags." },
  lifecycleDuplicateTagKeys: { code: "InvalidRequest", message: "Duplicate Tag Keys are not allowed." },
  lifecycleSizeInvalid: { code: "InvalidArgument", message: "Object size filters must be non-negative integers." },
  lifecycleSizeRange: { code: "InvalidArgument", message: "ObjectSizeGreaterThan must be less than ObjectSizeLessThan." },
  lifecycleTransitionsUnsupported: {
    code: "NotImplemented",
    message: "Lifecycle transitions are not implemented: every object is stored in the STANDARD storage class.",
  },
  // bucket replication (src/logic/replication.ts, src/xml/replication.ts, src/ops/replication.ts)
  replicationTooManyRules: { code: "InvalidRequest", message: (p: { max: number }) => `A replication configuration can have at most ${p.max} rules.` },
  replicationRuleIdTooLong: { code: "InvalidArgument", message: "ID length should not exceed allowed limit of 255" },
  replicationRuleIdDuplicate: { code: "InvalidArgument", message: "Rule Id must be unique." },
  replicationPriorityInvalid: { code: "InvalidArgument", message: "Priority must be a non-negative integer." },
  replicationPriorityDuplicate: { code: "InvalidArgument", message: "Found duplicate priority: each rule must have a distinct Priority." },
  replicationSchemaMixed: {
    code: "InvalidRequest",
    message: "Rules with a Filter and rules with a rule-level Prefix cannot be mixed in one replication configuration.",
  },
  replicationV1WithV2Elements: {
    code: "InvalidRequest",
    message: "Priority and DeleteMarkerReplication can only be specified for rules with a Filter.",
  },
  replicationDeleteMarkerReplicationMissing: {
    code: "InvalidRequest",
    message:
      "DeleteMarkerReplication must be specified for this version of Cross Region Replication configuration schema. Please refer to S3 Developer Guide for more information.",
  },
  replicationDeleteMarkersWithTags: {
    code: "InvalidRequest",
    message: "Delete marker replication is not supported if any Tag filter is specified. Please refer to S3 Developer Guide for more information.",
  },
  replicationDuplicateTagKeys: { code: "InvalidRequest", message: "Duplicate Tag Keys are not allowed." },
  replicationDestinationArnInvalid: { code: "InvalidArgument", message: "Invalid bucket ARN: the destination must be arn:aws:s3:::bucket-name." },
  replicationNeedsVersioning: { code: "InvalidRequest", message: "Versioning must be 'Enabled' on the bucket to apply a replication configuration" },
  replicationDestinationMissing: { code: "InvalidRequest", message: "Destination bucket must exist." },
  replicationDestinationUnversioned: { code: "InvalidRequest", message: "Destination bucket must have versioning enabled." },
  replicationDestinationIsSource: { code: "InvalidRequest", message: "Destination bucket cannot be the same as the source bucket." },
  replicationFeatureUnsupported: {
    code: "NotImplemented",
    message: (p: { feature: string }) => `${p.feature} is not implemented for bucket replication.`,
  },
  versioningFixedByReplication: {
    code: "InvalidBucketState",
    message: "A replication configuration is present on this bucket, so the versioning state cannot be changed.",
  },
  // GetObjectAttributes
  objectAttributesMissing: {
    code: "InvalidArgument",
    message: "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
  },
  objectAttributeInvalid: { code: "InvalidArgument", message: "Invalid attribute name specified." },
  // full-object checksums
  checksumTypeWithoutAlgorithm: {
    code: "InvalidRequest",
    message: "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
  },
  fullObjectChecksumNeedsCrc: {
    code: "InvalidRequest",
    message: (p: { algorithm: string }) => `The FULL_OBJECT checksum type cannot be used with the ${p.algorithm.toLowerCase()} checksum algorithm.`,
  },
  compositeChecksumUnsupported: {
    code: "InvalidRequest",
    message: (p: { algorithm: string }) => `The COMPOSITE checksum type cannot be used with the ${p.algorithm.toLowerCase()} checksum algorithm.`,
  },
  completeChecksumTypeMismatch: {
    code: "InvalidRequest",
    message: (p: { type: string }) => `The upload was created using the ${p.type} checksum mode. The complete request must use the same checksum mode.`,
  },
  // admin API (src/admin/api.ts)
  adminBodyNotObject: { code: "InvalidRequest", message: "The body must be a JSON object." },
  adminOperationsUnknown: {
    code: "InvalidRequest",
    message: (p: { names: string[] }) => `Unknown S3 operation name(s): ${p.names.join(", ")} (use names such as GetObject, ListObjectsV2).`,
  },
  adminOperationsInvalid: { code: "InvalidRequest", message: 'operations must be "full", "read-only", "write-only" or a list of S3 operation names.' },
  adminMaxBucketsInvalid: { code: "InvalidRequest", message: "maxBuckets must be a non-negative integer." },
  adminDisplayNameInvalid: { code: "InvalidRequest", message: "displayName must be 1-64 characters of letters, digits, spaces and ._@+-" },
  adminEmailInvalid: { code: "InvalidRequest", message: "email must be an e-mail address." },
  adminNothingToChange: { code: "InvalidRequest", message: "Nothing to change: give maxBuckets." },
  adminKeyBucketInvalid: { code: "InvalidRequest", message: (p: { problem: string }) => `bucket must be a valid bucket name: ${p.problem}` },
  adminEnabledMissing: { code: "InvalidRequest", message: "Give enabled: true or false." },
  adminNotConfigured: { code: "NotConfigured", message: (p: { problem: string }) => `The admin API is not configured: ${p.problem}` },
  adminNotSetUp: { code: "NotConfigured", message: (p: { problem: string }) => `This sos-worker deployment is not set up: ${p.problem}` },
  adminInternalError: { code: "InternalError", message: "Internal error." },
} as const satisfies Record<string, Row>;

type Specific = typeof REASONS;
/** What a throw site names: an error code (its default message) or a specific reason. */
export type Reason = ErrorCode | keyof Specific;
type ParamsOf<R extends Reason> = R extends keyof Specific ? (Specific[R]["message"] extends (p: infer P) => string ? P : undefined) : undefined;
type ResponseHeaders = Record<string, string>;
/** The arguments after the reason: its parameters (none for a plain message), <Error> details, response headers. */
export type ErrorArgs<R extends Reason> = [ParamsOf<R>] extends [undefined]
  ? [params?: undefined, details?: ErrorDetails, headers?: ResponseHeaders]
  : [params: ParamsOf<R>, details?: ErrorDetails, headers?: ResponseHeaders];

function rowOf(reason: Reason): Row {
  return Object.hasOwn(REASONS, reason) ? REASONS[reason as keyof Specific] : { code: reason as ErrorCode, message: CODES[reason as ErrorCode][1] };
}

export class S3Error<R extends Reason = Reason> extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra elements rendered inside <Error>. */
  readonly details: ErrorDetails;
  /** Response headers to add (e.g. x-amz-delete-marker on a 405, Allow). */
  readonly headers: ResponseHeaders;
  constructor(
    readonly reason: R,
    ...[params, details, headers]: ErrorArgs<R>
  ) {
    const row = rowOf(reason);
    super(typeof row.message === "string" ? row.message : (row.message as (p: unknown) => string)(params));
    this.name = "S3Error";
    this.code = row.code;
    this.status = CODES[row.code][0];
    this.details = { ...(row.details as ((p: unknown) => ErrorDetails) | undefined)?.(params), ...details };
    this.headers = headers ?? {};
  }
}

export function isS3Error(e: unknown): e is S3Error {
  return e instanceof S3Error;
}
