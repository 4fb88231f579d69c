/**
 * The organization id an account's ARN names (`arn:<partition>:organizations::<management>:account/o-…/<id>`), or
 * undefined. DescribeAccount and ListAccounts return that ARN, so the id costs no call (nor DescribeOrganization).
 */
export function organizationIdOf(accountArn: string | undefined): string | undefined {
  return /^arn:[\w-]+:organizations::\d{12}:account\/(o-[a-z0-9]{10,32})\/\d{12}$/.exec(accountArn ?? '')?.[1];
}
