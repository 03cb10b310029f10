/**
 * Number patterns of the `pattern` allocation policy and the DID→extension derivation of mapped
 * pools. A pattern is a regular expression when it starts with `^` (`^2[0-9]00$`), else a digit
 * mask matched against the number's last digits: digits match themselves, `X` (or `x`, `?`)
 * any digit (`2X00` takes 2000, 2100 … 2900).
 */

/** A test for the pattern; throws `SyntaxError` text for a bad regex or mask. */
export function compilePattern(pattern: string): (value: string) => boolean {
  if (pattern.startsWith('^')) {
    const regex = new RegExp(pattern);
    return (value) => regex.test(value);
  }
  if (!/^[0-9Xx?]+$/.test(pattern)) {
    throw new SyntaxError(
      `'${pattern}' is neither a regex starting with ^ nor a digit mask ` + '(digits and X)',
    );
  }
  const mask = pattern.toUpperCase().replaceAll('?', 'X');
  return (value) => {
    const digits = value.replace(/^\+/, '');
    if (digits.length < mask.length) return false;
    const tail = digits.slice(digits.length - mask.length);
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] !== 'X' && mask[i] !== tail[i]) return false;
    }
    return true;
  };
}

/**
 * The extension a DID maps to: its last `width` digits plus `offset`, zero-padded to `width`;
 * undefined when the sum leaves `width` digits (or falls below zero).
 */
export function deriveExtension(
  did: string,
  rule: { width: number; offset: number },
): string | undefined {
  const digits = did.replace(/^\+/, '');
  if (digits.length < rule.width) return undefined;
  const n = BigInt(digits.slice(digits.length - rule.width)) + BigInt(rule.offset);
  if (n < 0n) return undefined;
  const text = n.toString().padStart(rule.width, '0');
  return text.length === rule.width ? text : undefined;
}
