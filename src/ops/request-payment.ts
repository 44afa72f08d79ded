/**
 * GetBucketRequestPayment: the bucket owner always pays (Requester Pays is not offered), which is
 * what SDKs and tools that probe it expect to read.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketRequestPayment.html
 */
import type { BucketContext, Handler } from "../context";
import { requestPaymentDocument } from "../xml/documents";
import { xmlResponse } from "./respond";

export const getBucketRequestPayment: Handler<BucketContext> = async () => xmlResponse(requestPaymentDocument("BucketOwner"));
