using System.Globalization;
using System.Text;

namespace Mtl.Torch;

// PyTorch-style printing: tensor([[0.1000, 2.0000], ...], dtype=torch.float64, requires_grad=True).
public partial class Tensor
{
    private const int SummarizeThreshold = 1000;
    private const int EdgeItems = 3;

    public override string ToString()
    {
        if (IsDisposed) return "tensor(<disposed>)";
        var type = dtype;
        var sizes = shape;
        string[] cells;
        using (torch.no_grad())
        {
            cells = FormatCells(type);
        }
        var width = cells.Length == 0 ? 0 : cells.Max(c => c.Length);
        var builder = new StringBuilder("tensor(");
        var summarize = cells.Length > SummarizeThreshold;
        if (sizes.Length == 0)
        {
            builder.Append(cells[0]);
        }
        else
        {
            var strides = new long[sizes.Length];
            long stride = 1;
            for (var d = sizes.Length - 1; d >= 0; d--)
            {
                strides[d] = stride;
                stride *= sizes[d];
            }
            AppendLevel(builder, cells, sizes, strides, 0, 0, width, summarize, "tensor(".Length);
        }
        if (sizes.Length > 0 && cells.Length == 0) builder.Append(", size=").Append(FormatShape(sizes).Replace('[', '(').Replace(']', ')'));
        if (type is not (ScalarType.Float32 or ScalarType.Int64 or ScalarType.Bool)) builder.Append(", dtype=").Append(ScalarTypeInfo.Name(type));
        var dev = device;
        if (dev.type != DeviceType.CPU) builder.Append(", device='").Append(dev).Append('\'');
        if (requires_grad) builder.Append(", requires_grad=True");
        return builder.Append(')').ToString();
    }

    private string[] FormatCells(ScalarType type)
    {
        if (type == ScalarType.Bool)
        {
            return data<bool>().Select(b => b ? "True" : "False").ToArray();
        }
        if (!ScalarTypeInfo.IsFloatingPoint(type))
        {
            using var asLong = to(ScalarType.Int64, Device.CPU);
            return asLong.data<long>().Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
        }
        using var asDouble = to(ScalarType.Float64, Device.CPU);
        var values = asDouble.data<double>();
        var finite = values.Where(double.IsFinite).Select(Math.Abs).ToArray();
        var allIntegers = finite.All(v => v == Math.Floor(v));
        var nonzero = finite.Where(v => v > 0).ToArray();
        var scientific = nonzero.Length > 0 && (nonzero.Max() >= 1e8 || nonzero.Min() < 1e-4 || nonzero.Max() / nonzero.Min() > 1000);
        return values.Select(v => FormatFloat(v, allIntegers && !scientific, scientific)).ToArray();
    }

    private static string FormatFloat(double value, bool integral, bool scientific)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        if (scientific) return value.ToString("0.0000e+00", CultureInfo.InvariantCulture);
        if (integral) return value.ToString("0", CultureInfo.InvariantCulture) + ".";
        return value.ToString("0.0000", CultureInfo.InvariantCulture);
    }

    private static void AppendLevel(StringBuilder builder, string[] cells, long[] sizes, long[] strides, int dim, long offset, int width, bool summarize, int indent)
    {
        builder.Append('[');
        var count = sizes[dim];
        var elided = summarize && count > 2 * EdgeItems;
        var first = true;
        for (long i = 0; i < count; i++)
        {
            if (elided && i == EdgeItems)
            {
                builder.Append(dim == sizes.Length - 1 ? ", ..." : ",\n" + new string(' ', indent + dim + 1) + "...");
                i = count - EdgeItems - 1;
                continue;
            }
            if (!first)
            {
                builder.Append(',');
                if (dim == sizes.Length - 1)
                {
                    builder.Append(' ');
                }
                else
                {
                    builder.Append('\n', sizes.Length - dim - 1).Append(' ', indent + dim + 1);
                }
            }
            first = false;
            if (dim == sizes.Length - 1)
            {
                builder.Append(cells[offset + i].PadLeft(width));
            }
            else
            {
                AppendLevel(builder, cells, sizes, strides, dim + 1, offset + i * strides[dim], width, summarize, indent);
            }
        }
        builder.Append(']');
    }
}
