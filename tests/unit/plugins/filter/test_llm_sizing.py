# -*- coding: utf-8 -*-
"""Hand-checked cases for the llm_sizing filters. GiB = 2**30 bytes, MiB = 2**20 bytes throughout."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pathlib
import sys

import pytest

_COLLECTIONS = pathlib.Path(__file__).resolve().parents[4] / ".cache" / "collections"
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))

from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.hybridops.platform.plugins.filter import llm_sizing  # noqa: E402
from ansible_collections.hybridops.platform.plugins.filter.llm_sizing import (  # noqa: E402
    FilterModule,
    llm_fit,
    llm_memory,
    llm_model,
    llm_tensor_parallel,
)

GIB = 2 ** 30
H100_MIB = 81559  # nvidia-smi memory.total of an H100 80GB SXM: 79.65 GiB
L4_MIB = 23034  # nvidia-smi memory.total of an NVIDIA L4 (22.49 GiB)


def test_filters_are_exported():
    assert set(FilterModule().filters()) == {"llm_model", "llm_memory", "llm_fit", "llm_tensor_parallel"}


def test_model_lookup_by_key_hf_id_and_basename():
    assert llm_model("deepseek-r1-distill-qwen-7b")["kv_heads"] == 4
    assert llm_model("deepseek-ai/DeepSeek-R1-Distill-Qwen-14B")["name"] == "deepseek-r1-distill-qwen-14b"
    assert llm_model("DeepSeek-Coder-V2-Lite-Instruct")["attention"] == "mla"
    with pytest.raises(AnsibleFilterError, match="unknown model"):
        llm_model("deepseek-r2-huge")


def test_catalog_architecture_facts():
    q7, q14, q32 = (llm_model("deepseek-r1-distill-qwen-%s" % s) for s in ("7b", "14b", "32b"))
    assert (q7["layers"], q7["attention_heads"], q7["kv_heads"], q7["head_dim"]) == (28, 28, 4, 128)
    assert (q14["layers"], q14["attention_heads"], q14["kv_heads"]) == (48, 40, 8)
    assert (q32["layers"], q32["attention_heads"], q32["kv_heads"]) == (64, 40, 8)
    coder = llm_model("deepseek-coder-6.7b-instruct")
    assert (coder["layers"], coder["attention_heads"], coder["kv_heads"], coder["head_dim"]) == (32, 32, 32, 128)
    lite = llm_model("deepseek-coder-v2-lite-instruct")
    assert (lite["layers"], lite["attention_heads"], lite["kv_lora_rank"], lite["qk_rope_head_dim"]) == (27, 16, 512, 64)
    assert q7["reasoning_parser"] == "deepseek_r1" and coder["reasoning_parser"] == ""


def test_memory_7b_bf16_single_gpu():
    m = llm_memory("deepseek-r1-distill-qwen-7b", 1, "bf16", "auto", 8192, 16, 2)
    # weights: 7.62e9 params x 2 bytes = 15,240,000,000 B = 14.19 GiB
    assert m["weights_bytes"] == 15240000000
    assert m["weights_gib"] == 14.19
    # KV per token: 2 (K,V) x 28 layers x 4 KV heads x 128 dims x 2 bytes = 57,344 B (56 KiB)
    assert m["kv_bytes_per_token"] == 57344
    # KV cache: 57,344 B x 8,192 tokens x 16 sequences = 7,516,192,768 B = exactly 7 GiB
    assert m["kv_cache_per_gpu_bytes"] == 7 * GIB
    # required: 14.19 + 7 + 2 overhead = 23.19 GiB
    assert m["required_per_gpu_gib"] == 23.19


def test_memory_7b_tp2_splits_weights_and_kv_heads():
    m = llm_memory("deepseek-r1-distill-qwen-7b", 2, max_model_len=8192, max_num_seqs=16)
    # weights 15.24e9 / 2 = 7.62e9 B = 7.10 GiB; KV heads 4 / 2 = 2 per GPU -> 28,672 B/token -> 3.5 GiB
    assert m["weights_per_gpu_bytes"] == 7620000000
    assert m["kv_bytes_per_token"] == 28672
    assert m["kv_cache_per_gpu_gib"] == 3.5
    assert m["required_per_gpu_gib"] == 12.6  # 7.0966 + 3.5 + 2 = 12.5966


def test_memory_kv_heads_replicated_beyond_their_count():
    # Coder-V2-Lite aside, the 7B has 4 KV heads: at TP 8 each GPU still holds one whole head (replicated).
    assert llm_memory("deepseek-r1-distill-qwen-7b", 8)["kv_bytes_per_token"] == 2 * 28 * 1 * 128 * 2


def test_memory_mla_latent_is_not_split():
    # MLA: 27 layers x (512 latent + 64 rope) x 2 bytes = 31,104 B per token, the same on every TP rank
    one = llm_memory("deepseek-coder-v2-lite-instruct", 1, max_model_len=8192, max_num_seqs=16)
    two = llm_memory("deepseek-coder-v2-lite-instruct", 2, max_model_len=8192, max_num_seqs=16)
    assert one["kv_bytes_per_token"] == two["kv_bytes_per_token"] == 31104
    # 31,104 x 131,072 tokens = 4,076,863,488 B = 3.80 GiB
    assert one["kv_cache_per_gpu_bytes"] == 4076863488
    assert one["kv_cache_per_gpu_gib"] == 3.8
    # weights: 15.71e9 x 2 = 31.42e9 B = 29.26 GiB (MoE: every expert is resident)
    assert one["weights_gib"] == 29.26


def test_memory_quantized_and_fp8_kv():
    m = llm_memory("deepseek-r1-distill-qwen-32b", 1, "awq", "fp8", 4096, 1, 2)
    # weights: 32.76e9 x 0.5625 (4.5 bits) = 18,427,500,000 B = 17.16 GiB
    assert m["weights_bytes"] == 18427500000
    # KV per token, fp8: 2 x 64 x 8 x 128 x 1 = 131,072 B; x 4096 x 1 = 512 MiB = 0.5 GiB
    assert m["kv_bytes_per_token"] == 131072
    assert m["kv_cache_per_gpu_gib"] == 0.5
    assert m["required_per_gpu_gib"] == 19.66  # 17.162 + 0.5 + 2


def test_fit_7b_on_one_h100():
    # budget: 81,559 MiB x 0.9 = 73,403.1 MiB = 71.68 GiB >= 23.19 GiB needed at TP 1
    fit = llm_fit("deepseek-r1-distill-qwen-7b", [{"memory_mib": H100_MIB}], 0.9, max_model_len=8192, max_num_seqs=16)
    assert fit["tensor_parallel_size"] == 1
    assert fit["budget_per_gpu_gib"] == 71.68
    assert fit["gpu_count"] == 1


def test_fit_7b_needs_two_l4():
    # L4 budget: 23,034 MiB x 0.9 = 20,730.6 MiB = 20.24 GiB; TP 1 needs 23.19 -> no; TP 2 needs 12.60 -> yes
    gpus = [L4_MIB, L4_MIB]
    assert llm_tensor_parallel("deepseek-r1-distill-qwen-7b", gpus, 0.9, max_model_len=8192, max_num_seqs=16) == 2


def test_fit_32b_on_two_h100_not_one():
    # TP 1: weights 32.76e9 x 2 = 65.52e9 B = 61.02 GiB; KV 2 x 64 x 8 x 128 x 2 = 262,144 B/token x 131,072 = 32 GiB;
    #       61.02 + 32 + 2 = 95.02 GiB > 71.68 GiB
    # TP 2: 30.51 + 16 + 2 = 48.51 GiB <= 71.68 GiB
    fit = llm_fit("deepseek-r1-distill-qwen-32b", [H100_MIB] * 4, 0.9, max_model_len=8192, max_num_seqs=16)
    assert fit["tensor_parallel_size"] == 2
    assert fit["required_per_gpu_gib"] == 48.51


def test_fit_skips_tp_sizes_the_heads_forbid():
    # 7B on 8 GPUs of 8 GiB (8,192 MiB x 0.9 = 7.2 GiB budget), 8,192 tokens x 8 sequences:
    # TP 4: 15.24e9/4 = 3.81e9 B = 3.55 GiB + KV (1 head/GPU: 14,336 B x 65,536 = 0.875 GiB) + 2 = 6.42 GiB -> fits
    assert llm_tensor_parallel("deepseek-r1-distill-qwen-7b", {"count": 8, "memory_mib": 8192}, 0.9,
                               max_model_len=8192, max_num_seqs=8) == 4
    # With 16 sequences TP 4 needs 3.55 + 1.75 + 2 = 7.30 GiB > 7.2, and TP 8 is impossible (28 heads % 8 = 4)
    with pytest.raises(AnsibleFilterError) as err:
        llm_tensor_parallel("deepseek-r1-distill-qwen-7b", {"count": 8, "memory_mib": 8192}, 0.9,
                            max_model_len=8192, max_num_seqs=16)
    assert "TP 4: needs 7.30 GiB per GPU (weights 3.55 + KV cache 1.75 + overhead 2.00)" in str(err.value)
    assert "TP 8: not possible (28 attention heads are not divisible by 8)" in str(err.value)


def test_fit_uses_the_smallest_gpu():
    # A 24 GiB and an 80 GiB card: TP 2 is sized by the 24 GiB card (budget 21.6 GiB); the 7B at TP 2 needs 12.60
    assert llm_tensor_parallel("deepseek-r1-distill-qwen-7b", [24576, H100_MIB], 0.9) == 2
    # and with 0.5 utilization the 24 GiB card's budget is 12 GiB < 12.60 -> refused
    with pytest.raises(AnsibleFilterError, match=r"24576 MiB at gpu_memory_utilization 0.5 = 12.00 GiB per GPU"):
        llm_tensor_parallel("deepseek-r1-distill-qwen-7b", [24576, H100_MIB], 0.5)


def test_fit_mla_model():
    # Coder-V2-Lite on 2 x 24 GiB (budget 21.6): TP 1 = 29.26 + 3.80 + 2 = 35.06 > 21.6; TP 2 = 14.63 + 3.80 + 2 = 20.43
    assert llm_tensor_parallel("deepseek-coder-v2-lite-instruct", [24576, 24576]) == 2


def test_refuses_32b_on_one_gpu_with_numbers():
    with pytest.raises(AnsibleFilterError) as err:
        llm_fit("deepseek-r1-distill-qwen-32b", [H100_MIB], 0.9, max_model_len=8192, max_num_seqs=16)
    msg = str(err.value)
    assert "does not fit on 1 GPU(s) of 81559 MiB" in msg
    assert "71.68 GiB per GPU" in msg
    assert "TP 1: needs 95.02 GiB per GPU (weights 61.02 + KV cache 32.00 + overhead 2.00)" in msg


def test_refuses_context_longer_than_the_model():
    # deepseek-coder-6.7b was trained for 16,384 tokens
    with pytest.raises(AnsibleFilterError, match="longer than the model's context of 16384"):
        llm_fit("deepseek-coder-6.7b-instruct", [H100_MIB], max_model_len=32768)


def test_coder_67b_full_mha_kv():
    # 2 x 32 layers x 32 KV heads x 128 x 2 B = 524,288 B = 512 KiB per token; x 16,384 x 4 = 32 GiB
    m = llm_memory("deepseek-coder-6.7b-instruct", 1, max_model_len=16384, max_num_seqs=4)
    assert m["kv_bytes_per_token"] == 524288
    assert m["kv_cache_per_gpu_gib"] == 32.0


@pytest.mark.parametrize("gpus", [[], {"count": 0, "memory_mib": 81920}])
def test_refuses_without_gpus(gpus):
    with pytest.raises(AnsibleFilterError, match="no GPUs"):
        llm_fit("deepseek-r1-distill-qwen-7b", gpus)


@pytest.mark.parametrize("util", [0, 1.5, "lots"])
def test_refuses_bad_utilization(util):
    with pytest.raises(AnsibleFilterError, match="gpu_memory_utilization"):
        llm_fit("deepseek-r1-distill-qwen-7b", [H100_MIB], util)


def test_refuses_bad_inputs():
    with pytest.raises(AnsibleFilterError, match="unknown dtype"):
        llm_memory("deepseek-r1-distill-qwen-7b", dtype="int3")
    with pytest.raises(AnsibleFilterError, match="positive integer"):
        llm_memory("deepseek-r1-distill-qwen-7b", tensor_parallel_size=0)
    with pytest.raises(AnsibleFilterError, match="memory"):
        llm_fit("deepseek-r1-distill-qwen-7b", [{"name": "A100"}])


def test_custom_model_dict():
    custom = {"hf_id": "acme/tiny", "params_b": 1.0, "layers": 16, "attention_heads": 16, "kv_heads": 16, "head_dim": 64}
    # 1e9 x 2 = 2e9 B = 1.86 GiB; KV 2 x 16 x 16 x 64 x 2 = 65,536 B x 8192 x 16 = 8 GiB; + 2 = 11.86
    assert llm_memory(custom)["required_per_gpu_gib"] == 11.86
    with pytest.raises(AnsibleFilterError, match="missing: head_dim"):
        llm_model({"params_b": 1, "layers": 1, "attention_heads": 1, "kv_heads": 1})


def test_tp_validity_rules():
    lite = llm_model("deepseek-coder-v2-lite-instruct")
    q14 = llm_model("deepseek-r1-distill-qwen-14b")
    assert llm_sizing.tp_is_valid(q14, 8) == (True, "")  # 40 % 8 == 0 and 8 % 8 == 0
    assert llm_sizing.tp_is_valid(q14, 16)[0] is False  # 40 % 16 != 0
    assert llm_sizing.tp_is_valid(lite, 16) == (True, "")  # MLA: only the 16 query heads matter
    assert llm_sizing.tp_is_valid(q14, 3)[1] == "not a power of two"
