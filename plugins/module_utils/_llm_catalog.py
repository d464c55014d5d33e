# -*- coding: utf-8 -*-
# Copyright: HybridOps platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Architecture facts of the models the vllm role knows how to size (private; used by the llm_sizing filters).

Numbers come from each model's config.json on its model card (num_hidden_layers, num_attention_heads,
num_key_value_heads, hidden_size / num_attention_heads = head dim, max_position_embeddings) and the parameter
counts from the safetensors index (total bytes / 2 for bf16 checkpoints).

attention:
  gqa  KV cache per token and layer = 2 (K and V) x kv_heads x head_dim elements; K/V heads are split across
       tensor-parallel ranks (replicated when TP > kv_heads).
  mla  Multi-head latent attention (DeepSeek-V2): vLLM caches one compressed latent per token and layer of
       kv_lora_rank + qk_rope_head_dim elements (512 + 64 = 576 for V2-Lite), no separate K and V, and the latent
       is replicated on every tensor-parallel rank (not split). That is the assumption the sizing uses.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Bytes per parameter of the weights for each supported dtype / quantization.
# awq/gptq: 4-bit weights with a 16-bit scale (and a 4-bit zero point) per group of 128 plus embeddings and
# norms left in 16 bits: about 4.5 bits = 0.5625 bytes per parameter on the models here.
WEIGHT_BYTES = {
    "bf16": 2.0,
    "bfloat16": 2.0,
    "fp16": 2.0,
    "float16": 2.0,
    "half": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "awq": 0.5625,
    "gptq": 0.5625,
    "int4": 0.5625,
}

# Bytes per cached K/V element. "auto" follows the activation dtype, which is 16-bit for every weight dtype above.
KV_BYTES = {
    "auto": 2,
    "bf16": 2,
    "bfloat16": 2,
    "fp16": 2,
    "float16": 2,
    "fp8": 1,
    "fp8_e4m3": 1,
    "fp8_e5m2": 1,
}

CATALOG = {
    "deepseek-r1-distill-qwen-7b": {
        "hf_id": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        "architecture": "Qwen2ForCausalLM",
        "params_b": 7.62,
        "layers": 28,
        "attention_heads": 28,
        "kv_heads": 4,
        "head_dim": 128,
        "attention": "gqa",
        "max_position_embeddings": 131072,
        "reasoning_parser": "deepseek_r1",
    },
    "deepseek-r1-distill-qwen-14b": {
        "hf_id": "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
        "architecture": "Qwen2ForCausalLM",
        "params_b": 14.77,
        "layers": 48,
        "attention_heads": 40,
        "kv_heads": 8,
        "head_dim": 128,
        "attention": "gqa",
        "max_position_embeddings": 131072,
        "reasoning_parser": "deepseek_r1",
    },
    "deepseek-r1-distill-qwen-32b": {
        "hf_id": "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
        "architecture": "Qwen2ForCausalLM",
        "params_b": 32.76,
        "layers": 64,
        "attention_heads": 40,
        "kv_heads": 8,
        "head_dim": 128,
        "attention": "gqa",
        "max_position_embeddings": 131072,
        "reasoning_parser": "deepseek_r1",
    },
    "deepseek-coder-6.7b-instruct": {
        "hf_id": "deepseek-ai/deepseek-coder-6.7b-instruct",
        "architecture": "LlamaForCausalLM",
        "params_b": 6.74,
        "layers": 32,
        "attention_heads": 32,
        "kv_heads": 32,
        "head_dim": 128,
        "attention": "gqa",
        "max_position_embeddings": 16384,
        "reasoning_parser": "",
    },
    "deepseek-coder-v2-lite-instruct": {
        "hf_id": "deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct",
        "architecture": "DeepseekV2ForCausalLM",
        # Mixture of experts: all 64 routed experts are resident, so the TOTAL count sizes the weights
        # (2.4B are active per token, which matters for speed, not memory).
        "params_b": 15.71,
        "layers": 27,
        "attention_heads": 16,
        "kv_heads": 16,
        "head_dim": 128,
        "attention": "mla",
        "kv_lora_rank": 512,
        "qk_rope_head_dim": 64,
        "max_position_embeddings": 163840,
        "reasoning_parser": "",
    },
}
