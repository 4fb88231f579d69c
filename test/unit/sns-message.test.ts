import { fitSnsMessage, SNS_MAX_MESSAGE_BYTES } from '../../functions/lib/sns-message';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('fitSnsMessage', () => {
  it('leaves a message that fits untouched, up to the last byte', () => {
    // Prepare
    const exact = 'x'.repeat(SNS_MAX_MESSAGE_BYTES);

    // Act / Assess
    expect(fitSnsMessage('drift: 3 accounts')).toBe('drift: 3 accounts');
    expect(fitSnsMessage(exact)).toBe(exact);
  });

  it.each([
    ['one-byte', 'a'],
    ['two-byte', 'é'],
    ['three-byte', '€'],
    ['four-byte (surrogate pairs in JavaScript)', '😀'],
  ])('cuts %s text by UTF-8 bytes, never inside a character, and says so', (_, character) => {
    // Prepare: fewer characters than SNS takes bytes, but more bytes
    const text = `start ${character.repeat(Math.ceil(SNS_MAX_MESSAGE_BYTES / bytes(character)) + 7)}`;

    // Act
    const fitted = fitSnsMessage(text);

    // Assess
    expect(bytes(fitted)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
    expect(bytes(fitted)).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES - 100);
    expect(fitted).not.toContain('\uFFFD');
    expect(fitted.startsWith('start ')).toBe(true);
    expect(fitted.endsWith("(cut to fit SNS's 256 KiB)")).toBe(true);
  });

  it('takes a smaller budget and its own marker', () => {
    // Act
    const fitted = fitSnsMessage('€€€€€€€€€€', 10, '…');

    // Assess: 10 bytes: 2 euro signs (6 bytes) and the 3-byte marker; a third euro sign would need 12
    expect(fitted).toBe('€€…');
  });
});
