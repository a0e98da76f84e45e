using Mtl.Catalog;

namespace Mtl.Training;

/// <summary>
/// Which way a monitored value improves. A monitor is <c>loss</c> (the weighted validation loss)
/// or <c>task.metric</c>, where the metric is one the task declares or its <c>loss</c>; larger is
/// better unless <see cref="MetricCatalog.LowerIsBetter"/> says otherwise.
/// </summary>
internal static class MonitorDirection
{
    /// <summary>Checks that <paramref name="monitor"/> names a loss or a declared metric of one of <paramref name="tasks"/>, and says whether larger is better.</summary>
    public static bool Maximizes(string monitor, IReadOnlyList<TaskSpec> tasks)
    {
        if (monitor == MetricCatalog.Loss) return false;
        var dot = monitor.IndexOf('.');
        var task = dot < 0 ? null : tasks.FirstOrDefault(t => t.Name == monitor[..dot]);
        if (task is null) throw new ArgumentException($"'{monitor}' is monitored, but there is no task '{(dot < 0 ? monitor : monitor[..dot])}' (tasks: {string.Join(", ", tasks.Select(t => t.Name))})");
        var metric = monitor[(dot + 1)..];
        if (metric != MetricCatalog.Loss && !task.Metrics.Contains(metric)) throw new ArgumentException($"'{monitor}' is monitored, but task '{task.Name}' measures {string.Join(", ", task.Metrics.Append(MetricCatalog.Loss))}");
        return !MetricCatalog.LowerIsBetter(metric);
    }
}
