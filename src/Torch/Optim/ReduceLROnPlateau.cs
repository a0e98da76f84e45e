using static Mtl.Torch.Modules.SchedulerArguments;

namespace Mtl.Torch.Modules;

/// <summary>
/// Reduces the learning rate when a metric stops improving (PyTorch's <c>ReduceLROnPlateau</c>).
/// A metric is better than the best so far when, in mode <c>min</c>, it is below
/// <c>best · (1 − threshold)</c> (<c>rel</c>) or <c>best − threshold</c> (<c>abs</c>); in mode
/// <c>max</c>, above <c>best · (1 + threshold)</c> or <c>best + threshold</c>. After more than
/// <c>patience</c> epochs without improvement each group's lr becomes
/// <c>max(lr · factor, min_lr)</c> (skipped when that changes it by no more than <c>eps</c>), then
/// bad epochs are ignored for <c>cooldown</c> epochs. It works on the group's current lr, so it
/// composes with changes made by others.
/// </summary>
public sealed class ReduceLROnPlateau
{
    private readonly double[] _minLrs;
    private double[] _lastLr;

    /// <summary>A plateau scheduler with the same lower bound <paramref name="min_lr"/> for every group.</summary>
    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10, double threshold = 1e-4, string threshold_mode = "rel",
        int cooldown = 0, double min_lr = 0, double eps = 1e-8)
        : this(optimizer, Enumerable.Repeat(min_lr, optimizer?.param_groups.Count ?? 0).ToArray(), mode, factor, patience, threshold, threshold_mode, cooldown, eps)
    {
    }

    /// <summary>A plateau scheduler with a lower bound per parameter group.</summary>
    public ReduceLROnPlateau(Optimizer optimizer, IReadOnlyList<double> min_lrs, string mode = "min", double factor = 0.1, int patience = 10, double threshold = 1e-4,
        string threshold_mode = "rel", int cooldown = 0, double eps = 1e-8)
    {
        const string name = nameof(ReduceLROnPlateau);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(min_lrs);
        if (min_lrs.Count != optimizer.param_groups.Count)
        {
            throw new ArgumentException($"{name}: expected {optimizer.param_groups.Count} values of min_lr (one per parameter group), got {min_lrs.Count}", nameof(min_lrs));
        }
        foreach (var min_lr in min_lrs) NonNegative(name, "min_lr", min_lr);
        OneOf(name, nameof(mode), mode, "min", "max");
        OneOf(name, nameof(threshold_mode), threshold_mode, "rel", "abs");
        InRange(name, nameof(factor), factor, 0, 1, highOpen: true);
        NonNegative(name, nameof(patience), patience);
        NonNegative(name, nameof(threshold), threshold);
        NonNegative(name, nameof(cooldown), cooldown);
        NonNegative(name, nameof(eps), eps);
        this.optimizer = optimizer;
        this.mode = mode;
        this.factor = factor;
        this.patience = patience;
        this.threshold = threshold;
        this.threshold_mode = threshold_mode;
        this.cooldown = cooldown;
        this.eps = eps;
        _minLrs = min_lrs.ToArray();
        best = mode == "min" ? double.PositiveInfinity : double.NegativeInfinity;
        _lastLr = CurrentLrs();
    }

    public Optimizer optimizer { get; }

    public string mode { get; }

    public double factor { get; }

    public int patience { get; }

    public double threshold { get; }

    public string threshold_mode { get; }

    public int cooldown { get; }

    public double eps { get; }

    public IReadOnlyList<double> min_lrs => _minLrs;

    /// <summary>The number of metrics seen.</summary>
    public int last_epoch { get; private set; }

    /// <summary>The best metric so far (+∞ in mode min, −∞ in mode max before the first).</summary>
    public double best { get; private set; }

    /// <summary>Consecutive epochs without improvement, outside cooldown.</summary>
    public int num_bad_epochs { get; private set; }

    /// <summary>Epochs of cooldown left.</summary>
    public int cooldown_counter { get; private set; }

    public bool in_cooldown => cooldown_counter > 0;

    public IReadOnlyList<double> get_last_lr() => _lastLr;

    /// <summary>Records one epoch's metric and reduces the learning rates if it has plateaued.</summary>
    public void step(double metric)
    {
        last_epoch++;
        if (is_better(metric, best))
        {
            best = metric;
            num_bad_epochs = 0;
        }
        else
        {
            num_bad_epochs++;
        }
        if (in_cooldown)
        {
            cooldown_counter--;
            num_bad_epochs = 0;
        }
        if (num_bad_epochs > patience)
        {
            ReduceLrs();
            cooldown_counter = cooldown;
            num_bad_epochs = 0;
        }
        _lastLr = CurrentLrs();
    }

    /// <summary>Whether <paramref name="metric"/> improves on <paramref name="reference"/> by more than the threshold.</summary>
    public bool is_better(double metric, double reference) => (mode, threshold_mode) switch
    {
        ("min", "rel") => metric < reference * (1 - threshold),
        ("min", _) => metric < reference - threshold,
        (_, "rel") => metric > reference * (threshold + 1),
        _ => metric > reference + threshold,
    };

    private void ReduceLrs()
    {
        var groups = optimizer.param_groups;
        if (groups.Count != _minLrs.Length)
        {
            throw new InvalidOperationException($"ReduceLROnPlateau: the optimizer has {groups.Count} parameter groups but the scheduler was created with {_minLrs.Length}");
        }
        for (var i = 0; i < groups.Count; i++)
        {
            var oldLr = groups[i].lr;
            var newLr = Math.Max(oldLr * factor, _minLrs[i]);
            if (oldLr - newLr > eps) groups[i].lr = newLr;
        }
    }

    private double[] CurrentLrs() => optimizer.param_groups.Select(group => group.lr).ToArray();

    // ---- state ---------------------------------------------------------------------------------

    /// <summary>
    /// The scheduler's progress as named numbers (<c>last_epoch</c>, <c>best</c> (possibly
    /// infinite), <c>num_bad_epochs</c>, <c>cooldown_counter</c>, <c>last_lr.i</c>). The learning
    /// rates themselves live in the optimizer's state.
    /// </summary>
    public Dictionary<string, double> state_dict()
    {
        var state = new Dictionary<string, double>
        {
            ["last_epoch"] = last_epoch,
            ["best"] = best,
            ["num_bad_epochs"] = num_bad_epochs,
            ["cooldown_counter"] = cooldown_counter,
        };
        state.PutList("last_lr", _lastLr);
        return state;
    }

    /// <summary>Restores a state from <see cref="state_dict"/>; a rejected state changes nothing.</summary>
    public void load_state_dict(IReadOnlyDictionary<string, double> state) =>
        SchedulerStateReader.LoadAtomically(state, nameof(ReduceLROnPlateau), state_dict, reader =>
        {
            last_epoch = reader.Integer("last_epoch");
            best = reader.Number("best");
            num_bad_epochs = reader.Integer("num_bad_epochs");
            cooldown_counter = reader.Integer("cooldown_counter");
            _lastLr = reader.List("last_lr", optimizer.param_groups.Count);
        });
}
