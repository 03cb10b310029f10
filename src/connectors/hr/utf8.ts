/**
 * Strict, streaming UTF-8 decoding that says where a file breaks. `TextDecoder` with `fatal`
 * refuses bad bytes but does not say where; an administrator needs the byte offset and the line
 * to find the row a spreadsheet saved as Latin-1. Validation follows the WHATWG UTF-8 decoder
 * (no overlong forms, no surrogates, nothing above U+10FFFF).
 */

/** Where the bytes stop being UTF-8. */
export class Utf8Error extends Error {
  readonly byteOffset: number;
  readonly line: number;

  constructor(byteOffset: number, line: number, reason: string) {
    super(`invalid UTF-8 at byte ${byteOffset} (line ${line}): ${reason}`);
    this.name = 'Utf8Error';
    this.byteOffset = byteOffset;
    this.line = line;
  }
}

/** Feed chunks in order; each call returns the text of the complete characters so far. */
export class Utf8Stream {
  #offset = 0;
  #line = 1;
  #need = 0;
  #lower = 0x80;
  #upper = 0xbf;
  /** Bytes of a character cut by a chunk boundary, carried to the next chunk. */
  #tail: Buffer = Buffer.alloc(0);
  #first = true;
  /** Bytes of the character in progress so far. */
  #started = 0;
  #lead = 0;

  decode(chunk: Buffer): string {
    for (let i = 0; i < chunk.length; i++) this.#check(chunk[i]!);
    const bytes = this.#tail.length === 0 ? chunk : Buffer.concat([this.#tail, chunk]);
    const cut = bytes.length - this.#pending();
    this.#tail = Buffer.from(bytes.subarray(cut));
    let text = bytes.subarray(0, cut).toString('utf8');
    // A byte order mark (Excel's "CSV UTF-8") is not part of the first column's name.
    if (this.#first && text.length > 0) {
      this.#first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
  }

  /** Call at the end of the input: a character cut short there is an error too. */
  end(): void {
    if (this.#need > 0) {
      throw new Utf8Error(this.#offset, this.#line, 'the file ends inside a character');
    }
  }

  /** Bytes of the character in progress (already counted in #offset). */
  #pending(): number {
    return this.#need === 0 ? 0 : this.#started;
  }

  #check(byte: number): void {
    if (this.#need === 0) {
      this.#started = 1;
      this.#lead = byte;
      if (byte <= 0x7f) {
        if (byte === 0x0a) this.#line++;
      } else if (byte >= 0xc2 && byte <= 0xdf) this.#need = 1;
      else if (byte >= 0xe0 && byte <= 0xef) {
        if (byte === 0xe0) this.#lower = 0xa0;
        if (byte === 0xed) this.#upper = 0x9f;
        this.#need = 2;
      } else if (byte >= 0xf0 && byte <= 0xf4) {
        if (byte === 0xf0) this.#lower = 0x90;
        if (byte === 0xf4) this.#upper = 0x8f;
        this.#need = 3;
      } else this.#fail(byte);
    } else {
      // Named by the sequence's first byte: that is where the editor shows the bad character.
      if (byte < this.#lower || byte > this.#upper) this.#fail(this.#lead, this.#started);
      this.#lower = 0x80;
      this.#upper = 0xbf;
      this.#need--;
      this.#started++;
    }
    this.#offset++;
  }

  #fail(byte: number, back = 0): never {
    const hex = byte.toString(16).padStart(2, '0');
    const reason = `byte 0x${hex} does not start a valid character`;
    throw new Utf8Error(this.#offset - back, this.#line, reason);
  }
}
