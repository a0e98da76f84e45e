using Mtl.Dsl.Syntax;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// The graph of shared blocks and tasks by the names their pipelines read. Gives an order in
/// which every node follows its dependencies (declaration order where free) and the cycles.
/// </summary>
internal sealed class DependencyGraph
{
    private readonly IReadOnlyList<string> _nodes;
    private readonly List<int>[] _dependencies;

    /// <param name="nodes">Node names in declaration order.</param>
    /// <param name="pipelines">Each node's pipeline syntax, same order.</param>
    public DependencyGraph(IReadOnlyList<string> nodes, IReadOnlyList<ValueSyntax> pipelines)
    {
        _nodes = nodes;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            index[nodes[i]] = i;
        }

        _dependencies = new List<int>[nodes.Count];
        for (var i = 0; i < nodes.Count; i++)
        {
            _dependencies[i] = [];
            foreach (var source in SourceNames(pipelines[i]))
            {
                if (index.TryGetValue(source.Text, out var dependency) && !_dependencies[i].Contains(dependency))
                {
                    _dependencies[i].Add(dependency);
                }
            }
        }
    }

    /// <summary>The names a pipeline reads: its source (<c>mix</c> of <c>mix.income</c>), or the sources of each branch of a merge.</summary>
    public static IEnumerable<NameSyntax> SourceNames(ValueSyntax pipeline)
    {
        var pending = new Stack<ValueSyntax>();
        pending.Push(pipeline);
        while (pending.Count > 0)
        {
            var value = pending.Pop();
            var source = value is ChainSyntax chain ? chain.Steps[0] : value;
            if (source is NameSyntax name)
            {
                yield return name;
            }
            else if (source is MemberAccessSyntax access)
            {
                yield return access.Target;
            }
            else if (source is CallSyntax { Name.Text: LayerCatalog.Concat or LayerCatalog.Add } merge)
            {
                foreach (var argument in merge.Arguments.Where(a => a.Name is null))
                {
                    pending.Push(argument.Value);
                }
            }
        }
    }

    /// <summary>Kahn's algorithm; nodes on or behind a cycle are left out and reported by <see cref="Cycles"/>.</summary>
    public IReadOnlyList<int> TopologicalOrder()
    {
        var dependents = new List<int>[_nodes.Count];
        var remaining = new int[_nodes.Count];
        for (var i = 0; i < _nodes.Count; i++)
        {
            dependents[i] = [];
        }

        for (var i = 0; i < _nodes.Count; i++)
        {
            remaining[i] = _dependencies[i].Count;
            foreach (var dependency in _dependencies[i])
            {
                dependents[dependency].Add(i);
            }
        }

        var ready = new SortedSet<int>(Enumerable.Range(0, _nodes.Count).Where(i => remaining[i] == 0));
        var order = new List<int>();
        while (ready.Count > 0)
        {
            var next = ready.Min;
            ready.Remove(next);
            order.Add(next);
            foreach (var dependent in dependents[next])
            {
                if (--remaining[dependent] == 0)
                {
                    ready.Add(dependent);
                }
            }
        }

        return order;
    }

    /// <summary>Each cycle once, as node indices from its first-declared member back to it.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Cycles(IReadOnlyList<int> order)
    {
        var ordered = new HashSet<int>(order);
        var visited = new HashSet<int>();
        var cycles = new List<IReadOnlyList<int>>();
        for (var start = 0; start < _nodes.Count; start++)
        {
            if (ordered.Contains(start) || visited.Contains(start))
            {
                continue;
            }

            // Every unordered node has an unordered dependency, so this walk ends on a repeat.
            var path = new List<int>();
            var positions = new Dictionary<int, int>();
            var node = start;
            while (!visited.Contains(node) && !positions.ContainsKey(node))
            {
                positions[node] = path.Count;
                path.Add(node);
                node = _dependencies[node].First(d => !ordered.Contains(d));
            }

            if (positions.TryGetValue(node, out var position))
            {
                var cycle = path.Skip(position).ToList();
                var first = cycle.IndexOf(cycle.Min());
                cycles.Add([.. cycle.Skip(first), .. cycle.Take(first), cycle.Min()]);
            }

            visited.UnionWith(path);
        }

        return cycles;
    }

    /// <summary>Nodes that a task reaches through its sources, tasks included.</summary>
    public HashSet<int> ReachableFrom(IEnumerable<int> roots)
    {
        var reached = new HashSet<int>();
        var pending = new Stack<int>(roots);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (reached.Add(node))
            {
                foreach (var dependency in _dependencies[node])
                {
                    pending.Push(dependency);
                }
            }
        }

        return reached;
    }
}
