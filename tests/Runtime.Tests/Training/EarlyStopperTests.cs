using Mtl.Training;
using Xunit;

namespace Mtl.Runtime.Tests.Training;

public sealed class EarlyStopperTests
{
    private static EarlyStopper Stopper(string monitor, int patience = 2, double minDelta = 0, bool? maximize = null) =>
        new(new EarlyStopping(monitor, patience, maximize, minDelta), TwoTaskData.Tasks);

    private static Dictionary<string, double> Validation(string monitor, double value) => new() { [monitor] = value, ["other"] = 0 };

    /// <summary>Feeds one value per epoch; the epoch after which patience ran out (1-based), or null.</summary>
    private static int? StopEpoch(EarlyStopper stopper, params double[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            stopper.Observe(Validation(stopper.Settings!.Monitor, values[i]));
            if (stopper.ShouldStop) return i + 1;
        }
        return null;
    }

    [Theory]
    [InlineData("loss", false)]
    [InlineData("value.loss", false)]
    [InlineData("value.mae", false)]
    [InlineData("value.r2", true)]
    [InlineData("kind.loss", false)]
    [InlineData("kind.accuracy", true)]
    [InlineData("kind.macro_f1", true)]
    public void The_direction_comes_from_the_metric_catalog_unless_given(string monitor, bool maximize)
    {
        Assert.Equal(maximize, Stopper(monitor).Maximize);
        Assert.Equal(maximize, MonitorDirection.Maximizes(monitor, TwoTaskData.Tasks));
        Assert.Equal(!maximize, Stopper(monitor, maximize: !maximize).Maximize);
    }

    [Fact]
    public void A_minimised_monitor_stops_once_patience_epochs_pass_without_a_lower_value()
    {
        var stopper = Stopper("value.mae");
        // new best at 1, 2 and 4; 5 and 6 are stale.
        Assert.Equal(6, StopEpoch(stopper, 1.0, 0.8, 0.85, 0.7, 0.75, 0.72, 0.6));
        Assert.Equal(0.7, stopper.BestValue);
        Assert.Equal(2, stopper.StaleEpochs);
    }

    [Fact]
    public void A_maximised_monitor_stops_once_patience_epochs_pass_without_a_higher_value()
    {
        var stopper = Stopper("kind.accuracy");
        Assert.Equal(6, StopEpoch(stopper, 0.5, 0.6, 0.55, 0.65, 0.64, 0.63, 0.9));
        Assert.Equal(0.65, stopper.BestValue);
    }

    [Fact]
    public void Min_delta_makes_small_steps_in_the_right_direction_count_as_stale()
    {
        double[] falling = [1.0, 0.96, 0.93, 0.91, 0.90, 0.89];
        Assert.Null(StopEpoch(Stopper("value.mae"), falling));
        var minimised = Stopper("value.mae", minDelta: 0.05);
        // 0.96 is not below 1 - 0.05; 0.93 is; 0.91 and 0.90 are not below 0.93 - 0.05.
        Assert.Equal(5, StopEpoch(minimised, falling));
        Assert.Equal(0.93, minimised.BestValue);

        double[] rising = [0.5, 0.53, 0.57, 0.6, 0.61, 0.62];
        Assert.Null(StopEpoch(Stopper("kind.accuracy"), rising));
        var maximised = Stopper("kind.accuracy", minDelta: 0.05);
        Assert.Equal(5, StopEpoch(maximised, rising));
        Assert.Equal(0.57, maximised.BestValue);
    }

    [Fact]
    public void An_equal_value_is_not_an_improvement()
    {
        Assert.Equal(3, StopEpoch(Stopper("loss"), 1, 1, 1));
        Assert.Equal(3, StopEpoch(Stopper("kind.accuracy"), 0.5, 0.5, 0.5));
    }

    [Fact]
    public void A_given_direction_overrides_the_catalog()
    {
        double[] values = [1, 2, 1.5, 1.9];
        Assert.Equal(3, StopEpoch(Stopper("value.loss"), values));
        var upward = Stopper("value.loss", maximize: true);
        Assert.Equal(4, StopEpoch(upward, values));
        Assert.Equal(2, upward.BestValue);
    }

    [Fact]
    public void NaN_is_never_an_improvement_and_never_a_stale_epoch()
    {
        var stopper = Stopper("value.mae", patience: 1);
        Assert.False(stopper.Observe(Validation("value.mae", double.NaN)));
        Assert.True(double.IsNaN(stopper.BestValue));
        Assert.Equal(0, stopper.StaleEpochs);
        Assert.True(stopper.Observe(Validation("value.mae", 0.5)));
        for (var i = 0; i < 5; i++) Assert.False(stopper.Observe(Validation("value.mae", double.NaN)));
        Assert.Equal(new EarlyStopState(0.5, 0), stopper.State);
        Assert.False(stopper.ShouldStop);
    }

    [Fact]
    public void An_infinity_on_the_wrong_side_of_a_finite_best_is_a_stale_epoch()
    {
        var minimised = Stopper("value.mae");
        Assert.True(minimised.Observe(Validation("value.mae", 0.5)));
        Assert.False(minimised.Observe(Validation("value.mae", double.PositiveInfinity)));
        Assert.Equal(new EarlyStopState(0.5, 1), minimised.State);

        var maximised = Stopper("value.r2");
        Assert.True(maximised.Observe(Validation("value.r2", 0.5)));
        Assert.False(maximised.Observe(Validation("value.r2", double.NegativeInfinity)));
        Assert.Equal(new EarlyStopState(0.5, 1), maximised.State);
    }

    [Fact]
    public void An_infinity_is_never_an_improvement_even_on_the_right_side_or_first()
    {
        var minimised = Stopper("loss");
        Assert.False(minimised.Observe(Validation("loss", double.NegativeInfinity)));
        Assert.True(double.IsNaN(minimised.BestValue));
        Assert.True(minimised.Observe(Validation("loss", 0.5)));
        Assert.False(minimised.Observe(Validation("loss", double.NegativeInfinity)));
        Assert.Equal(new EarlyStopState(0.5, 1), minimised.State);

        var maximised = Stopper("value.r2");
        Assert.False(maximised.Observe(Validation("value.r2", double.PositiveInfinity)));
        Assert.True(maximised.Observe(Validation("value.r2", 0.5)));
        Assert.False(maximised.Observe(Validation("value.r2", double.PositiveInfinity)));
        Assert.Equal(new EarlyStopState(0.5, 1), maximised.State);
    }

    [Fact]
    public void An_epoch_without_the_monitor_changes_nothing()
    {
        var stopper = Stopper("kind.accuracy", patience: 1);
        stopper.Observe(Validation("kind.accuracy", 0.5));
        Assert.False(stopper.Observe(new Dictionary<string, double>()));
        Assert.False(stopper.Observe(Validation("value.mae", 0.1)));
        Assert.Equal(new EarlyStopState(0.5, 0), stopper.State);
    }

    [Fact]
    public void A_restored_state_carries_on_where_it_was()
    {
        var stopper = Stopper("loss");
        stopper.Restore(new EarlyStopState(0.5, 1));
        Assert.False(stopper.ShouldStop);
        Assert.False(stopper.Observe(Validation("loss", 0.6)));
        Assert.True(stopper.ShouldStop);

        stopper.Restore(new EarlyStopState(0.5, 1));
        Assert.True(stopper.Observe(Validation("loss", 0.4)));
        Assert.Equal(new EarlyStopState(0.4, 0), stopper.State);
    }

    [Fact]
    public void Without_settings_nothing_improves_or_stops_but_a_restored_state_is_kept()
    {
        var off = new EarlyStopper(null, TwoTaskData.Tasks);
        Assert.False(off.Observe(Validation("loss", 0.1)));
        off.Restore(new EarlyStopState(0.25, 100));
        Assert.False(off.Observe(Validation("loss", 0.1)));
        Assert.False(off.ShouldStop);
        Assert.Equal(new EarlyStopState(0.25, 100), off.State);
    }
}
