// bench_vs_llamacpp: our forward and llama.cpp's on the same weights, in one run, alternating
// (issue 17 point 6, issue 18 point 2). Run by hand through bench/bench_vs_llamacpp.sh.
//
// For each shape (the bundled model, a 0.5B-ish and a 1B Llama shape with random weights) and each
// dtype (f32, bf16): the model folder is written once by tempo_make_model (bf16 on disk for bf16,
// so both sides read the very same values) and turned into a GGUF by tempo_make_gguf (matrices in
// that dtype, norms f32). llama.cpp (node-llama-cpp's prebuilt CPU build) loads the GGUF once; then
// each round runs our bench_forward (a fresh process, one JSON line) and llama.cpp's same three
// measurements, alternating, with the same thread count and the same token ids:
//   prefill: P ids from an empty cache, tokens/s (llama.cpp computes logits for the last row only);
//   decode:  S greedy one-token steps after 2 warm-up steps, ms/token;
//   width:   ours: one TEMPO step of W rows at one position (isolated mask, readout); llama.cpp: one
//            decode step of W sequences (one token each, one batch), ms/step.
// Ratios are ours / llama.cpp in time (above 1: we are slower), of the per-shape medians.
// The roofline: the read bandwidth probe (bench_forward --bandwidth, before and after) and the rate
// at which llama.cpp's decode read the weights; the larger of the two.
//
//   node bench_vs_llamacpp.mjs --deps DIR --bench-forward BIN --make-model BIN --make-gguf BIN --work DIR
//        --bundled DIR [--shapes bundled,0.5b,1b] [--dtypes f32,bf16] [--rounds 3] [--threads N]
//        [--prompt 64] [--steps 16] [--width 8] [--out results.json]

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const kShapes = {
  "0.5b": { label: "0.5B-ish (24 x 896, GQA 14/2, vocab 151936)",
            flags: ["--layers", "24", "--hidden", "896", "--intermediate", "4864", "--heads", "14", "--kv-heads", "2", "--vocab", "151936"] },
  "1b": { label: "1B (Llama 3.2 1B shape: 16 x 2048, GQA 32/8, vocab 128256)",
          flags: ["--layers", "16", "--hidden", "2048", "--intermediate", "8192", "--heads", "32", "--kv-heads", "8", "--vocab", "128256"] },
};

function parseArgs(argv) {
  const args = { shapes: "bundled,0.5b,1b", dtypes: "f32,bf16", rounds: "3", threads: String(os.availableParallelism?.() ?? os.cpus().length),
                 prompt: "64", steps: "16", width: "8" };
  for (let i = 0; i + 1 < argv.length; i += 2) {
    if (!argv[i].startsWith("--")) throw new Error(`unexpected argument '${argv[i]}'`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const key of ["deps", "bench-forward", "make-model", "make-gguf", "work", "bundled"])
    if (!args[key]) throw new Error(`missing --${key}`);
  return args;
}

// The same ids as bench_forward's promptIds (mulberry32, seed 20261206): 1..vocab-1.
function promptIds(count, vocab) {
  let state = 20261206 >>> 0;
  const ids = [];
  for (let i = 0; i < count; ++i) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1) >>> 0;
    t = (t ^ (t + Math.imul(t ^ (t >>> 7), t | 61))) >>> 0;
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    ids.push(1 + Math.floor(unit * (vocab - 1)));
  }
  return ids;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// Bytes one decoded token reads: every weight matrix once (a tied embedding once, as the LM head;
// an untied one adds one row), norms, and the KV cache of `context` slots.
function bytesPerToken(config, bytesPerValue, context) {
  const H = config.hidden_size, I = config.intermediate_size, L = config.num_hidden_layers, V = config.vocab_size;
  const D = config.head_dim ?? H / config.num_attention_heads;
  const q = config.num_attention_heads * D, kv = config.num_key_value_heads * D;
  const perLayer = H * q + 2 * H * kv + q * H + 3 * H * I;
  const matrices = L * perLayer + V * H + (config.tie_word_embeddings ? 0 : H);
  const norms = (2 * L + 1) * H * 4;
  const cache = 2 * L * kv * context * bytesPerValue;
  return matrices * bytesPerValue + norms + cache;
}

function ensureModel(args, shape, dtype) {
  const folder = path.join(args.work, `${shape}-${dtype}`);
  const gguf = path.join(args.work, `${shape}-${dtype}.gguf`);
  if (shape === "bundled") {
    if (!fs.existsSync(gguf))
      execFileSync(args["make-gguf"], ["--model", args.bundled, "--out", gguf, "--dtype", dtype], { stdio: "inherit" });
    return { folder: args.bundled, gguf, label: `bundled (${path.basename(args.bundled)})` };
  }
  if (!fs.existsSync(path.join(folder, "model.safetensors"))) {
    console.log(`writing ${folder} (random weights, ${dtype} on disk)...`);
    execFileSync(args["make-model"], ["--out", folder, "--dtype", dtype.toUpperCase(), ...kShapes[shape].flags], { stdio: "inherit" });
  }
  if (!fs.existsSync(gguf))
    execFileSync(args["make-gguf"], ["--model", folder, "--out", gguf, "--dtype", dtype], { stdio: "inherit" });
  return { folder, gguf, label: kShapes[shape].label };
}

function runOurs(args, folder, dtype) {
  const out = execFileSync(args["bench-forward"], ["--model", folder, "--dtype", dtype, "--threads", args.threads,
    "--prompt", args.prompt, "--steps", args.steps, "--width", args.width], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop());
}

function bandwidth(args) {
  const out = execFileSync(args["bench-forward"], ["--bandwidth", "--threads", args.threads], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop());
}

async function llamaCppSide(llama, gguf, dtype, vocab, args) {
  const P = Number(args.prompt), S = Number(args.steps), W = Number(args.width), T = Number(args.threads);
  const kv = dtype === "f32" ? "F32" : "BF16";
  const model = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });
  const common = { threads: { ideal: T, min: T }, flashAttention: false, batchSize: Math.max(512, P * W),
                   experimentalKvCacheKeyType: kv, experimentalKvCacheValueType: kv };
  const single = await model.createContext({ ...common, contextSize: Math.max(256, P + S + 16), sequences: 1 });
  const batched = await model.createContext({ ...common, contextSize: Math.max(256, W * (P + S + 16)), sequences: W });
  const ids = promptIds(P + W, vocab);
  const prompt = ids.slice(0, P), candidates = ids.slice(P, P + W);
  const sequence = single.getSequence();
  const sequences = Array.from({ length: W }, () => batched.getSequence());

  const measure = async () => {
    // Prefill, once untimed (first touch of the weights), once timed.
    await sequence.clearHistory();
    await sequence.evaluateWithoutGeneratingNewTokens(prompt);
    await sequence.clearHistory();
    let start = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(0, P - 1));
    let [result] = await sequence.controlledEvaluate([[prompt[P - 1], { generateNext: { token: true } }]]);
    const prefillMs = performance.now() - start;
    // Greedy decode: 2 warm-up steps, then S timed.
    let next = result.next.token;
    const step = async () => { [result] = await sequence.controlledEvaluate([[next, { generateNext: { token: true } }]]); next = result.next.token; };
    await step(); await step();
    start = performance.now();
    for (let s = 0; s < S; ++s) await step();
    const decodeMs = (performance.now() - start) / S;
    // W sequences, one token each per step, dispatched together (one llama_decode batch).
    await Promise.all(sequences.map((q) => q.clearHistory()));
    await Promise.all(sequences.map((q) => q.evaluateWithoutGeneratingNewTokens(prompt)));
    let tokens = candidates.slice();
    const batchStep = async () => {
      const results = await Promise.all(sequences.map((q, i) => q.controlledEvaluate([[tokens[i], { generateNext: { token: true } }]])));
      tokens = results.map(([r]) => r.next.token);
    };
    await batchStep(); await batchStep();
    start = performance.now();
    for (let s = 0; s < S; ++s) await batchStep();
    const widthMs = (performance.now() - start) / S;
    return { prefill_ms: prefillMs, prefill_tps: P / (prefillMs / 1000), decode_ms: decodeMs, width_ms: widthMs };
  };
  const dispose = async () => { await single.dispose(); await batched.dispose(); await model.dispose(); };
  return { measure, dispose };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(args.work, { recursive: true });
  const entry = path.join(args.deps, "node_modules", "node-llama-cpp", "dist", "index.js");
  const { getLlama, LlamaLogLevel } = await import(pathToFileURL(entry).href);
  const T = Number(args.threads);
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false, maxThreads: T });
  const version = JSON.parse(fs.readFileSync(path.join(args.deps, "node_modules", "node-llama-cpp", "package.json"), "utf8")).version;
  console.log(`llama.cpp ${llama.llamaCppRelease.release} (node-llama-cpp ${version}, CPU), ${T} threads each, ` +
              `prompt ${args.prompt}, ${args.steps} steps, width ${args.width}, ${args.rounds} rounds alternating; ` +
              `${os.cpus()[0].model}, ${os.cpus().length} cpus, load ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);

  const probeBefore = bandwidth(args);
  console.log(`read bandwidth probe: ${probeBefore.bandwidth_gbps.join(" / ")} GB/s (1..${probeBefore.bandwidth_gbps.length} threads)`);
  const results = [];
  for (const shape of args.shapes.split(",")) {
    for (const dtype of args.dtypes.split(",")) {
      const { folder, gguf, label } = ensureModel(args, shape, dtype);
      const config = JSON.parse(fs.readFileSync(path.join(folder, "config.json"), "utf8"));
      const side = await llamaCppSide(llama, gguf, dtype, config.vocab_size, args);
      const rounds = [];
      for (let r = 0; r < Number(args.rounds); ++r) {
        const ours = runOurs(args, folder, dtype);
        const theirs = await side.measure();
        rounds.push({ ours, theirs });
        console.log(`  ${shape} ${dtype} round ${r + 1}: decode ${ours.decode_ms.toFixed(2)} vs ${theirs.decode_ms.toFixed(2)} ms, ` +
                    `width-${args.width} ${ours.width_ms.toFixed(2)} vs ${theirs.width_ms.toFixed(2)} ms, ` +
                    `prefill ${ours.prefill_tps.toFixed(1)} vs ${theirs.prefill_tps.toFixed(1)} tok/s (ours vs llama.cpp)`);
      }
      await side.dispose();
      const pick = (who, key) => median(rounds.map((x) => x[who][key]));
      const row = { shape, dtype, label, load: os.loadavg()[0] };
      for (const key of ["decode_ms", "width_ms", "prefill_tps"]) {
        row[`ours_${key}`] = pick("ours", key);
        row[`llama_${key}`] = pick("theirs", key);
      }
      row.decode_ratio = row.ours_decode_ms / row.llama_decode_ms;
      row.width_ratio = row.ours_width_ms / row.llama_width_ms;
      row.prefill_ratio = row.llama_prefill_tps / row.ours_prefill_tps; // time ratio
      const bytes = bytesPerToken(config, dtype === "f32" ? 4 : 2, Number(args.prompt) + Number(args.steps));
      row.bytes_per_token = bytes;
      row.ours_gbps = bytes / (row.ours_decode_ms / 1000) / 1e9;
      row.llama_gbps = bytes / (row.llama_decode_ms / 1000) / 1e9;
      results.push(row);
    }
  }
  const probeAfter = bandwidth(args);
  const probe = Math.max(probeBefore.best_gbps, probeAfter.best_gbps);
  console.log(`read bandwidth probe after: ${probeAfter.bandwidth_gbps.join(" / ")} GB/s`);

  console.log("\n| shape | dtype | decode ms/token ours / llama.cpp (ratio) | width-" + args.width + " step ms ours / llama.cpp batch-" +
              args.width + " (ratio) | prefill tok/s ours / llama.cpp (time ratio) | decode GB/s ours / llama.cpp | ours of roofline |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of results) {
    const roofline = Math.max(probe, r.llama_gbps);
    r.roofline_gbps = roofline;
    r.ours_of_roofline = r.ours_gbps / roofline;
    console.log(`| ${r.label} | ${r.dtype} | ${r.ours_decode_ms.toFixed(2)} / ${r.llama_decode_ms.toFixed(2)} (**${r.decode_ratio.toFixed(2)}**) | ` +
                `${r.ours_width_ms.toFixed(2)} / ${r.llama_width_ms.toFixed(2)} (**${r.width_ratio.toFixed(2)}**) | ` +
                `${r.ours_prefill_tps.toFixed(1)} / ${r.llama_prefill_tps.toFixed(1)} (**${r.prefill_ratio.toFixed(2)}**) | ` +
                `${r.ours_gbps.toFixed(1)} / ${r.llama_gbps.toFixed(1)} | ${(100 * r.ours_of_roofline).toFixed(0)}% of ${roofline.toFixed(1)} GB/s |`);
  }
  console.log(`\nroofline = max(probe ${probe.toFixed(1)} GB/s, llama.cpp's decode rate); ratios: ours / llama.cpp in time (> 1: slower).`);
  console.log("goals (issue 18): decode <= 1.10, width step <= 1.00 (vs batch), prefill <= 1.25");
  if (args.out) fs.writeFileSync(args.out, JSON.stringify({ probeBefore, probeAfter, results }, null, 2));
}

main().catch((error) => { console.error(`bench_vs_llamacpp: ${error.stack ?? error}`); process.exit(2); });
