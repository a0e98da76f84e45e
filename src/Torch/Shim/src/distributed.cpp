// Data-parallel collectives on libtorch's c10d: rendezvous stores (file, TCP) and a Gloo process
// group with all_reduce, broadcast and barrier. Every collective waits for its work to finish, so
// a failure (a peer gone, a timeout) surfaces as this call's error; the managed side adds the op,
// the rank and the world size to the message.
#include "common.h"

#include <chrono>
#include <stdexcept>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

namespace mtl {

// A store or a process group crosses the ABI as a heap-held intrusive pointer (one reference).
using StorePtr = c10::intrusive_ptr<c10d::Store>;
using GroupPtr = c10::intrusive_ptr<c10d::ProcessGroupGloo>;

static c10d::ReduceOp reduce_op(int32_t op) {
  switch (op) {
    case 0: return c10d::ReduceOp::SUM;
    case 1: return c10d::ReduceOp::PRODUCT;
    case 2: return c10d::ReduceOp::MIN;
    case 3: return c10d::ReduceOp::MAX;
    default: throw std::invalid_argument("unknown reduce op " + std::to_string(op) + " (0 sum, 1 product, 2 min, 3 max)");
  }
}

static GroupPtr& group(void* handle) {
  if (!handle) throw std::invalid_argument("the process group was disposed");
  return *static_cast<GroupPtr*>(handle);
}

}  // namespace mtl

using namespace mtl;

MTL_API int32_t mtl_file_store_new(const char* path, int32_t world_size, int64_t timeout_ms, void** store) {
  MTL_GUARD({
    StorePtr created = c10::make_intrusive<c10d::FileStore>(std::string(path), world_size);
    created->setTimeout(std::chrono::milliseconds(timeout_ms));
    *store = new StorePtr(std::move(created));
  });
}

// The master (is_master) listens on host:port; every process, the master included, connects.
// The constructor returns once world_size processes have joined, or fails after timeout_ms.
MTL_API int32_t mtl_tcp_store_new(const char* host, int32_t port, int32_t world_size, uint8_t is_master, int64_t timeout_ms, void** store) {
  MTL_GUARD({
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(port);
    options.isServer = is_master != 0;
    options.numWorkers = static_cast<std::size_t>(world_size);
    options.waitWorkers = true;
    options.timeout = std::chrono::milliseconds(timeout_ms);
    *store = new StorePtr(c10::make_intrusive<c10d::TCPStore>(std::string(host), options));
  });
}

MTL_API int32_t mtl_store_free(void* store) {
  MTL_GUARD({ delete static_cast<StorePtr*>(store); });
}

// A Gloo process group over the store. host names the address this rank listens on for its
// peers (NULL: libtorch's default, the machine's hostname, else the loopback address).
MTL_API int32_t mtl_process_group_gloo_new(void* store, int32_t rank, int32_t world_size, const char* host, int64_t timeout_ms, void** group) {
  MTL_GUARD({
    if (!store) throw std::invalid_argument("the store was disposed");
    auto options = c10d::ProcessGroupGloo::Options::create(std::chrono::milliseconds(timeout_ms));
    options->devices.push_back(host ? c10d::ProcessGroupGloo::createDeviceForHostname(host) : c10d::ProcessGroupGloo::createDefaultDevice());
    options->threads = 2;  // PyTorch's default for a Gloo group
    *group = new GroupPtr(c10::make_intrusive<c10d::ProcessGroupGloo>(*static_cast<StorePtr*>(store), rank, world_size, options));
  });
}

MTL_API int32_t mtl_process_group_free(void* group) {
  MTL_GUARD({ delete static_cast<GroupPtr*>(group); });
}

MTL_API int32_t mtl_all_reduce(void* handle, at::Tensor* tensor, int32_t op) {
  MTL_GUARD({
    std::vector<at::Tensor> tensors{ref(tensor)};
    c10d::AllreduceOptions options;
    options.reduceOp = reduce_op(op);
    group(handle)->allreduce(tensors, options)->wait();
  });
}

MTL_API int32_t mtl_broadcast(void* handle, at::Tensor* tensor, int32_t root) {
  MTL_GUARD({
    std::vector<at::Tensor> tensors{ref(tensor)};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    group(handle)->broadcast(tensors, options)->wait();
  });
}

MTL_API int32_t mtl_barrier(void* handle) {
  MTL_GUARD({ group(handle)->barrier()->wait(); });
}
