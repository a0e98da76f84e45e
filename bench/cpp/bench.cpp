// The reference multi-task model written directly against libtorch (torch::nn + torch::optim::Adam):
// the baseline Mtl is measured against.
// Usage: bench_cpp BATCH STEPS WARMUP; prints "BATCH WALL CPU": microseconds per step of wall-clock
// time and of this thread's CPU time.
#include <torch/torch.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <tuple>

namespace {

struct ReferenceModelImpl : torch::nn::Module {
  torch::nn::Sequential trunk{torch::nn::Linear(64, 128), torch::nn::ReLU(), torch::nn::Linear(128, 64), torch::nn::ReLU()};
  torch::nn::Sequential headA{torch::nn::Linear(64, 32), torch::nn::ReLU(), torch::nn::Linear(32, 1)};
  torch::nn::Sequential headB{torch::nn::Linear(64, 32), torch::nn::ReLU(), torch::nn::Linear(32, 10)};

  ReferenceModelImpl() {
    register_module("trunk", trunk);
    register_module("headA", headA);
    register_module("headB", headB);
  }

  std::tuple<torch::Tensor, torch::Tensor> forward(const torch::Tensor& input) {
    auto shared = trunk->forward(input);
    return {headA->forward(shared), headB->forward(shared)};
  }
};
TORCH_MODULE(ReferenceModel);

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timing {
  double wall_us, cpu_us;
};

Timing time_batch(int64_t batch, int steps, int warmup) {
  torch::manual_seed(0);
  ReferenceModel model;
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
  auto x = torch::randn({batch, 64});
  auto regression = torch::randn({batch, 1});
  auto classes = torch::randint(0, 10, {batch}, torch::kLong);

  auto step = [&] {
    optimizer.zero_grad();  // zeroes the gradients in libtorch 1.13 (does not set them to undefined)
    auto [predA, logitsB] = model->forward(x);
    auto loss = torch::mse_loss(predA, regression) + 0.5 * torch::cross_entropy_loss(logitsB, classes);
    loss.backward();
    optimizer.step();
  };

  for (int i = 0; i < warmup; ++i) step();
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_seconds();
  for (int i = 0; i < steps; ++i) step();
  const double cpu = thread_cpu_seconds() - cpu_start;
  const std::chrono::duration<double, std::micro> wall = std::chrono::steady_clock::now() - start;
  return {wall.count() / steps, cpu * 1e6 / steps};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: bench_cpp BATCH STEPS WARMUP\n");
    return 2;
  }
  torch::set_num_threads(1);
  const int64_t batch = std::atoll(argv[1]);
  const Timing t = time_batch(batch, std::atoi(argv[2]), std::atoi(argv[3]));
  std::printf("%lld %.1f %.1f\n", static_cast<long long>(batch), t.wall_us, t.cpu_us);
  return 0;
}
