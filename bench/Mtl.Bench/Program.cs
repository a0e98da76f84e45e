// The reference multi-task model trained through Mtl's public nn/optim API, the way users write it.
// Usage: Mtl.Bench BATCH STEPS WARMUP; prints "BATCH WALL CPU": microseconds per step of wall-clock
// time and of this thread's CPU time.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Mtl.Torch;
using static Mtl.Torch.torch;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: Mtl.Bench BATCH STEPS WARMUP");
    return 2;
}
var batch = long.Parse(args[0], CultureInfo.InvariantCulture);
var steps = int.Parse(args[1], CultureInfo.InvariantCulture);
var warmup = int.Parse(args[2], CultureInfo.InvariantCulture);

torch.set_num_threads(1);
torch.manual_seed(0);
using var model = new ReferenceModel();
using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
using var x = randn(batch, 64);
using var regression = randn(batch, 1);
using var classes = randint(0, 10, [batch], ScalarType.Int64);

for (var i = 0; i < warmup; i++) Step();
var clock = Stopwatch.StartNew();
var cpuStart = ThreadCpu.Seconds();
for (var i = 0; i < steps; i++) Step();
var cpu = ThreadCpu.Seconds() - cpuStart;
var wall = clock.Elapsed.TotalMicroseconds / steps;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{batch} {wall:F1} {cpu * 1e6 / steps:F1}"));
return 0;

void Step()
{
    using var scope = torch.NewDisposeScope();
    optimizer.zero_grad(set_to_none: false);
    var (predA, logitsB) = model.forward(x);
    var loss = nn.functional.mse_loss(predA, regression) + 0.5 * nn.functional.cross_entropy(logitsB, classes);
    loss.backward();
    optimizer.step();
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

/// <summary>CPU time of the calling thread (the one running the steps; JIT and GC background threads are not counted).</summary>
static partial class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3; // CLOCK_THREAD_CPUTIME_ID on Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGettime(int clock, out Timespec time);

    public static double Seconds()
    {
        if (ClockGettime(ClockThreadCpuTimeId, out var t) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return t.Seconds + t.Nanoseconds * 1e-9;
    }
}
