/** The default event buses of the stand-in: every event emitted, and the listeners that get them as rules do. */
import { randomUUID } from 'node:crypto';
import { isoSeconds } from './state-common';

/** An EventBridge event as AWS delivers it to a rule target. */
export interface AwsEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export type EventListener = (event: AwsEvent) => void | Promise<void>;

export class EventBus {
  /** Every event emitted so far, in order. */
  readonly events: AwsEvent[] = [];
  private readonly listeners = new Set<EventListener>();

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An `aws.organizations` event on the default bus of `account`. */
  emit(detailType: string, detail: Record<string, unknown>, account: string): void {
    const event: AwsEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source: 'aws.organizations',
      account,
      time: isoSeconds(new Date()),
      region: 'us-east-1',
      resources: [],
      detail,
    };
    this.events.push(event);
    // Delivered asynchronously, as EventBridge does, to the listeners subscribed when the event happened.
    const listeners = [...this.listeners];
    setImmediate(() => {
      for (const listener of listeners) {
        Promise.resolve()
          .then(() => listener(event))
          .catch((error: unknown) => console.error('AWS stand-in: event listener failed', error));
      }
    });
  }
}
