// Trains a small two-task model (a shared trunk, a regression head and a 10-class head) by hand
// with the Mtl.Torch binding, on synthetic data whose targets can be learned, and prints the
// losses falling and the held-out quality. The same model is the one bench/ times.
using System.Diagnostics;
using Mtl.Torch;
using static Mtl.Torch.torch;

torch.manual_seed(42);
torch.set_num_threads(1);

const int Train = 8192, Test = 2048, Batch = 256, Epochs = 30;
using var data = SyntheticTasks.Make(Train + Test);
using var model = new ReferenceModel();
using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);

Console.WriteLine($"Mtl quick start: libtorch {torch.__version__}, {model.parameters().Sum(p => p.numel())} parameters");
Console.WriteLine("epoch  loss(total)  mse(A)   ce(B)    acc(B, held out)");
var clock = Stopwatch.StartNew();
for (var epoch = 1; epoch <= Epochs; epoch++)
{
    double total = 0, lossA = 0, lossB = 0;
    var batches = 0;
    using (var epochScope = NewDisposeScope())
    {
        var order = randperm(Train);
        for (long start = 0; start < Train; start += Batch)
        {
            using var step = NewDisposeScope();
            var index = order.narrow(0, start, Math.Min(Batch, Train - start));
            var x = data.Features.index_select(0, index);
            var (predA, logitsB) = model.forward(x);
            var a = nn.functional.mse_loss(predA, data.Regression.index_select(0, index));
            var b = nn.functional.cross_entropy(logitsB, data.Classes.index_select(0, index));
            var loss = a + 0.5 * b;
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            total += loss.item<float>();
            lossA += a.item<float>();
            lossB += b.item<float>();
            batches++;
        }
    }
    Console.WriteLine($"{epoch,5}  {total / batches,11:F4}  {lossA / batches,7:F4}  {lossB / batches,7:F4}  {Evaluate(),8:P1}");
}
Console.WriteLine($"trained {Epochs} epochs in {clock.Elapsed.TotalSeconds:F1} s; live native tensors now: {Tensor.LiveHandleCount}");

double Evaluate()
{
    using var scope = NewDisposeScope();
    using var mode = torch.no_grad();
    model.eval();
    var x = data.Features.narrow(0, Train, Test);
    var (_, logits) = model.forward(x);
    var correct = logits.argmax(1).eq(data.Classes.narrow(0, Train, Test)).sum().item<long>();
    model.train();
    return (double)correct / Test;
}

/// <summary>trunk Linear(64,128)-ReLU-Linear(128,64)-ReLU; head A Linear(64,32)-ReLU-Linear(32,1); head B Linear(64,32)-ReLU-Linear(32,10).</summary>
sealed class ReferenceModel : nn.Module<Tensor, (Tensor regression, Tensor logits)>
{
    private readonly Mtl.Torch.Modules.Sequential trunk = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU());
    private readonly Mtl.Torch.Modules.Sequential headA = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1));
    private readonly Mtl.Torch.Modules.Sequential headB = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10));

    public ReferenceModel() : base(nameof(ReferenceModel)) => RegisterComponents();

    public override (Tensor regression, Tensor logits) forward(Tensor input)
    {
        using var shared = trunk.forward(input);
        return (headA.forward(shared), headB.forward(shared));
    }
}

/// <summary>64 standard-normal features; A = a fixed linear function plus noise; B = which of the first 10 features is largest.</summary>
sealed class SyntheticTasks : IDisposable
{
    public required Tensor Features { get; init; }
    public required Tensor Regression { get; init; }
    public required Tensor Classes { get; init; }

    public static SyntheticTasks Make(long count)
    {
        using var scope = NewDisposeScope();
        var x = randn(count, 64);
        var w = randn(64, 1) / 8.0;
        var a = x.matmul(w) + 0.1 * randn(count, 1);
        var b = x.narrow(1, 0, 10).argmax(1);
        return new SyntheticTasks
        {
            Features = x.DetachFromDisposeScope(),
            Regression = a.DetachFromDisposeScope(),
            Classes = b.DetachFromDisposeScope(),
        };
    }

    public void Dispose()
    {
        Features.Dispose();
        Regression.Dispose();
        Classes.Dispose();
    }
}
