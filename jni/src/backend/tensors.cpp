#include "backend/tensors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "torch/op.h"

namespace djl_metal::backend {
namespace {

encoder::HostMemory host(const torch::TensorInfo& t, int element_bytes) {
  return {t.data, static_cast<size_t>(t.extent() * element_bytes)};
}

Output contiguous_like(const torch::TensorInfo& q) {
  std::vector<int64_t> strides(q.sizes.size());
  int64_t s = 1;
  for (size_t i = strides.size(); i-- > 0;) {
    strides[i] = s;
    s *= q.sizes[i];
  }
  torch::AtenTensorHandle h = nullptr;
  if (torch::shim().empty_strided(q.dim(), q.sizes.data(), strides.data(), q.dtype, q.device_type, q.device_index,
                                  &h) != 0 ||
      !h) {
    throw torch::TorchError("libtorch could not allocate the attention output");
  }
  torch::Tensor out(h);
  torch::TensorInfo info = torch::TensorInfo::read(out.get());
  return {std::move(out), std::move(info)};
}

// A NaN or an infinity, from the bits of one element of the type.
bool non_finite_at(const void* base, int64_t index, kernel::Element e) {
  if (e == kernel::Element::kFloat32) {
    uint32_t bits;
    std::memcpy(&bits, static_cast<const char*>(base) + index * 4, 4);
    return (bits & 0x7f800000u) == 0x7f800000u;
  }
  uint16_t bits;
  std::memcpy(&bits, static_cast<const char*>(base) + index * 2, 2);
  return e == kernel::Element::kFloat16 ? (bits & 0x7c00u) == 0x7c00u : (bits & 0x7f80u) == 0x7f80u;
}

}  // namespace

bool hidden_rows_non_finite(const call::CallFacts& facts, const kernel::AttentionGeometry& g) {
  if (!g.is_causal || g.len_k <= g.len_q) return false;
  for (const auto& [data, stride] : {std::pair{facts.k.data, g.k_stride}, std::pair{facts.v.data, g.v_stride}}) {
    for (int64_t b = 0; b < g.batch; ++b) {
      for (int64_t h = 0; h < g.heads_kv; ++h) {
        for (int64_t row = g.len_q; row < g.len_k; ++row) {
          const int64_t first = b * stride[0] + h * stride[1] + row * stride[2];
          for (int64_t d = 0; d < g.head_dim; ++d) {
            if (non_finite_at(data, first + d, g.element)) return true;
          }
        }
      }
    }
  }
  return false;
}

Output allocate_output(const call::SdpaCall& call, const call::CallFacts& facts,
                       const kernel::AttentionGeometry& geometry) {
  if (geometry.output == kernel::OutputLayout::kContiguous) return contiguous_like(facts.q);
  torch::OpCall like("aten::empty_like", "");
  like.tensor(call.query.get()).none().none().none().none().none().run({torch::OpCall::Result::kTensor});
  torch::Tensor out = like.take_tensor(0);
  // A query that is not dense gets a layout of PyTorch's choosing; the kernels need unit steps along the
  // head dim, which every layout but an exotic one for head dim 1 has.
  torch::TensorInfo info = torch::TensorInfo::read(out.get());
  if (facts.q.size(-1) > 1 && info.stride(-1) != 1) return contiguous_like(facts.q);
  return {std::move(out), std::move(info)};
}

plan::OutputStrides kernel_output_strides(const torch::TensorInfo& output) {
  const std::vector<int64_t> sizes(output.sizes.begin(), output.sizes.end());
  const std::vector<int64_t> strides(output.strides.begin(), output.strides.end());
  return plan::kernel_output_strides(sizes, strides);
}

HostScratch::HostScratch(const plan::Plan& plan)
    : partials(plan.partials_bytes / sizeof(float)), flags(plan.flags_bytes / sizeof(uint32_t)) {}

bool HostScratch::non_finite() const {
  return std::any_of(flags.begin(), flags.end(), [](uint32_t f) { return f != 0; });
}

encoder::HostOperands host_operands(const call::CallFacts& facts, const kernel::AttentionGeometry& geometry,
                                    const Output& output, HostScratch& scratch) {
  const int element = kernel::element_bytes(geometry.element);
  encoder::HostOperands operands;
  operands.query = host(facts.q, element);
  operands.key = host(facts.k, element);
  operands.value = host(facts.v, element);
  if (facts.mask) operands.mask = host(*facts.mask, kernel::mask_element_bytes(geometry.mask, geometry.element));
  operands.output = host(output.info, element);
  if (!scratch.partials.empty()) operands.partials = {scratch.partials.data(), scratch.partials.size() * sizeof(float)};
  if (!scratch.flags.empty()) operands.flags = {scratch.flags.data(), scratch.flags.size() * sizeof(uint32_t)};
  return operands;
}

}  // namespace djl_metal::backend
