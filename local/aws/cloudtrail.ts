/**
 * AWS CloudTrail (awsJson1_1, `CloudTrail_20131101.*`): trails, whether they
 * log, and their event selectors — what `cli doctor` reads to tell that management events (CreateAccount,
 * MoveAccount…) reach EventBridge. Trails are kept per account, beside the rest of the stand-in's state.
 */
import { AwsError } from './protocols';
import type { JsonOperation, JsonService, OperationContext } from './service';
import type { AwsState } from './state';

type Context = OperationContext<Record<string, unknown>>;

export interface EventSelector {
  ReadWriteType?: 'ReadOnly' | 'WriteOnly' | 'All';
  IncludeManagementEvents?: boolean;
  DataResources?: unknown[];
  ExcludeManagementEventSources?: string[];
}

export interface AdvancedEventSelector {
  Name?: string;
  FieldSelectors: Array<{ Field: string; Equals?: string[]; NotEquals?: string[] }>;
}

export interface Trail {
  name: string;
  accountId: string;
  homeRegion: string;
  s3BucketName: string;
  isMultiRegionTrail: boolean;
  isOrganizationTrail: boolean;
  logging: boolean;
  eventSelectors?: EventSelector[];
  advancedEventSelectors?: AdvancedEventSelector[];
}

const trailsByState = new WeakMap<AwsState, Map<string, Trail>>();

/** The trails of the stand-in, by ARN. */
export function trailsOf(state: AwsState): Map<string, Trail> {
  let trails = trailsByState.get(state);
  if (!trails) {
    trails = new Map();
    trailsByState.set(state, trails);
  }
  return trails;
}

const trailArn = (state: AwsState, accountId: string, name: string) =>
  `arn:aws:cloudtrail:${state.options.region}:${accountId}:trail/${name}`;

const notFound = (name: string) =>
  new AwsError(
    'TrailNotFoundException',
    400,
    `Unknown trail: ${name} for the user: ${name.startsWith('arn:') ? name.split(':')[4] : ''}`,
  );

function trailOf({ state, caller, input }: Context, member = 'Name'): Trail {
  const name = input[member];
  if (typeof name !== 'string' || name === '')
    throw new AwsError('InvalidTrailNameException', 400, 'Trail name is required.');
  const trails = trailsOf(state);
  const trail = trails.get(name) ?? trails.get(trailArn(state, caller.accountId, name));
  // An organization trail is visible (and readable) from member accounts; others only in their own account.
  if (!trail || (trail.accountId !== caller.accountId && !trail.isOrganizationTrail)) throw notFound(name);
  return trail;
}

const trailShape = (state: AwsState, t: Trail) => ({
  Name: t.name,
  TrailARN: trailArn(state, t.accountId, t.name),
  S3BucketName: t.s3BucketName,
  HomeRegion: t.homeRegion,
  IsMultiRegionTrail: t.isMultiRegionTrail,
  IsOrganizationTrail: t.isOrganizationTrail,
  IncludeGlobalServiceEvents: true,
  LogFileValidationEnabled: false,
  HasCustomEventSelectors: t.eventSelectors !== undefined,
  HasInsightSelectors: false,
});

const operations: Record<string, JsonOperation> = {
  CreateTrail: ({ state, caller, input }) => {
    const name = input.Name;
    if (typeof name !== 'string' || !/^[A-Za-z0-9][\w.-]{2,127}$/.test(name)) {
      throw new AwsError('InvalidTrailNameException', 400, 'Trail name must be 3-128 letters, digits, ., _ or -.');
    }
    if (typeof input.S3BucketName !== 'string' || input.S3BucketName === '') {
      throw new AwsError('InvalidS3BucketNameException', 400, 'S3BucketName is required.');
    }
    const arn = trailArn(state, caller.accountId, name);
    const trails = trailsOf(state);
    if (trails.has(arn)) throw new AwsError('TrailAlreadyExistsException', 400, `Trail ${name} already exists.`);
    const trail: Trail = {
      name,
      accountId: caller.accountId,
      homeRegion: state.options.region,
      s3BucketName: input.S3BucketName,
      isMultiRegionTrail: input.IsMultiRegionTrail === true,
      isOrganizationTrail: input.IsOrganizationTrail === true,
      logging: false,
    };
    trails.set(arn, trail);
    return trailShape(state, trail);
  },

  DeleteTrail: (context) => {
    const trail = trailOf(context);
    trailsOf(context.state).delete(trailArn(context.state, trail.accountId, trail.name));
    return {};
  },

  StartLogging: (context) => {
    trailOf(context).logging = true;
    return {};
  },

  StopLogging: (context) => {
    trailOf(context).logging = false;
    return {};
  },

  DescribeTrails: ({ state, caller, input }) => {
    const names = Array.isArray(input.trailNameList) ? (input.trailNameList as string[]) : undefined;
    const visible = [...trailsOf(state).values()].filter(
      (t) =>
        (t.accountId === caller.accountId || t.isOrganizationTrail) &&
        // Shadow trails: a multi-region trail shows in every region (the stand-in has one region).
        (!names || names.includes(t.name) || names.includes(trailArn(state, t.accountId, t.name))),
    );
    return { trailList: visible.map((t) => trailShape(state, t)) };
  },

  GetTrailStatus: (context) => {
    const trail = trailOf(context);
    return { IsLogging: trail.logging, ...(trail.logging ? { StartLoggingTime: new Date() } : {}) };
  },

  GetEventSelectors: (context) => {
    const trail = trailOf(context, 'TrailName');
    const arn = trailArn(context.state, trail.accountId, trail.name);
    if (trail.advancedEventSelectors) return { TrailARN: arn, AdvancedEventSelectors: trail.advancedEventSelectors };
    // A trail created without selectors logs all management events, read and write.
    return {
      TrailARN: arn,
      EventSelectors: trail.eventSelectors ?? [
        { ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] },
      ],
    };
  },

  PutEventSelectors: (context) => {
    const trail = trailOf(context, 'TrailName');
    const { EventSelectors, AdvancedEventSelectors } = context.input;
    if (Array.isArray(EventSelectors) === Array.isArray(AdvancedEventSelectors)) {
      throw new AwsError(
        'InvalidParameterCombinationException',
        400,
        'Specify either EventSelectors or AdvancedEventSelectors, not both.',
      );
    }
    if (Array.isArray(EventSelectors)) {
      trail.eventSelectors = EventSelectors as EventSelector[];
      trail.advancedEventSelectors = undefined;
    } else {
      trail.advancedEventSelectors = AdvancedEventSelectors as AdvancedEventSelector[];
      trail.eventSelectors = undefined;
    }
    return {
      TrailARN: trailArn(context.state, trail.accountId, trail.name),
      ...(trail.eventSelectors ? { EventSelectors: trail.eventSelectors } : {}),
      ...(trail.advancedEventSelectors ? { AdvancedEventSelectors: trail.advancedEventSelectors } : {}),
    };
  },
};

export const cloudTrailService: JsonService = {
  protocol: 'json',
  name: 'cloudtrail',
  targetPrefix: 'CloudTrail_20131101',
  operations,
  throttlingError: () => new AwsError('ThrottlingException', 400, 'Rate exceeded'),
  failureError: () => new AwsError('InternalServerError', 500, 'An internal error occurred.'),
};
