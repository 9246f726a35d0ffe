// Compute pipelines for plan dispatches. Each shaders/ file is compiled once per process, from the source
// embedded in this library, at its first use; each pipeline (kernel plus function-constant values, the
// dispatch's pipeline_key) is built once at its first use, even when several threads ask at the same time,
// and shared by every thread after that. A failure is kept too: what failed stays disabled, and every later
// request for it gets the same error (Apple's text), logged once when it happened.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "metal/compile_stats.h"
#include "metal/device.h"
#include "metal/objc.h"
#include "plan/attention_plan.h"

namespace djl_metal::metal {

class Pipelines {
 public:
  explicit Pipelines(const Device& device);
  ~Pipelines();
  Pipelines(const Pipelines&) = delete;
  Pipelines& operator=(const Pipelines&) = delete;

  // The pipeline for a dispatch, or null with *error saying why it cannot run on this device.
  objc::Id get(const plan::Dispatch& dispatch, std::string* error);

  CompileStats stats() const;

 private:
  struct Library;
  struct Pipeline;
  Library& library(const std::string& name);
  void compile(Library& library, const std::string& name);
  void build(Pipeline& pipeline, const plan::Dispatch& dispatch);

  const Device& device_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Library>> libraries_;
  std::map<std::string, std::unique_ptr<Pipeline>> pipelines_;
  CompileStats stats_;
};

}  // namespace djl_metal::metal
