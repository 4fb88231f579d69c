/** SNS takes a message of at most 256 KiB: 262,144 bytes of UTF-8, not characters (message attributes count too). */
export const SNS_MAX_MESSAGE_BYTES = 262_144;

const CUT_MARKER = "\n… (cut to fit SNS's 256 KiB)";

/**
 * `text` as it fits an SNS message: unchanged when it does, else cut at a character boundary to `maxBytes` of UTF-8
 * with a marker at the end. A character-based cut does not do: 200,000 characters of non-ASCII text are up to 800 KB.
 */
export function fitSnsMessage(text: string, maxBytes = SNS_MAX_MESSAGE_BYTES, marker = CUT_MARKER): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes - Buffer.byteLength(marker, 'utf8'));
  // Never split a character: step back while the first byte left out continues the one before it (10xxxxxx).
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + marker;
}
