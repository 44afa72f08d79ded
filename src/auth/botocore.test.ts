/**
 * Requests signed by botocore 1.43.11 (what awscli v1 and boto3 send), captured at its
 * "before-send" hook: SigV4 and SigV2, path-style over http and virtual-hosted over https (where
 * botocore switches PutObject to aws-chunked STREAMING-UNSIGNED-PAYLOAD-TRAILER), for keys with
 * characters that stress the canonical URI, plus presigned URLs. The URLs are the raw wire targets,
 * so dot segments ("dot/./seg", "../up") are checked too. Generated offline with static credentials
 * (AKIDEXAMPLE / the AWS example secret); no Host header was captured, it comes from the URL.
 */
import { describe, expect, it } from "vitest";
import { rawTarget } from "./canonical";
import { authenticate, readBodyBytes } from "./index";
import { verifySigV2Header, verifySigV2Query } from "./sigv2";
import { verifySigV4Header, verifySigV4Presigned, type SigningRequest } from "./sigv4";
import { parseAmzDate } from "./sigv4-parse";

interface Fixture {
  v: 2 | 4;
  vhost: boolean;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}
interface PresignedFixture {
  v: 2 | 4;
  vhost: boolean;
  url: string;
}

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const lookupSecret = async (id: string) => (id === "AKIDEXAMPLE" ? SECRET : null);

function signingRequest(f: { method?: string; url: string; headers?: Record<string, string> }): SigningRequest {
  const { path, query } = rawTarget(f.url);
  return { method: f.method ?? "GET", rawPath: path, rawQuery: query, headers: new Headers(f.headers ?? {}), host: new URL(f.url).host };
}
const label = (f: Fixture) => `v${f.v} ${f.vhost ? "vhost" : "path"} ${f.method} ${f.url}`;

describe("botocore-signed requests verify", () => {
  for (const f of REQUESTS) {
    it(label(f), async () => {
      const r = signingRequest(f);
      if (f.v === 4) {
        const now = parseAmzDate(f.headers["x-amz-date"]!)!;
        const res = await verifySigV4Header(r, f.headers.authorization!, { lookupSecret, allowedRegions: ["us-east-1"], now });
        expect(res.accessKeyId).toBe("AKIDEXAMPLE");
      } else {
        const now = new Date(f.headers.date!);
        const res = await verifySigV2Header(r, f.headers.authorization!, { lookupSecret, bucket: f.vhost ? "bkt" : undefined, now });
        expect(res.accessKeyId).toBe("AKIDEXAMPLE");
      }
    });
  }
});

describe("botocore request bodies through authenticate()", () => {
  for (const f of REQUESTS.filter((f) => f.body && !f.url.includes("/../"))) {
    it(label(f), async () => {
      const body = Buffer.from(f.body!, "hex");
      const headers = new Headers(f.headers);
      if (!headers.has("transfer-encoding")) headers.set("content-length", String(body.length));
      const request = new Request(f.url, { method: f.method, headers, body, duplex: "half" } as RequestInit);
      const now = f.v === 4 ? parseAmzDate(f.headers["x-amz-date"]!)! : new Date(f.headers.date!);
      const res = await authenticate(request, new URL(f.url), { lookupSecret, allowedRegions: ["us-east-1"], bucketForV2: f.vhost ? "bkt" : undefined, now });
      const bytes = await readBodyBytes(res.body, 1 << 20);
      expect(res.signatureVersion).toBe(f.v);
      expect(["hello world", "x".repeat(300)]).toContain(new TextDecoder().decode(bytes));
      if (f.headers["content-encoding"] === "aws-chunked") expect((await res.body!.trailerChecksum)?.algorithm).toBe("CRC32");
    });
  }
});

describe("botocore presigned URLs verify", () => {
  for (const p of PRESIGNED) {
    it(`v${p.v} ${p.url.slice(0, 60)}`, async () => {
      const r = signingRequest({ url: p.url, headers: {} });
      const params = new URLSearchParams(r.rawQuery);
      if (p.v === 4) {
        const now = parseAmzDate(params.get("X-Amz-Date")!)!;
        await expect(verifySigV4Presigned(r, params, { lookupSecret, allowedRegions: ["us-east-1"], now })).resolves.toBeTruthy();
      } else {
        const now = new Date((Number(params.get("Expires")) - 3600) * 1000);
        await expect(verifySigV2Query(r, params, { lookupSecret, bucket: p.vhost ? "bkt" : undefined, now })).resolves.toBeTruthy();
      }
    });
  }
});

// prettier-ignore
const REQUESTS: Fixture[] = [
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/a%20b",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=bc9be44376b6c25bff86f4368b737513e901c18d157d23916f0b7d804a634694",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/%C3%BCn%C3%AFc%C3%B6d%C3%A9/%D0%BA%D0%BB%D1%8E%D1%87",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=adb5b8ebfff16fb85cadfffd611e9acef1aaf861ac59c6da31b50b216f6c6402",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/plus%2Bsign",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=e75003cb30e539ffc4de2ea55dc464ff78345393bd20954499221befbe86ace5",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/100%25",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=68031f457121b88eb60eb0d67e6a997c299874704d48f6acd770f77442682cdb",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/~user",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=a1f3e9746ff6a55a8518f30c561b75c62a8fae1135aeb709097189d75d382299",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/%21%27%28%29%2A",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=5b570b404f9efd61f0c91bb6b0cc3634a53c0b95bf83b98244b8dc1d2a73409a",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/a%3Db%26c%3Fd%23e",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=58573301542f2948f0306943561eaf76d243c302398e53221558cbbfba45ddc5",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/x//y",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=42a194d3950e91f9f23bf06f1970e4eeb77d19d493157fad72d333be36e10ea6",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/dot/./seg",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=fe998af45b601d69ecb691aef1a5c186c8a192980a6d5d544a5a2d12dcdd1531",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/../up",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=99aa397d44a3fd5a30ecb73cc0b4d698bbaf116a82864789ad9af5303ece9a92",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/semi%3Bcolon%2Ccomma",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=97579292270f7ff2388cc52a7e91945ea87844137f993cd5bf40dec8932b572d",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/quote%22",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=afe3dbad2de7f9db437d783277275fadbb3a614de59867dac7d559d2ce38ab3c",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/%3C%3E",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=48788a9c43e5c58e9b3bfc702aaa172109c303c04d0ee37095d155c76522776a",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/back%5Cslash",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=f9d4ad225209a7d1d871e8268dc9545d30fe002768fb8e316de265b1170cf86d",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/%5B%5D%7B%7D%7C%5E%60",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=c9e2d2be526fd168d58fe68a0ca121a36ce9da40e179e98f62319b8c71bf3852",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/tab%09nl",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=333da9f8bfd7c685fffeb0bd728c373ea12907d3e5f1d61cd5b8df907a67118f",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt?list-type=2&prefix=a%20b%2Bc%2F%C3%BC~%25&delimiter=%2F&start-after=x%3Dy%26z&encoding-type=url",
    headers: {
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=662cd82f4ffac6e5e0be8d3dab04c96ad50bdcf39796dc47038b3db734c6fbba",
    },
  },
  {
    v: 4,
    vhost: false,
    method: "PUT",
    url: "http://127.0.0.1:9000/bkt/up%20load%2B1",
    headers: {
      expect: "100-continue",
      "x-amz-checksum-crc32": "DUoRhQ==",
      "x-amz-sdk-checksum-algorithm": "CRC32",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-crc32;x-amz-content-sha256;x-amz-date;x-amz-sdk-checksum-algorithm, Signature=da858ae2a668f17fa6b7a3a92a695c2f59828680624d77c94906619dfc4452e2",
      "content-length": "11",
    },
    body: "68656c6c6f20776f726c64",
  },
  {
    v: 4,
    vhost: false,
    method: "PUT",
    url: "http://127.0.0.1:9000/bkt/streamed",
    headers: {
      expect: "100-continue",
      "x-amz-checksum-crc32": "G0MtEw==",
      "x-amz-sdk-checksum-algorithm": "CRC32",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "0d4e2ca9e9cbced7a7a5380eb29e1a3783b9b6d0db72de36a1051038e1c1fbc7",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-crc32;x-amz-content-sha256;x-amz-date;x-amz-sdk-checksum-algorithm, Signature=dab56a803de669f898cb7f41409811d20c2db348839fbe3e86c8ec71c991d0fb",
      "content-length": "300",
    },
    body: "787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878",
  },
  {
    v: 4,
    vhost: false,
    method: "PUT",
    url: "http://127.0.0.1:9000/bkt/dst%20key",
    headers: {
      "x-amz-copy-source": "src/%C3%BC%20key%2B1",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-copy-source;x-amz-date, Signature=992c8c03aa8c0895b6f907ee0ddec2f555ecef3b2f15b08dc078a5bc54667d0a",
      "content-length": "0",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/a%20b",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=342e89c10162f4f9a0305ed4d6c342a6804cd515402aaef8f8704c0cd1a12733",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/%C3%BCn%C3%AFc%C3%B6d%C3%A9/%D0%BA%D0%BB%D1%8E%D1%87",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=697d61c51b4911545f813b3d701008b7f28b2cfe411e0153be77b7c046849ca3",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/plus%2Bsign",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=e6331553c4e6e4e6d920ddd2f9747dc8d82f63623de885549fd81e5a64962105",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/100%25",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=2e66a472d4c0b376ddfa13e0673e6e7019dda607a30ab8e1b91c7d7341037591",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/~user",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=d93a9bf9df7614612d57889126e45c668b97f58e8a07764c1fc3c9aa282241c0",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/%21%27%28%29%2A",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=c062452fd43842fe23ab2a519af51db0572b9262cf9ee2f3a94ee70c23042c26",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/a%3Db%26c%3Fd%23e",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=2df58bec8b6114d023852bb8a6fca41c21a6438bf68a9ad58e1fd9290e36693c",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/x//y",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=9281eb1de2999774a4f191decfc3930025bb633004ac8cca056065918098a774",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/dot/./seg",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=403929a2ece510fd3726071a2baf0c3b6aba019974ccde1c2da13eb92184b566",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/../up",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=d6181326cdd99323692cb393c87be691abcc315b3050ad8fa6e1cee74b14cfe2",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/semi%3Bcolon%2Ccomma",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=927a3d768d15aea71799a1cc0c4db1968a34e5ce475c12d9d6ca102d5e08399c",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/quote%22",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=664161ff89d5986344bd53d97893314c58ef13aefb447b444368815009181310",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/%3C%3E",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=aa1dd13d10a547f9062ce8f02d18aefbadc1757236268eae4c8fc170ed7baff3",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/back%5Cslash",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=5f92b0dad559bd109de1b105a4cedf5ba3e6ceb3b78e775896e6b15664b3dd18",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/%5B%5D%7B%7D%7C%5E%60",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=c9306f96a96db7c7e450217d648133165bfb75bf8644015172fd459158cb3be9",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/tab%09nl",
    headers: {
      "x-amz-checksum-mode": "ENABLED",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-checksum-mode;x-amz-content-sha256;x-amz-date, Signature=d988caf98fc0a7b3828209606fb9f1757e5ee6c1340eae13b1fca296a2b0ded5",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/?list-type=2&prefix=a%20b%2Bc%2F%C3%BC~%25&delimiter=%2F&start-after=x%3Dy%26z&encoding-type=url",
    headers: {
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=63cab0344dd2163fe51c8f791b0c42a5423c65d8935aa7d015895c9c8746f01e",
    },
  },
  {
    v: 4,
    vhost: true,
    method: "PUT",
    url: "https://bkt.s3.example.com/up%20load%2B1",
    headers: {
      expect: "100-continue",
      "transfer-encoding": "chunked",
      "content-encoding": "aws-chunked",
      "x-amz-trailer": "x-amz-checksum-crc32",
      "x-amz-decoded-content-length": "11",
      "x-amz-sdk-checksum-algorithm": "CRC32",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-sdk-checksum-algorithm;x-amz-trailer, Signature=79de36e7d2edb46bdd0aaca8933a50fbbfeaff90b3f50e9508619c3702852c4b",
    },
    body: "620d0a68656c6c6f20776f726c640d0a300d0a782d616d7a2d636865636b73756d2d63726333323a44556f5268513d3d0d0a0d0a",
  },
  {
    v: 4,
    vhost: true,
    method: "PUT",
    url: "https://bkt.s3.example.com/streamed",
    headers: {
      expect: "100-continue",
      "transfer-encoding": "chunked",
      "content-encoding": "aws-chunked",
      "x-amz-trailer": "x-amz-checksum-crc32",
      "x-amz-decoded-content-length": "300",
      "x-amz-sdk-checksum-algorithm": "CRC32",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-sdk-checksum-algorithm;x-amz-trailer, Signature=f1706453f533a593f66ee189605debd94abab4dc66d9c9feb682d7128a3d96e2",
    },
    body: "3132630d0a7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878780d0a300d0a782d616d7a2d636865636b73756d2d63726333323a47304d7445773d3d0d0a0d0a",
  },
  {
    v: 4,
    vhost: true,
    method: "PUT",
    url: "https://bkt.s3.example.com/dst%20key",
    headers: {
      "x-amz-copy-source": "src/%C3%BC%20key%2B1",
      "x-amz-date": "20261124T010604Z",
      "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-copy-source;x-amz-date, Signature=e68b1dcef711ca217a264f847d845e1ee222f8a560f4833aeb6dcb14b7b797cf",
      "content-length": "0",
    },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/a%20b",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:1Zyi+s/AznuKxXUCbT8t4dAyn+s=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/%C3%BCn%C3%AFc%C3%B6d%C3%A9/%D0%BA%D0%BB%D1%8E%D1%87",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:FVjKHzx0aWGiKEeDDS8h9wIWlKE=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/plus%2Bsign",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:Pdir5eMJXFZRezxWxwZRE3Ny660=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/100%25",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:WGGrMOzG7OodjmxXSeFY2eNfB1U=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/~user",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:Y4S5JwleyifyfBpzfKYQPUcLdWw=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/%21%27%28%29%2A",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:/oGqvszg9KSaBW5Rs6NmSqBetgs=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/a%3Db%26c%3Fd%23e",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:Z0Sio2fJbNwQDhLOMitgQipAceM=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/x//y",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:fHG4dcTnLqEtLqMnkU/Qh1Iktq4=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/dot/./seg",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:6OzBo1wJ17K7EkMxwPBHX8R0bmA=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/../up",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:HaJnk+Er98Ntw5duvE0043yc3oo=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/semi%3Bcolon%2Ccomma",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:mwRPWaHbK4No2BruDm6ENH2uX/w=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/quote%22",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:1hncEZ1+wUrM7LrgDwEDzPlFWYc=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/%3C%3E",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:IA5UEDKASYLian0odqgIKPN1Ufg=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/back%5Cslash",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:shvseXT1Q4tFII7ERZy9GycRU1g=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/%5B%5D%7B%7D%7C%5E%60",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:a4ii8bWzH5ObxpJ8Xk1UbjPO0qw=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt/tab%09nl",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:KPid2YH5/dflDBxOjqqTnkLIPOM=" },
  },
  {
    v: 2,
    vhost: false,
    method: "GET",
    url: "http://127.0.0.1:9000/bkt?list-type=2&prefix=a%20b%2Bc%2F%C3%BC~%25&delimiter=%2F&start-after=x%3Dy%26z&encoding-type=url",
    headers: { date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:d4c51cinvPxYAnBoFNgTHj3aMgY=" },
  },
  {
    v: 2,
    vhost: false,
    method: "PUT",
    url: "http://127.0.0.1:9000/bkt/up%20load%2B1",
    headers: {
      expect: "100-continue",
      "x-amz-checksum-crc32": "DUoRhQ==",
      "x-amz-sdk-checksum-algorithm": "CRC32",
      date: "Tue, 24 Nov 2026 01:06:05 GMT",
      authorization: "AWS AKIDEXAMPLE:bfkqYHMST6FqOSknM/S0XFrEH8E=",
      "content-length": "11",
    },
    body: "68656c6c6f20776f726c64",
  },
  {
    v: 2,
    vhost: false,
    method: "PUT",
    url: "http://127.0.0.1:9000/bkt/streamed",
    headers: {
      expect: "100-continue",
      "x-amz-checksum-crc32": "G0MtEw==",
      "x-amz-sdk-checksum-algorithm": "CRC32",
      date: "Tue, 24 Nov 2026 01:06:05 GMT",
      authorization: "AWS AKIDEXAMPLE:AXXh61KA0kfSyBfh7h79Sx3ThrY=",
      "content-length": "300",
    },
    body: "787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878787878",
  },
  {
    v: 2,
    vhost: false,
    method: "PUT",
    url: "http://127.0.0.1:9000/bkt/dst%20key",
    headers: {
      "x-amz-copy-source": "src/%C3%BC%20key%2B1",
      date: "Tue, 24 Nov 2026 01:06:05 GMT",
      authorization: "AWS AKIDEXAMPLE:gYFhZSmWzvehusMDr4Dr7e50/70=",
      "content-length": "0",
    },
  },
  {
    v: 2,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/a%20b",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:1Zyi+s/AznuKxXUCbT8t4dAyn+s=" },
  },
  {
    v: 2,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/%C3%BCn%C3%AFc%C3%B6d%C3%A9/%D0%BA%D0%BB%D1%8E%D1%87",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:FVjKHzx0aWGiKEeDDS8h9wIWlKE=" },
  },
  {
    v: 2,
    vhost: true,
    method: "GET",
    url: "https://bkt.s3.example.com/plus%2Bsign",
    headers: { "x-amz-checksum-mode": "ENABLED", date: "Tue, 24 Nov 2026 01:06:05 GMT", authorization: "AWS AKIDEXAMPLE:Pdir5eMJXFZRezxWxwZRE3Ny660=" },
  },
];

const PRESIGNED: PresignedFixture[] = [
  {
    v: 4,
    vhost: false,
    url: "http://127.0.0.1:9000/bkt/a%20b?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261124%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261124T010604Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=6dc1d485c62f0abcc2ec04aa043d2b5a0fdfc7d5ae5c3c6b5d340fe89f6757c8",
  },
  {
    v: 4,
    vhost: false,
    url: "http://127.0.0.1:9000/bkt/%C3%BCn%C3%AF%2B~%25?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261124%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261124T010604Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=d31f3282a864986245ddfc926d54667520e71448c4adeac6f24d4c57773a980d",
  },
  {
    v: 4,
    vhost: false,
    url: "http://127.0.0.1:9000/bkt/x//y?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261124%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261124T010604Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=a8fdbfb891d8c061105107ecfe0dcfd4491d468abb2a4545d0ef9786e6d1de3c",
  },
  {
    v: 4,
    vhost: true,
    url: "https://bkt.s3.example.com/a%20b?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261124%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261124T010604Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=3be3462ef55021363c25b972808c54aaa5f9d5d39c0154ceb8985f93207de32f",
  },
  {
    v: 4,
    vhost: true,
    url: "https://bkt.s3.example.com/%C3%BCn%C3%AF%2B~%25?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261124%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261124T010604Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=12fd6e044270682940f62cbb2f6aef4cadd1104fb98c1a9ff9921280a2fd82fc",
  },
  {
    v: 4,
    vhost: true,
    url: "https://bkt.s3.example.com/x//y?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261124%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261124T010604Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=4566c1e7de5fb22b44e151f3dc5c7210ece135a46a71140c69e1ac0d7b182fd6",
  },
  { v: 2, vhost: false, url: "http://127.0.0.1:9000/bkt/a%20b?AWSAccessKeyId=AKIDEXAMPLE&Signature=1tzXvNh6wMik9s7Xk1%2Fvw9%2F9qYw%3D&Expires=1795485965" },
  {
    v: 2,
    vhost: false,
    url: "http://127.0.0.1:9000/bkt/%C3%BCn%C3%AF%2B~%25?AWSAccessKeyId=AKIDEXAMPLE&Signature=P0vEnIWaJgnD%2BrSeJl5EeHl6UCQ%3D&Expires=1795485965",
  },
  { v: 2, vhost: false, url: "http://127.0.0.1:9000/bkt/x//y?AWSAccessKeyId=AKIDEXAMPLE&Signature=mW8hkZp%2BaTbQmgIPbTIyhqaR35o%3D&Expires=1795485965" },
  { v: 2, vhost: true, url: "https://bkt.s3.example.com/a%20b?AWSAccessKeyId=AKIDEXAMPLE&Signature=1tzXvNh6wMik9s7Xk1%2Fvw9%2F9qYw%3D&Expires=1795485965" },
  {
    v: 2,
    vhost: true,
    url: "https://bkt.s3.example.com/%C3%BCn%C3%AF%2B~%25?AWSAccessKeyId=AKIDEXAMPLE&Signature=P0vEnIWaJgnD%2BrSeJl5EeHl6UCQ%3D&Expires=1795485965",
  },
  { v: 2, vhost: true, url: "https://bkt.s3.example.com/x//y?AWSAccessKeyId=AKIDEXAMPLE&Signature=mW8hkZp%2BaTbQmgIPbTIyhqaR35o%3D&Expires=1795485965" },
];
