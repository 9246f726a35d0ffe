// Simulator test kernels: threadgroup memory and barriers, positions, function constants, templates.
#include <metal_stdlib>
using namespace metal;

constant bool use_offset [[function_constant(0)]];
constant int offset_value [[function_constant(1)]];

constexpr int elements_of(int threads) { return threads; }

// Tree reduction of one threadgroup's elements in threadgroup memory (sized by a constexpr call, which the
// pre-pass must keep as one array shared by the threadgroup).
[[kernel]] void tg_reduce(const device float* in [[buffer(0)]],
                          device float* out [[buffer(1)]],
                          uint tid [[thread_index_in_threadgroup]],
                          uint3 group [[threadgroup_position_in_grid]],
                          uint threads [[threads_per_threadgroup]]) {
  threadgroup float partial[elements_of(256)];
  partial[tid] = in[group.x * threads + tid];
  threadgroup_barrier(mem_flags::mem_threadgroup);
  for (uint stride = threads / 2; stride > 0; stride /= 2) {
    if (tid < stride) {
      partial[tid] += partial[tid + stride];
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);
  }
  if (tid == 0) {
    out[group.x] = partial[0];
  }
}

// Every position attribute of every thread of a 3-D launch.
kernel void positions(device uint* out [[buffer(0)]],
                      uint3 grid_pos [[thread_position_in_grid]],
                      uint3 local [[thread_position_in_threadgroup]],
                      uint3 group [[threadgroup_position_in_grid]],
                      uint3 groups [[threadgroups_per_grid]],
                      ushort3 size [[threads_per_threadgroup]],
                      uint index [[thread_index_in_threadgroup]],
                      ushort lane [[thread_index_in_simdgroup]],
                      ushort simdgroup [[simdgroup_index_in_threadgroup]],
                      uint simdgroups [[simdgroups_per_threadgroup]]) {
  const uint width = groups.x * size.x, height = groups.y * size.y;
  const uint linear = (grid_pos.z * height + grid_pos.y) * width + grid_pos.x;
  device uint* o = out + linear * 8;
  o[0] = grid_pos.x;
  o[1] = grid_pos.y;
  o[2] = grid_pos.z;
  o[3] = local.x + 100 * local.y + 10000 * local.z;
  o[4] = group.x + 100 * group.y + 10000 * group.z;
  o[5] = index;
  o[6] = lane + 100 * simdgroup;
  o[7] = simdgroups;
}

// Function constants: defined or not, bool and int.
[[kernel]] void constants(device int* out [[buffer(0)]]) {
  out[0] = is_function_constant_defined(use_offset) ? (use_offset ? 1 : 2) : 3;
  if (is_function_constant_defined(use_offset) && use_offset) {
    out[1] = offset_value;
  }
}

// One template, two instantiations under their own host names.
template <typename T, int kScale>
[[kernel]] void scale_copy(const device T* in [[buffer(0)]], device float* out [[buffer(1)]],
                           uint i [[thread_position_in_grid]]) {
  out[i] = float(in[i]) * kScale;
}

template [[host_name("scale_copy_float_2")]] [[kernel]] decltype(scale_copy<float, 2>) scale_copy<float, 2>;
template [[host_name("scale_copy_half_3")]] [[kernel]]
decltype(scale_copy<half, 3>) scale_copy<half, 3>;

// 16-bit floats: conversions (as bits) and arithmetic rounded to the type.
[[kernel]] void rounding(const device float* in [[buffer(0)]],
                         device ushort* half_bits [[buffer(1)]],
                         device ushort* bfloat_bits [[buffer(2)]],
                         device ushort* sums [[buffer(3)]],
                         uint i [[thread_position_in_grid]]) {
  half_bits[i] = as_type<ushort>(half(in[i]));
  bfloat_bits[i] = as_type<ushort>(bfloat(in[i]));
  const half a = half(in[i]);
  sums[i] = as_type<ushort>(half(a + a * 2.0h));
}

// Vectors: swizzles, construction from pieces, conversions between element types.
[[kernel]] void vectors(const device float4* in [[buffer(0)]], device float4* out [[buffer(1)]]) {
  const float4 v = in[0];
  out[0] = float4(v.zw, v.xy);
  float4 w = v;
  w.xy = float2(v.w, v.z);
  out[1] = w;
  const half4 h = half4(v * 0.5f);
  out[2] = float4(h) + float4(1.0f);
  const float3 t = v.xyz;
  out[3] = float4(dot(t, t), max(t.x, t.y), v.wzyx[0], select(1.0f, 2.0f, v.x > v.y));
}
