// The simulator's counters (a counting build, DJL_METAL_COUNTING) on a kernel whose counts are known: device
// and threadgroup bytes of ordinary and matrix accesses, distinct device bytes, bank conflicts under the
// documented model, matrix products and barriers.
#include <vector>

#include "check.h"
#include "simulator/launch.h"

void register_counting_test_kernels();

TEST(every_count_of_a_known_kernel) {
  register_counting_test_kernels();
  std::vector<float> in(64, 1.0f), out(64, 0.0f);
  msl::Counters c;
  msl::Launch l;
  l.kernel = "counted";
  l.threadgroups = {3, 1, 1};
  l.threads_per_threadgroup = {64, 1, 1};
  l.buffers = {{0, in.data(), in.size() * 4}, {1, out.data(), out.size() * 4}};
  l.counters = &c;
  msl::run(l);
  CHECK_EQ(c.threadgroups, 3u);
  const msl::Counts& one = c.max_threadgroup;
  // Each thread reads in[tid] twice and writes out[tid] once; each simdgroup loads two 8x8 float tiles.
  CHECK_EQ(one.device_read_bytes, 2u * 64 * 4);
  CHECK_EQ(one.device_write_bytes, 64u * 4);
  CHECK_EQ(one.threadgroup_write_bytes, 2u * 64 * 4);
  CHECK_EQ(one.threadgroup_read_bytes, 64u * 4 + 2 * 2 * 64 * 4);
  // Conflicts per simdgroup: 0 and 0 (stride 33), 31 (stride 32), 0 (row-major load), 7 + 7 (transposed).
  CHECK_EQ(one.bank_conflicts, 2u * (31 + 14));
  CHECK_EQ(one.matrix_bank_conflicts, 2u * 14);
  CHECK_EQ(one.mma, 2u);
  CHECK_EQ(one.threadgroup_barriers, 2u);
  CHECK_EQ(one.simdgroup_barriers, 2u);
  CHECK_EQ(c.total.device_read_bytes, 3 * one.device_read_bytes);
  CHECK_EQ(c.total.bank_conflicts, 3 * one.bank_conflicts);
  // Three threadgroups read and write the same 256 bytes of each buffer.
  CHECK_EQ(c.read_bytes[0], 3u * 2 * 64 * 4);
  CHECK_EQ(c.distinct_read_bytes[0], 64u * 4);
  CHECK_EQ(c.distinct_write_bytes[1], 64u * 4);
  CHECK_EQ(c.distinct_read_bytes[1], 0u);
  CHECK(c.threadgroup_memory_bytes >= 64u * 33 * 4);
  for (float v : out) CHECK_EQ(v, 2.0f);
}

TEST(an_uncounted_launch_leaves_no_counts) {
  std::vector<float> in(64, 1.0f), out(64, 0.0f);
  msl::Launch l;
  l.kernel = "counted";
  l.threadgroups = {1, 1, 1};
  l.threads_per_threadgroup = {64, 1, 1};
  l.buffers = {{0, in.data(), in.size() * 4}, {1, out.data(), out.size() * 4}};
  msl::run(l);
  for (float v : out) CHECK_EQ(v, 2.0f);
}

int main() { return check::run_all(); }
