/** The CloudTrail check: a trail delivering management events in us-east-1, without which EventBridge never sees CreateAccount. */
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import { awsClientConfig } from '../shared';
import { type Context, fail, HOME_REGION, type Outcome, pass } from './checks';

/** True when the trail's selectors deliver write management events (what EventBridge rules on API calls need). */
export function logsManagementWrites(selectors: {
  EventSelectors?: Array<{ IncludeManagementEvents?: boolean; ReadWriteType?: string }>;
  AdvancedEventSelectors?: Array<{ FieldSelectors?: Array<{ Field?: string; Equals?: string[] }> }>;
}): boolean {
  if (selectors.AdvancedEventSelectors?.length) {
    return selectors.AdvancedEventSelectors.some((s) => {
      const fields = s.FieldSelectors ?? [];
      const management = fields.some((f) => f.Field === 'eventCategory' && f.Equals?.includes('Management'));
      const readOnly = fields.some((f) => f.Field === 'readOnly' && f.Equals?.includes('true'));
      return management && !readOnly;
    });
  }
  return (selectors.EventSelectors ?? []).some(
    (s) => s.IncludeManagementEvents !== false && s.ReadWriteType !== 'ReadOnly',
  );
}

export async function checkCloudTrail({ options }: Context): Promise<Outcome> {
  const cloudtrail = new CloudTrailClient(awsClientConfig(options, HOME_REGION));
  const create =
    `create one in the management account: aws cloudtrail create-trail --region ${HOME_REGION} --name management-events ` +
    '--s3-bucket-name <bucket> --is-multi-region-trail, then aws cloudtrail start-logging --region us-east-1 --name management-events ' +
    '(EventBridge sees CreateAccount only through a trail)';
  const { trailList = [] } = await cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  const candidates = trailList.filter((t) => t.HomeRegion === HOME_REGION || t.IsMultiRegionTrail);
  if (candidates.length === 0) {
    return fail(`no trail covers ${HOME_REGION} (${trailList.length} trail(s) in other regions)`, create);
  }
  const problems: string[] = [];
  let stopped: Trail | undefined;
  let readOnly: Trail | undefined;
  for (const trail of candidates) {
    const id = trail.TrailARN ?? trail.Name ?? '';
    const status = await cloudtrail.send(new GetTrailStatusCommand({ Name: id }));
    const selectors = await cloudtrail.send(new GetEventSelectorsCommand({ TrailName: id }));
    const writes = logsManagementWrites(selectors);
    if (status.IsLogging && writes) {
      return pass(`trail ${trail.Name} logs management events in ${HOME_REGION}`);
    }
    if (!status.IsLogging) stopped ??= trail;
    if (!writes) readOnly ??= trail;
    problems.push(
      `${trail.Name}: ${status.IsLogging ? 'logging' : 'not logging'}, ${writes ? '' : 'no '}management write events`,
    );
  }
  if (stopped) {
    return fail(
      `no trail delivers management events in ${HOME_REGION} (${problems.join('; ')})`,
      `aws cloudtrail start-logging --region ${HOME_REGION} --name ${stopped.Name}`,
    );
  }
  return fail(
    `no trail delivers management events in ${HOME_REGION} (${problems.join('; ')})`,
    `include write management events: aws cloudtrail put-event-selectors --region ${HOME_REGION} --trail-name ${readOnly?.Name} ` +
      `--event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'`,
  );
}
