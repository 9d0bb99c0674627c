// An independent float64 forward of the model families, written from Hugging Face transformers'
// modeling_<family>.py conventions (not from our C++ forward), reading config.json and
// model.safetensors (F32, F16 or BF16) directly. The parity test uses it where llama.cpp itself
// approximates: each position's logits, as plain arrays, for causal sequences from position 0.
//
// Families: llama, mistral, qwen2 (q/k/v biases), phi3 (fused qkv and gate_up), gemma2 (sqrt(H)
// embedding scale, (1 + w) RMSNorm, sandwich norms, GeGLU, query_pre_attn_scalar, attention and
// final soft-capping, sliding window on even layers), gpt2 (learned positions, LayerNorm, Conv1D,
// biases, GELU). RoPE: rotate-half with llama3 or linear scaling.

import fs from "node:fs";
import path from "node:path";

function readSafetensors(file) {
  const bytes = fs.readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8"));
  const start = 8 + headerLength;
  const tensors = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const [begin, end] = entry.data_offsets;
    const raw = bytes.subarray(start + begin, start + end);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const values = new Float64Array(count);
    if (entry.dtype === "F32") {
      for (let i = 0; i < count; ++i) values[i] = raw.readFloatLE(4 * i);
    } else if (entry.dtype === "BF16") {
      const word = Buffer.alloc(4);
      for (let i = 0; i < count; ++i) {
        word.writeUInt16LE(0, 0);
        word.writeUInt16LE(raw.readUInt16LE(2 * i), 2);
        values[i] = word.readFloatLE(0);
      }
    } else if (entry.dtype === "F16") {
      for (let i = 0; i < count; ++i) {
        const h = raw.readUInt16LE(2 * i);
        const sign = h & 0x8000 ? -1 : 1, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
        values[i] = exponent === 0 ? sign * mantissa * 2 ** -24
                  : exponent === 31 ? (mantissa ? NaN : sign * Infinity)
                  : sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
      }
    } else {
      throw new Error(`${file}: tensor ${name} has dtype ${entry.dtype}; the reference reads F32, F16 and BF16`);
    }
    tensors[name] = { shape: entry.shape, values };
  }
  return tensors;
}

// y[o] = sum_i W[o, i] x[i] (+ b[o]) for W stored [out, in]; Conv1D stores [in, out] (transposed).
function linear(weight, x, bias, conv1d = false) {
  const [rows, columns] = weight.shape;
  const out = conv1d ? columns : rows, inputs = conv1d ? rows : columns;
  const y = new Float64Array(out);
  const w = weight.values;
  for (let o = 0; o < out; ++o) {
    let sum = bias ? bias.values[o] : 0;
    if (conv1d) for (let i = 0; i < inputs; ++i) sum += w[i * out + o] * x[i];
    else for (let i = 0, base = o * inputs; i < inputs; ++i) sum += w[base + i] * x[i];
    y[o] = sum;
  }
  return y;
}

function rmsNorm(x, weight, eps, plusOne) {
  let meanSquare = 0;
  for (const v of x) meanSquare += v * v;
  const scale = 1 / Math.sqrt(meanSquare / x.length + eps);
  return x.map((v, i) => v * scale * (plusOne ? 1 + weight.values[i] : weight.values[i]));
}

function layerNorm(x, weight, bias, eps) {
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let variance = 0;
  for (const v of x) variance += (v - mean) * (v - mean);
  const scale = 1 / Math.sqrt(variance / x.length + eps);
  return x.map((v, i) => (v - mean) * scale * weight.values[i] + bias.values[i]);
}

const silu = (v) => v / (1 + Math.exp(-v));
const geluTanh = (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
function erf(x) { // Taylor series (|x| < 3) or continued fraction: float64-accurate enough here
  const a = Math.abs(x);
  if (a < 3) {
    let term = a, sum = a;
    for (let n = 1; n < 100; ++n) { term *= -a * a / n; sum += term / (2 * n + 1); if (Math.abs(term) < 1e-17) break; }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let fraction = 0;
  for (let n = 60; n >= 1; --n) fraction = n / 2 / (a + fraction);
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + fraction));
}
const geluExact = (v) => 0.5 * v * (1 + erf(v / Math.SQRT2));

// float32 -> nearest float16 (ties to even) -> back, as ggml's FP32_TO_FP16 / FP16_TO_FP32.
const f32Scratch = new Float32Array(1), u32Scratch = new Uint32Array(f32Scratch.buffer);
function float16Round(value) {
  f32Scratch[0] = value;
  const bits = u32Scratch[0];
  const sign = (bits >>> 16) & 0x8000, exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff, half;
  if (exponent >= 31) {
    half = sign | 0x7c00;
  } else if (exponent <= 0) {
    if (exponent < -10) return sign ? -0 : 0;
    mantissa |= 0x800000;
    const shift = 14 - exponent, remainder = mantissa & ((1 << shift) - 1), middle = 1 << (shift - 1);
    half = mantissa >>> shift;
    if (remainder > middle || (remainder === middle && (half & 1))) ++half;
    half |= sign;
  } else {
    half = (exponent << 10) | (mantissa >>> 13);
    const remainder = mantissa & 0x1fff;
    if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1))) ++half; // may carry into the exponent: right
    half |= sign;
  }
  const e = (half >> 10) & 0x1f, m = half & 0x3ff, s = half & 0x8000 ? -1 : 1;
  return e === 0 ? s * m * 2 ** -24 : e === 31 ? s * Infinity : s * (1 + m / 1024) * 2 ** (e - 15);
}
// ggml's CPU GELU (GGML_GELU_FP16, on by default): a table indexed by the float16 input holding
// float16 outputs; linear below -10 and above 10.
const geluGgmlTable = (v) => (v <= -10 ? 0 : v >= 10 ? v : float16Round(geluTanh(float16Round(v))));

function activationOf(name, options) {
  if (name === "silu" || name === "swish") return silu;
  if (["gelu_pytorch_tanh", "gelu_new", "gelu_fast", "gelu_tanh"].includes(name))
    return options.ggmlGelu ? geluGgmlTable : geluTanh;
  if (name === "gelu") return geluExact;
  throw new Error(`reference: activation '${name}' not implemented`);
}

// The model's hyperparameters in one shape, from each family's config.json names.
function readConfig(config, options) {
  const family = config.model_type;
  if (family === "gpt2") {
    return {
      family, hidden: config.n_embd, heads: config.n_head, kvHeads: config.n_head, layers: config.n_layer,
      headDim: config.n_embd / config.n_head, eps: config.layer_norm_epsilon ?? 1e-5,
      activation: activationOf(config.activation_function ?? "gelu_new", options), tied: config.tie_word_embeddings ?? true,
      window: 0, slidingLayer: () => false, scale: 1 / Math.sqrt(config.n_embd / config.n_head),
    };
  }
  const hidden = config.hidden_size, heads = config.num_attention_heads, layers = config.num_hidden_layers;
  const headDim = config.head_dim ?? hidden / heads;
  const c = {
    family, hidden, heads, kvHeads: config.num_key_value_heads ?? heads, layers, headDim,
    eps: config.rms_norm_eps ?? 1e-6, theta: config.rope_theta ?? 10000,
    activation: activationOf(config.hidden_activation ?? config.hidden_act ?? "silu", options),
    tied: config.tie_word_embeddings ?? family === "gemma2", window: 0, slidingLayer: () => false,
    scale: 1 / Math.sqrt(headDim), attnSoftcap: 0, finalSoftcap: 0, ropeScaling: config.rope_scaling ?? null,
  };
  const layerTypes = config.layer_types;
  if (family === "gemma2") {
    c.scale = 1 / Math.sqrt(config.query_pre_attn_scalar ?? headDim);
    c.attnSoftcap = config.attn_logit_softcapping ?? 0;
    c.finalSoftcap = config.final_logit_softcapping ?? 0;
    c.window = config.sliding_window ?? 4096;
    c.slidingLayer = layerTypes ? (l) => layerTypes[l] === "sliding_attention" : (l) => l % 2 === 0;
  } else if (family === "mistral" || family === "phi3") {
    c.window = config.sliding_window ?? 0;
    c.slidingLayer = () => c.window > 0;
  } else if (family === "qwen2") {
    c.window = config.use_sliding_window ? config.sliding_window ?? 4096 : 0;
    c.slidingLayer = (l) => c.window > 0 && l >= (config.max_window_layers ?? 28);
  } else if (family !== "llama") {
    throw new Error(`reference: model_type '${family}' not implemented`);
  }
  return c;
}

// Inverse frequencies [D/2] with transformers' scaling rules (float64 here).
function inverseFrequencies(c) {
  const pairs = c.headDim / 2, out = new Float64Array(pairs);
  for (let i = 0; i < pairs; ++i) out[i] = 1 / c.theta ** ((2 * i) / c.headDim);
  const s = c.ropeScaling;
  const type = s ? s.rope_type ?? s.type : null;
  if (type === "linear") {
    for (let i = 0; i < pairs; ++i) out[i] /= s.factor;
  } else if (type === "llama3") {
    const old = s.original_max_position_embeddings, low = s.low_freq_factor, high = s.high_freq_factor;
    for (let i = 0; i < pairs; ++i) {
      const wavelength = (2 * Math.PI) / out[i];
      if (wavelength > old / low) out[i] /= s.factor;
      else if (!(wavelength < old / high)) {
        const smooth = (old / wavelength - low) / (high - low);
        out[i] = (1 - smooth) * out[i] / s.factor + smooth * out[i];
      }
    }
  } else if (type && type !== "default") {
    throw new Error(`reference: rope scaling '${type}' not implemented`);
  }
  return out;
}

// Rotate-half RoPE of one head vector [D] at `position`.
function rope(vector, position, inverse) {
  const half = vector.length / 2, out = new Float64Array(vector.length);
  for (let i = 0; i < half; ++i) {
    const angle = position * inverse[i], cos = Math.cos(angle), sin = Math.sin(angle);
    out[i] = vector[i] * cos - vector[i + half] * sin;
    out[i + half] = vector[i + half] * cos + vector[i] * sin;
  }
  return out;
}

// options.ggmlGelu: GELU as llama.cpp's CPU backend computes it (geluGgmlTable), to show that this
// table is what separates llama.cpp from the exact reference on the GELU families.
export function loadReferenceModel(modelDir, options = {}) {
  const config = JSON.parse(fs.readFileSync(path.join(modelDir, "config.json"), "utf8"));
  const c = readConfig(config, options);
  const raw = readSafetensors(path.join(modelDir, "model.safetensors"));
  const t = (name) => {
    const tensor = raw[name] ?? (c.family === "gpt2" ? raw[name.replace(/^transformer\./, "")] : undefined);
    if (!tensor) throw new Error(`reference: tensor '${name}' missing`);
    return tensor;
  };
  return { c, t };
}

// Logits [n][V] (one Float64Array per position) of a causal sequence starting at position 0.
// The sliding window (0 when no layer has one).
export function slidingWindowOf(model) {
  const { c } = model;
  for (let l = 0; l < c.layers; ++l) if (c.window > 0 && c.slidingLayer(l)) return c.window;
  return 0;
}

export function usesTanhGelu(model) {
  return model.c.activation === geluTanh || model.c.activation === geluGgmlTable;
}

export function referenceLogits(model, ids) {
  const { c, t } = model;
  const gpt2 = c.family === "gpt2", gemma2 = c.family === "gemma2";
  const n = ids.length, D = c.headDim, group = c.heads / c.kvHeads;
  const embedding = t(gpt2 ? "transformer.wte.weight" : "model.embed_tokens.weight");
  const H = c.hidden;
  const inverse = gpt2 ? null : inverseFrequencies(c);
  let x = ids.map((id, p) => {
    const row = embedding.values.slice(id * H, (id + 1) * H);
    if (gpt2) {
      const positions = t("transformer.wpe.weight").values;
      for (let i = 0; i < H; ++i) row[i] += positions[p * H + i];
    }
    if (gemma2) for (let i = 0; i < H; ++i) row[i] *= Math.sqrt(H);
    return row;
  });
  const norm = (v, prefix) => gpt2 ? layerNorm(v, t(prefix + ".weight"), t(prefix + ".bias"), c.eps)
                                   : rmsNorm(v, t(prefix + ".weight"), c.eps, gemma2);
  for (let l = 0; l < c.layers; ++l) {
    const P = gpt2 ? `transformer.h.${l}.` : `model.layers.${l}.`;
    const qs = [], ks = [], vs = [];
    for (let p = 0; p < n; ++p) {
      const h = norm(x[p], P + (gpt2 ? "ln_1" : "input_layernorm"));
      let q, k, v;
      if (gpt2) {
        const qkv = linear(t(P + "attn.c_attn.weight"), h, t(P + "attn.c_attn.bias"), true);
        q = qkv.slice(0, H); k = qkv.slice(H, 2 * H); v = qkv.slice(2 * H);
      } else if (c.family === "phi3") {
        const qkv = linear(t(P + "self_attn.qkv_proj.weight"), h);
        q = qkv.slice(0, c.heads * D); k = qkv.slice(c.heads * D, (c.heads + c.kvHeads) * D); v = qkv.slice((c.heads + c.kvHeads) * D);
      } else {
        const bias = (name) => (c.family === "qwen2" ? t(P + `self_attn.${name}.bias`) : null);
        q = linear(t(P + "self_attn.q_proj.weight"), h, bias("q_proj"));
        k = linear(t(P + "self_attn.k_proj.weight"), h, bias("k_proj"));
        v = linear(t(P + "self_attn.v_proj.weight"), h, bias("v_proj"));
      }
      if (!gpt2) {
        const rotate = (vector, count) => {
          const out = new Float64Array(vector.length);
          for (let head = 0; head < count; ++head) out.set(rope(vector.slice(head * D, (head + 1) * D), p, inverse), head * D);
          return out;
        };
        q = rotate(q, c.heads); k = rotate(k, c.kvHeads);
      }
      qs.push(q); ks.push(k); vs.push(v);
    }
    const windowed = c.window > 0 && c.slidingLayer(l);
    const next = [];
    for (let p = 0; p < n; ++p) {
      const attention = new Float64Array(c.heads * D);
      for (let head = 0; head < c.heads; ++head) {
        const kv = Math.floor(head / group);
        const scores = [];
        let max = -Infinity;
        for (let j = 0; j <= p; ++j) {
          if (windowed && p - j >= c.window) { scores.push(-Infinity); continue; }
          let s = 0;
          for (let d = 0; d < D; ++d) s += qs[p][head * D + d] * ks[j][kv * D + d];
          s *= c.scale;
          if (c.attnSoftcap > 0) s = c.attnSoftcap * Math.tanh(s / c.attnSoftcap);
          scores.push(s);
          max = Math.max(max, s);
        }
        let total = 0;
        const weights = scores.map((s) => { const e = Math.exp(s - max); total += e; return e; });
        for (let j = 0; j <= p; ++j) {
          const w = weights[j] / total;
          if (w === 0) continue;
          for (let d = 0; d < D; ++d) attention[head * D + d] += w * vs[j][kv * D + d];
        }
      }
      let out = gpt2 ? linear(t(P + "attn.c_proj.weight"), attention, t(P + "attn.c_proj.bias"), true)
                     : linear(t(P + "self_attn.o_proj.weight"), attention);
      if (gemma2) out = norm(out, P + "post_attention_layernorm");
      const residual = x[p].map((value, i) => value + out[i]);
      const h = norm(residual, P + (gpt2 ? "ln_2" : gemma2 ? "pre_feedforward_layernorm" : "post_attention_layernorm"));
      let mlp;
      if (gpt2) {
        const up = linear(t(P + "mlp.c_fc.weight"), h, t(P + "mlp.c_fc.bias"), true).map(c.activation);
        mlp = linear(t(P + "mlp.c_proj.weight"), up, t(P + "mlp.c_proj.bias"), true);
      } else {
        let gate, up;
        if (c.family === "phi3") {
          const both = linear(t(P + "mlp.gate_up_proj.weight"), h);
          gate = both.slice(0, both.length / 2); up = both.slice(both.length / 2);
        } else {
          gate = linear(t(P + "mlp.gate_proj.weight"), h); up = linear(t(P + "mlp.up_proj.weight"), h);
        }
        mlp = linear(t(P + "mlp.down_proj.weight"), gate.map((g, i) => c.activation(g) * up[i]));
      }
      if (gemma2) mlp = norm(mlp, P + "post_feedforward_layernorm");
      next.push(residual.map((value, i) => value + mlp[i]));
    }
    x = next;
  }
  const head = c.tied ? embedding : t("lm_head.weight");
  return x.map((row) => {
    const logits = linear(head, norm(row, gpt2 ? "transformer.ln_f" : "model.norm"));
    if (c.finalSoftcap > 0) for (let i = 0; i < logits.length; ++i) logits[i] = c.finalSoftcap * Math.tanh(logits[i] / c.finalSoftcap);
    return logits;
  });
}
