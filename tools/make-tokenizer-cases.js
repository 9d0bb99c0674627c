#!/usr/bin/env node
// Writes tests/data/llama3-tokenizer/cases-extra.jsonl: hard tokenizer cases with the ids that
// Hugging Face's own tokenizer core gives (npm package `tokenizers`, the Rust library behind the
// Python fast tokenizer). Not run by the build; rerun by hand when the case list changes:
//   cd /tmp/tokref && npm install tokenizers@0.23.2
//   NODE_PATH=/tmp/tokref/node_modules node tools/make-tokenizer-cases.js
// Each line: {"text", "ids" (add_special_tokens=False), "decoded" (decode(ids), specials kept)}.
//
// With --families it writes the tokenizer files and cases of the other model families instead
// (tests/data/tokenizer-families, see docs/tokenizers.md and writeFamilies below).
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

// ---------------------------------------------------------------------------------------------
// --families: the tokenizer.json variants of the other model families (issue 17), each a small
// tokenizer built here (a tiny BPE trained by trainBpe below on the corpus below), written with
// the same structure as the family's real file, and its cases: tests/data/tokenizer-families/
// <family>/{tokenizer.json, tokenizer_config.json, cases.jsonl}. The Llama 3 family gets the same
// case list against its real tokenizer (tests/data/llama3-tokenizer/cases-families.jsonl).
// Each case line: {"text", "ids" (add_special_tokens=False), "ids_with_specials"
// (add_special_tokens=True), "decoded" (decode(ids), specials kept), "decoded_skip"
// (decode(ids_with_specials), specials skipped)}.

const familiesDir = path.join(__dirname, '..', 'tests', 'data', 'tokenizer-families');

const corpus = `The quick brown fox jumps over the lazy dog. The cat sat on the mat, and the dog sat on the log.
Hello, world! Hello there, my friend; how are you doing today? I'm fine, thanks. You're welcome, we'll see.
It's a test of the tokenizer: numbers 0 1 2 3 4 5 6 7 8 9 10 100 1000 2024 3.14159 and 1,000,000 too.
def main():\n    for i in range(10):\n        print(i)\n    return 0\n
int main(void) { return printf("%d\\n", 42); } // comment
The researchers tested the model on several prompts; the results were interesting and the tokens were counted.
Sentences about tokenization, encoding, decoding, and the merging of frequent pairs into longer tokens.
Ünïcödé is part of the text: café, naïve, résumé, Zürich, São Paulo, Kraków, Ελληνικά, русский язык.
Whitespace   runs\tand\ttabs\n\nnew lines  and  double  spaces.   Trailing spaces   \n`;

// Byte-level alphabet of GPT-2 (see src/core/tokenizer/bytelevel.h).
function byteLevelAlphabet() {
  const printable = [];
  for (let b = 33; b <= 126; ++b) printable.push(b);
  for (let b = 161; b <= 172; ++b) printable.push(b);
  for (let b = 174; b <= 255; ++b) printable.push(b);
  const map = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; ++b) map[b] = printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(next++);
  return map;
}
const byteChars = byteLevelAlphabet();
const toByteLevel = (text) => Array.from(Buffer.from(text, 'utf8')).map((b) => byteChars[b]).join('');

// A plain BPE trainer: words (arrays of symbols) with counts; `merges` times, the most frequent
// adjacent pair (ties: the first in sorted order) is merged everywhere.
function trainBpe(wordCounts, initialSymbols, merges) {
  const vocab = [...initialSymbols];
  const known = new Set(vocab);
  let words = [...wordCounts.entries()].map(([word, count]) => ({ symbols: Array.from(word), count }));
  const mergeList = [];
  for (let m = 0; m < merges; ++m) {
    const pairs = new Map();
    for (const { symbols, count } of words)
      for (let i = 0; i + 1 < symbols.length; ++i) {
        if (!known.has(symbols[i]) || !known.has(symbols[i + 1])) continue;
        const key = symbols[i] + '\u0000' + symbols[i + 1];
        pairs.set(key, (pairs.get(key) || 0) + count);
      }
    let best = null;
    for (const [key, count] of [...pairs.entries()].sort())
      if (!best || count > best[1]) best = [key, count];
    if (!best) break;
    const [left, right] = best[0].split('\u0000');
    mergeList.push([left, right]);
    if (!known.has(left + right)) {
      known.add(left + right);
      vocab.push(left + right);
    }
    for (const word of words) {
      const out = [];
      for (let i = 0; i < word.symbols.length; ++i) {
        if (i + 1 < word.symbols.length && word.symbols[i] === left && word.symbols[i + 1] === right) {
          out.push(left + right);
          ++i;
        } else out.push(word.symbols[i]);
      }
      word.symbols = out;
    }
  }
  return { vocab, merges: mergeList };
}

function countWords(pieces) {
  const counts = new Map();
  for (const piece of pieces) if (piece) counts.set(piece, (counts.get(piece) || 0) + 1);
  return counts;
}

const gpt2Regex = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const qwen2Pattern = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const qwen2Regex = /'s|'t|'re|'ve|'m|'ll|'d|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

function bpeModel(vocabList, merges, extra) {
  const vocab = {};
  vocabList.forEach((token, id) => { vocab[token] = id; });
  return Object.assign({ type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null,
    end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges }, extra);
}

function addedToken(id, content, special, extra) {
  return Object.assign({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: !special, special }, extra);
}

function byteLevelFamily(pattern) {
  const regex = pattern === 'gpt2' ? gpt2Regex : qwen2Regex;
  const words = countWords((corpus.match(regex) || []).map(toByteLevel));
  return trainBpe(words, byteChars, 400);
}

// SentencePiece-style vocabularies: specials, the 256 byte tokens <0x00>..<0xFF>, then the
// characters of the corpus (so that CJK, emoji and the like fall back to bytes) and the merges.
function sentencePieceFamily(specials, prependSpace) {
  const normalized = corpus.replace(/ /g, '\u2581');
  const pieces = (prependSpace ? '\u2581' : '') + normalized;
  const words = countWords(pieces.split(/(?=\u2581)/u));
  const characters = [...new Set(Array.from(normalized))].sort();
  const bytes = [];
  for (let b = 0; b < 256; ++b) bytes.push('<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>');
  return trainBpe(words, [...specials, ...bytes, ...characters], 400);
}

function templateSingle(bos, bosId) {
  return { type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
           { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } } };
}

function makeFamilies() {
  const families = {};
  {
    // GPT-2 (and SmolLM-like files): ByteLevel pre-tokenizer with its built-in regex.
    const { vocab, merges } = byteLevelFamily('gpt2');
    const eos = vocab.length;
    families.gpt2 = {
      readme: 'GPT-2: byte-level BPE, ByteLevel pre-tokenizer (use_regex: the GPT-2 pattern), no normalizer, <|endoftext|> added.',
      config: { add_bos_token: false, add_prefix_space: false, bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', model_max_length: 1024 },
      specials: ['<|endoftext|>'],
      json: { version: '1.0', truncation: null, padding: null,
        added_tokens: [addedToken(eos, '<|endoftext|>', true, { normalized: true })],
        normalizer: null,
        pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
        post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
        decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
        model: bpeModel(vocab, merges.map(([a, b]) => a + ' ' + b), { continuing_subword_prefix: '', end_of_word_suffix: '' }) },
    };
  }
  {
    // Qwen2: NFC normalizer, Split(Qwen2 pattern: single digits) + ByteLevel without its regex.
    const { vocab, merges } = byteLevelFamily('qwen2');
    const base = vocab.length;
    families.qwen2 = {
      readme: 'Qwen2: byte-level BPE, NFC normalizer, Split with the Qwen2 pattern (one digit a piece) + ByteLevel(use_regex false), <|endoftext|> <|im_start|> <|im_end|> added.',
      config: { add_bos_token: false, add_prefix_space: false, bos_token: null, eos_token: '<|im_end|>' },
      specials: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
      json: { version: '1.0', truncation: null, padding: null,
        added_tokens: [addedToken(base, '<|endoftext|>', true), addedToken(base + 1, '<|im_start|>', true), addedToken(base + 2, '<|im_end|>', true)],
        normalizer: { type: 'NFC' },
        pre_tokenizer: { type: 'Sequence', pretokenizers: [
          { type: 'Split', pattern: { Regex: qwen2Pattern }, behavior: 'Isolated', invert: false },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false }] },
        post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
        decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
        model: bpeModel(vocab, merges, { ignore_merges: false }) },
    };
  }
  const spDecoder = (strip) => ({ type: 'Sequence', decoders: [
    { type: 'Replace', pattern: { String: '\u2581' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' },
    ...(strip ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : [])] });
  {
    // Llama 2 / TinyLlama / Mistral v0.1: Prepend("▁") + Replace(" ", "▁") normalizer, byte fallback.
    const specials = ['<unk>', '<s>', '</s>'];
    const { vocab, merges } = sentencePieceFamily(specials, true);
    families.llama2 = {
      readme: 'Llama 2 / TinyLlama / Mistral v0.1: SentencePiece-style BPE, normalizer Prepend("▁") + Replace(" ", "▁"), no pre-tokenizer, byte_fallback with <0xNN> tokens, fuse_unk, BOS by the post-processor, decoder Replace + ByteFallback + Fuse + Strip.',
      config: { add_bos_token: true, add_eos_token: false, bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', legacy: false },
      specials,
      json: { version: '1.0', truncation: null, padding: null,
        added_tokens: specials.map((s, i) => addedToken(i, s, true)),
        normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' }, { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] },
        pre_tokenizer: null,
        post_processor: templateSingle('<s>', 1),
        decoder: spDecoder(true),
        model: bpeModel(vocab, merges, { unk_token: '<unk>', fuse_unk: true, byte_fallback: true }) },
    };
  }
  {
    // Mistral v0.3 style: Metaspace pre-tokenizer (prepend_scheme first, no split), Metaspace decoder.
    const specials = ['<unk>', '<s>', '</s>', '[INST]', '[/INST]'];
    const { vocab, merges } = sentencePieceFamily(specials, true);
    families.mistral = {
      readme: 'Mistral (Metaspace conversion): SentencePiece-style BPE, no normalizer, Metaspace pre-tokenizer (prepend_scheme "first", split false), byte_fallback, [INST] [/INST] special, Metaspace decoder inside ByteFallback + Fuse.',
      config: { add_bos_token: true, add_eos_token: false, bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' },
      specials,
      json: { version: '1.0', truncation: null, padding: null,
        added_tokens: specials.map((s, i) => addedToken(i, s, true)),
        normalizer: null,
        pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false },
        post_processor: templateSingle('<s>', 1),
        decoder: { type: 'Sequence', decoders: [{ type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false },
          { type: 'ByteFallback' }, { type: 'Fuse' }] },
        model: bpeModel(vocab, merges, { unk_token: '<unk>', fuse_unk: true, byte_fallback: true }) },
    };
    // A merge across a word boundary ("s" + "▁"), first in rank: a Metaspace split must prevent it.
    const model = families.mistral.json.model;
    model.vocab['s\u2581'] = Object.keys(model.vocab).length;
    model.merges.unshift(['s', '\u2581']);
  }
  {
    // Gemma: Replace(" ", "▁") normalizer without Prepend, byte fallback, no Strip in the decoder.
    const specials = ['<pad>', '<eos>', '<bos>', '<unk>', '<start_of_turn>', '<end_of_turn>'];
    const { vocab, merges } = sentencePieceFamily(specials, false);
    families.gemma = {
      readme: 'Gemma: SentencePiece-style BPE, normalizer Replace(" ", "▁") only, byte_fallback, <bos> by the post-processor, <start_of_turn>/<end_of_turn>, decoder Replace + ByteFallback + Fuse.',
      config: { add_bos_token: true, add_eos_token: false, bos_token: '<bos>', eos_token: '<eos>', unk_token: '<unk>', pad_token: '<pad>' },
      specials,
      json: { version: '1.0', truncation: null, padding: null,
        added_tokens: specials.map((s, i) => addedToken(i, s, true)),
        normalizer: { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' },
        pre_tokenizer: null,
        post_processor: templateSingle('<bos>', 2),
        decoder: spDecoder(false),
        model: bpeModel(vocab, merges, { unk_token: '<unk>', fuse_unk: true, byte_fallback: true }) },
    };
  }
  {
    // Older Metaspace conversions: prepend_scheme "always" and split true (a piece per "▁word").
    const base = families.mistral;
    const json = JSON.parse(JSON.stringify(base.json));
    json.pre_tokenizer = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true };
    json.decoder.decoders[0] = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true };
    families['mistral-metaspace-split'] = { ...base, json,
      readme: 'The mistral tokenizer with a Metaspace pre-tokenizer and decoder of prepend_scheme "always" and split true.' };
  }
  // tokenizer_config.json settings, which the Rust core does not read: the reference applies
  // them to its copy of tokenizer.json the way transformers' fast tokenizers do.
  {
    const base = families.gpt2;
    const reference = JSON.parse(JSON.stringify(base.json));
    reference.pre_tokenizer.add_prefix_space = true;
    families['gpt2-add-prefix-space'] = { ...base, json: base.json, referenceJson: reference,
      config: { ...base.config, add_prefix_space: true },
      readme: 'The gpt2 tokenizer.json with tokenizer_config.json add_prefix_space true (the ByteLevel pre-tokenizer then adds a leading space).' };
  }
  {
    const base = families.llama2;
    const reference = JSON.parse(JSON.stringify(base.json));
    reference.post_processor = { type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } } };
    reference.normalizer = { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' };
    families['llama2-config'] = { ...base, json: base.json, referenceJson: reference,
      config: { ...base.config, add_bos_token: false, add_eos_token: true, add_prefix_space: false },
      readme: 'The llama2 tokenizer.json with tokenizer_config.json add_bos_token false, add_eos_token true (text then </s>) and add_prefix_space false (no Prepend("▁")).' };
  }
  {
    // Unknown characters: the llama2 tokenizer without byte fallback (<unk>, fused or not), with
    // no unk_token (the character is dropped), and with byte fallback but without the byte tokens
    // of 4-byte UTF-8 lead bytes, so an emoji becomes <unk> next to characters that fall back to
    // bytes. Their cases add unknownCases below to the shared ones.
    const base = families.llama2;
    const variant = (name, readme, change) => {
      const json = JSON.parse(JSON.stringify(base.json));
      change(json.model);
      families[name] = { ...base, json, readme: readme + ' (otherwise the llama2 tokenizer)', extraCases: unknownCases() };
    };
    const dropFourByteLeads = (model) => {
      for (let b = 0xf0; b <= 0xf4; ++b) delete model.vocab['<0x' + b.toString(16).toUpperCase() + '>'];
    };
    variant('llama2-unk-fused', 'byte_fallback false, fuse_unk true: a run of characters outside the vocabulary is one <unk>',
      (model) => { model.byte_fallback = false; });
    variant('llama2-unk-unfused', 'byte_fallback false, fuse_unk false: one <unk> per character outside the vocabulary',
      (model) => { model.byte_fallback = false; model.fuse_unk = false; });
    variant('llama2-no-unk', 'byte_fallback false, unk_token null: characters outside the vocabulary are dropped',
      (model) => { model.byte_fallback = false; model.unk_token = null; });
    variant('llama2-bytes-unk-fused', 'byte_fallback true without the tokens <0xF0>..<0xF4>, fuse_unk true: emoji become <unk>, other characters outside the vocabulary their bytes',
      dropFourByteLeads);
    variant('llama2-bytes-unk-unfused', 'byte_fallback true without the tokens <0xF0>..<0xF4>, fuse_unk false',
      (model) => { dropFourByteLeads(model); model.fuse_unk = false; });
  }
  {
    // Replace with Regex patterns (normalizer and decoder), as Hugging Face's engine (Oniguruma,
    // Ruby syntax: ^ and $ at every line, \d Unicode digits) reads them.
    const base = families.gemma;
    const json = JSON.parse(JSON.stringify(base.json));
    json.normalizer = { type: 'Sequence', normalizers: [
      { type: 'Replace', pattern: { Regex: '^ +| +$' }, content: '' },
      { type: 'Replace', pattern: { Regex: '[ \\t]{2,}' }, content: ' ' },
      { type: 'Replace', pattern: { Regex: '\\d{2,}' }, content: '#' },
      { type: 'Replace', pattern: { Regex: '(?=!)|!+|(?<=\\?)x*' }, content: '|' },
      { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }] };
    json.decoder = { type: 'Sequence', decoders: [
      { type: 'Replace', pattern: { Regex: '\u2581+' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }] };
    families['gemma-regex-replace'] = { ...base, json, extraCases: regexReplaceCases(),
      readme: 'The gemma tokenizer with Regex Replace normalizers ("^ +| +$" -> "", "[ \\t]{2,}" -> " ", "\\d{2,}" -> "#", "(?=!)|!+|(?<=\\?)x*" -> "|", which matches empty text) before Replace(" ", "▁"), and a decoder Replace("▁+" as a Regex -> " ").' };
  }
  return families;
}

// Texts for the Regex Replace patterns: lines with leading and trailing spaces, runs of spaces
// and tabs, digit runs in several scripts.
function regexReplaceCases() {
  return ['  two leading\n   three leading\ntrailing   \n end  ', ' x \n\n y ', 'a  b\t\tc \t d', '12 345 6789 0',
    '\u0661\u0662 \uFF11\uFF12 \u0967\u0968\u0969', 'x\r\n  y  \r\n', '\n \n  \n', 'no\u3000\u3000ideographic  ',
    '\u00A0 \u00A0 nbsp', '1 2  3   4', 'wow!! x!y !', '?x ?? ?xxy !?!'];
}

// Texts where a character is outside the vocabulary (CJK, emoji, symbols), alone, in runs, and
// next to characters that fall back to bytes.
function unknownCases() {
  return ['\u{1F600}', '\u{1F600}\u{1F601}', '\u{1F600}\u{1F601}\u{1F602}x', 'a\u{1F600}\u4E2Db', '\u{1F600}\u4E2D\u{1F601}',
    '\u{1F600}\u4E2D\u6587\u{1F601}b', '\u4E2D\u{1F600}', '\u4E2D\u{1F600}\u{1F600}\u6587', 'x\u{1F600} \u{1F601}y', '\u{1F600} \u{1F600}',
    '\u{1F600}\u{1F600}\u{1F600}abc\u{1F600}', '\u2211\u222B\u221A \u03A9\u2248', 'caf\u00E9 \u00E9\u{1F600}\u00E9 \u4E2D\u00E9',
    '\u4E2D\u6587\u{1F600}\u65E5\u672C', 'word\u{1F600}word \u{1F600}word word\u{1F600}', '\u{1F600}\n\u{1F601}\t\u4E2D',
    '<s>\u{1F600}</s>\u4E2D<unk>', '\u{10FFFF}\u{E000}\uFFFD\u{1F600}'];
}

// The case list shared by every family (the family's special tokens are added by familyCases).
function sharedCases() {
  const cases = [
    '', ' ', '  ', '   ', '\t', '\n', '\r\n', ' \n ', '\n\n\n', '\t\t\n \r\n  ',
    'Hello', ' Hello', '  Hello', 'Hello ', 'Hello  ', 'Hello world', 'Hello  world', 'Hello   world   ',
    'The quick brown fox jumps over the lazy dog.', 'the cat sat on the mat', 'THE CAT', "I'm fine, you're welcome, we'll see",
    "don't DON'T it's IT'S o'clock rock'n'roll", "'s'S'T're'VE'm'LL'd", ' \'s \'  \'ll\n\'d',
    '0', '7', '42', '123', '1234', '12345', '1234567890', '3.14159', '1,000,000', '2024-12-05', 'x1y22z333', '-17 +4 1e-9',
    '\u0661\u0662\u0663 \u0966\u0967 \u2460\u2461 \u216B x\u00B2', '\uFF11\uFF12\uFF13 fullwidth',
    '\u4E2D\u6587', '\u4F60\u597D\uFF0C\u4E16\u754C\uFF01', '\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8', '\uC548\uB155\uD558\uC138\uC694',
    '\u4E2D\u6587English\u6DF7\u5408123', '\u0E2A\u0E27\u0E31\u0E2A\u0E14\u0E35', '\u0645\u0631\u062D\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645',
    '\u{1F600}', '\u{1F44D}\u{1F3FD}', '\u{1F1EB}\u{1F1F7}', '\u{1F3F3}\uFE0F\u200D\u{1F308}', 'emoji \u{1F680} in \u{1F389} text \u2764\uFE0F',
    '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466} family',
    'e\u0301 cafe\u0301 caf\u00E9', 'n\u0303o\u0308 Z\u0351\u0350\u0352algo', '\u0301starts with a combining mark', 'A\u030A \u212B \u00C5',
    '\u1100\u1161\u11A8 jamo', '\uFB01 ligature \uFB00',
    '\uFFFD', '\uFFFD replacement \uFFFD\uFFFD', 'lone \uD800 surrogate', 'pair \uDBFF\uDFFF end', 'trail \uDC00',
    '\u00C3\u00A9t\u00C3\u00A9 mojibake', '\\xff\\xfe escaped %C3%A9 url', '\uE000 private \u{10FFFF} \uFFFF nonchar',
    '\u0000 nul \u0001 \u001F ctrl \u007F del', 'zero\u200Bwidth\u200Cnon\u200Djoiner\u2060wj', '\uFEFFbom',
    'a\u0085b', '\u00A0\u00A0nbsp  \u00A0word', '\u3000ideographic\u3000space\u2003em\u2028line\u2029para',
    'a'.repeat(300), 'ab'.repeat(70), ' '.repeat(40) + 'x', 'x' + ' '.repeat(17), '\n'.repeat(12), '!'.repeat(25),
    'for (int i=0;i<10;++i){x+=i;}\n\tif(x){}\n', 'def main():\n    return 0\n', '{"key": [1, 2.5e-3, null], "\u00FC": true}',
    '!!!\n\n???\r\n... \u2014\u2013-\u2010 \u00ABquotes\u00BB \u201Edt\u201C', "HTTPSConnectionPool(host='example.com', port=443)",
    'https://example.com/path?q=1&r=two#frag', 'user@example.com', 'C:\\Users\\name\\file.txt', '<html><body>hi</body></html>',
    '\u2581 lower one eighth block \u2581\u2581', '\u2581Hello', 'a\u2581b \u2581',
    '<0x41> looks like a byte token', '<unk> written', 'tab\there\tand\tthere', 'mixed \t \n \t spaces',
    'Ελληνικά και русский язык', 'Zürich São Paulo Kraków naïve résumé', 'ǅemal Ǆ ǆ', 'İstanbul ı I i',
  ];
  // Whitespace runs of each kind and length, and digit runs of each length.
  for (const ws of [' ', '\t', '\n', '\u3000'])
    for (const n of [2, 3, 5])
      cases.push('a' + ws.repeat(n) + 'b');
  for (let n = 1; n <= 9; ++n) cases.push('n' + '9876543210'.slice(0, n) + ' ' + '1'.repeat(n));
  return cases;
}

function familyCases(specials) {
  const cases = sharedCases();
  const [first, second] = [specials[0], specials[specials.length - 1]];
  cases.push(first, first + first, first + 'Hello' + second, ' ' + first + ' Hello ' + second + ' ',
    'Hello' + first + 'world', 'x ' + second + '\n\ny', first.slice(0, -1) + ' not quite ' + second.slice(1),
    specials.join(' '), specials.join(''), '\u4E2D' + second + '\u{1F600}');
  return cases;
}

async function writeCases(tokenizer, texts, file) {
  const lines = [];
  for (const raw of texts) {
    const text = Buffer.from(raw, 'utf8').toString('utf8'); // lone surrogates become U+FFFD
    const ids = (await tokenizer.encode(text, null, { addSpecialTokens: false })).getIds();
    const idsWithSpecials = (await tokenizer.encode(text, null, { addSpecialTokens: true })).getIds();
    const decoded = await tokenizer.decode(ids, false);
    const decodedSkip = await tokenizer.decode(idsWithSpecials, true);
    lines.push(JSON.stringify({ text, ids, ids_with_specials: idsWithSpecials, decoded, decoded_skip: decodedSkip }));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return lines.length;
}

async function writeFamilies() {
  for (const [name, family] of Object.entries(makeFamilies())) {
    const dir = path.join(familiesDir, name);
    fs.mkdirSync(dir, { recursive: true });
    const text = JSON.stringify(family.json, null, 1);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), text + '\n');
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(family.config, null, 2) + '\n');
    fs.writeFileSync(path.join(dir, 'README.md'), '# ' + name + ' tokenizer (made by tools/make-tokenizer-cases.js --families)\n\n' + family.readme + '\n');
    const tokenizer = Tokenizer.fromString(JSON.stringify(family.referenceJson || family.json));
    const count = await writeCases(tokenizer, familyCases(family.specials).concat(family.extraCases || []), path.join(dir, 'cases.jsonl'));
    console.log(`${name}: ${Object.keys(family.json.model.vocab).length} tokens, ${family.json.model.merges.length} merges, ${count} cases`);
  }
  const llama3 = Tokenizer.fromFile(path.join(dataDir, 'tokenizer.json'));
  const count = await writeCases(llama3, familyCases(['<|begin_of_text|>', '<|eot_id|>']), path.join(dataDir, 'cases-families.jsonl'));
  console.log(`llama3: ${count} cases`);
}

(async () => {
  if (process.argv.includes('--unicode-supplement')) {
    await printUnicodeSupplement();
    return;
  }
  if (process.argv.includes('--families')) {
    await writeFamilies();
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
