// The peer of `npm run bench -- --peer`: s3rver (the common local S3 server for Node), started as its
// own process so that its CPU can be read from /proc like a workerd process's. Usage:
//   node bench/peer-s3rver.mjs <storage directory> <bucket>
// prints "s3rver listening on http://127.0.0.1:<port>" once it serves the bucket.
import S3rver from "s3rver";

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
const { port } = await server.run();
console.log(`s3rver listening on http://127.0.0.1:${port}`);
process.on("SIGTERM", () => server.close().then(() => process.exit(0)));
