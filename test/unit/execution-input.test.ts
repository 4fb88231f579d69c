import { InvalidInput } from '../../functions/lib/errors';
import { parseExecutionInput } from '../../functions/lib/execution-input';
import {
  controlTowerCreateManagedAccountEvent,
  controlTowerUpdateManagedAccountEvent,
  createAccountCallEvent,
  createAccountResultEvent,
  manualInput,
  reconcileInput,
} from '../support/events';

/** Runs the parser and returns the InvalidInput it throws. */
function rejection(raw: unknown): InvalidInput {
  try {
    parseExecutionInput(raw);
  } catch (error) {
    if (error instanceof InvalidInput) return error;
    throw error;
  }
  throw new Error('expected InvalidInput, the input was accepted');
}

describe('parseExecutionInput accepts the five input shapes', () => {
  it('reads the new account id from a succeeded CreateAccountResult event', () => {
    // Prepare
    const event = createAccountResultEvent({ accountId: '012345678901', requestId: 'car-0123456789abcdef' });

    // Act
    const input = parseExecutionInput(event);

    // Assess
    expect(input).toEqual({
      kind: 'create-result',
      state: 'SUCCEEDED',
      accountId: '012345678901',
      requestId: 'car-0123456789abcdef',
    });
  });

  it('keeps the failure reason of a failed CreateAccountResult event, which carries no account id', () => {
    const input = parseExecutionInput(
      createAccountResultEvent({ state: 'FAILED', failureReason: 'EMAIL_ALREADY_EXISTS' }),
    );

    expect(input).toMatchObject({ kind: 'create-result', state: 'FAILED', failureReason: 'EMAIL_ALREADY_EXISTS' });
    expect(input).not.toHaveProperty('accountId');
  });

  it('turns an in-progress CreateAccountResult into a request to poll', () => {
    const input = parseExecutionInput(createAccountResultEvent({ state: 'IN_PROGRESS', requestId: 'car-abcdef0123' }));

    expect(input).toEqual({ kind: 'create-request', requestId: 'car-abcdef0123' });
  });

  it('reads only the request id from a CreateAccount API call', () => {
    const input = parseExecutionInput(createAccountCallEvent('car-4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c'));

    expect(input).toEqual({ kind: 'create-request', requestId: 'car-4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c' });
  });

  it('reads the account id of Control Tower CreateManagedAccount and UpdateManagedAccount events', () => {
    expect(parseExecutionInput(controlTowerCreateManagedAccountEvent('000000000042'))).toMatchObject({
      kind: 'control-tower',
      eventName: 'CreateManagedAccount',
      state: 'SUCCEEDED',
      accountId: '000000000042',
    });
    expect(
      parseExecutionInput(controlTowerUpdateManagedAccountEvent('123456789012', { state: 'FAILED' })),
    ).toMatchObject({
      kind: 'control-tower',
      eventName: 'UpdateManagedAccount',
      state: 'FAILED',
      accountId: '123456789012',
    });
  });

  it('accepts a manual run with and without force, keeping leading zeros', () => {
    expect(parseExecutionInput(manualInput('012345678901'))).toEqual({
      kind: 'manual',
      accountId: '012345678901',
      force: false,
    });
    expect(parseExecutionInput(manualInput('000000000001', true))).toEqual({
      kind: 'manual',
      accountId: '000000000001',
      force: true,
    });
  });

  it('accepts a reconcile run with its drift classes, listed once each', () => {
    const input = parseExecutionInput(
      reconcileInput('012345678901', ['role-missing', 'trust-drifted', 'role-missing']),
    );

    expect(input).toEqual({
      kind: 'reconcile',
      accountId: '012345678901',
      drift: ['role-missing', 'trust-drifted'],
      force: false,
    });
  });
});

describe('parseExecutionInput rejects anything else with InvalidInput', () => {
  it('asks for a quoted account id when it is a JSON number', () => {
    const error = rejection({ accountId: 12345678901 });

    expect(error.name).toBe('InvalidInput');
    expect(error.message).toContain('accountId');
    expect(error.message).toMatch(/quoted string.*leading zeros/);
  });

  it('names the unknown key of a manual input and the keys it accepts', () => {
    const error = rejection({ accountId: '012345678901', forse: true });

    expect(error.message).toContain('"forse"');
    expect(error.message).toContain('accepted keys are accountId and force');
  });

  it('lists the accepted shapes when an event is not one the workflow handles', () => {
    const event = { ...createAccountResultEvent(), source: 'aws.ec2', detail: { eventName: 'RunInstances' } };

    const error = rejection(event);

    expect(error.message).toContain('"aws.ec2"');
    expect(error.message).toContain('"RunInstances"');
    expect(error.message).toContain('CreateAccountResult event');
    expect(error.message).toContain('{"accountId": "012345678901", "force"?: true}');
  });

  it('rejects a succeeded CreateAccountResult without an account id, naming the path', () => {
    const event = createAccountResultEvent();
    delete (event.detail.serviceEventDetails.createAccountStatus as { accountId?: string }).accountId;

    expect(rejection(event).message).toContain('detail.serviceEventDetails.createAccountStatus.accountId: required');
  });

  it('rejects a CreateAccount call whose request id is not a car- id', () => {
    expect(rejection(createAccountCallEvent('car-../../etc')).message).toContain(
      'detail.responseElements.createAccountStatus.id',
    );
  });

  it.each([
    ['a 13-digit id', { accountId: '0123456789012' }],
    ['a trailing newline', { accountId: '012345678901\n' }],
    ['an unknown trigger', { accountId: '012345678901', trigger: 'cron' }],
    ['a non-boolean force', { accountId: '012345678901', force: 'yes' }],
    ['a drift class with a newline', reconcileInput('012345678901', ['role-missing\nforged: log line'])],
    ['a drift class in capitals', reconcileInput('012345678901', ['RoleMissing'])],
    [
      'a huge drift list',
      reconcileInput(
        '012345678901',
        Array.from({ length: 10_000 }, () => 'role-missing'),
      ),
    ],
    ['an unknown key in a reconcile input', { ...reconcileInput(), extra: 1 }],
    ['a string', '012345678901'],
    ['null', null],
    ['an array', [{ accountId: '012345678901' }]],
  ])('rejects %s', (_, raw) => {
    expect(() => parseExecutionInput(raw)).toThrow(InvalidInput);
  });

  it('echoes at most about 200 characters of a hostile input, on one line', () => {
    // Prepare
    const hostile = `${'x'.repeat(5000)}\nERROR forged log line`;

    // Act
    const messages = [
      rejection({ accountId: '012345678901', [hostile]: true }).message,
      rejection({ source: hostile, detail: { eventName: hostile } }).message,
      rejection(reconcileInput('012345678901', [hostile, hostile, hostile])).message,
    ];

    // Assess
    for (const message of messages) {
      expect(message).not.toContain('\n');
      expect(message.match(/x+/g)?.every((run) => run.length <= 200)).toBe(true);
      // The fixed text (what went wrong, the accepted shapes) plus at most about 400 characters quoted from the input.
      const quoted = message.length - message.replace(/x+/g, '').length;
      expect(quoted).toBeLessThanOrEqual(400);
      expect(message.length).toBeLessThan(1100);
    }
  });
});
