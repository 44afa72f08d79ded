/**
 * The metadata store on D1: all SQL of the service, one module per aggregate. Writes follow one
 * order: bytes are already in R2 under a fresh key; one D1 batch (a transaction, batch.ts) commits
 * the metadata and records superseded blob keys in blob_deletions. Prepared statements never leave
 * the store: callers state an intent (`objects.commitCopy`, `objects.commitCompletedUpload`).
 */
import { BlobGc } from "./blob-gc";
import { Buckets } from "./buckets";
import { Jobs } from "./jobs";
import { Compactions } from "./compactions";
import { Listings } from "./listings";
import { Objects } from "./objects";
import { ReplicationTasks } from "./replication";
import { Replicas } from "./replicas";
import { Uploads } from "./uploads";
import { AccessKeys, Users } from "./users";

export { BUCKET_CACHE_TTL_MS, bucketCacheSize } from "./buckets";
export type { CommitOptions } from "./objects";

export class MetaStore {
  readonly users: Users;
  readonly keys: AccessKeys;
  readonly buckets: Buckets;
  readonly objects: Objects;
  readonly listings: Listings;
  readonly uploads: Uploads;
  readonly blobGc: BlobGc;
  readonly bucketReplication: ReplicationTasks;
  readonly jobs: Jobs;
  readonly replicas: Replicas;
  readonly compactions: Compactions;

  constructor(db: D1Database) {
    this.users = new Users(db);
    this.keys = new AccessKeys(db);
    this.buckets = new Buckets(db);
    this.objects = new Objects(db);
    this.listings = new Listings(db);
    this.uploads = new Uploads(db);
    this.blobGc = new BlobGc(db);
    this.bucketReplication = new ReplicationTasks(db);
    this.jobs = new Jobs(db);
    this.replicas = new Replicas(db);
    this.compactions = new Compactions(db);
  }
}
