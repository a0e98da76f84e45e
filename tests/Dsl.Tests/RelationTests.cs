using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary><c>regularize mtrl(λ, omega: ...)</c>: what it binds to, next to l2, and every way to get it wrong.</summary>
public sealed class RelationTests
{
    private const string ThreeTasks = TestCompiler.Header + "shared trunk = x -> linear(8) -> relu\n" +
        "task a: regression(1) = trunk -> linear(1)\ntask b: regression(1) = trunk -> linear(1)\ntask c: binary = trunk -> relu -> linear(1)\n";

    [Fact]
    public void A_learned_relation_binds_lambda_and_no_matrix_and_leaves_l2_alone()
    {
        var model = TestCompiler.Model(ThreeTasks + "regularize mtrl(0.01)\n");

        Assert.Equal(new TaskRelation(0.01, null), model.Relation);
        Assert.Equal(0, model.L2);
        Assert.Equal(new TaskRelation(0.5, null), TestCompiler.Model(ThreeTasks + "regularize mtrl(lambda: 0.5, omega: learned)\n").Relation);
    }

    [Fact]
    public void Mtrl_sits_next_to_l2_in_either_order()
    {
        var first = TestCompiler.Model(ThreeTasks + "regularize l2(1e-4), mtrl(0.01)\n");
        var second = TestCompiler.Model(ThreeTasks + "regularize mtrl(0.01), l2(1e-4)\n");

        Assert.Equal(1e-4, first.L2);
        Assert.Equal(first, second);
        Assert.Null(TestCompiler.Model(ThreeTasks + "regularize l2(1e-4)\n").Relation);
    }

    [Fact]
    public void A_declared_omega_binds_its_rows_in_task_order()
    {
        var model = TestCompiler.Model(ThreeTasks + "regularize mtrl(0.1, omega: [[1, 0.5, 0], [0.5, 2, -0.25], [0, -0.25, 1]])\n");

        var omega = Assert.IsType<EquatableArray<EquatableArray<double>>>(model.Relation!.Omega);
        Assert.Equal([1.0, 0.5, 0.0], omega[0]);
        Assert.Equal([0.5, 2.0, -0.25], omega[1]);
        Assert.Equal([0.0, -0.25, 1.0], omega[2]);
    }

    [Theory]
    [InlineData("regularize mtrl(0)", DiagnosticCode.ValueOutOfRange)]
    [InlineData("regularize mtrl", DiagnosticCode.MissingArgument)]
    [InlineData("regularize mtrl(0.1, omega: fixed)", DiagnosticCode.WrongValueType)]
    [InlineData("regularize mtrl(0.1, omega: [1, 0, 0])", DiagnosticCode.OmegaSize)]
    [InlineData("regularize mtrl(0.1, omega: [[1, 0], [0, 1]])", DiagnosticCode.OmegaSize)]
    [InlineData("regularize mtrl(0.1, omega: [[1, 0, 0], [0, 1], [0, 0, 1]])", DiagnosticCode.OmegaSize)]
    [InlineData("regularize mtrl(0.1, omega: [[1, 0, 0], [0, 1, 0], [0, 0.1, 1]])", DiagnosticCode.OmegaNotSymmetric)]
    [InlineData("regularize mtrl(0.1, omega: [[1, 0, 0], [0, 1, 0], [0, 0, 0]])", DiagnosticCode.OmegaNotPositiveDefinite)]
    [InlineData("regularize mtrl(0.1, omega: [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]])", DiagnosticCode.OmegaNotPositiveDefinite)]
    [InlineData("regularize mtrl(0.1), mtrl(0.2)", DiagnosticCode.RegularizerTwice)]
    [InlineData("regularize mtrl(0.1, size: 2)", DiagnosticCode.UnknownOption)]
    [InlineData("regularize mtlr(0.1)", DiagnosticCode.UnknownChoice)]
    public void Wrong_relations_are_located_errors(string statement, DiagnosticCode code)
    {
        var diagnostic = TestCompiler.Single(ThreeTasks + statement + "\n");

        Assert.Equal(code, diagnostic.Code);
        Assert.Equal(7, diagnostic.Span.StartLine);
    }

    [Fact]
    public void Heads_that_do_not_end_in_one_linear_size_name_every_task()
    {
        var diagnostic = TestCompiler.Single(TestCompiler.Header + "shared trunk = x -> linear(8) -> relu\n" +
            "task a: regression(1) = trunk -> linear(1)\ntask b: regression(1) = x -> linear(1)\ntask c: regression(1) = trunk -> linear(4) -> layernorm -> linear(1)\n" +
            "regularize mtrl(0.01)\n");

        Assert.Equal(DiagnosticCode.RelationHeadsDiffer, diagnostic.Code);
        Assert.EndsWith("'a' ends in linear [8] -> [1], 'b' ends in linear [4] -> [1], 'c' ends in linear [4] -> [1]", diagnostic.Message);

        var normalized = TestCompiler.Single(TestCompiler.Header + "task a: regression(1) = x -> linear(1)\ntask b: regression(4) = x -> linear(4) -> layernorm\nregularize mtrl(0.01)\n");
        Assert.EndsWith("'a' ends in linear [4] -> [1], 'b' ends in layernorm [4] -> [4]", normalized.Message);
    }

    [Fact]
    public void A_task_that_fails_to_bind_is_not_reported_again_as_a_wrong_omega_size()
    {
        var result = TestCompiler.Compile(TestCompiler.Header + "task a: regression(1) = x -> linear(1)\ntask b: regression(1) = x -> lienar(1)\n" +
            "regularize mtrl(0.1, omega: [[1, 0], [0, 1]])\n");

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticCode.UnknownLayer, diagnostic.Code);
    }
}
