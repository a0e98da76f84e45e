namespace Mtl.Torch.Modules;

/// <summary>
/// Reads a scheduler state written by <c>state_dict()</c>: a flat dictionary of numbers whose
/// lists are stored as <c>name.0</c>, <c>name.1</c>, ... and whose nested states (the schedulers
/// of a <see cref="SequentialLR"/>) as <c>prefix.key</c>. Every key must be read exactly once.
/// </summary>
internal sealed class SchedulerStateReader(IReadOnlyDictionary<string, double> state, string owner)
{
    private readonly HashSet<string> _read = new();

    public double Number(string key)
    {
        if (!state.TryGetValue(key, out var value)) throw new ArgumentException($"{owner}: the state has no entry '{key}'", nameof(state));
        _read.Add(key);
        return value;
    }

    public int Integer(string key)
    {
        var value = Number(key);
        if (value != Math.Floor(value) || value < int.MinValue || value > int.MaxValue)
        {
            throw new ArgumentException($"{owner}: state entry '{key}' must be an integer, got {value}", nameof(state));
        }
        return (int)value;
    }

    /// <summary>The list <c>key.0</c> .. <c>key.{count-1}</c>; it must hold exactly <paramref name="count"/> values.</summary>
    public double[] List(string key, int count)
    {
        var stored = 0;
        while (state.ContainsKey($"{key}.{stored}")) stored++;
        if (stored != count)
        {
            throw new ArgumentException($"{owner}: the state has {stored} values of '{key}' but the optimizer has {count} parameter groups", nameof(state));
        }
        var values = new double[count];
        for (var i = 0; i < count; i++) values[i] = Number($"{key}.{i}");
        return values;
    }

    /// <summary>The entries under <c>prefix.</c>, with the prefix removed.</summary>
    public Dictionary<string, double> Section(string prefix)
    {
        var section = new Dictionary<string, double>();
        foreach (var (key, value) in state)
        {
            if (!key.StartsWith(prefix + ".", StringComparison.Ordinal)) continue;
            section[key[(prefix.Length + 1)..]] = value;
            _read.Add(key);
        }
        return section;
    }

    public void EnsureAllRead()
    {
        var unknown = state.Keys.Where(key => !_read.Contains(key)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"{owner}: unknown state entries {string.Join(", ", unknown)}", nameof(state));
    }

    /// <summary>
    /// Loads <paramref name="source"/> through <paramref name="read"/>; if it is rejected, the state
    /// taken by <paramref name="save"/> beforehand is read back, so a failed load changes nothing.
    /// </summary>
    public static void LoadAtomically(IReadOnlyDictionary<string, double> source, string owner, Func<Dictionary<string, double>> save, Action<SchedulerStateReader> read)
    {
        ArgumentNullException.ThrowIfNull(source);
        var backup = save();
        try
        {
            var reader = new SchedulerStateReader(source, owner);
            read(reader);
            reader.EnsureAllRead();
        }
        catch
        {
            read(new SchedulerStateReader(backup, owner));
            throw;
        }
    }
}

internal static class SchedulerStateWriter
{
    /// <summary>Stores a list as <c>key.0</c>, <c>key.1</c>, ...</summary>
    public static void PutList(this Dictionary<string, double> state, string key, IReadOnlyList<double> values)
    {
        for (var i = 0; i < values.Count; i++) state[$"{key}.{i}"] = values[i];
    }
}
