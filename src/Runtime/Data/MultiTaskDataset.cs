using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Data;

/// <summary>
/// Examples held in memory as tensors whose first dimension is the example index: inputs by name,
/// targets by task name. Validated on construction against the task specs, so bad data is
/// reported with the member, row and value before training starts. Class targets may be int64 or
/// int32; int32 ones are widened to int64 (what the losses take) once, here. Owns its tensors.
/// </summary>
public sealed class MultiTaskDataset : IDisposable
{
    private readonly Dictionary<string, Tensor> _inputs;
    private readonly Dictionary<string, Tensor> _targets;
    // Tensors given to the constructor that the dataset holds in another form (int32 classes).
    private readonly List<Tensor> _given = new();

    public MultiTaskDataset(IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyDictionary<string, Tensor> targets, IReadOnlyList<TaskSpec> tasks)
    {
        if (inputs.Count == 0) throw new ArgumentException("a dataset needs at least one input", nameof(inputs));
        var first = inputs.First();
        Count = first.Value.Dimensions == 0 ? throw new ArgumentException($"input '{first.Key}' has no example dimension") : first.Value.size(0);
        foreach (var (name, tensor) in inputs)
        {
            RequireRows($"input '{name}'", tensor);
            DataValidation.RequireFinite($"input '{name}'", tensor);
        }
        foreach (var (name, tensor) in targets)
        {
            var task = tasks.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"targets for '{name}', which is not a task (tasks: {string.Join(", ", tasks.Select(t => t.Name))})", nameof(targets));
            RequireRows($"targets of task '{name}'", tensor);
            DataValidation.RequireTargets(task, tensor);
        }
        _inputs = inputs.ToDictionary(p => p.Key, p => p.Value.DetachFromDisposeScope());
        _targets = new Dictionary<string, Tensor>(targets.Count);
        foreach (var (name, tensor) in targets)
        {
            var owned = tensor.DetachFromDisposeScope();
            if (owned.dtype == ScalarType.Int32)
            {
                // Validation admits int32 classes only; the losses take int64, so they are
                // widened once here rather than on every step. The tensor given stays owned
                // (and alive) until the dataset is disposed, as every tensor given is.
                _given.Add(owned);
                owned = owned.to(ScalarType.Int64).DetachFromDisposeScope();
            }
            _targets[name] = owned;
        }
        Tasks = tasks;
    }

    private void RequireRows(string what, Tensor tensor)
    {
        var rows = tensor.Dimensions == 0 ? -1 : tensor.size(0);
        if (rows != Count) throw new ArgumentException($"{what} has {rows} rows but the dataset has {Count} examples (shape {Tensor.FormatShape(tensor.shape)})");
    }

    public long Count { get; }

    public IReadOnlyList<TaskSpec> Tasks { get; }

    public IReadOnlyDictionary<string, Tensor> Inputs => _inputs;

    public IReadOnlyDictionary<string, Tensor> Targets => _targets;

    /// <summary>
    /// The vocabularies of the inputs whose categories are learned (<c>category island</c> without
    /// a list), by input name: the values of index 1, 2, ... in ordinal order (index 0 is a value
    /// not seen in training). Set by <see cref="CsvTable"/> to the vocabulary it learned or was
    /// given; kept by <see cref="Subset"/>, <see cref="Split"/> and <see cref="WithTargets"/>.
    /// Empty for data that does not come from a table.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Categories { get; init; } = NoCategories;

    internal static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoCategories = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>
    /// Batches in order, or shuffled by a permutation that depends only on <paramref name="seed"/>
    /// (the trainer passes seed and epoch), so a resumed run sees the same batches. The batch
    /// tensors belong to the caller's dispose scope.
    /// </summary>
    public IEnumerable<MultiTaskBatch> Batches(long batchSize, bool shuffle, long seed = 0) => Batches(batchSize, shuffle, seed, rank: 0, world: 1);

    /// <summary>
    /// Rank <paramref name="rank"/>'s share of the batches of <paramref name="world"/> data-parallel
    /// ranks: the batches of <paramref name="batchSize"/> · <paramref name="world"/> examples that
    /// one process would take (the same order for the same seed), each split into
    /// <paramref name="world"/> consecutive parts of equal size (the last batch's as equal as its
    /// size allows), of which this rank takes part <paramref name="rank"/>.
    /// </summary>
    public IEnumerable<MultiTaskBatch> Batches(long batchSize, bool shuffle, long seed, int rank, int world)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        if (world < 1) throw new ArgumentOutOfRangeException(nameof(world), world, "the world size must be at least 1");
        if (rank < 0 || rank >= world) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"the rank must be in [0, {world})");
        var order = shuffle ? Permutation(Count, seed) : null;
        var global = batchSize * world;
        for (long start = 0; start < Count; start += global)
        {
            var size = Math.Min(global, Count - start);
            var (first, next) = (size * rank / world, size * (rank + 1) / world);
            yield return Slice(order, start + first, next - first);
        }
    }

    private MultiTaskBatch Slice(long[]? order, long start, long size)
    {
        if (order is null)
        {
            return new MultiTaskBatch(
                _inputs.ToDictionary(p => p.Key, p => p.Value.narrow(0, start, size)),
                _targets.ToDictionary(p => p.Key, p => p.Value.narrow(0, start, size)),
                size);
        }
        using var index = tensor(order.AsSpan((int)start, (int)size), [size]);
        return new MultiTaskBatch(
            _inputs.ToDictionary(p => p.Key, p => p.Value.index_select(0, index)),
            _targets.ToDictionary(p => p.Key, p => p.Value.index_select(0, index)),
            size);
    }

    /// <summary>The examples at <paramref name="rows"/>, in that order, as a new dataset holding copies.</summary>
    public MultiTaskDataset Subset(IReadOnlyList<long> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var row in rows)
        {
            if (row < 0 || row >= Count) throw new ArgumentOutOfRangeException(nameof(rows), row, $"row {row} is outside the dataset's [0, {Count})");
        }
        using var scope = NewDisposeScope();
        using var index = tensor(rows.ToArray(), [rows.Count]);
        return new MultiTaskDataset(
            _inputs.ToDictionary(p => p.Key, p => p.Value.index_select(0, index)),
            _targets.ToDictionary(p => p.Key, p => p.Value.index_select(0, index)),
            Tasks)
        {
            Categories = Categories,
        };
    }

    /// <summary>
    /// Splits the examples at random (a permutation that depends only on <paramref name="seed"/>):
    /// ⌊<paramref name="trainFraction"/> · N⌉ of them for training, the rest for validation. Each
    /// part keeps the examples in their original order.
    /// </summary>
    public (MultiTaskDataset Train, MultiTaskDataset Validation) Split(double trainFraction, long seed)
    {
        var (train, validation) = SplitRows(Count, trainFraction, seed);
        return (Subset(train), Subset(validation));
    }

    /// <summary>The rows of each part of <see cref="Split"/> for <paramref name="count"/> examples, each part in ascending order.</summary>
    internal static (List<long> Train, List<long> Validation) SplitRows(long count, double trainFraction, long seed)
    {
        if (!(trainFraction > 0 && trainFraction < 1)) throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction, "the training fraction must be in (0, 1)");
        var order = Permutation(count, seed);
        var trainCount = (long)Math.Round(trainFraction * count, MidpointRounding.AwayFromZero);
        if (trainCount == 0 || trainCount == count) throw new ArgumentException($"splitting {count} examples at {trainFraction} leaves one part empty", nameof(trainFraction));
        return (order.Take((int)trainCount).Order().ToList(), order.Skip((int)trainCount).Order().ToList());
    }

    /// <summary>
    /// The same examples with only the targets of <paramref name="tasks"/> (for separate per-task
    /// datasets). The tensors are shared, not copied; each dataset still disposes its own handles.
    /// </summary>
    public MultiTaskDataset WithTargets(params string[] tasks)
    {
        foreach (var task in tasks)
        {
            if (!_targets.ContainsKey(task)) throw new ArgumentException($"the dataset holds no targets for '{task}' (it has: {string.Join(", ", _targets.Keys)})", nameof(tasks));
        }
        using var scope = NewDisposeScope();
        return new MultiTaskDataset(
            _inputs.ToDictionary(p => p.Key, p => p.Value.alias()),
            tasks.ToDictionary(t => t, t => _targets[t].alias()),
            Tasks)
        {
            Categories = Categories,
        };
    }

    /// <summary>A Fisher–Yates permutation from a SplitMix64 stream: the same on every platform and run.</summary>
    internal static long[] Permutation(long count, long seed)
    {
        var order = new long[count];
        for (long i = 0; i < count; i++) order[i] = i;
        var random = new SeededRandom(seed);
        for (var i = count - 1; i > 0; i--)
        {
            var j = (long)(random.NextUInt64() % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    public void Dispose()
    {
        foreach (var t in _inputs.Values) t.Dispose();
        foreach (var t in _targets.Values) t.Dispose();
        foreach (var t in _given) t.Dispose();
    }
}
