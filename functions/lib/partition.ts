/** `aws`, `aws-cn` or `aws-us-gov` from a region, so ARNs are right outside the commercial partition. */
export const partitionOf = (region = ''): string =>
  region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
