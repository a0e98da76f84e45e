using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// <see cref="Standardizer"/>: its statistics against hand arithmetic (population std, NaN left
/// out per element), its errors, forward and inverse, and its state.
/// </summary>
public sealed class StandardizerTests
{
    // Column x: 1, 2, 3, 6 → mean 3, squared deviations 4 + 1 + 0 + 9 = 14, variance 14 / 4 = 3.5.
    // Column y: 10, NaN, 20, 30 → mean 20 over its three values, variance (100 + 0 + 100) / 3.
    private static readonly float[] Table = [1, 10, 2, float.NaN, 3, 20, 6, 30];

    private static Standardizer Fitted(ScalarType dtype = ScalarType.Float32)
    {
        var standardizer = new Standardizer("input 'features'", [2], ["x", "y"], dtype);
        using var scope = NewDisposeScope();
        standardizer.Fit(tensor(Table, [4, 2]).to(dtype));
        return standardizer;
    }

    [Fact]
    public void The_statistics_are_the_mean_and_population_std_of_each_column_without_its_missing_values()
    {
        using var standardizer = Fitted(ScalarType.Float64);
        Assert.True(standardizer.IsFitted);
        Assert.Equal(4, standardizer.Count);
        Assert.Equal(ScalarType.Float64, standardizer.Mean.dtype);
        Assert.Equal([3.0, 20.0], standardizer.Mean.data<double>());
        Assert.Equal([Math.Sqrt(3.5), Math.Sqrt(200.0 / 3)], standardizer.Std.data<double>());

        using var single = Fitted();
        Assert.Equal(ScalarType.Float32, single.Std.dtype);
        Assert.Equal(new long[] { 2 }, single.Std.shape);
        Assert.Equal([3f, 20f], single.Mean.data<float>());
        Assert.Equal([(float)Math.Sqrt(3.5), (float)Math.Sqrt(200.0 / 3)], single.Std.data<float>());
    }

    [Fact]
    public void A_standardizer_moved_to_float64_fits_in_float64()
    {
        using var standardizer = new Standardizer("input 'features'", [2], ["x", "y"]);
        standardizer.to(ScalarType.Float64);
        using var scope = NewDisposeScope();
        standardizer.Fit(tensor(Table, [4, 2]));
        Assert.Equal(ScalarType.Float64, standardizer.Std.dtype);
        Assert.Equal([Math.Sqrt(3.5), Math.Sqrt(200.0 / 3)], standardizer.Std.data<double>());
    }

    [Fact]
    public void The_count_is_the_rows_with_at_least_one_value()
    {
        using var standardizer = new Standardizer("task 'pair'", [2]);
        using var scope = NewDisposeScope();
        standardizer.Fit(tensor(new[] { 1f, 2, float.NaN, float.NaN, 3, 5, 4, float.NaN }, [4, 2]));
        Assert.Equal(3, standardizer.Count);
        Assert.Equal([8f / 3, 3.5f], standardizer.Mean.data<float>());
    }

    [Fact]
    public void Forward_standardises_and_inverse_gives_the_original_values_back()
    {
        using var standardizer = Fitted();
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1f, 10, 4, 25 }, [2, 2]);
        var z = standardizer.forward(x);
        var expected = new[] { (1 - 3) / Math.Sqrt(3.5), (10 - 20) / Math.Sqrt(200.0 / 3), (4 - 3) / Math.Sqrt(3.5), (25 - 20) / Math.Sqrt(200.0 / 3) };
        var actual = z.data<float>();
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-6);
        var back = standardizer.Inverse(z).data<float>();
        for (var i = 0; i < back.Length; i++) Assert.Equal(x.data<float>()[i], back[i], 1e-5);
        // A missing label stays missing.
        Assert.True(float.IsNaN(standardizer.forward(tensor(new[] { float.NaN, 20f }, [1, 2])).data<float>()[0]));
    }

    [Fact]
    public void A_constant_column_is_an_error_naming_its_label_and_value()
    {
        using var standardizer = new Standardizer("input 'features'", [2], ["x", "y"]);
        using var scope = NewDisposeScope();
        var error = Assert.Throws<InvalidDataException>(() => standardizer.Fit(tensor(new[] { 1f, 3.5f, 2, 3.5f, 3, float.NaN }, [3, 2])));
        Assert.Equal("input 'features', column 'y' is constant (every training value is 3.5): standardising it would divide by zero; drop the column or remove 'standardize'", error.Message);
        Assert.False(standardizer.IsFitted);

        // A value float64 arithmetic cannot average back exactly is still constant, and shown as the data's dtype holds it.
        var tenths = Assert.Throws<InvalidDataException>(() => standardizer.Fit(tensor(Enumerable.Range(0, 20).SelectMany(i => new[] { (float)i, 0.1f }).ToArray(), [20, 2])));
        Assert.Equal("input 'features', column 'y' is constant (every training value is 0.1): standardising it would divide by zero; drop the column or remove 'standardize'", tenths.Message);
    }

    [Fact]
    public void Without_labels_an_element_is_named_by_its_index()
    {
        using var scope = NewDisposeScope();
        using var matrix = new Standardizer("input 'grid'", [2, 2]);
        var error = Assert.Throws<InvalidDataException>(() => matrix.Fit(tensor(new[] { 1f, 2, 7, 4, 5, 6, 7, 8 }, [2, 2, 2])));
        Assert.Equal("input 'grid', element [1, 0] is constant (every training value is 7): standardising it would divide by zero; drop the column or remove 'standardize'", error.Message);

        using var scalar = new Standardizer("task 'mass'", []);
        var constant = Assert.Throws<InvalidDataException>(() => scalar.Fit(tensor(new[] { 2f, 2f })));
        Assert.StartsWith("task 'mass' is constant (every training value is 2)", constant.Message);

        using var vector = new Standardizer("task 'pair'", [2]);
        var missing = Assert.Throws<InvalidDataException>(() => vector.Fit(tensor(new[] { 1f, float.NaN, 2f, float.NaN }, [2, 2])));
        Assert.Equal("task 'pair', element 1 has no value in the training data (every one is missing): its mean and standard deviation cannot be fitted", missing.Message);
    }

    [Fact]
    public void Values_of_another_shape_or_infinite_ones_are_errors()
    {
        using var standardizer = new Standardizer("input 'features'", [2], ["x", "y"]);
        using var scope = NewDisposeScope();
        var shape = Assert.Throws<ArgumentException>(() => standardizer.Fit(zeros([4, 3])));
        Assert.StartsWith("input 'features': fitting needs values of shape [N, 2], not [4, 3]", shape.Message);
        var infinite = Assert.Throws<InvalidDataException>(() => standardizer.Fit(tensor(new[] { 1f, 2, float.PositiveInfinity, 3 }, [2, 2])));
        Assert.Equal("input 'features', column 'x' holds inf in row 1 of the training data: it cannot be standardised", infinite.Message);
        Assert.Throws<ArgumentException>(() => new Standardizer("input 'features'", [3], ["x", "y"]));
    }

    [Fact]
    public void Construction_and_fitting_name_what_is_wrong_with_their_arguments()
    {
        Assert.Throws<ArgumentNullException>(() => new Standardizer(null!, [1]));
        Assert.Throws<ArgumentException>(() => new Standardizer(" ", [1]));
        Assert.Throws<ArgumentNullException>(() => new Standardizer("input 'x'", null!));
        Assert.Equal("input 'x': shape [2, 0] has a dimension that is not positive (Parameter 'shape')", Assert.Throws<ArgumentException>(() => new Standardizer("input 'x'", [2, 0])).Message);
        Assert.StartsWith("input 'x': standardised values are floating point, not ", Assert.Throws<ArgumentException>(() => new Standardizer("input 'x'", [1], null, ScalarType.Int64)).Message);
        Assert.Equal("input 'x': 2 labels for shape [3], which has 3 elements (Parameter 'labels')", Assert.Throws<ArgumentException>(() => new Standardizer("input 'x'", [3], ["a", "b"])).Message);

        using var standardizer = new Standardizer("input 'x'", [1]);
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentNullException>(() => standardizer.Fit(null!));
        Assert.StartsWith("input 'x': fitting needs floating-point values, not ", Assert.Throws<ArgumentException>(() => standardizer.Fit(tensor(new long[] { 1, 2 }, [2, 1]))).Message);
        var negative = Assert.Throws<InvalidDataException>(() => standardizer.Fit(tensor(new[] { float.NegativeInfinity, 2 }, [2, 1])));
        Assert.Equal("input 'x', element 0 holds -inf in row 0 of the training data: it cannot be standardised", negative.Message);
    }

    [Fact]
    public void A_constant_column_is_found_even_when_its_computed_spread_is_not_zero()
    {
        // Three doubles 0.1: their mean rounds to 0.10000000000000002, so the computed standard
        // deviation is 1.4e-17, not 0; every value is still the same.
        using var standardizer = new Standardizer("input 'x'", [1], ["x"], ScalarType.Float64);
        using var scope = NewDisposeScope();
        var error = Assert.Throws<InvalidDataException>(() => standardizer.Fit(tensor(new[] { 0.1, 0.1, 0.1 }, [3, 1])));
        Assert.Equal("input 'x', column 'x' is constant (every training value is 0.1): standardising it would divide by zero; drop the column or remove 'standardize'", error.Message);
        // A float64 standardizer names the value with all its digits.
        var digits = Assert.Throws<InvalidDataException>(() => standardizer.Fit(tensor(new[] { 1.000000001, 1.000000001 }, [2, 1])));
        Assert.Contains("every training value is 1.000000001)", digits.Message, StringComparison.Ordinal);
        Assert.False(standardizer.IsFitted);
    }

    [Fact]
    public void A_spread_that_rounds_to_zero_in_the_statistics_dtype_is_constant_there_only()
    {
        using var scope = NewDisposeScope();
        // 0 and the smallest float32 above it: the float64 deviation 7e-46 rounds to a float32 0.
        using var single = new Standardizer("input 'x'", [1]);
        var error = Assert.Throws<InvalidDataException>(() => single.Fit(tensor(new[] { 0f, float.Epsilon }, [2, 1])));
        Assert.StartsWith("input 'x', element 0 is constant", error.Message, StringComparison.Ordinal);
        // In float64, a spread of 5e-151 (0 once cast to float32) is a standard deviation like any other.
        using var dual = new Standardizer("input 'x'", [1], null, ScalarType.Float64);
        dual.Fit(tensor(new[] { 0.0, 1e-150 }, [2, 1]));
        Assert.Equal([5e-151], dual.Std.data<double>().ToArray());
    }

    [Fact]
    public void Forward_before_fitting_is_an_error_naming_the_owner()
    {
        using var standardizer = new Standardizer("input 'features'", [2], ["x", "y"]);
        using var scope = NewDisposeScope();
        Assert.False(standardizer.IsFitted);
        Assert.Equal(0, standardizer.Count);
        var error = Assert.Throws<InvalidOperationException>(() => standardizer.forward(zeros([1, 2])));
        Assert.Equal("input 'features' is standardised with statistics fitted on the training data, and they are not fitted yet: the trainer fits them at the start of training (or load a checkpoint or weights that hold them)", error.Message);
        Assert.Throws<InvalidOperationException>(() => standardizer.Inverse(zeros([1, 2])));
    }

    [Fact]
    public void The_statistics_are_buffers_of_the_state_and_loading_them_makes_a_fitted_standardizer()
    {
        using var fitted = Fitted();
        var state = fitted.state_dict();
        Assert.Equal(["mean", "std", "count"], state.Keys);
        Assert.Equal(ScalarType.Int64, state["count"].dtype);
        Assert.Empty(fitted.parameters());

        using var fresh = new Standardizer("input 'features'", [2], ["x", "y"]);
        fresh.load_state_dict(state);
        Assert.True(fresh.IsFitted);
        Assert.Equal(4, fresh.Count);
        Assert.Equal(fitted.Mean.data<float>(), fresh.Mean.data<float>());
        Assert.Equal(fitted.Std.data<float>(), fresh.Std.data<float>());
    }

    [Fact]
    public void A_weights_file_carries_the_statistics()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mtl-standardizer-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var fitted = Fitted()) fitted.save_safetensors(path);
            using var fresh = new Standardizer("input 'features'", [2], ["x", "y"]);
            fresh.load_safetensors(path);
            Assert.True(fresh.IsFitted);
            Assert.Equal([3f, 20f], fresh.Mean.data<float>());
            Assert.Equal([(float)Math.Sqrt(3.5), (float)Math.Sqrt(200.0 / 3)], fresh.Std.data<float>());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
