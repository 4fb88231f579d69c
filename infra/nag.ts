// cdk-nag is CommonJS whose `__exportStar` re-exports Node's ESM loader cannot see (so `cdk synth`, which runs
// infra/app.ts as ESM, gets no named exports); jest loads it as CommonJS. Take the exports from whichever exists.
import * as cdkNagModule from 'cdk-nag';

const cdkNag = (cdkNagModule as { default?: typeof cdkNagModule }).default ?? cdkNagModule;

export const { AwsSolutionsChecks } = cdkNag;
