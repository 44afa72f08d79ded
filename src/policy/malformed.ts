/**
 * The one way the policy module reports a policy it refuses: S3 answers 400 MalformedPolicy with
 * a message saying what is wrong (AWS's own texts where S3 is known to use them).
 */
export class MalformedPolicy extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedPolicy";
  }
}

export function malformedPolicy(message: string): MalformedPolicy {
  return new MalformedPolicy(message);
}
