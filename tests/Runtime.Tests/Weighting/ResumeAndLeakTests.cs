using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

[Collection(LiveHandleCollection.Name)]
public sealed class ResumeAndLeakTests
{
    private static readonly double[][] A = [[1, 0, 0.5], [-1, 1, 0], [0.2, -0.5, 1]];

    public static TheoryData<string> Names() => [.. TaskWeighting.Names];

    /// <summary>Options whose code paths the defaults do not take.</summary>
    public static TheoryData<string, string, object> Variants() => new()
    {
        { "graddrop", "leak", 0.3 },
        { "nash_mtl", "update_every", 2 },
        { "imtl", "mode", "gradient" },
        { "imtl", "mode", "loss" },
        { "mgda", "normalization", "l2" },
        { "mgda", "normalization", "loss_plus" },
        { "aligned_mtl", "gradients", "representation" },
        { "imtl", "gradients", "representation" },
        { "graddrop", "gradients", "representation" },
        { "mgda", "ub", true },
    };

    /// <summary>One training step on θ by SGD, with every hook a trainer calls; returns the weights.</summary>
    private static double[] Step(TaskWeighting method, LinearTasks tasks, WeightingContext context, double lr = 0.05)
    {
        using var scope = NewDisposeScope();
        tasks.ZeroGrad();
        foreach (var p in method.parameters()) p.zero_grad();
        if (method is GradientWeighting { Gradients: WeightingCatalog.Representation })
        {
            var (z, losses) = tasks.RepresentationLosses();
            context.SharedRepresentation = z;
            method.Backward(losses, context);
        }
        else
        {
            method.Backward(tasks.Losses(), context);
        }
        var weights = method.Weights.ToArray();
        using (no_grad())
        {
            tasks.Theta.sub_(tasks.Theta.grad! * lr);
            foreach (var p in method.parameters()) p.sub_(p.grad! * lr);
        }
        if (method.NeedsLossesAfterStep)
        {
            method.AfterStep(tasks.Losses().Select(l => (double?)l!.item<double>()).ToArray(), context);
        }
        context.Step++;
        method.EndEpoch(tasks.Losses().Select(l => l!.item<double>()).ToArray(), context);
        context.Epoch++;
        return weights;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void State_dict_round_trip_reproduces_the_following_steps_exactly(string name) => RoundTrip(name, []);

    [Theory]
    [MemberData(nameof(Variants))]
    public void State_dict_round_trip_reproduces_the_following_steps_exactly_with_options(string name, string option, object value) =>
        RoundTrip(name, new Dictionary<string, object> { [option] = value });

    private static void RoundTrip(string name, Dictionary<string, object> options)
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks(A, theta: [2, 1, 3], heads: [1, 2, 3]);
        using var method = TaskWeighting.Create(name, [1, 0.5, 2], options);
        var context = tasks.Context(seed: 5);
        method.Attach(context);
        for (var i = 0; i < 3; i++) Step(method, tasks, context);

        var state = method.state_dict();
        var extra = method.parameters().Select(p => p.detach().clone()).ToArray();
        var theta = tasks.Theta.detach().clone();
        var stepAndEpoch = (context.Step, context.Epoch);
        var expected = new List<double[]>();
        var continued = new WeightingContext { TaskNames = context.TaskNames, SharedParameters = context.SharedParameters, TaskParameters = context.TaskParameters, LastSharedLayer = context.LastSharedLayer, Random = new Random(99), Step = context.Step, Epoch = context.Epoch };
        for (var i = 0; i < 3; i++) expected.Add(Step(method, tasks, continued));

        using var resumed = TaskWeighting.Create(name, [1, 0.5, 2], options);
        using (no_grad()) tasks.Theta.copy_(theta);
        var context2 = new WeightingContext { TaskNames = context.TaskNames, SharedParameters = context.SharedParameters, TaskParameters = context.TaskParameters, LastSharedLayer = context.LastSharedLayer, Random = new Random(99), Step = stepAndEpoch.Step, Epoch = stepAndEpoch.Epoch };
        resumed.Attach(context2);
        resumed.load_state_dict(state);
        using (no_grad())
        {
            foreach (var (p, saved) in resumed.parameters().Zip(extra)) p.copy_(saved);
        }
        for (var i = 0; i < 3; i++) Assert.Equal(expected[i], Step(resumed, tasks, context2));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Steps_do_not_grow_the_live_handle_count(string name) => NoGrowth(name, []);

    [Theory]
    [MemberData(nameof(Variants))]
    public void Steps_do_not_grow_the_live_handle_count_with_options(string name, string option, object value) =>
        NoGrowth(name, new Dictionary<string, object> { [option] = value });

    private static void NoGrowth(string name, Dictionary<string, object> options)
    {
        using var tasks = new LinearTasks(A, theta: [2, 1, 3], heads: [1, 2, 3]);
        using var method = TaskWeighting.Create(name, [1, 1, 1], options);
        var context = tasks.Context();
        method.Attach(context);
        // θ stays put, so the linear losses stay positive (FAMO takes their logarithm)
        Step(method, tasks, context, lr: 0);
        var baseline = LiveHandleCollection.Settle();
        for (var i = 0; i < 200; i++) Step(method, tasks, context, lr: 0);
        Assert.Equal(baseline, LiveHandleCollection.Settle());
    }
}
