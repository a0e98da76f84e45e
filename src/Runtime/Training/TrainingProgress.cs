using Spectre.Console;

namespace Mtl.Training;

/// <summary>How the trainer shows progress.</summary>
public enum ProgressMode
{
    /// <summary>A live display on a terminal; one plain line per epoch when output is redirected.</summary>
    Auto,

    /// <summary>One plain line per epoch.</summary>
    Plain,

    /// <summary>A live display (epoch, step, per-task losses, weights, ETA) that needs a terminal.</summary>
    Live,

    /// <summary>Nothing.</summary>
    None,
}

/// <summary>Receives the trainer's progress; the plain and live displays implement it.</summary>
public abstract class TrainingProgress
{
    /// <summary>Runs the whole fit inside the display (a live display must own the console while it runs).</summary>
    public virtual void Run(Action fit) => fit();

    public virtual void EpochStarted(int epoch, int epochs, long batches)
    {
    }

    public virtual void StepCompleted(long step, IReadOnlyList<string> tasks, IReadOnlyList<double?> losses, IReadOnlyList<double> weights)
    {
    }

    /// <summary>A completed epoch's one-line summary.</summary>
    public abstract void EpochCompleted(string summary);

    /// <summary>A notice (early stop, best weights restored).</summary>
    public abstract void Message(string text);

    /// <summary>The display for <paramref name="mode"/>: Auto is live only when standard output is a terminal.</summary>
    public static TrainingProgress Create(ProgressMode mode, TextWriter? writer = null)
    {
        var redirected = Console.IsOutputRedirected || writer is not null && !ReferenceEquals(writer, Console.Out);
        return mode switch
        {
            ProgressMode.None => new SilentProgress(),
            ProgressMode.Plain => new PlainProgress(writer ?? Console.Out),
            ProgressMode.Live => new LiveProgress(),
            _ => redirected ? new PlainProgress(writer ?? Console.Out) : new LiveProgress(),
        };
    }
}

internal sealed class SilentProgress : TrainingProgress
{
    public override void EpochCompleted(string summary)
    {
    }

    public override void Message(string text)
    {
    }
}

/// <summary>One line per epoch: what CI logs and redirected output get.</summary>
internal sealed class PlainProgress(TextWriter writer) : TrainingProgress
{
    public override void EpochCompleted(string summary) => writer.WriteLine(summary);

    public override void Message(string text) => writer.WriteLine(text);
}

/// <summary>
/// A Spectre.Console live display: one bar for the whole run with the epoch, step, running
/// per-task losses and weights, and the ETA; each finished epoch's summary is printed above it.
/// </summary>
internal sealed class LiveProgress : TrainingProgress
{
    private ProgressContext? _context;
    private ProgressTask? _task;
    private int _epoch, _epochs;

    public override void Run(Action fit) =>
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                _context = context;
                fit();
            });

    public override void EpochStarted(int epoch, int epochs, long batches)
    {
        (_epoch, _epochs) = (epoch, epochs);
        _task ??= _context?.AddTask("training", maxValue: Math.Max(1, batches * (epochs - epoch + 1)));
    }

    public override void StepCompleted(long step, IReadOnlyList<string> tasks, IReadOnlyList<double?> losses, IReadOnlyList<double> weights)
    {
        if (_task is null) return;
        var parts = tasks.Select((t, i) => $"{t} {(losses[i] is { } l ? l.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) : "-")}" +
            (i < weights.Count ? $" ×{weights[i].ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}" : ""));
        _task.Description = Markup.Escape($"epoch {_epoch}/{_epochs} step {step} · {string.Join(" · ", parts)}");
        _task.Increment(1);
    }

    public override void EpochCompleted(string summary) => AnsiConsole.WriteLine(summary);

    public override void Message(string text) => AnsiConsole.WriteLine(text);
}
