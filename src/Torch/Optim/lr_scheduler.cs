using Mtl.Torch.Modules;

namespace Mtl.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>
        /// Learning-rate schedulers with PyTorch's formulas, as
        /// <c>optim.lr_scheduler.StepLR(optimizer, step_size: 30)</c>; call <c>step()</c> after
        /// <c>optimizer.step()</c>.
        /// </summary>
        public static class lr_scheduler
        {
            public static StepLR StepLR(Optimizer optimizer, int step_size, double gamma = 0.1) => new(optimizer, step_size, gamma);

            public static MultiStepLR MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1) => new(optimizer, milestones, gamma);

            public static ExponentialLR ExponentialLR(Optimizer optimizer, double gamma) => new(optimizer, gamma);

            public static CosineAnnealingLR CosineAnnealingLR(Optimizer optimizer, int T_max, double eta_min = 0) => new(optimizer, T_max, eta_min);

            public static LinearLR LinearLR(Optimizer optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, int total_iters = 5) =>
                new(optimizer, start_factor, end_factor, total_iters);

            public static OneCycleLR OneCycleLR(Optimizer optimizer, double max_lr, int? total_steps = null, int? epochs = null, int? steps_per_epoch = null, double pct_start = 0.3,
                string anneal_strategy = "cos", bool cycle_momentum = true, double base_momentum = 0.85, double max_momentum = 0.95, double div_factor = 25,
                double final_div_factor = 1e4, bool three_phase = false) =>
                new(optimizer, max_lr, total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, cycle_momentum, base_momentum, max_momentum, div_factor, final_div_factor, three_phase);

            public static OneCycleLR OneCycleLR(Optimizer optimizer, IReadOnlyList<double> max_lr, int? total_steps = null, int? epochs = null, int? steps_per_epoch = null,
                double pct_start = 0.3, string anneal_strategy = "cos", bool cycle_momentum = true, double base_momentum = 0.85, double max_momentum = 0.95,
                double div_factor = 25, double final_div_factor = 1e4, bool three_phase = false) =>
                new(optimizer, max_lr, total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, cycle_momentum, base_momentum, max_momentum, div_factor, final_div_factor, three_phase);

            public static ReduceLROnPlateau ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10, double threshold = 1e-4,
                string threshold_mode = "rel", int cooldown = 0, double min_lr = 0, double eps = 1e-8) =>
                new(optimizer, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps);

            public static ReduceLROnPlateau ReduceLROnPlateau(Optimizer optimizer, IReadOnlyList<double> min_lrs, string mode = "min", double factor = 0.1, int patience = 10,
                double threshold = 1e-4, string threshold_mode = "rel", int cooldown = 0, double eps = 1e-8) =>
                new(optimizer, min_lrs, mode, factor, patience, threshold, threshold_mode, cooldown, eps);

            public static SequentialLR SequentialLR(Optimizer optimizer, IReadOnlyList<LRScheduler> schedulers, IReadOnlyList<int> milestones) => new(optimizer, schedulers, milestones);

            public static ChainedScheduler ChainedScheduler(IReadOnlyList<LRScheduler> schedulers) => new(schedulers);
        }
    }
}
