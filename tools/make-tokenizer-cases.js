#!/usr/bin/env node
// Writes tests/data/llama3-tokenizer/cases-extra.jsonl: hard tokenizer cases with the ids that
// Hugging Face's own tokenizer core gives (npm package `tokenizers`, the Rust library behind the
// Python fast tokenizer). Not run by the build; rerun by hand when the case list changes:
//   cd /tmp/tokref && npm install tokenizers
//   NODE_PATH=/tmp/tokref/node_modules node tools/make-tokenizer-cases.js
// Each line: {"text", "ids" (add_special_tokens=False), "decoded" (decode(ids), specials kept)}.
//
// With --unicode-supplement it prints instead the code point ranges that the reference's regex
// engine counts as \p{L} or \p{N} but Unicode 14 (PCRE2 10.42's tables) leaves unassigned: the
// table kLetterSupplement / kNumberSupplement in src/core/tokenizer/unicoderegex.cpp. It needs
// python3 with Unicode 14 data (Python 3.11) for the old categories, and Node's own \p{L}
// (Unicode >= the reference's) to find candidates; each candidate is then asked of the reference.

const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');

const dataDir = path.join(__dirname, '..', 'tests', 'data', 'llama3-tokenizer');

const cases = [
  // Whitespace as Unicode's White_Space property defines it: NEL is whitespace, BOM and the
  // Mongolian vowel separator (U+180E) are not, NBSP and ideographic space are.
  'a\u0085b',
  '\u0085\u0085start with NEL',
  'word\u0085 next\u0085',
  '\uFEFFbyte order mark',
  'mid\uFEFFdle \uFEFF \uFEFF',
  'a\u180Eb c \u180E d\u180E\u180E',
  'a  \u180E two spaces, then U+180E',
  '\u00A0\u00A0nbsp  \u00A0word',
  '\u3000ideographic\u3000space\u2003em\u2028line\u2029para',
  // Zero-width and format characters, combining marks.
  'zero\u200Bwidth\u200Cnon\u200Djoiner\u2060wj',
  'e\u0301\u0301\u0301 n\u0303o\u0308 Z\u0351\u0350\u0352\u0357algo',
  '\u0301starts with a combining mark',
  // Very long words (beyond the 256-byte cache limit) and digit runs.
  'a'.repeat(300),
  'Pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(8),
  '12345678901234567890 3.141592653589793 0000000',
  '\u0661\u0662\u0663\u0664\u0665 \u0966\u0967\u0968 \u2460\u2461\u2462 \u216B x\u00B2\u00B3',
  '1\uFF11\uFF12\uFF13\uFF14 fullwidth digits',
  // Contractions at odd places; U+017F (long s) folds to s under (?i).
  "'s'S'T're'VE'm'LL'd",
  "it'\u017Fx and IT'\u017F",
  "don'tdon't ''s 'sdog O'Neill's rock'n'roll",
  " 's '  'll\n'd",
  // Special tokens written in the text.
  '<|begin_of_text|>Hi<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>',
  '<|begin_of_text|><|begin_of_text|> <|end_of_text|>',
  '<|begin_of_text <|eot_id| < |eot_id|>',
  'x<|reserved_special_token_250|>y<|reserved_special_token_5|>',
  '  <|eot_id|>  after',
  // Text that looks invalid but is valid Unicode (lone surrogates become U+FFFD below).
  '\uFFFD replacement \uFFFD\uFFFD',
  '\u00C3\u00A9t\u00C3\u00A9 mojibake',
  '\\xff\\xfe escaped %C3%A9 url',
  '\uE000 private use \u{10FFFF} \uFFFF noncharacter',
  'lone \uD800 surrogate',
  // Empty, only whitespace, CR/LF mixes.
  '',
  '\t\t\n \r\n  ',
  ' \n',
  'a\r\nb\rc\n\rd\r\r\n\n e',
  'line\r\n\r\n  \r\nx \r\n',
  '   leading\ttab and   multiple   \n\n\n   spaces   ',
  // Letters and numbers added after Unicode 14 (PCRE2 10.42 ships Unicode 14).
  'x\u{11F04}\u{11F05}y Kawi',
  // Where the letter status changes the pieces: a new letter before a contraction.
  "\u{11F04}'s and \u{1E030}'ll and \u{A7CB}'d",
  'Sidetic (Unicode 17, unknown to the reference) x\u{10940}\u{10941}y',
  '\u{2EBF0}\u{2EBF1} CJK extension I, Garay digits \u{10D40}\u{10D41}\u{10D42}\u{10D43}',
  'Todhri \u{105C0}\u{105C1}',
  '1\u{1D2C0}\u{1D2C1}\u{1D2C2}\u{1D2C3} Kaktovik',
  // Scripts, emoji, code, punctuation.
  '\u{1F44D}\u{1F3FD}\u{1F1EB}\u{1F1F7}\u{1F3F3}\uFE0F\u200D\u{1F308}',
  '\u4E2D\u6587English\u6DF7\u5408123 \u0E2A\u0E27\u0E31\u0E2A\u0E14\u0E35 \uC548\uB155\uD558\uC138\uC694',
  'for (int i=0;i<10;++i){x+=i;}\n\tif(x){}\n',
  '{"key": [1, 2.5e-3, null], "\u00FC": true}',
  '!!!\n\n???\r\n... \u2014\u2013-\u2010 \u00ABquotes\u00BB \u201Edt\u201C',
  "HTTPSConnectionPool(host='example.com', port=443)",
];

// Pieces of `texts` as the reference pre-tokenizer cuts them: the model is swapped for a
// WordLevel model whose every piece is the unknown token, so one id = one piece.
async function pieceCounts(texts) {
  const root = JSON.parse(fs.readFileSync(path.join(dataDir, 'tokenizer.json'), 'utf8'));
  root.model = { type: 'WordLevel', vocab: { '<unk>': 0 }, unk_token: '<unk>' };
  root.added_tokens = [];
  const splitter = Tokenizer.fromString(JSON.stringify(root));
  const encodings = await splitter.encodeBatch(texts, { addSpecialTokens: false });
  return encodings.map((encoding) => encoding.getLength());
}

async function printUnicodeSupplement() {
  const { execFileSync } = require('child_process');
  const unicode14 = execFileSync('python3', ['-c', `
import sys, unicodedata
assert unicodedata.unidata_version == '14.0.0', unicodedata.unidata_version
print(''.join(unicodedata.category(chr(c))[0] if not 0xD800 <= c <= 0xDFFF else 'C' for c in range(0x110000)))
`], { maxBuffer: 8 << 20 }).toString().trim();
  for (const [name, regex] of [['L', /^\p{L}$/u], ['N', /^\p{N}$/u]]) {
    const candidates = [];
    for (let c = 0; c <= 0x10ffff; ++c)
      if ((c < 0xd800 || c > 0xdfff) && unicode14[c] !== name && regex.test(String.fromCodePoint(c)))
        candidates.push(c);
    // A letter joins "a" and "a" into one piece; a number run of 4 splits into 3 + 1.
    const texts = candidates.map((c) => (name === 'L' ? 'a' + String.fromCodePoint(c) + 'a' : String.fromCodePoint(c).repeat(4)));
    const counts = await pieceCounts(texts);
    const accepted = candidates.filter((c, i) => counts[i] === (name === 'L' ? 1 : 2));
    const ranges = [];
    for (const c of accepted) {
      if (ranges.length && ranges[ranges.length - 1][1] === c - 1) ranges[ranges.length - 1][1] = c;
      else ranges.push([c, c]);
    }
    const hex = (c) => '\\x{' + c.toString(16).toUpperCase() + '}';
    console.log(`${name}: ${accepted.length} of ${candidates.length} candidates`);
    console.log(ranges.map(([a, b]) => (a === b ? hex(a) : hex(a) + '-' + hex(b))).join(''));
  }
}

(async () => {
  if (process.argv.includes('--unicode-supplement')) {
    await printUnicodeSupplement();
    return;
  }
  const tokenizer = Tokenizer.fromFile(path.join(dataDir, 'tokenizer.json'));
  const lines = [];
  for (const raw of cases) {
    // The text exactly as the Rust side sees it (lone surrogates become U+FFFD).
    const text = Buffer.from(raw, 'utf8').toString('utf8');
    const encoding = await tokenizer.encode(text, null, { addSpecialTokens: false });
    const ids = encoding.getIds();
    const decoded = await tokenizer.decode(ids, false);
    lines.push(JSON.stringify({ text, ids, decoded }));
  }
  fs.writeFileSync(path.join(dataDir, 'cases-extra.jsonl'), lines.join('\n') + '\n');
  console.log(`wrote ${lines.length} cases`);
})();
