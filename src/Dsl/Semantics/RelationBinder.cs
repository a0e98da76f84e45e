using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// Binds <c>mtrl(λ, omega: learned | [[...], ...])</c> of <c>regularize</c>: λ through the
/// catalog's option, a declared Ω checked for size, symmetry and positive definiteness
/// (<see cref="RelationCatalog"/>), and the task heads checked to end in linear layers of one size,
/// so that their weights stack into the columns of W.
/// </summary>
internal sealed class RelationBinder
{
    private readonly DiagnosticBag _diagnostics;
    private readonly ArgumentBinder _arguments;

    public RelationBinder(DiagnosticBag diagnostics)
    {
        _diagnostics = diagnostics;
        _arguments = new ArgumentBinder(diagnostics);
    }

    public TaskRelation? Bind(ValueSyntax value, IReadOnlyList<ArgumentSyntax> arguments, IReadOnlyList<TaskHead>? heads)
    {
        // omega is a word or a matrix, which no catalog option type holds: it is bound here, the rest by the catalog.
        var omega = arguments.FirstOrDefault(a => a.Name?.Text == RelationCatalog.Omega);
        var setting = _arguments.Bind(RelationCatalog.Spec, arguments.Where(a => a != omega).ToList(), value.Span);
        EquatableArray<EquatableArray<double>>? matrix = null;
        var ok = setting is not null;
        if (omega is not null)
        {
            switch (omega.Value)
            {
                case NameSyntax { Text: RelationCatalog.Learned }:
                    break;
                case ListSyntax when heads is null:
                    ok = false;
                    break;
                case ListSyntax list:
                    matrix = BindMatrix(list, heads.Count);
                    ok &= matrix is not null;
                    break;
                default:
                    _diagnostics.Report(DiagnosticCode.WrongValueType, omega.Value.Span, "'" + RelationCatalog.Name + "'", RelationCatalog.Omega,
                        $"'{RelationCatalog.Learned}' or a matrix, one row per task: [[1, 0.5], [0.5, 1]]", SyntaxText.Of(omega.Value));
                    ok = false;
                    break;
            }
        }

        ok = ok && heads is not null && CheckHeads(value, heads);
        return ok && setting is not null ? new TaskRelation(setting.Number(RelationCatalog.Lambda), matrix) : null;
    }

    private EquatableArray<EquatableArray<double>>? BindMatrix(ListSyntax list, int tasks)
    {
        var rows = new List<EquatableArray<double>>();
        foreach (var item in list.Items)
        {
            if (item is not ListSyntax row || row.Items.Any(v => v is not NumberSyntax))
            {
                _diagnostics.Report(DiagnosticCode.OmegaSize, item.Span, "must be a list of rows, each a list of numbers: [[1, 0.5], [0.5, 1]]");
                return null;
            }
            rows.Add(row.Items.Select(v => ((NumberSyntax)v).Value).ToEquatableArray());
        }

        var values = rows.Select(r => (IReadOnlyList<double>)r).ToList();
        if (RelationCatalog.SizeProblem(values, tasks) is { } size)
        {
            _diagnostics.Report(DiagnosticCode.OmegaSize, list.Span, size);
            return null;
        }
        if (RelationCatalog.SymmetryProblem(values) is { } symmetry)
        {
            var (i, j) = FirstAsymmetric(values);
            _diagnostics.Report(DiagnosticCode.OmegaNotSymmetric, ((ListSyntax)list.Items[i]).Items[j].Span, symmetry);
            return null;
        }
        if (RelationCatalog.DefinitenessProblem(values) is { } definiteness)
        {
            _diagnostics.Report(DiagnosticCode.OmegaNotPositiveDefinite, list.Span, definiteness);
            return null;
        }
        return rows.ToEquatableArray();
    }

    private static (int, int) FirstAsymmetric(IReadOnlyList<IReadOnlyList<double>> omega)
    {
        for (var i = 0; i < omega.Count; i++)
        {
            for (var j = i + 1; j < omega.Count; j++)
            {
                if (Math.Abs(omega[i][j] - omega[j][i]) > RelationCatalog.SymmetryTolerance) return (i, j);
            }
        }
        return (0, 0);
    }

    /// <summary>Every task ends in a linear layer, and all of them map the same shape to the same shape.</summary>
    private bool CheckHeads(ValueSyntax value, IReadOnlyList<TaskHead> heads)
    {
        var last = heads.Select(h => (h.Name, Layer: Flatten(h.Pipeline.Layers).LastOrDefault(l => l.ParameterCount > 0))).ToList();
        string Describe((string Name, Layer? Layer) head) => head.Layer is null
            ? $"'{head.Name}' has no layer with parameters"
            : $"'{head.Name}' ends in {head.Layer.Setting.Name} {head.Layer.Input.Shape} -> {head.Layer.Output.Shape}";

        var linear = last.All(h => h.Layer is { Kind: LayerKind.Linear });
        var sizes = last.Where(h => h.Layer is not null).Select(h => h.Layer!.Input.Shape + " -> " + h.Layer!.Output.Shape).Distinct().Count();
        if (linear && sizes <= 1)
        {
            return true;
        }

        _diagnostics.Report(DiagnosticCode.RelationHeadsDiffer, value.Span, string.Join(", ", last.Select(Describe)));
        return false;
    }

    private static IEnumerable<Layer> Flatten(IEnumerable<Layer> layers) =>
        layers.SelectMany(l => l.Kind == LayerKind.Residual ? Flatten(l.Body) : [l]);
}
