import { expect, it } from "vitest";
import { postResponseDocument } from "./post";

it("renders the golden PostResponse", () => {
  expect(postResponseDocument({ location: "http://h/b/a%26b", bucket: "b", key: "a&b", etag: '"abc"' })).toBe(
    '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>http://h/b/a%26b</Location><Bucket>b</Bucket><Key>a&amp;b</Key><ETag>&quot;abc&quot;</ETag></PostResponse>',
  );
});
