// The reference side of the tokenizer conformance test (conformance_test.go): Hugging
// Face's own `tokenizers` library (Rust, through its Node binding, pinned in the
// repository's package.json) encodes every text of a corpus with a tokenizer.json.
//
//   node hfpeer.mjs tokenizer.json corpus.json out.json
//
// corpus.json is a JSON array of strings; out.json is an array of the same length, each
// {"ids": [...], "offsets": [[start, end], ...], "words": [...]} without special tokens.
// The binding encodes with encode_char_offsets, so offsets count Unicode scalar values
// (code points), the unit of the Go tokenizer: an emoji outside the BMP counts 1, not
// the 2 UTF-16 units of a JavaScript string (checked below on a known string).
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(process.cwd() + '/')
let tokenizers
try {
  tokenizers = require('tokenizers')
} catch (err) {
  console.error(`the npm package "tokenizers" is missing (${err.code}): run "npm ci --no-audit --no-fund" (or "make setup") at the repository root`)
  process.exit(3)
}

const [tokenizerPath, corpusPath, outPath] = process.argv.slice(2)
const tok = tokenizers.Tokenizer.fromFile(tokenizerPath)
const corpus = JSON.parse(readFileSync(corpusPath, 'utf8'))

// Offsets unit check: "😀 a" has "a" at code point 2 (UTF-16 unit 3).
const probe = await tok.encode('\u{1F600} a', null, { addSpecialTokens: false })
const last = probe.getOffsets().at(-1)
if (last[0] !== 2 || last[1] !== 3) {
  console.error(`unexpected offset unit: "a" of "\u{1F600} a" at [${last}], want [2,3] (code points)`)
  process.exit(4)
}

const encodings = await tok.encodeBatch(corpus, { addSpecialTokens: false })
const out = encodings.map((e) => ({
  ids: e.getIds(),
  offsets: e.getOffsets(),
  words: e.getWordIds(),
}))
writeFileSync(outPath, JSON.stringify(out))
