using Mtl.Dsl.Model;
using Mtl.Dsl.Text;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>Where inputs and labels come from in a table (columns, category, label) and standardisation.</summary>
public sealed class DataBindingTests
{
    private const string Penguins = """
        model Penguins
        input measures: float[3] {
          columns bill_length_mm, "bill depth (mm)", flipper_length_mm
          standardize
        }
        input island: long { category island [Biscoe, Dream, "Torgersen Island", 4] }
        input raw: float[2, 1] { columns a, b }
        task species: classes(3) = concat(measures, island -> embedding(vocab: 4, dim: 2)) -> linear(3) {
          label species [Adelie, Chinstrap, Gentoo]
        }
        task sex: binary = measures -> linear(1) { label sex [female, male] }
        task smoker: binary = measures -> linear(1) { label smoker }
        task grade: classes(4) = measures -> linear(4) { label grade }
        task mass: regression(1) = concat(measures, raw -> flatten) -> linear(1) {
          label "Body Mass (g)"
          standardize
        }
        task position: regression(2) = measures -> linear(2) { label x, y }
        task tags: multilabel(2) = measures -> linear(2) { label red, blue }
        """;

    [Fact]
    public void Inputs_and_labels_keep_their_columns_categories_and_standardisation()
    {
        var model = TestCompiler.Model(Penguins);

        var measures = model.Inputs[0];
        Assert.Equal(["bill_length_mm", "bill depth (mm)", "flipper_length_mm"], measures.Source!.Columns);
        Assert.Empty(measures.Source.Categories);
        Assert.True(measures.Standardize);
        var island = model.Inputs[1];
        Assert.Equal(["island"], island.Source!.Columns);
        Assert.Equal(["Biscoe", "Dream", "Torgersen Island", "4"], island.Source.Categories);
        Assert.False(island.Standardize);
        Assert.Equal(["a", "b"], model.Inputs[2].Source!.Columns);

        TaskHead Task(string name) => model.Tasks.Single(t => t.Name == name);
        Assert.Equal(["species"], Task("species").Label!.Columns);
        Assert.Equal(["Adelie", "Chinstrap", "Gentoo"], Task("species").Label!.Categories);
        Assert.Equal(["female", "male"], Task("sex").Label!.Categories);
        Assert.Empty(Task("smoker").Label!.Categories);
        Assert.Empty(Task("grade").Label!.Categories);
        Assert.Equal(["Body Mass (g)"], Task("mass").Label!.Columns);
        Assert.True(Task("mass").Standardize);
        Assert.False(Task("position").Standardize);
        Assert.Equal(["x", "y"], Task("position").Label!.Columns);
        Assert.Equal(["red", "blue"], Task("tags").Label!.Columns);
    }

    [Theory]
    [InlineData("long")]
    [InlineData("int")]
    public void A_category_without_a_list_learns_its_values(string dtype)
    {
        var model = TestCompiler.Model($"model M\ninput island: {dtype} {{ category \"Island Name\" }}\ntask t: binary = island -> embedding(vocab: 2, dim: 2) -> linear(1) {{ label y }}\n");

        var source = model.Inputs[0].Source!;
        Assert.Equal(["Island Name"], source.Columns);
        Assert.Empty(source.Categories);
        Assert.True(source.LearnsCategories);
        Assert.True(source.IsCategory);
        Assert.False(TestCompiler.Model(Penguins).Inputs[1].Source!.LearnsCategories);
        Assert.True(TestCompiler.Model(Penguins).Inputs[1].Source!.IsCategory);
        Assert.False(TestCompiler.Model(Penguins).Inputs[0].Source!.IsCategory);
    }

    [Theory]
    [InlineData("input island: long { category island [Biscoe, Dream, Torgersen, Other] }\ntask t: binary = island -> embedding(vocab: 3, dim: 2) -> linear(1) { label y }", "2:38-2:71", 4, 3)]
    [InlineData("input m: float[2] { columns a, b }\ninput island: long { category island [Biscoe, Dream, Torgersen, Other] }\ntask t: binary = concat(m, island -> embedding(vocab: 5, dim: 2), island -> embedding(vocab: 2, dim: 2)) -> linear(1) { label y }", "3:38-3:71", 4, 2)]
    [InlineData("input island: long { category island [Biscoe, Dream, Torgersen, Other] }\nshared s = island -> embedding(vocab: 2, dim: 2)\ntask t: binary = s -> linear(1) { label y }", "2:38-2:71", 4, 2)]
    public void Listed_categories_must_fit_every_embedding_the_input_feeds(string members, string span, int listed, int vocab)
    {
        var diagnostic = Assert.Single(TestCompiler.Compile($"model M\n{members}\n").Diagnostics);

        Assert.Equal(
            ("MTL0321", span, $"input 'island' lists {listed} categories (indices 0 to {listed - 1}), but the embedding it feeds has vocab {vocab}", $"give the embedding vocab: {listed}, or list at most {vocab} categories"),
            (diagnostic.Id, diagnostic.Span.ToString(), diagnostic.Message, diagnostic.Fix));
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(1, 1)]
    public void Listed_categories_as_many_as_the_vocab_fit_and_learned_ones_are_checked_when_training(int listed, int vocab)
    {
        var values = string.Join(", ", new[] { "Biscoe", "Dream", "Torgersen" }.Take(listed));
        var fits = TestCompiler.Compile($"model M\ninput island: long {{ category island [{values}] }}\ntask t: binary = island -> embedding(vocab: {vocab}, dim: 2) -> linear(1) {{ label y }}\n");
        var learned = TestCompiler.Compile($"model M\ninput island: long {{ category island }}\ntask t: binary = island -> embedding(vocab: 1, dim: 2) -> linear(1) {{ label y }}\n");

        Assert.Empty(fits.Diagnostics);
        Assert.Empty(learned.Diagnostics);
        Assert.Single(learned.Models);
    }

    [Fact]
    public void A_model_without_a_table_has_no_sources_and_standardisation_needs_none()
    {
        var model = TestCompiler.Model("model M\ninput x: float[4] { standardize }\ntask t: regression(1) = x -> linear(1) { standardize }\n");

        Assert.Null(model.Inputs[0].Source);
        Assert.True(model.Inputs[0].Standardize);
        Assert.Null(model.Tasks[0].Label);
        Assert.True(model.Tasks[0].Standardize);
    }

    [Theory]
    [InlineData("input x: float[2] { colums a, b }", "MTL0005", "2:21-2:27", "unknown input statement 'colums'", "did you mean 'columns'?")]
    [InlineData("input x: float[2] { columns a, b\n category c [p, q] }", "MTL0315", "3:2-3:10", "'x': 'columns' and 'category' cannot go together", "keep one: 'columns' for numbers, 'category' for one column of names")]
    [InlineData("input x: float[2] { category c [p, q] }", "MTL0206", "2:21-2:29", "'category' expects a long or int scalar (a class index) input; input is float[2]", null)]
    [InlineData("input x: long { category c, d }", "MTL0314", "2:17-2:30", "'category' expects a column and, optionally, its values: category island [Biscoe, Dream, Torgersen]", null)]
    [InlineData("input x: long { category [p, q] }", "MTL0314", "2:17-2:32", "'category' expects a column and, optionally, its values: category island [Biscoe, Dream, Torgersen]", null)]
    [InlineData("input x: long { category c [p] [q] }", "MTL0314", "2:17-2:35", "'category' expects a column and, optionally, its values: category island [Biscoe, Dream, Torgersen]", null)]
    [InlineData("input x: long { category c(1) }", "MTL0314", "2:26-2:30", "'category' expects a column and, optionally, its values: category island [Biscoe, Dream, Torgersen]", null)]
    [InlineData("input x: long { category }", "MTL0314", "2:17-2:25", "'category' expects a column and, optionally, its values: category island [Biscoe, Dream, Torgersen]", null)]
    [InlineData("input x: long { category \"\" }", "MTL0314", "2:26-2:28", "'category' expects a column and, optionally, its values: category island [Biscoe, Dream, Torgersen]", null)]
    [InlineData("input x: float { category c }", "MTL0206", "2:18-2:26", "'category' expects a long or int scalar (a class index) input; input is float[]", null)]
    [InlineData("input x: int[3] { category c }", "MTL0206", "2:19-2:27", "'category' expects a long or int scalar (a class index) input; input is int[3]", null)]
    [InlineData("input x: float { category c [p, q] }", "MTL0206", "2:18-2:26", "'category' expects a long or int scalar (a class index) input; input is float[]", null)]
    [InlineData("input x: long[2] { category c [p, q] }", "MTL0206", "2:20-2:28", "'category' expects a long or int scalar (a class index) input; input is long[2]", null)]
    [InlineData("input x: long { category c [p, f(1)] }", "MTL0314", "2:32-2:36", "'category' expects names, numbers or strings in '[ ]'", null)]
    [InlineData("input x: float[2] { columns }", "MTL0314", "2:21-2:28", "'columns' expects column names: columns a, b, \"c d\"", null)]
    [InlineData("input x: float[2] { columns(a) b, c }", "MTL0314", "2:21-2:36", "'columns' expects column names: columns a, b, \"c d\"", null)]
    [InlineData("input x: long { category c [p, q, p] }", "MTL0303", "2:35-2:36", "'p' is given twice to 'category'", null)]
    [InlineData("input x: long { category c [] }", "MTL0314", "2:17-2:30", "'category' expects at least one value in '[ ]'", null)]
    [InlineData("input x: float[2] { columns a, a }", "MTL0303", "2:32-2:33", "'a' is given twice to 'columns'", null)]
    [InlineData("input x: float[2] { columns a, \"\" }", "MTL0314", "2:32-2:34", "'columns' expects column names: columns a, b, \"c d\"", null)]
    [InlineData("input x: float[2] { columns a, 3 }", "MTL0314", "2:32-2:33", "'columns' expects column names: columns a, b, \"c d\"", null)]
    [InlineData("input x: bool[2] { columns a, b }", "MTL0206", "2:20-2:27", "'columns' expects a float, double, long or int input; input is bool[2]", null)]
    [InlineData("input x: long[2] { columns a, b\n standardize }", "MTL0206", "3:2-3:13", "'standardize' expects a float or double input; input is long[2]", null)]
    [InlineData("input x: float[2] { columns a, b\n standardize now }", "MTL0314", "3:2-3:17", "'standardize' expects nothing after it", null)]
    public void Input_bodies_report_their_errors_where_they_are(string input, string code, string span, string message, string? fix)
    {
        var diagnostic = TestCompiler.Single($"model M\n{input}\ntask t: binary = x -> flatten -> linear(1)\n");

        Assert.Equal((code, span, message, fix), (diagnostic.Id, diagnostic.Span.ToString(), diagnostic.Message, diagnostic.Fix));
    }

    [Theory]
    [InlineData("task t: binary = x -> linear(1) { label c [a, b, c] }", "MTL0316", "3:43-3:52", "task 't' is binary, so its label lists 2 values; found 3")]
    [InlineData("task t: classes(3) = x -> linear(3) { label c, d }", "MTL0314", "3:39-3:49", "'label' expects a column and, optionally, its values: label species [Adelie, Chinstrap, Gentoo]")]
    [InlineData("task t: classes(2) = x -> linear(2) { label [a, b] }", "MTL0314", "3:39-3:51", "'label' expects a column and, optionally, its values: label species [Adelie, Chinstrap, Gentoo]")]
    [InlineData("task t: regression(1) = x -> linear(1) { label c [a] }", "MTL0314", "3:50-3:53", "'label' expects column names: columns a, b, \"c d\"")]
    [InlineData("task t: multilabel(3) = x -> linear(3) { label c, d }", "MTL0212", "3:42-3:52", "task 't' has 3 values per example (multilabel(3)), so it needs 3 columns; found 2")]
    [InlineData("task t: regression(1) = x -> linear(1) { label c, d }", "MTL0212", "3:42-3:52", "task 't' has 1 value per example (regression(1)), so it needs 1 column; found 2")]
    [InlineData("task t: binary = x -> linear(1) { label c\n standardize }", "MTL0314", "4:2-4:13", "'standardize' expects a regression task; task 't' is binary")]
    [InlineData("task t: binary = x -> linear(1) { label a }", "MTL0318", "3:35-3:42", "column 'a' is the label of task 't' and is also read by input 'x': the answer would be among the inputs")]
    public void Task_labels_report_their_errors_where_they_are(string task, string code, string span, string message)
    {
        var diagnostic = TestCompiler.Single($"model M\ninput x: float[2] {{ columns a, b }}\n{task}\n");

        Assert.Equal((code, span, message), (diagnostic.Id, diagnostic.Span.ToString(), diagnostic.Message));
    }

    [Fact]
    public void Inputs_without_columns_name_what_reads_from_the_table()
    {
        var two = TestCompiler.Compile("model M\ninput a: float[1] { columns p }\ninput b: float[1] { columns q }\ninput c: float[1]\ntask t: binary = concat(a, b, c) -> linear(1) { label r }\n");
        var labelOnly = TestCompiler.Compile("model M\ninput c: float[1]\ntask t: binary = c -> linear(1) { label r }\n");

        Assert.Equal("input 'c' names no columns, but inputs 'a', 'b' read from a table", Assert.Single(two.Diagnostics).Message);
        var diagnostic = Assert.Single(labelOnly.Diagnostics);
        Assert.Equal(("input 'c' names no columns, but task 't' reads its label from a table", new SourceSpan(2, 7, 2, 8)), (diagnostic.Message, diagnostic.Span));
        Assert.Empty(two.Models);
    }

    [Fact]
    public void An_unlabelled_task_is_a_warning_and_the_model_is_kept()
    {
        var result = TestCompiler.Compile("model M\ninput x: float[1] { columns p }\ntask t: binary = x -> linear(1) { label q }\ntask u: binary = x -> linear(1)\n");

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(("MTL0317", "4:6-4:7"), (diagnostic.Id, diagnostic.Span.ToString()));
        Assert.Null(Assert.Single(result.Models).Tasks[1].Label);
    }

    [Fact]
    public void Data_statements_take_part_in_model_equality()
    {
        const string text = "model M\ninput x: float[2] { columns a, b }\ntask t: binary = x -> linear(1) { label c [n, y] }\n";

        Assert.Equal(TestCompiler.Model(text), TestCompiler.Model(text));
        Assert.NotEqual(TestCompiler.Model(text), TestCompiler.Model(text.Replace("[n, y]", "[y, n]")));
        Assert.NotEqual(TestCompiler.Model(text), TestCompiler.Model(text.Replace("columns a, b", "columns b, a")));
    }
}
