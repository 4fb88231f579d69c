/** What the stores of the AWS stand-in share: tags, random identifiers and the timestamp format of events. */
import { randomBytes } from 'node:crypto';

export interface Tag {
  Key: string;
  Value: string;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const LOWER_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const HEX_ALPHABET = '0123456789abcdef';

/** A random identifier as AWS forms them: `AROA` + `randomId(17)`, `o-` + `randomId(10, LOWER_ALPHABET)`. */
export function randomId(length: number, alphabet = ID_ALPHABET): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}

/** `2026-01-02T03:04:05Z`: the time of an EventBridge event and of a CloudTrail record. */
export const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
