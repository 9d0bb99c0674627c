// llama.cpp's own tokenizer on the SentencePiece-style ("llama", spm) tokenizer block that our GGUF
// writer makes (src/core/gguf/ggufvocabulary.*): for each test tokenizer named below, a random
// checkpoint with that tokenizer (tempo_make_model, then tokenizer.json and tokenizer_config.json
// copied from tests/data/tokenizer-families/<name>) is written as GGUF (tempo_make_gguf), llama.cpp
// loads its vocabulary (node-llama-cpp, vocabulary only) and tokenizes every case text of the
// family (special tokens in the text parsed, no BOS); its ids must equal the reference ids in
// cases.jsonl (Hugging Face's tokenizer core, which our tokenizer matches: families_test).
// Exits 0 when every case matches, 1 otherwise (printing the first mismatches), 2 when something
// could not run.
//
// Families: llama2 (Prepend + Replace normalizer), gemma (no leading "▁": add_space_prefix false)
// and llama2-config (add_prefix_space false in tokenizer_config.json). Not compared, because
// llama.cpp's tokenizer cannot do what their files ask (docs/testing.md): the Metaspace
// prepend_scheme "first" of mistral (llama.cpp puts "▁" before text that already starts with a space
// and after a special token), byte_fallback false (llama.cpp always falls back to byte tokens) and
// missing <0xNN> tokens (llama.cpp aborts), Regex Replace normalizers (llama.cpp has none).
//
//   node llamacpp_tokenizer.mjs --deps DIR --make-model BIN --make-gguf BIN --families DIR --work DIR

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const kFamilies = ["llama2", "gemma", "llama2-config"];

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i + 1 < argv.length; i += 2) {
    if (!argv[i].startsWith("--")) throw new Error(`unexpected argument '${argv[i]}'`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const key of ["deps", "make-model", "make-gguf", "families", "work"])
    if (!args[key]) throw new Error(`missing --${key}`);
  return args;
}

// A model folder of `family`'s tokenizer: embedding rows for every id, bos/eos from its config.
function writeModel(args, family, dir) {
  const source = path.join(args.families, family);
  const tokenizer = JSON.parse(fs.readFileSync(path.join(source, "tokenizer.json"), "utf8"));
  const config = JSON.parse(fs.readFileSync(path.join(source, "tokenizer_config.json"), "utf8"));
  let rows = 0;
  for (const id of Object.values(tokenizer.model.vocab)) rows = Math.max(rows, id + 1);
  for (const added of tokenizer.added_tokens) rows = Math.max(rows, added.id + 1);
  fs.rmSync(dir, { recursive: true, force: true });
  execFileSync(args["make-model"], ["--out", dir, "--vocab", String(rows)], { stdio: "ignore" });
  for (const file of ["tokenizer.json", "tokenizer_config.json"]) fs.copyFileSync(path.join(source, file), path.join(dir, file));
  const idOf = (content) => tokenizer.added_tokens.find((token) => token.content === content)?.id ?? null;
  const modelConfig = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
  modelConfig.bos_token_id = idOf(config.bos_token);
  modelConfig.eos_token_id = idOf(config.eos_token);
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(modelConfig, null, 2));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const entry = path.join(args.deps, "node_modules", "node-llama-cpp", "dist", "index.js");
  if (!fs.existsSync(entry)) {
    console.error(`FAILED: node-llama-cpp is not installed in ${args.deps}: run 'bash tools/deps-llamacpp.sh ${args.deps}'` +
                  " (tools/test.sh does this before the tests)");
    return 2;
  }
  const { getLlama, LlamaLogLevel } = await import(pathToFileURL(entry).href);
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false });
  fs.mkdirSync(args.work, { recursive: true });
  let failed = false;
  for (const family of kFamilies) {
    const dir = path.join(args.work, `tokenizer-${family}`);
    writeModel(args, family, dir);
    const gguf = path.join(args.work, `tokenizer-${family}.gguf`);
    execFileSync(args["make-gguf"], ["--model", dir, "--out", gguf], { stdio: "ignore" });
    const model = await llama.loadModel({ modelPath: gguf, vocabOnly: true });
    const lines = fs.readFileSync(path.join(args.families, family, "cases.jsonl"), "utf8").split("\n").filter((l) => l);
    const mismatches = [];
    for (const [index, line] of lines.entries()) {
      const { text, ids } = JSON.parse(line);
      const theirs = Array.from(model.tokenize(text, true));
      if (JSON.stringify(theirs) !== JSON.stringify(ids)) mismatches.push({ line: index + 1, text, ids, theirs });
    }
    await model.dispose();
    console.log(`tokenizer ${family}: llama.cpp ${llama.llamaCppRelease.release} on our GGUF vocabulary, ` +
                `${lines.length} cases, ${mismatches.length} differ from the reference ids`);
    for (const m of mismatches.slice(0, 5))
      console.log(`  cases.jsonl:${m.line} ${JSON.stringify(m.text)}\n    reference ${JSON.stringify(m.ids)}\n    llama.cpp ${JSON.stringify(m.theirs)}`);
    failed ||= mismatches.length > 0 || lines.length < 100;
  }
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (error) => {
  console.error(`FAILED: ${error.stack || error}`);
  process.exit(2);
});
