# -*- coding: utf-8 -*-
# Copyright: HybridOps platform engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Memory sizing of LLMs served with vLLM, and the tensor-parallel size that fits the GPUs of a host.

The memory model (per GPU, for a tensor-parallel size TP):

  weights   = params x bytes_per_param(dtype) / TP
  kv_cache  = kv_bytes_per_token x max_model_len x max_num_seqs
              gqa: kv_bytes_per_token = 2 (K, V) x layers x max(1, kv_heads / TP) x head_dim x kv_bytes
              mla: kv_bytes_per_token = layers x (kv_lora_rank + qk_rope_head_dim) x kv_bytes  (latent, replicated)
  overhead  = overhead_gib (CUDA context, activations of vLLM's profiling run, CUDA graphs, NCCL buffers)
  required  = weights + kv_cache + overhead  <=  gpu_memory_mib x gpu_memory_utilization

The KV term budgets every one of max_num_seqs sequences at full max_model_len at once: the worst case, so a host
that passes never queues requests for lack of cache at the configured limits. vLLM itself only insists that one
full-length sequence fits.

Valid TP sizes: a power of two, at most the GPU count, dividing the attention heads; for grouped-query attention
the KV heads must be a multiple of TP or TP a multiple of the KV heads (vLLM then replicates KV heads).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence
from ansible.module_utils.six import string_types

from ansible.module_utils.six.moves.collections_abc import Mapping

from ansible_collections.hybridops.platform.plugins.module_utils._llm_catalog import (
    CATALOG,
    KV_BYTES,
    WEIGHT_BYTES,
)

GIB = 1024 ** 3
MIB = 1024 ** 2
_REQUIRED_KEYS = ("params_b", "layers", "attention_heads", "kv_heads", "head_dim")


def _gib(value):
    return round(value / GIB, 2)


def llm_model(model):
    """Return the catalog entry (with its key as ``name``) for a catalog key, a Hugging Face id or a dict."""
    if isinstance(model, Mapping):
        missing = [k for k in _REQUIRED_KEYS if k not in model]
        if missing:
            raise AnsibleFilterError("llm_model: a custom model needs the keys %s (missing: %s)"
                                     % (", ".join(_REQUIRED_KEYS), ", ".join(missing)))
        entry = dict(model)
        entry.setdefault("name", entry.get("hf_id", "custom"))
        entry.setdefault("attention", "gqa")
        entry.setdefault("reasoning_parser", "")
        if entry["attention"] == "mla" and not ("kv_lora_rank" in entry and "qk_rope_head_dim" in entry):
            raise AnsibleFilterError("llm_model: an mla model needs kv_lora_rank and qk_rope_head_dim")
        return entry
    if not isinstance(model, string_types):
        raise AnsibleFilterError("llm_model: expected a model name or a dict, got %r" % (model,))
    wanted = model.strip().lower()
    for key, entry in CATALOG.items():
        if wanted in (key, entry["hf_id"].lower(), entry["hf_id"].lower().rsplit("/", maxsplit=1)[-1]):
            return dict(entry, name=key)
    raise AnsibleFilterError("llm_model: unknown model %r; known: %s (or pass the architecture as a dict)"
                             % (model, ", ".join(sorted(CATALOG))))


def _positive_int(name, value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError("%s must be an integer, got %r" % (name, value))
    if number < 1 or number != float(value):
        raise AnsibleFilterError("%s must be a positive integer, got %r" % (name, value))
    return number


def _kv_bytes_per_token(entry, tensor_parallel_size, kv_bytes):
    if entry["attention"] == "mla":
        return entry["layers"] * (entry["kv_lora_rank"] + entry["qk_rope_head_dim"]) * kv_bytes
    kv_heads_per_gpu = max(1, entry["kv_heads"] // tensor_parallel_size)
    return 2 * entry["layers"] * kv_heads_per_gpu * entry["head_dim"] * kv_bytes


def llm_memory(model, tensor_parallel_size=1, dtype="bf16", kv_cache_dtype="auto", max_model_len=8192,
               max_num_seqs=16, overhead_gib=2.0):
    """Memory one GPU needs to serve ``model`` at ``tensor_parallel_size`` (bytes, plus rounded GiB)."""
    entry = llm_model(model)
    tp = _positive_int("tensor_parallel_size", tensor_parallel_size)
    max_model_len = _positive_int("max_model_len", max_model_len)
    max_num_seqs = _positive_int("max_num_seqs", max_num_seqs)
    if str(dtype).lower() not in WEIGHT_BYTES:
        raise AnsibleFilterError("llm_memory: unknown dtype %r; known: %s" % (dtype, ", ".join(sorted(WEIGHT_BYTES))))
    if str(kv_cache_dtype).lower() not in KV_BYTES:
        raise AnsibleFilterError("llm_memory: unknown kv_cache_dtype %r; known: %s"
                                 % (kv_cache_dtype, ", ".join(sorted(KV_BYTES))))
    try:
        overhead = float(overhead_gib) * GIB
    except (TypeError, ValueError):
        raise AnsibleFilterError("llm_memory: overhead_gib must be a number, got %r" % (overhead_gib,))
    if overhead < 0:
        raise AnsibleFilterError("llm_memory: overhead_gib must not be negative")

    weights = int(round(entry["params_b"] * 1e9 * WEIGHT_BYTES[str(dtype).lower()]))
    weights_per_gpu = int(math.ceil(weights / float(tp)))
    kv_per_token = _kv_bytes_per_token(entry, tp, KV_BYTES[str(kv_cache_dtype).lower()])
    kv_per_gpu = kv_per_token * max_model_len * max_num_seqs
    required = weights_per_gpu + kv_per_gpu + int(overhead)
    return {
        "model": entry["name"],
        "tensor_parallel_size": tp,
        "dtype": str(dtype).lower(),
        "kv_cache_dtype": str(kv_cache_dtype).lower(),
        "max_model_len": max_model_len,
        "max_num_seqs": max_num_seqs,
        "weights_bytes": weights,
        "weights_per_gpu_bytes": weights_per_gpu,
        "kv_bytes_per_token": kv_per_token,
        "kv_cache_per_gpu_bytes": kv_per_gpu,
        "overhead_per_gpu_bytes": int(overhead),
        "required_per_gpu_bytes": required,
        "weights_gib": _gib(weights),
        "weights_per_gpu_gib": _gib(weights_per_gpu),
        "kv_cache_per_gpu_gib": _gib(kv_per_gpu),
        "overhead_per_gpu_gib": _gib(overhead),
        "required_per_gpu_gib": _gib(required),
    }


def _gpu_memory_mib(gpus):
    """Normalise the GPU inventory to a list of per-GPU memory sizes in MiB.

    Accepts a list of MiB numbers, a list of dicts with ``memory_mib`` (or ``memory_total_mib``), or a planning
    dict ``{count: N, memory_mib: M}``.
    """
    if isinstance(gpus, Mapping):
        if "count" in gpus:
            count = int(gpus["count"])
            return [int(gpus.get("memory_mib", 0))] * count
        gpus = [gpus]
    if not is_sequence(gpus):
        raise AnsibleFilterError("llm_fit: gpus must be a list, got %r" % (gpus,))
    sizes = []
    for gpu in gpus:
        if isinstance(gpu, Mapping):
            value = gpu.get("memory_mib", gpu.get("memory_total_mib"))
        else:
            value = gpu
        try:
            sizes.append(int(float(value)))
        except (TypeError, ValueError):
            raise AnsibleFilterError("llm_fit: cannot read the memory (MiB) of GPU %r" % (gpu,))
    if any(size <= 0 for size in sizes):
        raise AnsibleFilterError("llm_fit: every GPU needs a positive memory size in MiB, got %r" % (sizes,))
    return sizes


def tp_is_valid(entry, tp):
    """Whether vLLM can shard ``entry`` across ``tp`` GPUs, and why not."""
    if tp & (tp - 1):
        return False, "not a power of two"
    if entry["attention_heads"] % tp:
        return False, "%d attention heads are not divisible by %d" % (entry["attention_heads"], tp)
    if entry["attention"] != "mla" and entry["kv_heads"] % tp and tp % entry["kv_heads"]:
        return False, "%d KV heads and TP %d do not divide one another" % (entry["kv_heads"], tp)
    return True, ""


def llm_fit(model, gpus, gpu_memory_utilization=0.9, dtype="bf16", kv_cache_dtype="auto", max_model_len=8192,
            max_num_seqs=16, overhead_gib=2.0):
    """Pick the smallest valid tensor-parallel size that fits; raise AnsibleFilterError with the numbers if none."""
    entry = llm_model(model)
    sizes = _gpu_memory_mib(gpus)
    try:
        utilization = float(gpu_memory_utilization)
    except (TypeError, ValueError):
        raise AnsibleFilterError("llm_fit: gpu_memory_utilization must be a number, got %r" % (gpu_memory_utilization,))
    if not 0 < utilization <= 1:
        raise AnsibleFilterError("llm_fit: gpu_memory_utilization must be in (0, 1], got %s" % utilization)
    max_model_len = _positive_int("max_model_len", max_model_len)
    context = entry.get("max_position_embeddings")
    if context and max_model_len > context:
        raise AnsibleFilterError("%s: max_model_len %d is longer than the model's context of %d tokens"
                                 % (entry["name"], max_model_len, context))
    if not sizes:
        raise AnsibleFilterError("%s: no GPUs to serve it on (the GPU inventory is empty)" % entry["name"])

    smallest_mib = min(sizes)
    budget = int(smallest_mib * MIB * utilization)
    tried = []
    tp = 1
    while tp <= len(sizes):
        valid, why = tp_is_valid(entry, tp)
        if not valid:
            tried.append("TP %d: not possible (%s)" % (tp, why))
        else:
            need = llm_memory(entry, tp, dtype, kv_cache_dtype, max_model_len, max_num_seqs, overhead_gib)
            if need["required_per_gpu_bytes"] <= budget:
                return dict(need, gpu_count=len(sizes), gpu_memory_mib=smallest_mib,
                            gpu_memory_utilization=utilization, budget_per_gpu_bytes=budget,
                            budget_per_gpu_gib=_gib(budget))
            tried.append("TP %d: needs %.2f GiB per GPU (weights %.2f + KV cache %.2f + overhead %.2f)"
                         % (tp, need["required_per_gpu_gib"], need["weights_per_gpu_gib"],
                            need["kv_cache_per_gpu_gib"], need["overhead_per_gpu_gib"]))
        tp *= 2
    raise AnsibleFilterError(
        "%s (%s, max_model_len %d, max_num_seqs %d) does not fit on %d GPU(s) of %d MiB at "
        "gpu_memory_utilization %s = %.2f GiB per GPU: %s. Lower max_model_len or max_num_seqs, use a quantized "
        "dtype or fp8 KV cache, or add GPUs."
        % (entry["name"], str(dtype).lower(), max_model_len, _positive_int("max_num_seqs", max_num_seqs),
           len(sizes), smallest_mib, utilization, _gib(budget), "; ".join(tried)))


def llm_tensor_parallel(model, gpus, gpu_memory_utilization=0.9, dtype="bf16", kv_cache_dtype="auto",
                        max_model_len=8192, max_num_seqs=16, overhead_gib=2.0):
    """The tensor-parallel size from :func:`llm_fit`."""
    return llm_fit(model, gpus, gpu_memory_utilization, dtype, kv_cache_dtype, max_model_len, max_num_seqs,
                   overhead_gib)["tensor_parallel_size"]


class FilterModule(object):
    """LLM memory sizing filters."""

    def filters(self):
        return {
            "llm_model": llm_model,
            "llm_memory": llm_memory,
            "llm_fit": llm_fit,
            "llm_tensor_parallel": llm_tensor_parallel,
        }
