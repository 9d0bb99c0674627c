// The llama.cpp parity test: our forward against llama.cpp's on the same weights, and against an
// independent float64 reference (reference_forward.mjs) on the same ids.
//
// For one model folder of ours it writes the GGUF file (tempo_make_gguf), runs our forward over
// several token-id sequences (tempo_parity_logits: prefill, then one token at a time), runs
// llama.cpp over the same ids through node-llama-cpp (prebuilt CPU backend, float32 KV cache,
// flash attention off, every position's logits), and compares the next-token distribution at
// every position: max |p_ours - p_llama.cpp| <= 1e-4 and the same top 10, in order (two tokens
// whose probabilities differ by less than 1e-6 may swap places: their order is not decided by
// float32 arithmetic). Both distributions are softmax(logits) computed here in float64.
// The reference check uses the same bounds. Where llama.cpp itself approximates a family's math (see
// kLlamaCppApproximations), the test says so, holds our forward to the reference at 1e-4 and
// llama.cpp to the bound stated there.
// Exits 0 when every position passes, 1 otherwise, 2 when something could not run.
//
//   node llamacpp_parity.mjs --deps DIR --case NAME --model DIR --make-gguf BIN --logits BIN --work DIR

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { loadReferenceModel, referenceLogits } from "./reference_forward.mjs";

const kMaxAbsDiff = 1e-4;
const kTopK = 10;
const kTieTolerance = 1e-6;
// Families whose math llama.cpp's CPU backend approximates beyond float32 rounding: the reason
// (printed) and the bound llama.cpp is held to instead; our forward still meets kMaxAbsDiff
// against the float64 reference.
const kLlamaCppApproximations = {};

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i + 1 < argv.length; i += 2) {
    if (!argv[i].startsWith("--")) throw new Error(`unexpected argument '${argv[i]}'`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const key of ["deps", "case", "model", "make-gguf", "logits", "work"])
    if (!args[key]) throw new Error(`missing --${key}`);
  return args;
}

// A small seeded generator (mulberry32): the same sequences on every machine.
function generator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Several sequences: short ones, ones past 64 tokens, and a run of one repeated token (identical
// keys at every position); each starts with BOS when the model has one.
function makeSequences(vocab, bos, maxLength) {
  const random = generator(20261206);
  const lengths = [1, 7, 33, 65, 150].filter((n) => n <= maxLength);
  const sequences = lengths.map((n) => {
    const ids = [];
    for (let i = 0; i < n; ++i) ids.push(Math.floor(random() * vocab));
    if (bos >= 0) ids[0] = bos;
    return ids;
  });
  const repeated = Math.floor(random() * vocab);
  const run = new Array(Math.min(80, maxLength)).fill(repeated);
  if (bos >= 0) run[0] = bos;
  sequences.push(run);
  return sequences;
}

function softmax(logits) {
  let max = -Infinity;
  for (const value of logits) max = Math.max(max, value);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; ++i) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; ++i) out[i] /= sum;
  return out;
}

function topIds(probabilities, k) {
  return Array.from(probabilities.keys()).sort((a, b) => probabilities[b] - probabilities[a] || a - b).slice(0, k);
}

// Same top k in the same order, except neighbours within kTieTolerance of each other.
function sameTop(ours, theirs) {
  const a = topIds(ours, kTopK + 1), b = topIds(theirs, kTopK + 1);
  for (let i = 0; i < kTopK; ++i) {
    if (a[i] === b[i]) continue;
    if (Math.abs(ours[a[i]] - ours[b[i]]) < kTieTolerance) continue;
    return { same: false, ours: a.slice(0, kTopK), theirs: b.slice(0, kTopK) };
  }
  return { same: true };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const name = args.case;
  const config = JSON.parse(fs.readFileSync(path.join(args.model, "config.json"), "utf8"));
  const vocab = config.vocab_size;
  const bos = Number.isInteger(config.bos_token_id) ? config.bos_token_id : -1;
  fs.mkdirSync(args.work, { recursive: true });

  const gguf = path.join(args.work, `${name}.gguf`);
  process.stdout.write(execFileSync(args["make-gguf"], ["--model", args.model, "--out", gguf], { encoding: "utf8" }));

  const sequences = makeSequences(vocab, bos, Math.min(config.max_position_embeddings ?? 4096, 4096));
  const sequencesFile = path.join(args.work, `${name}.sequences.json`);
  fs.writeFileSync(sequencesFile, JSON.stringify({ sequences }));
  const oursFile = path.join(args.work, `${name}.ours.bin`);
  execFileSync(args.logits, ["--model", args.model, "--sequences", sequencesFile, "--out", oursFile], { stdio: "inherit" });
  const bytes = fs.readFileSync(oursFile);
  const ours = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const positions = sequences.reduce((n, s) => n + s.length, 0);
  if (ours.length !== positions * vocab)
    throw new Error(`${oursFile}: expected ${positions} x ${vocab} logits, found ${ours.length} values`);

  const entry = path.join(args.deps, "node_modules", "node-llama-cpp", "dist", "index.js");
  const { getLlama, LlamaLogLevel } = await import(pathToFileURL(entry).href);
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
  const version = JSON.parse(fs.readFileSync(path.join(args.deps, "node_modules", "node-llama-cpp", "package.json"), "utf8")).version;
  const model = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });
  const longest = Math.max(...sequences.map((s) => s.length));
  const context = await model.createContext({
    contextSize: Math.max(256, longest), sequences: 1, threads: 1, flashAttention: false,
    experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32",
  });
  const sequence = context.getSequence();
  console.log(`parity ${name}: llama.cpp ${llama.llamaCppRelease.release} (node-llama-cpp ${version}, CPU, f32 weights and KV cache)` +
              ` vs our forward; ${sequences.length} sequences, ${positions} positions, vocab ${vocab}`);

  const reference = loadReferenceModel(args.model);
  const approximation = kLlamaCppApproximations[config.model_type];
  const llamaBound = approximation ? approximation.bound : kMaxAbsDiff;
  if (approximation)
    console.log(`  note: ${approximation.reason}: llama.cpp is held to max |dp| <= ${llamaBound} here, ` +
                `our forward to the float64 reference at ${kMaxAbsDiff}`);
  // One comparison of our distributions against another implementation's.
  const against = (label, bound) => ({ label, bound, worst: { diff: 0, sequence: 0, position: 0 }, failures: 0 });
  const checks = [against("llama.cpp", llamaBound), against("reference", kMaxAbsDiff)];
  const compare = (check, p, q, s, t) => {
    let diff = 0;
    for (let i = 0; i < vocab; ++i) diff = Math.max(diff, Math.abs(p[i] - q[i]));
    if (diff > check.worst.diff) check.worst = { diff, sequence: s, position: t };
    const top = sameTop(p, q);
    if (!top.same && check.failures++ < 5)
      console.log(`  sequence ${s} position ${t}: top-${kTopK} differs: ours [${top.ours}] ${check.label} [${top.theirs}]`);
    if (diff > check.bound && check.failures++ < 5)
      console.log(`  sequence ${s} position ${t}: max |dp| against ${check.label} ${diff.toExponential(2)} > ${check.bound}`);
    return { diff, same: top.same };
  };
  let offset = 0;
  for (const [s, ids] of sequences.entries()) {
    await sequence.clearHistory();
    const results = await sequence.controlledEvaluate(ids.map((id) => [id, { generateNext: { logits: true } }]));
    const referenceRows = referenceLogits(reference, ids);
    const sequenceWorst = [0, 0], topMatches = [0, 0];
    for (let t = 0; t < ids.length; ++t, offset += vocab) {
      const theirLogits = new Float64Array(vocab);
      const map = results[t]?.next?.logits;
      if (!map || map.size !== vocab) throw new Error(`llama.cpp returned ${map ? map.size : "no"} logits at sequence ${s} position ${t}`);
      for (const [id, value] of map) theirLogits[id] = value;
      const p = softmax(ours.subarray(offset, offset + vocab));
      [softmax(theirLogits), softmax(referenceRows[t])].forEach((q, c) => {
        const { diff, same } = compare(checks[c], p, q, s, t);
        sequenceWorst[c] = Math.max(sequenceWorst[c], diff);
        if (same) ++topMatches[c];
      });
    }
    console.log(`  sequence ${s} (${ids.length} tokens): max |dp| ${sequenceWorst[0].toExponential(2)} against llama.cpp, ` +
                `${sequenceWorst[1].toExponential(2)} against the reference; top-${kTopK} identical at ` +
                `${topMatches[0]}/${ids.length} and ${topMatches[1]}/${ids.length} positions`);
  }
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  for (const check of checks) {
    const verdict = check.failures === 0 ? "PARITY OK" : "PARITY FAILED";
    console.log(`${verdict} ${name} against ${check.label}: max |dp| ${check.worst.diff.toExponential(2)} (limit ${check.bound}) ` +
                `at sequence ${check.worst.sequence} position ${check.worst.position}; top-${kTopK} ` +
                `${check.failures === 0 ? "identical everywhere" : "or |dp| failed"}`);
  }
  process.exitCode = checks.every((check) => check.failures === 0) ? 0 : 1;
}

main().catch((error) => {
  console.error(`parity: ${error.stack ?? error}`);
  process.exitCode = 2;
});
